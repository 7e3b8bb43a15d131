"""Booking, moving and cancelling by clients, within their coach's rules; the coach is told."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, render_template
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from coachapp.auth.models import User
from coachapp.booking.availability import booking_settings, free_slots
from coachapp.booking.models import BookingHours, BookingSettings, DayOff, SessionBooking
from coachapp.clients.models import Adult
from coachapp.coaching.models import CoachingSession, SessionMove, SessionStatus
from coachapp.coaching.scheduling import cancel, invite_attendees, overlapping, reschedule
from coachapp.extensions import db
from coachapp.outbox.services import Email, enqueue
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

# Clients see free times this many days ahead.
DAYS_AHEAD = 28
# "Here are the nearest free times": this many, within this many days of the one asked for.
NEAREST_COUNT = 3
NEAREST_WITHIN_DAYS = 3


class BookingRefused(ValueError):
    """The booking, move or cancellation cannot be done; the message says why."""


class SlotTaken(BookingRefused):
    """Someone else booked the time a moment ago; ``nearest`` are free times close to it."""

    def __init__(self, nearest: list[datetime]):
        super().__init__("That time was just taken; here are the nearest free times.")
        self.nearest = nearest


@dataclass(frozen=True)
class Availability:
    """What the coach's settings form saves."""

    enabled: bool
    hours: dict[int, list[tuple[time, time]]]
    lengths: list[int]
    buffer_minutes: int
    minimum_notice_hours: int
    max_sessions_per_day: int | None
    days_off: list[date]


def save_availability(coach: User, availability: Availability) -> BookingSettings:
    """Replace the coach's booking rules with ``availability``. Flushes."""
    settings = booking_settings(coach) or BookingSettings(coach_id=coach.id)
    settings.enabled = availability.enabled
    settings.session_lengths = ",".join(str(length) for length in availability.lengths)
    settings.buffer_minutes = availability.buffer_minutes
    settings.minimum_notice_hours = availability.minimum_notice_hours
    settings.max_sessions_per_day = availability.max_sessions_per_day
    settings.hours = [
        BookingHours(weekday=weekday, starts_at=start, ends_at=end)
        for weekday, ranges in sorted(availability.hours.items())
        for start, end in ranges
    ]
    settings.days_off = [DayOff(day=day) for day in availability.days_off]
    db.session.add(settings)
    db.session.flush()
    return settings


def open_settings(coach: User) -> BookingSettings:
    """The coach's rules when they take bookings; else BookingRefused saying so."""
    settings = booking_settings(coach)
    if settings is None or not settings.enabled or not settings.hours:
        raise BookingRefused(f"{coach.name} is not taking bookings in the portal at the moment.")
    return settings


def bookable_days(coach: User, now: datetime | None = None) -> tuple[date, date]:
    """The first and last day (in the coach's time zone) clients may book on."""
    today = (now or utcnow()).astimezone(user_zone(coach)).date()
    return today, today + timedelta(days=DAYS_AHEAD - 1)


def offered_slots(
    coach: User, length: int, exclude: CoachingSession | None = None
) -> list[datetime]:
    """The free times clients see for a session of ``length`` minutes."""
    return free_slots(coach, *bookable_days(coach), length, exclude=exclude)


def nearest_free(
    coach: User, wanted: datetime, length: int, exclude: CoachingSession | None = None
) -> list[datetime]:
    """Free times closest to ``wanted``, in order."""
    day = wanted.astimezone(user_zone(coach)).date()
    first, last = bookable_days(coach)
    span = timedelta(days=NEAREST_WITHIN_DAYS)
    slots = free_slots(
        coach, max(first, day - span), min(last, day + span), length, exclude=exclude
    )
    return sorted(sorted(slots, key=lambda slot: abs(slot - wanted))[:NEAREST_COUNT])


def lock_calendar(coach: User) -> None:
    """Take the coach's calendar for this transaction: a second client booking at the same
    moment waits here until the first commits, then sees the first one's session.

    An UPDATE of the coach's settings row: PostgreSQL holds its row lock until commit (and
    each later statement sees what committed meanwhile); SQLite, which begins a transaction
    at its first write, takes the database's write lock and a fresh view together."""
    db.session.execute(
        update(BookingSettings)
        .where(BookingSettings.coach_id == coach.id)
        .values(calendar_changes=BookingSettings.calendar_changes + 1)
    )


def _check_free(
    coach: User, start: datetime, length: int, exclude: CoachingSession | None = None
) -> None:
    end = start + timedelta(minutes=length)
    if overlapping(coach, start, end, exclude=exclude):
        raise SlotTaken(nearest_free(coach, start, length, exclude=exclude))
    if start not in offered_slots(coach, length, exclude=exclude):
        raise BookingRefused("That time is not one of the free times: choose one of those shown.")


def book(adult: Adult, start: datetime, length: int) -> CoachingSession:
    """Book a planned session at ``start`` for ``adult`` alone, tell the coach and send the
    adult a calendar invitation.

    Raises BookingRefused (booking off, a length or time not offered) or SlotTaken. Flushes;
    the caller commits, which releases the calendar."""
    coach = adult.client.coach
    settings = open_settings(coach)
    if length not in settings.lengths:
        raise BookingRefused("That session length is not offered: choose one of those shown.")
    lock_calendar(coach)
    _check_free(coach, start, length)
    coaching_session = CoachingSession(
        coach_id=coach.id, client=adult.client, starts_at=start, duration_minutes=length,
        status=SessionStatus.PLANNED, attendees=[adult],
    )
    db.session.add(SessionBooking(coaching_session=coaching_session, adult=adult))
    db.session.flush()
    # The client's own calendar learns of it, and later of every move or cancellation.
    invite_attendees([coaching_session])
    log.info("Adult %s booked session %s", adult.id, coaching_session.id)
    _tell_coach(coaching_session, adult, "booked", key=f"booked-{coaching_session.id}")
    return coaching_session


