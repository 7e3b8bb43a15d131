"""The coach's private calendar address: a secret token, of which only a hash is kept."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.calendar_sync.ical import feed
from coachapp.calendar_sync.models import CalendarFeed, ClientNaming
from coachapp.clients.models import Adult, and_list
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.timeutil import utcnow

# A subscribed calendar keeps this much of the past (cancelled sessions included, so
# that calendars drop them) and everything ahead, up to a size any calendar can read.
FEED_HISTORY = timedelta(days=90)
FEED_MAX_EVENTS = 2000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def coach_feed(coach: User) -> CalendarFeed | None:
    """The coach's calendar address, if they made one."""
    return db.session.execute(
        select(CalendarFeed).where(CalendarFeed.coach_id == coach.id)
    ).scalar_one_or_none()


def new_feed_token(coach: User, naming: ClientNaming) -> str:
    """Make a new secret address for the coach (the old one stops working); returns the
    token, which is never stored and so cannot be shown again."""
    token = secrets.token_urlsafe(32)
    existing = coach_feed(coach)
    if existing is None:
        existing = CalendarFeed(coach_id=coach.id)
        db.session.add(existing)
    existing.token_hash = _hash(token)
    existing.client_naming = naming
    existing.created_at = utcnow()
    db.session.flush()
    return token


def revoke_feed(coach: User) -> bool:
    """Stop the coach's address from working; True when there was one."""
    existing = coach_feed(coach)
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    return True


def feed_by_token(token: str) -> CalendarFeed | None:
    """The calendar address this token opens, if it is still valid."""
    return db.session.execute(
        select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token))
    ).scalar_one_or_none()


def event_title(coaching_session: CoachingSession, naming: ClientNaming) -> str:
    """"Session: Sofia and Marc" or "Session: S. M. and M. D.", never full names."""
    adults = coaching_session.attendees or coaching_session.client.adults
    return "Session: " + and_list([_name(adult, naming) for adult in adults])


def _name(adult: Adult, naming: ClientNaming) -> str:
    if naming is ClientNaming.INITIALS:
        return " ".join(f"{part[0].upper()}." for part in (adult.first_name, adult.last_name)
                        if part)
    return adult.preferred_name or adult.first_name


def feed_sessions(coach: User) -> list[CoachingSession]:
    """The coach's sessions from FEED_HISTORY ago onwards, earliest first."""
    return list(
        db.session.scalars(
            select(CoachingSession)
            .where(
                CoachingSession.coach_id == coach.id,
                CoachingSession.starts_at >= utcnow() - FEED_HISTORY,
            )
            .order_by(CoachingSession.starts_at, CoachingSession.id)
            .limit(FEED_MAX_EVENTS)
        )
    )


def feed_calendar(calendar_feed: CalendarFeed) -> bytes:
    """The coach's sessions as a subscribed calendar; cancelled ones marked cancelled."""
    coach = db.session.get(User, calendar_feed.coach_id)
    naming = calendar_feed.client_naming
    sessions = [(s, event_title(s, naming)) for s in feed_sessions(coach)]
    return feed(sessions, name=f"{coach.name}: coaching sessions")
