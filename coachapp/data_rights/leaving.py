"""One adult leaves a family: their access closes at once and the shared history stays;
on request, their personal details are erased from coachapp too.

Erasing reaches into sign-ins, letters and the outbox, so it sits above those features.
"""

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.clients.models import Adult
from coachapp.clients.services import check_removable, remove_adult
from coachapp.coaching.models import ActionItem
from coachapp.data_rights.deletion import delete_portal_login
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.journal.signals import entry_deleting
from coachapp.letters.models import Letter, RenderedPdf
from coachapp.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

# What "sent to" reads once the only address a letter went to has been erased.
ERASED_ADDRESSEE = "an adult who has left the family"


@dataclass(frozen=True)
class Departure:
    """Who left, as the coach named them, and whether their details were erased."""

    name: str
    erased: bool


def leave_family(adult: Adult, erase: bool = False) -> Departure:
    """Take the adult out of their family (FamilyRefused for the last one).

    Their portal sign-in closes at once; joint sessions, joint letters and the activity
    log stay. Their own next steps become the whole family's, except in a family kept
    apart, where no one else may read them: there they go with the adult.
    With ``erase``, their personal details go too (see ``_erase_details``). Flushes, does
    not commit.
    """
    check_removable(adult)
    client_id, adult_id, name = adult.client_id, adult.id, adult.display_name
    letter_ids = list(
        db.session.scalars(select(Letter.id).where(Letter.addressees.any(Adult.id == adult_id)))
    )
    addresses = {address for address in (adult.email, adult.user and adult.user.email) if address}
    portal_login = adult.user
    if adult.client.keep_apart:
        db.session.execute(delete(ActionItem).where(ActionItem.adult_id == adult_id))
    for entry in db.session.scalars(select(JournalEntry).where(JournalEntry.adult_id == adult_id)):
        entry_deleting.send(entry)  # their journal goes with them, and anything published from it
    remove_adult(adult)
    if erase:
        _erase_details(adult_id, client_id, letter_ids, addresses)
        if portal_login is not None:
            delete_portal_login(portal_login)
    record_event(
        AuditAction.ADULT_REMOVED,
        client_id=client_id,
        detail=f"adult {adult_id}" + ("; personal details erased" if erase else ""),
    )
    log.info("Adult %s left client %s (details erased: %s)", adult_id, client_id, erase)
    return Departure(name, erase)


def _erase_details(adult_id: int, client_id: int, letter_ids: list[int], addresses: set) -> None:
    """Everything that still names or reaches the adult, except the immutable activity log
    and what the coach wrote (letters and notes stay as written, with the coach only):
    the e-mails queued or sent to them, their address in "sent to", and PDFs already
    rendered with their name on them."""
    db.session.execute(
        delete(OutboxMessage).where(
            # Letters' e-mails, and calendar invitations, end their keys with the adult.
            OutboxMessage.kind.in_(["letter", "calendar"]),
            OutboxMessage.idempotency_key.endswith(f"-adult-{adult_id}", autoescape=True),
        )
    )
    if letter_ids:
        db.session.execute(delete(RenderedPdf).where(RenderedPdf.letter_id.in_(letter_ids)))
    wanted = {address.strip().lower() for address in addresses}
    for letter in db.session.scalars(
        select(Letter).where(Letter.client_id == client_id, Letter.sent_to != "")
    ):
        kept = [a.strip() for a in letter.sent_to.split(",") if a.strip().lower() not in wanted]
        letter.sent_to = ", ".join(kept) or ERASED_ADDRESSEE
    db.session.flush()
