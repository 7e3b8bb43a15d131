"""The coach's outbox: every message with its status, and "retry now"."""

from flask import flash, redirect, render_template, request, url_for

from coachapp.access import coach_required
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.mail import mail_server_configured
from coachapp.outbox.blueprints import bp
from coachapp.outbox.forms import RetryForm
from coachapp.outbox.services import coach_messages, get_message_or_404, retry_now, send_soon


@bp.route("/")
@coach_required
def index():
    """The coach's messages, newest first."""
    return render_template(
        "outbox/index.html",
        pagination=coach_messages(page_number(request.args)),
        form=RetryForm(),
        mail_server=mail_server_configured(),
    )


@bp.post("/<int:message_id>/retry")
@coach_required
def retry(message_id: int):
    """Try a waiting or failed message again now."""
    message = get_message_or_404(message_id)
    if RetryForm().validate_on_submit() and retry_now(message):
        db.session.commit()
        send_soon(message)
        flash(f"Trying again to send “{message.subject}”.", "success")
    else:
        flash("That message is not waiting to be sent.", "info")
    return redirect(url_for("outbox.index"))
