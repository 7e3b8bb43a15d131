"""The publication consent ledger: each adult a letter is written to agreeing, or no longer
agreeing, to it being shared anonymously on the blog."""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.blog.consent_rules import (
    AddresseeConsent,
    JointConsent,
    addressee_consents,
    consent_history,
    consent_parties,
    joint_consent,
)
from coachapp.blog.models import CONSENT_METHODS, ConsentMethod, Post, PublicationConsent
from coachapp.blog.publishing import unpublish_posts_from_letter
from coachapp.clients.models import Adult, and_list
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterRevision, LetterStatus
from coachapp.letters.services import LetterRefused
from coachapp.letters.signals import draft_deleting
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)


class ConsentRefused(ValueError):
    """Consent cannot be recorded or withdrawn now; the message says why."""


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


def _party(letter: Letter, adult: Adult | None) -> AddresseeConsent:
    """Where ``adult`` (who may be left out when the letter is to one adult) stands."""
    parties = addressee_consents(letter)
    if adult is None:
        if len(parties) > 1:
            raise ConsentRefused("Say whose consent this is.")
        return parties[0]
    party = next((party for party in parties if party.adult.id == adult.id), None)
    if party is None:
        raise ConsentRefused(f"This letter is not written to {adult.display_name}.")
    return party


def _for_whom(letter: Letter, adult: Adult) -> str:
    """Whose consent, for the audit log of a joint letter (" for Marc Duval"); nothing for
    a letter to one adult."""
    return f" for {adult.display_name}" if len(consent_parties(letter)) > 1 else ""


def give_consent(
    letter: Letter,
    recorded_by: User,
    method: ConsentMethod,
    note: str = "",
    adult: Adult | None = None,
) -> PublicationConsent:
    """Record one addressee's consent to publishing the letter as it reads now. Flushes.

    ``adult`` may be left out when the letter is written to one adult.
    """
    if letter.status not in (LetterStatus.APPROVED, LetterStatus.SENT):
        raise ConsentRefused("Only an approved or sent letter can be shared on the blog.")
    if method is ConsentMethod.PORTAL and letter.status is not LetterStatus.SENT:
        raise ConsentRefused("This letter has not been sent to you yet.")
    party = _party(letter, adult)
    if party.standing is not None:
        joint = len(consent_parties(letter)) > 1
        whose = f"{party.adult.display_name}'s consent" if joint else "Consent"
        raise ConsentRefused(f"{whose} to share this letter is already recorded.")
    consent = PublicationConsent(
        client_id=letter.client_id,
        letter_id=letter.id,
        adult_id=party.adult.id,
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
        detail=f"Given {CONSENT_METHODS[method]}{_for_whom(letter, party.adult)}",
    )
    log.info("User %s recorded consent %s for letter %s", recorded_by.id, consent.id, letter.id)
    return consent


def withdraw_consent(
    letter: Letter, withdrawn_by: User, note: str = "", adult: Adult | None = None
) -> int:
    """Withdraw one addressee's standing consent and take every post made from the letter
    offline: any one of them withdrawing is enough.

    Returns how many posts went offline. Flushes; both happen in one transaction, so a
    post is never left public after a consent is gone.
    """
    party = _party(letter, adult)
    consent = party.standing
    if consent is None:
        raise ConsentRefused("There is no consent to withdraw for this letter.")
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by_id = withdrawn_by.id
    consent.withdrawal_note = note.strip()
    for_whom = _for_whom(letter, party.adult)
    record_event(
        AuditAction.CONSENT_WITHDRAWN,
        client_id=letter.client_id,
        target=letter,
        actor=withdrawn_by,
        detail=f"Withdrawn{for_whom}" if for_whom else "",
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
    """Everything about sharing one letter: each addressee's consent, the ledger, the posts."""

    joint: JointConsent
    history: list[PublicationConsent]
    posts: list

    @property
    def parties(self) -> list[AddresseeConsent]:
        return self.joint.parties

    @property
    def names(self) -> str:
        """Everyone the letter is written to: "Sofia Marin and Marc Duval"."""
        return and_list([party.adult.display_name for party in self.parties])

    @property
    def is_joint(self) -> bool:
        """Whether the page speaks of several people: a joint letter, or a ledger that
        names someone other than the one addressee."""
        adult_ids = {party.adult.id for party in self.parties}
        return len(adult_ids) > 1 or any(c.adult_id not in adult_ids for c in self.history)

    @property
    def consent(self) -> PublicationConsent | None:
        """The consent that stands for a letter to one adult."""
        return self.parties[0].standing

    def party(self, adult: Adult) -> AddresseeConsent | None:
        """Where ``adult`` stands, if the letter is written to them."""
        return next((party for party in self.parties if party.adult.id == adult.id), None)


def sharing_state(letter: Letter) -> SharingState:
    """The letter's consent ledger and the posts made from it."""
    history = consent_history(letter)
    posts = list(db.session.scalars(select(Post).where(Post.letter_id == letter.id)))
    return SharingState(joint_consent(letter, history=history), history, posts)


@draft_deleting.connect
def keep_drafts_with_consent(letter: Letter) -> None:
    """A draft whose client's consent is on record (even withdrawn) is never deleted."""
    on_record = db.session.execute(
        select(PublicationConsent.id).where(PublicationConsent.letter_id == letter.id).limit(1)
    ).first()
    if on_record is not None:
        raise LetterRefused("The client's consent to share this letter is on record, so it stays.")
