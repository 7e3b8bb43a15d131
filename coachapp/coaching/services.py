"""Logging coaching sessions: saving the form, action items, topics, note templates."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import abort
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client, and_list
from coachapp.clients.services import first_adult_name_order
from coachapp.coaching.models import (
    ActionItem,
    CoachingSession,
    NoteTemplate,
    SessionFormat,
    Topic,
)
from coachapp.coaching.note_templates import STARTER_NOTE_TEMPLATES
from coachapp.coaching.scheduling import status_on_creation
from coachapp.extensions import db
from coachapp.timeutil import local_moment, utcnow

DEFAULT_TOPICS = (
    "Guilt",
    "Return to work",
    "Staying at home",
    "Co-parenting",
    "Separation and custody",
    "Self-care",
    "Sleep",
    "Boundaries",
    "Relapse and recovery",
    "Confidence as a parent",
)
TIMELINE_PAGE_SIZE = 20


def get_coaching_session_or_404(coaching_session_id: int) -> CoachingSession:
    """The signed-in coach's session with this id; anyone else's is a 404."""
    coaching_session = db.session.execute(
        select(CoachingSession)
        .options(
            selectinload(CoachingSession.action_items).selectinload(ActionItem.adult),
            selectinload(CoachingSession.topics),
            selectinload(CoachingSession.attendees),
            selectinload(CoachingSession.shared_with),
        )
        .where(
            CoachingSession.id == coaching_session_id,
            CoachingSession.coach_id == current_user.id,
        )
    ).scalar_one_or_none()
    if coaching_session is None:
        abort(404)
    return coaching_session


def get_action_item_or_404(action_item_id: int) -> ActionItem:
    """The signed-in coach's action item with this id; anyone else's is a 404."""
    item = db.session.execute(
        select(ActionItem)
        .join(ActionItem.coaching_session)
        .where(ActionItem.id == action_item_id, CoachingSession.coach_id == current_user.id)
    ).scalar_one_or_none()
    if item is None:
        abort(404)
    return item


def add_default_topics(coach: User) -> None:
    """Give a new coach the starting topic list, which they can then change."""
    for name in DEFAULT_TOPICS:
        db.session.add(Topic(coach_id=coach.id, name=name))


def coach_topics(coach: User) -> list[Topic]:
    """The coach's topic list, alphabetical."""
    return list(
        db.session.scalars(
            select(Topic).where(Topic.coach_id == coach.id).order_by(func.lower(Topic.name))
        )
    )


def topic_name_taken(coach: User, name: str, topic: Topic | None = None) -> bool:
    """Whether another of the coach's topics has this name, ignoring case."""
    return any(
        t.name.lower() == name.lower() and t is not topic for t in coach_topics(coach)
    )


def coach_clients_for_choice(coach: User, include_id: int | None = None) -> list[Client]:
    """Active clients to pick for a session (plus an archived one already chosen)."""
    condition = Client.archived_at.is_(None)
    if include_id is not None:
        condition = condition | (Client.id == include_id)
    return db.session.scalars(
        select(Client)
        .where(Client.coach_id == coach.id, condition)
        .order_by(*first_adult_name_order(), Client.id)
    ).all()


def coach_note_templates(coach: User) -> list[tuple[str, str, str]]:
    """(key, name, body) of every note template the coach can start from."""
    own = db.session.scalars(
        select(NoteTemplate).where(NoteTemplate.coach_id == coach.id).order_by(NoteTemplate.name)
    ).all()
    starters = [(f"starter:{t.key}", t.name, t.body) for t in STARTER_NOTE_TEMPLATES]
    return starters + [(f"own:{t.id}", t.name, t.body) for t in own]


def note_template_body(coach: User, key: str) -> str | None:
    """The body of the note template ``key``, if the coach has it."""
    for template_key, _name, body in coach_note_templates(coach):
        if template_key == key:
            return body
    return None


