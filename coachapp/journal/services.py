"""The journal's rules: whose entry is whose, which prompts may be answered, saving with
the version as a guard, sharing with the coach and taking it back, the coach's replies.

An entry is its writer's alone. Every query for the writer starts from the signed-in
adult; every query for the coach asks for ``shared_at`` and the coach's own client, so an
unshared entry is simply not there for them (a 404, never a 403).
"""

from dataclasses import dataclass, field

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry, JournalReply
from coachapp.journal.signals import entry_deleting, entry_unsharing
from coachapp.programmes.models import Enrolment, EnrolmentStatus, Prompt
from coachapp.programmes.schedule import adult_today, day_reached, released_prompts
from coachapp.timeutil import utcnow

# The dashboard lists this many new shared entries.
NEW_SHARED_ON_DASHBOARD = 10


class EntryConflict(Exception):
    """The entry was saved elsewhere (another tab) after the page being saved was opened."""


# The writer's side


def signed_in_adult_or_404() -> Adult:
    """The adult whose portal sign-in this is; a client sign-in without one sees nothing."""
    adult = db.session.scalar(
        select(Adult).options(joinedload(Adult.client)).where(Adult.user_id == current_user.id)
    )
    if adult is None:
        abort(404)
    return adult


def _own_entries(adult: Adult) -> Select:
    return select(JournalEntry).where(
        JournalEntry.adult_id == adult.id, JournalEntry.client_id == adult.client_id
    )


def own_entries(adult: Adult) -> list[JournalEntry]:
    """The adult's entries, newest first, with their prompts and the coach's replies."""
    query = _own_entries(adult).options(
        joinedload(JournalEntry.prompt), joinedload(JournalEntry.replies)
    )
    order = (JournalEntry.created_at.desc(), JournalEntry.id.desc())
    return list(db.session.scalars(query.order_by(*order)).unique())


def get_own_entry_or_404(adult: Adult, entry_id: int) -> JournalEntry:
    """One of the adult's own entries; anyone else's, in the family or not, is a 404."""
    return db.first_or_404(_own_entries(adult).where(JournalEntry.id == entry_id))


@dataclass
class PromptOfTheDay:
    """A released prompt and the adult's answer to it, if they wrote one."""

    prompt: Prompt
    answer: JournalEntry | None = None


@dataclass
class FollowedProgramme:
    """One programme the adult follows: today's prompt and the earlier ones, newest first."""

    enrolment: Enrolment
    day: int
    today: PromptOfTheDay | None = None
    earlier: list[PromptOfTheDay] = field(default_factory=list)

    @property
    def answered_count(self) -> int:
        prompts = [self.today, *self.earlier] if self.today else self.earlier
        return sum(1 for each in prompts if each.answer is not None)


def _followed_enrolments(adult: Adult) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.adult_id == adult.id, Enrolment.client_id == adult.client_id,
                   Enrolment.status != EnrolmentStatus.FINISHED)
            .order_by(Enrolment.start_date, Enrolment.id)
        )
    )


def followed_programmes(adult: Adult, entries: list[JournalEntry]) -> list[FollowedProgramme]:
    """The adult's programmes still running, each with the prompts released so far in
    their own time zone, marked with the entry that answers them."""
    answers = {(e.enrolment_id, e.prompt_id): e for e in entries if e.prompt_id is not None}
    followed = []
    for enrolment in _followed_enrolments(adult):
        today = adult_today(enrolment)
        day = day_reached(enrolment, today)
        released = [
            PromptOfTheDay(prompt, answers.get((enrolment.id, prompt.id)))
            for prompt in reversed(released_prompts(enrolment, today))
        ]
        todays = released[0] if released and released[0].prompt.day == day else None
        followed.append(
            FollowedProgramme(enrolment, day, todays, released[1:] if todays else released)
        )
    return followed


def get_released_prompt_or_404(adult: Adult, enrolment_id: int, prompt_id: int):
    """The adult's enrolment and one of its prompts already released to them; a prompt of
    a day still to come, or of someone else's enrolment, is a 404."""
    enrolment = db.first_or_404(
        select(Enrolment).where(
            Enrolment.id == enrolment_id,
            Enrolment.adult_id == adult.id,
            Enrolment.client_id == adult.client_id,
        )
    )
    prompt = next(
        (p for p in released_prompts(enrolment, adult_today(enrolment)) if p.id == prompt_id),
        None,
    )
    if prompt is None:
        abort(404)
    return enrolment, prompt


def answer_to(adult: Adult, enrolment: Enrolment, prompt: Prompt) -> JournalEntry | None:
    """The adult's entry answering this prompt, if they wrote one already."""
    return db.session.scalar(
        _own_entries(adult)
        .where(JournalEntry.enrolment_id == enrolment.id, JournalEntry.prompt_id == prompt.id)
        .order_by(JournalEntry.id)
        .limit(1)
    )


