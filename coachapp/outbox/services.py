"""Enqueue messages with the change that causes them; claim and deliver them, with retries."""

import logging
import smtplib
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, after_this_request, current_app
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from coachapp.documents.pdf import PdfRenderError
from coachapp.extensions import db
from coachapp.mail import MailError, build_message, check_header, send_message
from coachapp.outbox.models import OutboxMessage, OutboxStatus
from coachapp.outbox.signals import attachments_wanted
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

# A worker that claimed a message and then vanished gives it up after this long.
SENDING_LEASE = timedelta(minutes=10)
# Werkzeug's server (`flask run`) skips a response's close() when the browser resets the
# connection as the response ends, and with it the delivery waiting there: the message
# then goes this many seconds after the response instead of waiting for a worker.
UNCLOSED_RESPONSE_DELIVERY_SECONDS = 5
# Messages carrying a sign-in link forget their text once delivered.
SECRET_KINDS = frozenset({"invite", "reset", "reader_confirm"})
DELIVERED_SECRET_TEXT = "(Removed after delivery: it held a single-use link.)"  # noqa: S105
PER_PAGE = 50
RETRYABLE_ERRORS = (smtplib.SMTPException, OSError, PdfRenderError, MailError)


@dataclass(frozen=True)
class Email:
    """What a feature asks the outbox to send."""

    kind: str
    recipient: str
    subject: str
    text: str
    html: str
    idempotency_key: str
    coach_id: int | None = None
    letter_id: int | None = None
    reply_to: str = ""
    unsubscribe_url: str = ""


def enqueue(email: Email) -> OutboxMessage:
    """Record a message in the current transaction; the same key gives the same message.

    Raises MailError for a recipient or subject with a line break. Flushes.
    """
    check_header("recipient", email.recipient)
    check_header("subject", email.subject)
    existing = message_by_key(email.idempotency_key)
    if existing is not None:
        return existing
    message = OutboxMessage(**asdict(email))
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        # Another request enqueued the same key at this moment: theirs stands.
        return message_by_key(email.idempotency_key)
    log.info("Queued %s message %s", email.kind, message.id)
    return message


def enqueue_each(emails: Iterable[Email], who: str) -> int:
    """Enqueue each e-mail (callers pass those whose key is not queued yet); how many.

    An address with a line break can never be sent to: it is logged (``who`` says whose
    mail, e.g. "reminder") and skipped, so one bad address does not stop the rest. Flushes.
    """
    queued = 0
    for email in emails:
        try:
            enqueue(email)
        except MailError:
            log.warning("No %s for %s: unusable address", who, email.idempotency_key)
            continue
        queued += 1
    return queued


def message_by_key(key: str) -> OutboxMessage | None:
    """The message enqueued under this idempotency key, if any."""
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    ).scalar_one_or_none()


def _due_condition(now):
    waiting = OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.RETRYING])
    lapsed = OutboxMessage.status == OutboxStatus.SENDING
    return or_(waiting, lapsed) & (OutboxMessage.next_attempt_at <= now)


def claim_due(limit: int = 20, only: list[int] | None = None) -> list[int]:
    """Mark up to ``limit`` due messages as sending and return their ids; commits.

    PostgreSQL skips rows another worker has locked (FOR UPDATE SKIP LOCKED); SQLite,
    which has no row locks, claims each row with a conditional UPDATE. Either way two
    workers never claim the same message.
    """
    now = utcnow()
    statement = select(OutboxMessage.id).where(_due_condition(now))
    if only is not None:
        statement = statement.where(OutboxMessage.id.in_(only))
    statement = statement.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        statement = statement.with_for_update(skip_locked=True)
    candidates = db.session.scalars(statement).all()
    if not postgres:
        # End SQLite's read transaction, so each claim below waits its turn for the write
        # lock instead of failing to upgrade a stale snapshot.
        db.session.commit()
    claimed = [message_id for message_id in candidates if _mark_sending(message_id, now)]
    db.session.commit()
    return claimed