def session_start_and_end(
    day: date, start: time, end: time, zone: ZoneInfo, fold: int | None = None
) -> tuple[datetime, int]:
    """The session's start as an aware datetime and its length in minutes.

    The length is what the two times on the clock say. A start the clocks skip, or show
    twice without ``fold`` to choose, raises (see timeutil.local_moment)."""
    starts_at = local_moment(day, start, zone, fold)
    minutes = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds()
    return starts_at, int(minutes // 60)


@dataclass
class ActionItemInput:
    """One row of the action-item part of the session form."""

    item_id: int | None
    text: str
    due_on: date | None
    done: bool
    # Whose step it is: one adult of the family, or None for the whole family.
    adult_id: int | None = None


class NotOfTheFamily(ValueError):
    """An adult named for a session is not one of its family's adults."""


class KeptApart(ValueError):
    """What the coach asked would show one kept-apart adult another's session.

    ``step`` is the position of the action-item row at fault, or None when it is the
    sharing."""

    def __init__(self, message: str, step: int | None = None):
        super().__init__(message)
        self.step = step


def check_kept_apart(
    client: Client,
    attendees: Sequence[Adult],
    shared_with: Sequence[Adult] = (),
    rows: Sequence[ActionItemInput] = (),
) -> None:
    """While a family is kept apart, a session is read only by those who attended it:
    it is shared with no one else, and no one else's steps are in it. Raises KeptApart."""
    if not client.keep_apart:
        return
    names = and_list([adult.preferred_name or adult.first_name for adult in client.adults])
    if any(adult not in attendees for adult in shared_with):
        raise KeptApart(
            f"{names} are kept apart: a session is read only by those who attended it."
        )
    present = {adult.id for adult in attendees}
    adults_by_id = {adult.id: adult for adult in client.adults}
    for position, row in enumerate(rows):
        if row.text.strip() and row.adult_id is not None and row.adult_id not in present:
            absent = adults_by_id.get(row.adult_id)
            name = (absent.preferred_name or absent.first_name) if absent else "They"
            raise KeptApart(
                f"{name} did not attend, and {names} are kept apart: a step for {name} "
                "goes in a session they attend.",
                step=position,
            )


def apply_session_form(
    coaching_session: CoachingSession,
    *,
    client: Client,
    starts_at: datetime,
    duration_minutes: int,
    session_format: SessionFormat,
    topics: list[Topic],
    private_notes: str,
    summary: str,
    follow_up_on: date | None,
    action_items: list[ActionItemInput],
    attendees: list[Adult] | None = None,
    shared_with: Sequence[Adult] = (),
) -> CoachingSession:
    """Copy what the coach typed into the session; blank action-item rows are skipped.

    ``attendees`` None records every adult of the family as attending. Raises
    NotOfTheFamily, before changing anything, for an adult of another family, and
    KeptApart for a kept-apart family's session shown to someone who did not attend.
    """
    _check_family(client, [*(attendees or []), *shared_with], action_items)
    check_kept_apart(
        client, list(client.adults) if attendees is None else attendees, shared_with, action_items
    )
    if coaching_session.id is None:
        coaching_session.status = status_on_creation(starts_at, duration_minutes)
    coaching_session.coach_id = client.coach_id
    coaching_session.client = client
    coaching_session.starts_at = starts_at
    coaching_session.duration_minutes = duration_minutes
    coaching_session.format = session_format
    coaching_session.topics = topics
    coaching_session.private_notes = private_notes
    coaching_session.summary = summary
    coaching_session.follow_up_on = follow_up_on
    record_attendance(
        coaching_session, list(client.adults) if attendees is None else attendees, shared_with
    )
    _apply_action_items(coaching_session, action_items)
    client.updated_at = utcnow()
    db.session.add(coaching_session)
    db.session.flush()
    return coaching_session


def record_attendance(
    coaching_session: CoachingSession, attendees: Sequence[Adult], shared_with: Sequence[Adult] = ()
) -> None:
    """Who came to the session, and who else reads its summary (an attendee already does).

    Raises NotOfTheFamily for an adult of another family, KeptApart for sharing a kept-apart
    family's session beyond those who attended.
    """
    _check_family(coaching_session.client, [*attendees, *shared_with])
    check_kept_apart(coaching_session.client, attendees, shared_with)
    coaching_session.attendees = list(attendees)
    coaching_session.shared_with = [adult for adult in shared_with if adult not in attendees]


def stop_sharing_beyond_attendees(client: Client) -> str:
    """Before a family's adults are kept apart: no session stays shared with an adult who
    did not attend it. Returns a sentence for the coach, or "" when none was."""
    shared = list(
        db.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.client_id == client.id, CoachingSession.shared_with.any())
            .options(selectinload(CoachingSession.shared_with))
        )
    )
    for coaching_session in shared:
        coaching_session.shared_with = []
    if not shared:
        return ""
    if len(shared) == 1:
        return "One session that was shared with someone who did not attend no longer is."
    return f"{len(shared)} sessions that were shared with someone who did not attend no longer are."


def _check_family(
    client: Client, adults: Sequence[Adult], rows: Sequence[ActionItemInput] = ()
) -> None:
    family_ids = {adult.id for adult in client.adults}
    strangers = [adult for adult in adults if adult not in client.adults]
    strangers += [row for row in rows if row.adult_id not in (None, *family_ids)]
    if strangers:
        raise NotOfTheFamily("Only the family's own adults can be named for its session.")


def _apply_action_items(coaching_session: CoachingSession, rows: list[ActionItemInput]) -> None:
    existing = {item.id: item for item in coaching_session.action_items}
    kept = []
    for position, row in enumerate(r for r in rows if r.text.strip()):
        item = existing.get(row.item_id) or ActionItem()
        item.position = position
        item.text = row.text.strip()
        item.due_on = row.due_on
        item.adult_id = row.adult_id
        if row.done and item.done_at is None:
            item.done_at = utcnow()
        elif not row.done:
            item.done_at = None
        kept.append(item)
    coaching_session.action_items = kept


def toggle_action_item(item: ActionItem) -> None:
    """Tick an action item done, or open it again."""
    item.done_at = None if item.done_at else utcnow()


def client_timeline(client: Client, page: int = 1):
    """The client's sessions, newest first, one page at a time (a fixed number of queries)."""
    loaded = [selectinload(CoachingSession.action_items), selectinload(CoachingSession.topics)]
    if len(client.adults) > 1:  # who attended is worth saying when it could be someone else
        loaded.append(selectinload(CoachingSession.attendees))
    return db.paginate(
        select(CoachingSession)
        .options(*loaded)
        .where(CoachingSession.client_id == client.id)
        .order_by(CoachingSession.starts_at.desc()),
        page=page,
        per_page=TIMELINE_PAGE_SIZE,
        error_out=False,
    )


def open_action_items(client: Client) -> list[ActionItem]:
    """Steps the client has not done yet, across all their sessions, soonest due first."""
    return db.session.scalars(
        select(ActionItem)
        .options(selectinload(ActionItem.adult))
        .join(ActionItem.coaching_session)
        .where(CoachingSession.client_id == client.id, ActionItem.done_at.is_(None))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
    ).all()


def next_follow_up(client: Client, today: date) -> date | None:
    """The earliest follow-up date set for this client from ``today`` on, if any."""
    return db.session.scalar(
        select(func.min(CoachingSession.follow_up_on)).where(
            CoachingSession.client_id == client.id, CoachingSession.follow_up_on >= today
        )
    )
