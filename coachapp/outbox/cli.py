"""flask outbox send [--loop]: the worker that delivers queued e-mail."""

import time

import click
from flask import current_app
from flask.cli import AppGroup

from coachapp.extensions import db
from coachapp.outbox.services import send_due
from coachapp.outbox.signals import delivery_round_starting

outbox_cli = AppGroup("outbox", help="Deliver the e-mail waiting in the outbox.")


def _summary(counts: dict[str, int]) -> str:
    if not counts:
        return "Nothing to send."
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep going, checking again every few seconds.")
@click.option("--interval", type=float, help="Seconds between rounds with --loop.")
def send_command(loop: bool, interval: float | None) -> None:
    """Send every message that is due (once, or again and again with --loop)."""
    interval = interval if interval is not None else current_app.config["OUTBOX_LOOP_SECONDS"]
    try:
        while True:
            delivery_round_starting.send(current_app._get_current_object())
            db.session.commit()
            counts = send_due()
            if counts or not loop:
                click.echo(_summary(counts))
            if not loop:
                return
            db.session.remove()
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")