def move_booking(coaching_session: CoachingSession, adult: Adult, start: datetime) -> SessionMove:
    """Move a session the adult booked to another free time, keeping its history.

    Raises BookingRefused (inside the notice period, booking off, a time not offered) or
    SlotTaken. Flushes."""
    coach = coaching_session.coach
    open_settings(coach)
    notice = coach.cancellation_notice_hours
    if coaching_session.starts_at - timedelta(hours=notice) < utcnow():
        raise BookingRefused(
            f"This session is less than {notice} hours away, so it can no longer be moved; "
            "you can still cancel it (a late cancellation)."
        )
    if start == coaching_session.starts_at:
        raise BookingRefused("That is the session's time already: choose another free time.")
    lock_calendar(coach)
    _check_free(coach, start, coaching_session.duration_minutes, exclude=coaching_session)
    old_start = coaching_session.starts_at
    move = reschedule(coaching_session, start, coaching_session.duration_minutes, adult)
    db.session.flush()
    log.info("Adult %s moved session %s", adult.id, coaching_session.id)
    _tell_coach(coaching_session, adult, "moved", key=f"moved-{move.id}", old_start=old_start)
    return move


def cancel_booking(coaching_session: CoachingSession, adult: Adult, reason: str) -> None:
    """Cancel a session the adult booked (marked late inside the coach's notice period)."""
    if coaching_session.has_started:
        raise BookingRefused("This session has already started, so it cannot be cancelled.")
    lock_calendar(coaching_session.coach)
    cancel(coaching_session, reason, adult)
    db.session.flush()
    log.info("Adult %s cancelled session %s", adult.id, coaching_session.id)
    _tell_coach(coaching_session, adult, "cancelled", key=f"cancelled-{coaching_session.id}")


def _tell_coach(coaching_session, adult, what: str, key: str, old_start=None) -> None:
    coach = coaching_session.coach
    zone = user_zone(coach)
    context = {
        "coach": coach, "adult": adult, "what": what, "coaching_session": coaching_session,
        "starts": _when(coaching_session.starts_at, zone),
        "old_starts": _when(old_start, zone) if old_start else "",
    }
    name = adult.preferred_name or adult.first_name
    enqueue(
        Email(
            kind="booking",
            recipient=coach.email,
            subject=f"{name} {what} a session: {context['starts']}",
            text=render_template("email/booking.txt", **context),
            html=render_template("email/booking.html", **context),
            idempotency_key=f"booking-{key}",
            coach_id=coach.id,
        )
    )


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %-d %b %Y, %H:%M %Z")


def get_own_booking_or_404(adult: Adult, coaching_session_id: int) -> CoachingSession:
    """A planned session the adult booked and attends; any other id is a 404."""
    return db.first_or_404(_own_bookings(adult).where(CoachingSession.id == coaching_session_id))


def upcoming_bookings(adult: Adult) -> list[CoachingSession]:
    """The adult's own booked sessions still ahead, soonest first."""
    query = _own_bookings(adult).where(CoachingSession.starts_at > utcnow())
    return list(db.session.scalars(query.order_by(CoachingSession.starts_at)))


def _own_bookings(adult: Adult):
    return (
        select(CoachingSession)
        .join(SessionBooking, SessionBooking.coaching_session_id == CoachingSession.id)
        .where(
            SessionBooking.adult_id == adult.id,
            CoachingSession.client_id == adult.client_id,
            CoachingSession.status == SessionStatus.PLANNED,
            CoachingSession.attendees.any(Adult.id == adult.id),
        )
    )


def booked_by_names(session_ids: list[int]) -> dict[int, str]:
    """Of these sessions, those a client booked, each with the name of the adult who did."""
    if not session_ids:
        return {}
    bookings = db.session.scalars(
        select(SessionBooking)
        .options(joinedload(SessionBooking.adult))
        .where(SessionBooking.coaching_session_id.in_(session_ids))
    )
    return {booking.coaching_session_id: booking.booker_name for booking in bookings}


def coach_of_or_404(adult: Adult, coach_id: int) -> User:
    """The adult's own coach when ``coach_id`` names them; any other coach is a 404."""
    if adult.client.coach_id != coach_id:
        abort(404)
    return adult.client.coach


@dataclass(frozen=True)
class Slot:
    """A free time as the client reads it."""

    value: str
    label: str


def slots_by_day(slots: list[datetime], zone: ZoneInfo) -> list[tuple[date, list[Slot]]]:
    """Free times grouped by the reader's day; a time the clocks show twice says which."""
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        local = slot.astimezone(zone)
        days.setdefault(local.date(), []).append(Slot(slot_value(slot), clock_label(local)))
    return list(days.items())


def slot_value(slot: datetime) -> str:
    """How a form names a free time: its UTC moment."""
    return slot.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")


def parse_slot_value(value: str) -> datetime | None:
    """The moment a form's free time names, or None when it names none."""
    try:
        return datetime.strptime(value or "", "%Y-%m-%dT%H:%MZ").replace(tzinfo=ZoneInfo("UTC"))
    except ValueError:
        return None


def clock_label(local: datetime) -> str:
    """"14:30", or "01:30 (GMT)" on the night the clocks show 01:30 twice."""
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() != local.utcoffset():
        return f"{local:%H:%M} ({local.tzname()})"
    return f"{local:%H:%M}"
