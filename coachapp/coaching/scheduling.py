"""Planning sessions: status, cancelling, moving, overlaps. Plain functions that the
coach's pages call, and that booking by clients can call too."""

from calendar import monthrange
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.clients.models import Adult
from coachapp.coaching.models import (
    CoachingSession,
    Party,
    Repeat,
    SessionMove,
    SessionSeries,
    SessionStatus,
)
from coachapp.coaching.signals import session_calendar_changed
from coachapp.extensions import db
from coachapp.timeutil import local_moment, utcnow

# A session starts and ends on one day, so none lasts this long: the overlap query
# looks this far back for sessions that might still be running.
LONGEST_SESSION = timedelta(hours=24)
# A series plans at most a year of weekly sessions at once.
MAX_OCCURRENCES = 52


class SchedulingRefused(ValueError):
    """What was asked cannot be done to this session; the message says why."""


def status_on_creation(starts_at: datetime, duration_minutes: int) -> SessionStatus:
    """A session logged after it ended was held; one still ahead is planned."""
    if starts_at + timedelta(minutes=duration_minutes) <= utcnow():
        return SessionStatus.HELD
    return SessionStatus.PLANNED


def mark_held(coaching_session: CoachingSession) -> None:
    """The session took place (also to correct a no-show)."""
    _refuse_if_cancelled(coaching_session)
    _refuse_if_not_started(coaching_session, "held")
    coaching_session.status = SessionStatus.HELD


def mark_no_show(coaching_session: CoachingSession) -> None:
    """The client did not come and did not cancel."""
    _refuse_if_cancelled(coaching_session)
    _refuse_if_not_started(coaching_session, "a no-show")
    coaching_session.status = SessionStatus.NO_SHOW


def is_late_cancellation(coaching_session: CoachingSession, when: datetime) -> bool:
    """Whether cancelling at ``when`` falls within the coach's notice period."""
    notice = timedelta(hours=coaching_session.coach.cancellation_notice_hours)
    return when > coaching_session.starts_at - notice


def cancel(
    coaching_session: CoachingSession,
    reason: str,
    cancelled_by: User | Adult,
    when: datetime | None = None,
) -> None:
    """Cancel the session, recording why, by whom (the coach or an adult of the family)
    and when, and whether it was within the coach's notice period."""
    _refuse_if_cancelled(coaching_session)
    when = when or utcnow()
    party, adult = _party(coaching_session, cancelled_by)
    coaching_session.status = SessionStatus.CANCELLED
    coaching_session.cancelled_at = when
    coaching_session.cancelled_by = party
    coaching_session.cancelled_by_adult = adult
    coaching_session.cancellation_reason = reason.strip()
    coaching_session.late_cancellation = is_late_cancellation(coaching_session, when)
    announce_change(coaching_session)


def reschedule(
    coaching_session: CoachingSession,
    new_start: datetime,
    new_duration: int,
    moved_by: User | Adult,
) -> SessionMove | None:
    """Move the session, keeping its old time in its history; None when nothing changed.

    ``moved_by`` is the coach or the adult of the family who moved it."""
    _refuse_if_cancelled(coaching_session)
    if new_start.tzinfo is None:
        raise ValueError("coachapp stores only timezone-aware datetimes")
    if new_duration <= 0:
        raise SchedulingRefused("The session ends before it starts: check the two times.")
    if (coaching_session.starts_at, coaching_session.duration_minutes) == (
        new_start,
        new_duration,
    ):
        return None
    party, adult = _party(coaching_session, moved_by)
    move = SessionMove(
        old_starts_at=coaching_session.starts_at,
        old_duration_minutes=coaching_session.duration_minutes,
        new_starts_at=new_start,
        new_duration_minutes=new_duration,
        moved_by=party,
        moved_by_adult=adult,
        moved_at=utcnow(),
    )
    coaching_session.moves.append(move)
    coaching_session.starts_at = new_start
    coaching_session.duration_minutes = new_duration
    if coaching_session.status is SessionStatus.HELD and new_start > utcnow():
        coaching_session.status = SessionStatus.PLANNED
    announce_change(coaching_session)
    return move