def write_entry(adult: Adult, title: str, body: str, enrolment=None, prompt=None) -> JournalEntry:
    """A new entry by ``adult``, private to them. Flushes, does not commit."""
    now = utcnow()
    entry = JournalEntry(
        client_id=adult.client_id,
        adult_id=adult.id,
        enrolment_id=enrolment.id if enrolment else None,
        prompt_id=prompt.id if prompt else None,
        title=title,
        body=body,
        version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def save_entry(entry: JournalEntry, title: str, body: str, based_on: int) -> bool:
    """Save the writer's text over the entry; True when anything changed.

    Raises EntryConflict when the entry was saved since version ``based_on``: the caller
    shows both texts, so nothing is lost. Flushes, does not commit.
    """
    if based_on != entry.version:
        raise EntryConflict
    if (title, body) == (entry.title, entry.body):
        return False
    # Guarded in the database too: two saves racing from one version, only one wins.
    updated = db.session.execute(
        JournalEntry.__table__.update()
        .where(JournalEntry.id == entry.id, JournalEntry.version == based_on)
        .values(title=title, body=body, version=based_on + 1, updated_at=utcnow())
    )
    if updated.rowcount != 1:
        raise EntryConflict
    db.session.refresh(entry)
    return True


def share_entry(entry: JournalEntry) -> None:
    """Let the coach read the entry (and reply); it shows as new to them."""
    if entry.shared_at is not None:
        return
    entry.shared_at = utcnow()
    entry.coach_read_at = None
    _record(AuditAction.JOURNAL_ENTRY_SHARED, entry)


def unshare_entry(entry: JournalEntry) -> None:
    """Take the entry back: from now on the coach sees nothing of it, anywhere."""
    if entry.shared_at is None:
        return
    entry_unsharing.send(entry)  # the public agreement goes with the coach's access
    entry.shared_at = None
    entry.coach_read_at = None
    _record(AuditAction.JOURNAL_ENTRY_UNSHARED, entry)


def delete_entry(entry: JournalEntry) -> None:
    """Delete the entry and the coach's replies to it; anything published from it goes
    offline. Flushes, does not commit."""
    entry_deleting.send(entry)
    db.session.delete(entry)
    db.session.flush()


def _record(action: AuditAction, entry: JournalEntry) -> None:
    # Aimed at the writer, so only they read it in their portal's activity; never the text.
    record_event(
        action, client_id=entry.client_id, target=entry.adult, detail=f"Journal entry {entry.id}"
    )


# The coach's side


def _shared_with(coach: User) -> Select:
    return (
        select(JournalEntry)
        .join(JournalEntry.client)
        .where(JournalEntry.shared_at.is_not(None), Client.coach_id == coach.id)
    )


def shared_entries_of(client: Client) -> list[JournalEntry]:
    """The family's entries shared with the coach, newest first; private ones never."""
    return list(
        db.session.scalars(
            select(JournalEntry)
            .options(joinedload(JournalEntry.adult), joinedload(JournalEntry.prompt))
            .where(JournalEntry.client_id == client.id, JournalEntry.shared_at.is_not(None))
            .order_by(JournalEntry.shared_at.desc(), JournalEntry.id.desc())
        )
    )


def get_shared_entry_or_404(coach: User, entry_id: int) -> JournalEntry:
    """An entry shared with the coach by one of their clients; any other is a 404."""
    return db.first_or_404(_shared_with(coach).where(JournalEntry.id == entry_id))


def mark_read(entry: JournalEntry) -> None:
    """The coach has opened the shared entry: it is no longer new to them."""
    if entry.coach_read_at is None:
        entry.coach_read_at = utcnow()
        _record(AuditAction.JOURNAL_ENTRY_READ, entry)


def add_reply(entry: JournalEntry, coach: User, body: str) -> JournalReply:
    """The coach's reply, shown under the entry in the writer's portal. Flushes."""
    reply = JournalReply(entry=entry, coach_id=coach.id, body=body)
    db.session.add(reply)
    db.session.flush()
    _record(AuditAction.JOURNAL_REPLY_ADDED, entry)
    return reply


def get_own_reply_or_404(coach: User, reply_id: int) -> JournalReply:
    """The coach's own reply to an entry still shared with them; any other is a 404."""
    return db.first_or_404(
        select(JournalReply)
        .join(JournalReply.entry)
        .join(JournalEntry.client)
        .where(
            JournalReply.id == reply_id,
            JournalReply.coach_id == coach.id,
            JournalEntry.shared_at.is_not(None),
            Client.coach_id == coach.id,
        )
    )


def new_shared_entries(coach: User, limit: int = NEW_SHARED_ON_DASHBOARD) -> list[JournalEntry]:
    """Shared entries the coach has not opened yet, oldest first (one query)."""
    return list(
        db.session.scalars(
            _shared_with(coach)
            .options(joinedload(JournalEntry.adult), joinedload(JournalEntry.prompt))
            .where(JournalEntry.coach_read_at.is_(None))
            .order_by(JournalEntry.shared_at, JournalEntry.id)
            .limit(limit)
        )
    )
