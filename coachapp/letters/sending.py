"""Sending an approved letter to the client: the status change and the e-mail, together."""

import logging

from flask import render_template
from sqlalchemy import update

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.letters.rendering import letter_pdf
from coachapp.letters.services import LetterRefused
from coachapp.mail import Attachment
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue
from coachapp.outbox.signals import attachments_wanted
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

PERSONAL_MESSAGE_MAX_CHARS = 5000


def letter_idempotency_key(letter: Letter) -> str:
    """A letter is e-mailed at most once."""
    return f"letter-{letter.id}"


def send_letter(letter: Letter, sender: User, personal_message: str) -> OutboxMessage:
    """Mark an approved letter sent and queue its e-mail, in one transaction. Flushes.

    Refused (LetterRefused) unless the letter is approved and the client has an e-mail
    address; a second send of the same letter is refused, never e-mailed twice.
    """
    if letter.status is LetterStatus.SENT:
        raise LetterRefused(f"This letter was already sent to {letter.sent_to}.")
    if letter.status is not LetterStatus.APPROVED:
        raise LetterRefused("Approve the letter before sending it.")
    # Addressed to the family's first adult (a family of one: the client).
    recipient = (letter.client.first_adult.email or "").strip()
    if not recipient:
        raise LetterRefused(
            f"{letter.client.display_name} has no e-mail address yet: add one to their "
            "details, then send the letter."
        )
    _claim_sending(letter, recipient)
    message = enqueue(_letter_email(letter, sender, recipient, personal_message))
    record_event(AuditAction.LETTER_SENT, client_id=letter.client_id, target=letter, actor=sender)
    log.info("User %s sent letter %s (outbox message %s)", sender.id, letter.id, message.id)
    return message


def _claim_sending(letter: Letter, recipient: str) -> None:
    """approved → sent with a conditional UPDATE, so two clicks cannot both send."""
    now = utcnow()
    claimed = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == LetterStatus.APPROVED)
        .values(status=LetterStatus.SENT, sent_at=now, sent_to=recipient, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LetterRefused("This letter was sent a moment ago.")
    db.session.refresh(letter)


def _letter_email(letter: Letter, sender: User, recipient: str, personal_message: str) -> Email:
    context = {
        "letter": letter,
        "coach": sender,
        "addressee": letter.client.first_adult,
        "personal_message": personal_message.replace("\r\n", "\n").strip(),
    }
    return Email(
        kind="letter",
        recipient=recipient,
        subject=letter.subject or f"A letter from {sender.name}",
        text=render_template("email/letter.txt", **context),
        html=render_template("email/letter.html", **context),
        idempotency_key=letter_idempotency_key(letter),
        coach_id=letter.coach_id,
        letter_id=letter.id,
        reply_to=sender.email,
    )


@attachments_wanted.connect
def letter_attachment(message: OutboxMessage) -> list[Attachment]:
    """A letter's e-mail carries its PDF, rendered (or taken from the cache) when sent."""
    if message.letter_id is None:
        return []
    return [Attachment(f"letter-{message.letter_id}.pdf", letter_pdf(message.letter))]