def change_location(
    coaching_session: CoachingSession, location: str, *, announce: bool = True
) -> bool:
    """Give the session another place or video link; True when it changed.

    ``announce=False`` leaves telling the calendars to the caller (who moves it too)."""
    location = location.strip()
    if (coaching_session.location or "") == location:
        return False
    coaching_session.location = location
    if announce and coaching_session.id is not None and not coaching_session.is_cancelled:
        announce_change(coaching_session)
    return True


def announce_change(coaching_session: CoachingSession) -> None:
    """A new version of the session's calendar event: its sequence grows, and invited
    attendees hear of it."""
    coaching_session.calendar_sequence = (coaching_session.calendar_sequence or 0) + 1
    session_calendar_changed.send(coaching_session)


def withdraw_from_calendars(coaching_session: CoachingSession) -> None:
    """Before a session is deleted: invited attendees' calendars drop its event."""
    if coaching_session.is_cancelled:
        return  # their calendars dropped it when it was cancelled
    coaching_session.calendar_sequence = (coaching_session.calendar_sequence or 0) + 1
    session_calendar_changed.send(coaching_session, deleted=True)


def invite_attendees(sessions: Iterable[CoachingSession]) -> None:
    """E-mail the attendees of these sessions ahead an invitation, and later each change."""
    for coaching_session in sessions:
        if coaching_session.starts_at > utcnow() and not coaching_session.is_cancelled:
            coaching_session.invite_attendees = True
            session_calendar_changed.send(coaching_session)


def overlapping(
    coach: User,
    start: datetime,
    end: datetime,
    exclude: CoachingSession | int | Iterable[CoachingSession | int] | None = None,
) -> list[CoachingSession]:
    """The coach's sessions (cancelled ones aside) that share some time with start to end,
    earliest first; ``exclude`` leaves out sessions (or their ids) being moved."""
    excluded = _ids(exclude)
    candidates = db.session.scalars(
        select(CoachingSession)
        .where(
            CoachingSession.coach_id == coach.id,
            CoachingSession.status != SessionStatus.CANCELLED,
            CoachingSession.starts_at < end,
            CoachingSession.starts_at > start - LONGEST_SESSION,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return [s for s in candidates if s.ends_at > start and s.id not in excluded]


def _ids(exclude) -> set[int]:
    if exclude is None:
        return set()
    if isinstance(exclude, CoachingSession | int):
        exclude = [exclude]
    return {item if isinstance(item, int) else item.id for item in exclude}


def _party(coaching_session: CoachingSession, who: User | Adult) -> tuple[Party, Adult | None]:
    if isinstance(who, Adult):
        if who.client_id != coaching_session.client_id:
            raise SchedulingRefused("Only an adult of the session's family can do this.")
        return Party.CLIENT, who
    if who.id != coaching_session.coach_id:
        raise SchedulingRefused("Only the session's coach can do this.")
    return Party.COACH, None


def _refuse_if_cancelled(coaching_session: CoachingSession) -> None:
    if coaching_session.is_cancelled:
        raise SchedulingRefused("This session is cancelled.")


def _refuse_if_not_started(coaching_session: CoachingSession, what: str) -> None:
    if coaching_session.starts_at > utcnow():
        raise SchedulingRefused(f"This session has not started yet, so it cannot be {what}.")


# Recurring sessions


def occurrence_days(
    first: date, repeat: Repeat, until: date | None = None, count: int | None = None
) -> list[date]:
    """The days of a series, the first included: ``count`` of them, or every one up to
    ``until``. A monthly series keeps its day of the month, or the month's last day."""
    if (until is None) == (count is None):
        raise SchedulingRefused("Say how long the series runs: until a date, or how many times.")
    if until is not None and until < first:
        raise SchedulingRefused("The series ends before its first session: check the dates.")
    days: list[date] = []
    while len(days) < MAX_OCCURRENCES + 1:
        day = _nth_day(first, repeat, len(days))
        if (count is not None and len(days) == count) or (until is not None and day > until):
            return days
        days.append(day)
    raise SchedulingRefused(
        f"That is more than {MAX_OCCURRENCES} sessions: plan at most {MAX_OCCURRENCES} at once."
    )


def _nth_day(first: date, repeat: Repeat, n: int) -> date:
    if repeat is Repeat.WEEKLY:
        return first + timedelta(weeks=n)
    if repeat is Repeat.FORTNIGHTLY:
        return first + timedelta(weeks=2 * n)
    month_index = first.month - 1 + n
    year, month = first.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(first.day, monthrange(year, month)[1]))


def series_starts(
    first_start: datetime,
    repeat: Repeat,
    zone: ZoneInfo,
    until: date | None = None,
    count: int | None = None,
    fold: int | None = None,
) -> list[datetime]:
    """When each later session of a series starts: the same clock time in ``zone``.

    Raises NonexistentLocalTime or AmbiguousLocalTime (naming the day) before anything is
    planned, when a daylight-saving change falls on one of them."""
    local = first_start.astimezone(zone)
    at = local.time().replace(tzinfo=None, fold=0)
    days = occurrence_days(local.date(), repeat, until, count)
    return [local_moment(day, at, zone, fold) for day in days[1:]]


def plan_series(
    first: CoachingSession,
    repeat: Repeat,
    later_starts: list[datetime],
    until: date | None = None,
    count: int | None = None,
) -> SessionSeries:
    """Make ``first`` the start of a series and plan its later sessions, each with the
    same family, length, format, topics and attendees (notes stay with each session)."""
    series = SessionSeries(
        coach_id=first.coach_id, client_id=first.client_id, repeat=repeat,
        until_on=until, occurrence_count=count,
    )
    first.series = series
    for starts_at in later_starts:
        db.session.add(
            CoachingSession(
                coach_id=first.coach_id, client=first.client, series=series,
                starts_at=starts_at, duration_minutes=first.duration_minutes,
                format=first.format, location=first.location, topics=list(first.topics),
                attendees=list(first.attendees), shared_with=list(first.shared_with),
                status=SessionStatus.PLANNED,
            )
        )
    db.session.flush()
    return series


def sessions_of_series(series: SessionSeries) -> list[CoachingSession]:
    """Every session of the series, in order."""
    return list(
        db.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.series_id == series.id)
            .order_by(CoachingSession.starts_at)
        )
    )


