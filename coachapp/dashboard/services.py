"""What the dashboard shows: sessions, follow-ups, action items, clients, waiting comments."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, load_only

from coachapp.auth.models import User
from coachapp.blog.comments import pending_comment_count
from coachapp.booking.services import booked_by_names
from coachapp.clients.models import Client
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.journal.services import new_shared_entries

UPCOMING_DAYS = 14
LIST_LIMIT = 10
# The dashboard shows names and dates only: leave the notes, summaries and a client's
# situation and goals (the long text) in the database.
SESSION_COLUMNS = load_only(
    CoachingSession.id, CoachingSession.client_id, CoachingSession.starts_at,
    CoachingSession.duration_minutes, CoachingSession.format, CoachingSession.follow_up_on,
    CoachingSession.status,
)
CLIENT_COLUMNS = (Client.id, Client.updated_at)
# Each session's family with its adults (their names), joined in: no query per list.
CLIENT_WITH_ADULTS = (
    joinedload(CoachingSession.client).load_only(*CLIENT_COLUMNS).joinedload(Client.adults)
)


@dataclass
class Dashboard:
    """Everything on a coach's dashboard, each list already limited and ordered."""

    upcoming_sessions: list[CoachingSession]
    due_follow_ups: list[CoachingSession]
    open_action_items: list[ActionItem]
    recent_clients: list[Client]
    client_count: int
    pending_comment_count: int
    # Upcoming sessions a client booked in the portal: who booked each.
    booked_by: dict[int, str] = field(default_factory=dict)
    # Journal entries shared with the coach that they have not opened yet.
    new_journal_entries: list[JournalEntry] = field(default_factory=list)

    @property
    def is_new_practice(self) -> bool:
        return self.client_count == 0


def build_dashboard(coach: User, now: datetime, today: date) -> Dashboard:
    """Gather the dashboard for ``coach`` as of ``now`` (a fixed number of queries)."""
    upcoming = db.session.scalars(
        select(CoachingSession)
        .options(SESSION_COLUMNS, CLIENT_WITH_ADULTS)
        .where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.starts_at >= now - timedelta(hours=2),
            CoachingSession.starts_at < now + timedelta(days=UPCOMING_DAYS),
        )
        .order_by(CoachingSession.starts_at)
        .limit(LIST_LIMIT)
    ).unique().all()
    follow_ups = db.session.scalars(
        select(CoachingSession)
        .options(SESSION_COLUMNS, CLIENT_WITH_ADULTS)
        .where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.follow_up_on.is_not(None),
            CoachingSession.follow_up_on <= today + timedelta(days=7),
        )
        .order_by(CoachingSession.follow_up_on)
        .limit(LIST_LIMIT)
    ).unique().all()
    open_items = _open_action_items(coach)
    clients = db.session.scalars(
        select(Client)
        .options(load_only(*CLIENT_COLUMNS), joinedload(Client.adults))
        .where(Client.coach_id == coach.id, Client.archived_at.is_(None))
        .order_by(Client.updated_at.desc())
        .limit(LIST_LIMIT)
    ).unique().all()
    client_count = db.session.scalar(
        select(db.func.count(Client.id)).where(Client.coach_id == coach.id)
    )
    return Dashboard(
        upcoming, follow_ups, open_items, clients, client_count or 0, pending_comment_count(coach),
        booked_by_names([each.id for each in upcoming]), new_shared_entries(coach),
    )


def _open_action_items(coach: User) -> list[ActionItem]:
    """Open steps with a due date, soonest first, then undated ones, newest first.

    Two small queries instead of one "NULLS LAST" sort, which would sort every open step;
    the coach is checked with EXISTS so the database walks the due-date index in order.
    """
    belongs_to_coach = exists().where(
        CoachingSession.id == ActionItem.coaching_session_id, CoachingSession.coach_id == coach.id
    )

    def open_steps(dated: bool):
        due = ActionItem.due_on.is_not(None) if dated else ActionItem.due_on.is_(None)
        order = (ActionItem.due_on, ActionItem.id) if dated else (ActionItem.id.desc(),)
        return db.session.scalars(
            select(ActionItem)
            .options(
                joinedload(ActionItem.coaching_session)
                .options(SESSION_COLUMNS)
                .joinedload(CoachingSession.client)
                .load_only(*CLIENT_COLUMNS)
                .joinedload(Client.adults)
            )
            .where(belongs_to_coach, ActionItem.done_at.is_(None), due)
            .order_by(*order)
            .limit(LIST_LIMIT)
        ).unique().all()

    dated = list(open_steps(dated=True))
    if len(dated) == LIST_LIMIT:
        return dated
    return dated + list(open_steps(dated=False))[: LIST_LIMIT - len(dated)]
