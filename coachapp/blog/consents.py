"""The publication consent ledger: a client agreeing, or no longer agreeing, to a letter
being shared anonymously on the blog."""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.blog.models import CONSENT_METHODS, ConsentMethod, Post, PublicationConsent
from coachapp.blog.publishing import unpublish_posts_from_letter
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterRevision, LetterStatus
from coachapp.letters.services import LetterRefused
from coachapp.letters.signals import draft_deleting
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)


class ConsentRefused(ValueError):
    """Consent cannot be recorded or withdrawn now; the message says why."""


def consent_history(letter: Letter) -> list[PublicationConsent]:
    """Every consent given for the letter, newest first, with who recorded it."""
    return list(
        db.session.scalars(
            select(PublicationConsent)
            .where(PublicationConsent.letter_id == letter.id)
            .order_by(PublicationConsent.given_at.desc(), PublicationConsent.id.desc())
        )
    )


def active_consent(letter: Letter) -> PublicationConsent | None:
    """The consent that currently stands for the letter, if any."""
    return db.session.scalars(
        select(PublicationConsent)
        .where(PublicationConsent.letter_id == letter.id, PublicationConsent.withdrawn_at.is_(None))
        .order_by(PublicationConsent.id.desc())
        .limit(1)
    ).first()


def _consented_revision(letter: Letter) -> LetterRevision:
    """The revision consent is given for: the letter as it was approved or sent."""
    revision = db.session.scalars(
        select(LetterRevision)
        .where(LetterRevision.letter_id == letter.id)
        .order_by(LetterRevision.number.desc())
        .limit(1)
    ).first()
    if revision is None:  # every letter gets revision 1 when it is created
        raise ConsentRefused("This letter has no saved version to consent to.")
    return revision


def give_consent(
    letter: Letter, recorded_by: User, method: ConsentMethod, note: str = ""
) -> PublicationConsent:
    """Record the client's consent to publishing the letter as it reads now. Flushes."""
    if letter.status not in (LetterStatus.APPROVED, LetterStatus.SENT):
        raise ConsentRefused("Only an approved or sent letter can be shared on the blog.")
    if method is ConsentMethod.PORTAL and letter.status is not LetterStatus.SENT:
        raise ConsentRefused("This letter has not been sent to you yet.")
    if active_consent(letter) is not None:
        raise ConsentRefused("Consent to share this letter is already recorded.")
    consent = PublicationConsent(
        client_id=letter.client_id,
        letter_id=letter.id,
        letter_revision_id=_consented_revision(letter).id,
        method=method,
        note=note.strip(),
        recorded_by_id=recorded_by.id,
        given_at=utcnow(),
    )
    db.session.add(consent)
    db.session.flush()
    record_event(
        AuditAction.CONSENT_GIVEN,
        client_id=letter.client_id,
        target=letter,
        actor=recorded_by,
        detail=f"Given {CONSENT_METHODS[method]}",
    )
    log.info("User %s recorded consent %s for letter %s", recorded_by.id, consent.id, letter.id)
    return consent


def withdraw_consent(letter: Letter, withdrawn_by: User, note: str = "") -> int:
    """Withdraw the standing consent and take every post made from the letter offline.

    Returns how many posts went offline. Flushes; both happen in one transaction, so a
    post is never left public after its consent is gone.
    """
    consent = active_consent(letter)
    if consent is None:
        raise ConsentRefused("There is no consent to withdraw for this letter.")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by_id = withdrawn_by.id
    consent.withdrawal_note = note.strip()
    record_event(
        AuditAction.CONSENT_WITHDRAWN, client_id=letter.client_id, target=letter, actor=withdrawn_by
    )
    taken_down = unpublish_posts_from_letter(letter, "The client withdrew consent.")
    log.info(
        "User %s withdrew consent %s for letter %s; %s post(s) unpublished",
        withdrawn_by.id,
        consent.id,
        letter.id,
        taken_down,
    )
    return taken_down


@dataclass
class SharingState:
    """Everything about sharing one letter: the consent that stands, the ledger, the posts."""

    consent: PublicationConsent | None
    history: list[PublicationConsent]
    posts: list


def sharing_state(letter: Letter) -> SharingState:
    """The letter's consent ledger and the posts made from it."""
    history = consent_history(letter)
    standing = next((consent for consent in history if consent.is_active), None)
    posts = list(db.session.scalars(select(Post).where(Post.letter_id == letter.id)))
    return SharingState(standing, history, posts)


@draft_deleting.connect
def keep_drafts_with_consent(letter: Letter) -> None:
    """A draft whose client's consent is on record (even withdrawn) is never deleted."""
    on_record = db.session.execute(
        select(PublicationConsent.id).where(PublicationConsent.letter_id == letter.id).limit(1)
    ).first()
    if on_record is not None:
        raise LetterRefused("The client's consent to share this letter is on record, so it stays.")