def _mark_sending(message_id: int, now) -> bool:
    """Move one due message to "sending" unless someone else just did."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due_condition(now))
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def deliver(message_id: int) -> OutboxStatus:
    """Send one claimed message and record the outcome; commits."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status is not OutboxStatus.SENDING:
        return message.status if message else OutboxStatus.FAILED
    try:
        saved_to = send_message(_email_message(message))
    except Exception as error:  # a worker keeps going; the message shows the reason
        if not isinstance(error, RETRYABLE_ERRORS):
            log.exception("Unexpected error sending outbox message %s", message_id)
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        _record_failure(message, error)
    else:
        _record_delivery(message, saved_to)
    db.session.commit()
    return message.status


def _email_message(message: OutboxMessage):
    attachments = [
        attachment
        for _, answer in attachments_wanted.send(message)
        for attachment in answer or ()
    ]
    return build_message(
        message.recipient,
        message.subject,
        message.text,
        message.html,
        attachments,
        reply_to=message.reply_to,
        unsubscribe_url=message.unsubscribe_url,
    )


def _record_delivery(message: OutboxMessage, saved_to: Path | None) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = utcnow()
    message.last_error = f"Saved to {saved_to.name}" if saved_to else ""
    if message.kind in SECRET_KINDS:
        message.text = message.html = DELIVERED_SECRET_TEXT
    log.info("Sent outbox message %s (%s)", message.id, message.kind)


def _record_failure(message: OutboxMessage, error: Exception) -> None:
    """Retry later, waiting twice as long each time; give up after the last attempt."""
    config = current_app.config
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = OutboxStatus.FAILED
        message.next_attempt_at = utcnow()
    else:
        wait = config["OUTBOX_RETRY_SECONDS"] * 2 ** (message.attempts - 1)
        message.status = OutboxStatus.RETRYING
        message.next_attempt_at = utcnow() + timedelta(seconds=wait)
    log.warning("Outbox message %s not sent: %s", message.id, message.last_error)


def send_due(limit: int = 20, only: list[int] | None = None) -> dict[str, int]:
    """Claim and deliver due messages; returns how many ended in each status."""
    counts: dict[str, int] = {}
    while True:
        claimed = claim_due(limit, only)
        for message_id in claimed:
            status = deliver(message_id)
            counts[status.value] = counts.get(status.value, 0) + 1
        if len(claimed) < limit or only is not None:
            return counts


def send_soon(*messages: OutboxMessage) -> None:
    """Try to deliver the messages once the response has gone out; never raises.

    One attempt delivers them all (a letter to several addressees queues several).
    """
    app = current_app._get_current_object()
    message_ids = [message.id for message in messages]

    @after_this_request
    def _attempt_after_response(response):
        once = threading.Lock()  # whichever comes first: the response's close, or the timer

        def attempt() -> None:
            if once.acquire(blocking=False):
                _best_effort(app, message_ids)

        timer = threading.Timer(UNCLOSED_RESPONSE_DELIVERY_SECONDS, attempt)
        timer.daemon = True

        def on_close() -> None:
            timer.cancel()
            attempt()

        response.call_on_close(on_close)
        timer.start()
        return response


def _best_effort(app: Flask, message_ids: list[int]) -> None:
    try:
        with app.app_context():
            send_due(only=message_ids)
            db.session.remove()
    except Exception:  # the worker will try again; the request already succeeded
        log.exception("Immediate delivery of outbox messages %s failed", message_ids)


# The coach's outbox page


def coach_messages(page: int) -> Pagination:
    """The signed-in coach's messages, newest first."""
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.coach_id == current_user.id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


def get_message_or_404(message_id: int) -> OutboxMessage:
    """The signed-in coach's message with this id; anyone else's is a 404."""
    message = db.session.execute(
        select(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.coach_id == current_user.id
        )
    ).scalar_one_or_none()
    if message is None:
        abort(404)
    return message


def retry_now(message: OutboxMessage) -> bool:
    """Make a waiting or failed message due at once (with fresh attempts if it had failed)."""
    if not message.is_waiting:
        return False
    if message.status is OutboxStatus.FAILED:
        message.attempts = 0
    message.status = OutboxStatus.QUEUED
    message.next_attempt_at = utcnow()
    return True


def latest_letter_message(letter_id: int) -> OutboxMessage | None:
    """The most recent message carrying this letter."""
    return db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.letter_id == letter_id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).scalar_one_or_none()
