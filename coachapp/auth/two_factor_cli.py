"""flask two-step new-key | rotate-key: the keys that encrypt two-step secrets.

Rotating takes three steps, so that no running process ever meets a secret it cannot open:
put a new key first in TWO_FACTOR_KEYS and restart; re-encrypt every secret with it
(rotate-key); then retire the older keys and restart again.
"""

import json

import click
from flask import current_app
from flask.cli import AppGroup

from coachapp.auth.two_factor_keys import reencrypt_secrets
from coachapp.extensions import db

two_step_cli = AppGroup(
    "two-step", help="Make a new key for two-step secrets, or encrypt them all with the first."
)


def _settings(keys: list[str]) -> str:
    """TWO_FACTOR_KEYS as instance/config.py and as the environment would hold it."""
    return (
        f"  TWO_FACTOR_KEYS = {keys!r}  (in instance/config.py), or\n"
        f"  FLASK_TWO_FACTOR_KEYS='{json.dumps(keys)}'  (in the environment)"
    )


@two_step_cli.command("new-key")
def new_key_command() -> None:
    """Print a new key, and TWO_FACTOR_KEYS with it first."""
    from cryptography.fernet import Fernet  # only for this command (start-up time)

    key = Fernet.generate_key().decode("ascii")
    click.echo(key)
    click.echo(
        "Put it first in TWO_FACTOR_KEYS, keeping the keys there now after it:\n"
        f"{_settings([key, *current_app.config['TWO_FACTOR_KEYS']])}\n"
        "Restart coachapp (every process), then run "
        "'flask --app coachapp two-step rotate-key'. Keep a copy of the new key with the "
        "backup key, away from this server.",
        err=True,
    )


@two_step_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Encrypt every two-step secret again with the first key of TWO_FACTOR_KEYS."""
    rotation = reencrypt_secrets()
    db.session.commit()
    secrets = "secret" if rotation.reencrypted == 1 else "secrets"
    click.echo(f"{rotation.reencrypted} two-step {secrets} now encrypted with the first key.")
    if rotation.unreadable:
        ids = ", ".join(str(user_id) for user_id in rotation.unreadable)
        raise click.ClickException(
            f"{len(rotation.unreadable)} open with none of TWO_FACTOR_KEYS (users {ids}) and "
            "were left as they were: retire no key yet. Add the key they were set up with, "
            "then run this again; or those people sign in with a recovery code, turn "
            "two-step sign-in off and set it up again."
        )
    keys = current_app.config["TWO_FACTOR_KEYS"]
    if len(keys) == 1:
        click.echo("TWO_FACTOR_KEYS holds one key: there is none to retire.")
        return
    click.echo(
        "Every secret opens with the first key alone, so the others can be retired: set\n"
        f"{_settings(keys[:1])}\n"
        "then restart coachapp. Keep the retired keys with the backups made before today."
    )
