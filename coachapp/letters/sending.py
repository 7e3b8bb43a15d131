"""Sending an approved letter to the client: the status change and the e-mail, together."""

import logging

from flask import render_template
from sqlalchemy import update

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.clients.models import Adult, and_list
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


def letter_idempotency_key(letter: Letter, adult: Adult) -> str:
    """A letter is e-mailed at most once to each of its addressees."""
    return f"letter-{letter.id}-adult-{adult.id}"


def send_letter(letter: Letter, sender: User, personal_message: str) -> list[OutboxMessage]:
    """Mark an approved letter sent and queue one e-mail per addressee, in one transaction.

    Each addressee with an e-mail address gets their own message, addressed to them
    alone. Refused (LetterRefused) unless the letter is approved and one addressee has an
    e-mail address; a second send of the same letter is refused, never e-mailed twice.
    Flushes.
    """
    if letter.status is LetterStatus.SENT:
        raise LetterRefused(f"This letter was already sent to {letter.sent_to}.")
    if letter.status is not LetterStatus.APPROVED:
        raise LetterRefused("Approve the letter before sending it.")
    if not letter.addressees:
        # Its only addressee left the family: only the coach can say who it is to now.
        raise LetterRefused(
            "This letter is written to no one now: the adult it was to has left the family. "
            "Edit it, choose whom it is to, then send it."
        )
    recipients = [adult for adult in letter.addressees if (adult.email or "").strip()]
    if not recipients:
        names = and_list([adult.full_name for adult in letter.addressees])
        raise LetterRefused(
            f"{names or letter.client.display_name} has no e-mail address yet: add one to "
            "their details, then send the letter."
        )
    # Kept to the column's length; each recipient's own message is in the outbox.
    _claim_sending(letter, ", ".join(adult.email.strip() for adult in recipients)[:254])
    messages = [
        enqueue(_letter_email(letter, sender, adult, personal_message)) for adult in recipients
    ]
    record_event(AuditAction.LETTER_SENT, client_id=letter.client_id, target=letter, actor=sender)
    log.info(
        "User %s sent letter %s (outbox messages %s)",
        sender.id, letter.id, ", ".join(str(message.id) for message in messages),
    )
    return messages


def _claim_sending(letter: Letter, sent_to: str) -> None:
    """approved → sent with a conditional UPDATE, so two clicks cannot both send."""
    now = utcnow()
    claimed = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == LetterStatus.APPROVED)
        .values(status=LetterStatus.SENT, sent_at=now, sent_to=sent_to, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LetterRefused("This letter was sent a moment ago.")
    db.session.refresh(letter)


def _letter_email(letter: Letter, sender: User, adult: Adult, personal_message: str) -> Email:
    context = {
        "letter": letter,
        "coach": sender,
        "addressee": adult,
        "personal_message": personal_message.replace("\r\n", "\n").strip(),
    }
    return Email(
        kind="letter",
        recipient=adult.email.strip(),
        subject=letter.subject or f"A letter from {sender.name}",
        text=render_template("email/letter.txt", **context),
        html=render_template("email/letter.html", **context),
        idempotency_key=letter_idempotency_key(letter, adult),
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
