"""The days of a week or a month, each with the coach's sessions on it, in their time zone."""

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db

# Periods a coach may open: far enough for any practice, and never near date's limits,
# so that "previous" and "next" always have somewhere to go.
FIRST_YEAR, LAST_YEAR = 1900, 2999
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")


@dataclass
class CalendarDay:
    """One day of the calendar and the sessions that start on it."""

    day: date
    is_today: bool
    # False for the days of the neighbouring months that fill a month's first and last week.
    in_period: bool = True
    sessions: list[CoachingSession] = field(default_factory=list)


def week_of(value: str | None, today: date) -> date | None:
    """The Monday of the week a ``?week=2026-12-09`` names (this week's without one);
    None for anything that is not such a day."""
    if not value:
        return today - timedelta(days=today.weekday())
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return day - timedelta(days=day.weekday())


def month_of(value: str | None, today: date) -> date | None:
    """The first day of the month a ``?month=2026-12`` names (this month's without one);
    None for anything else."""
    if not value:
        return today.replace(day=1)
    match = MONTH_PATTERN.fullmatch(value)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def month_after(first: date) -> date:
    return (first + timedelta(days=31)).replace(day=1)


def month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def sessions_between(coach: User, first: date, end: date, zone: ZoneInfo) -> list[CoachingSession]:
    """The coach's sessions starting on ``first`` up to (not including) ``end``, local days,
    with their families: two queries however many there are."""
    statement = (
        select(CoachingSession)
        .options(joinedload(CoachingSession.client).selectinload(Client.adults))
        .where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.starts_at >= _midnight(first, zone),
            CoachingSession.starts_at < _midnight(end, zone),
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return list(db.session.scalars(statement))


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def week_days(monday: date, coach: User, zone: ZoneInfo, today: date) -> list[CalendarDay]:
    """The seven days from ``monday``, each with its sessions."""
    days = [monday + timedelta(days=offset) for offset in range(7)]
    return _fill(days, coach, zone, today, lambda day: True)


def month_weeks(
    first: date, coach: User, zone: ZoneInfo, today: date
) -> list[list[CalendarDay]]:
    """The weeks (Monday first) that show the month, each day with its sessions."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    days = _fill(
        [day for week in weeks for day in week],
        coach,
        zone,
        today,
        lambda day: day.month == first.month,
    )
    return [days[start : start + 7] for start in range(0, len(days), 7)]


def _fill(days, coach, zone, today, in_period) -> list[CalendarDay]:
    by_day: dict[date, list[CoachingSession]] = defaultdict(list)
    for coaching_session in sessions_between(coach, days[0], days[-1] + timedelta(days=1), zone):
        by_day[coaching_session.starts_at.astimezone(zone).date()].append(coaching_session)
    return [
        CalendarDay(day, day == today, in_period(day), by_day.get(day, [])) for day in days
    ]
