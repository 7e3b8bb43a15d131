"""Whose consent a letter needs before it is published, and whether it stands.

A letter is written to one adult or jointly to several; it may be shared only while every
one of them agrees to the same version of it. Publishing and the consent ledger both ask.
"""

from dataclasses import dataclass

from sqlalchemy import select

from coachapp.blog.models import PublicationConsent
from coachapp.clients.models import Adult, and_list
from coachapp.extensions import db
from coachapp.letters.models import Letter

JOINT_REFUSAL = "Publishing needs the consent of everyone the letter is written to: {missing}."


def consent_parties(letter: Letter) -> list[Adult]:
    """The adults whose consent the letter needs: everyone it is written to."""
    return list(letter.addressees) or [letter.client.first_adult]


def consent_history(letter: Letter) -> list[PublicationConsent]:
    """Every consent given for the letter, newest first."""
    return list(
        db.session.scalars(
            select(PublicationConsent)
            .where(PublicationConsent.letter_id == letter.id)
            .order_by(PublicationConsent.given_at.desc(), PublicationConsent.id.desc())
        )
    )


@dataclass
class AddresseeConsent:
    """Where one addressee stands: agreed, withdrew, or not asked yet."""

    adult: Adult
    standing: PublicationConsent | None
    last_withdrawn: PublicationConsent | None

    @property
    def state(self) -> str:
        if self.standing is not None:
            return "agreed"
        return "withdrawn" if self.last_withdrawn is not None else "not_yet"


def addressee_consents(
    letter: Letter, history: list[PublicationConsent] | None = None
) -> list[AddresseeConsent]:
    """Each addressee's consent, in the letter's order of addressees.

    Consents of anyone no longer an addressee (an adult removed from the family, say)
    stay in the ledger but no longer count: the remaining addressees decide.
    """
    history = consent_history(letter) if history is None else history
    parties = []
    for adult in consent_parties(letter):
        own = [consent for consent in history if consent.adult_id == adult.id]
        standing = next((consent for consent in own if consent.is_active), None)
        withdrawn = next((consent for consent in own if not consent.is_active), None)
        parties.append(AddresseeConsent(adult, standing, withdrawn))
    return parties


@dataclass
class JointConsent:
    """Every addressee's consent measured against one revision of the letter."""

    parties: list[AddresseeConsent]
    revision_id: int | None

    @property
    def missing(self) -> list[AddresseeConsent]:
        """The addressees whose consent to this revision does not stand."""
        return [
            party
            for party in self.parties
            if party.standing is None or party.standing.letter_revision_id != self.revision_id
        ]

    @property
    def stands(self) -> bool:
        return self.revision_id is not None and not self.missing

    @property
    def consents(self) -> list[PublicationConsent]:
        """The standing consents, one per addressee, when everyone's stands."""
        return [party.standing for party in self.parties] if self.stands else []

    def refusal(self) -> str:
        """Who is missing, for a joint letter: "…: Marc Duval has not agreed yet."."""
        return JOINT_REFUSAL.format(missing=and_list([_why(party) for party in self.missing]))


def _why(party: AddresseeConsent) -> str:
    name = party.adult.display_name
    if party.standing is not None:
        return f"{name} agreed to another version of the letter"
    if party.last_withdrawn is not None:
        return f"{name} withdrew their consent"
    return f"{name} has not agreed yet"


def joint_consent(
    letter: Letter,
    revision_id: int | None = None,
    history: list[PublicationConsent] | None = None,
) -> JointConsent:
    """Every addressee's consent to ``revision_id`` (a post's revision), or by default to
    the newest revision anyone's standing consent is for."""
    parties = addressee_consents(letter, history)
    if revision_id is None:
        revision_id = max(
            (party.standing.letter_revision_id for party in parties if party.standing),
            default=None,
        )
    return JointConsent(parties, revision_id)