def following_in_series(coaching_session: CoachingSession) -> list[CoachingSession]:
    """The planned sessions of the same series after this one, in order."""
    if coaching_session.series_id is None:
        return []
    return list(
        db.session.scalars(
            select(CoachingSession)
            .where(
                CoachingSession.series_id == coaching_session.series_id,
                CoachingSession.starts_at > coaching_session.starts_at,
                CoachingSession.status == SessionStatus.PLANNED,
            )
            .order_by(CoachingSession.starts_at)
        )
    )


def cancel_following(
    coaching_session: CoachingSession, reason: str, cancelled_by: User | Adult
) -> list[CoachingSession]:
    """Cancel this session and the planned ones after it in its series; all stay on
    record, cancelled. Returns every session cancelled."""
    later = following_in_series(coaching_session)
    cancel(coaching_session, reason, cancelled_by)
    for each in later:
        cancel(each, reason, cancelled_by, when=coaching_session.cancelled_at)
    return [coaching_session, *later]


def reschedule_following(
    coaching_session: CoachingSession,
    new_start: datetime,
    new_duration: int,
    moved_by: User | Adult,
    zone: ZoneInfo,
    fold: int | None = None,
) -> list[SessionMove]:
    """Move this session and the planned ones after it in its series by as many days,
    to the same new clock time and length; each keeps its old time in its history.

    Raises NonexistentLocalTime or AmbiguousLocalTime, before moving any, when the new
    time falls in a daylight-saving change on one of their days."""
    old_local = coaching_session.starts_at.astimezone(zone)
    new_local = new_start.astimezone(zone)
    shift = new_local.date() - old_local.date()
    at = new_local.time().replace(tzinfo=None, fold=0)
    later = following_in_series(coaching_session)
    later_starts = [
        local_moment(each.starts_at.astimezone(zone).date() + shift, at, zone, fold)
        for each in later
    ]
    moves = [reschedule(coaching_session, new_start, new_duration, moved_by)]
    moves += [
        reschedule(each, starts_at, new_duration, moved_by)
        for each, starts_at in zip(later, later_starts, strict=True)
    ]
    return [move for move in moves if move is not None]
