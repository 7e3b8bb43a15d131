"""A coach's weekly availability: reading what they type, and the free times it leaves."""

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from coachapp.auth.models import User
from coachapp.booking.models import BookingHours, BookingSettings
from coachapp.coaching.models import CoachingSession
from coachapp.coaching.scheduling import overlapping
from coachapp.extensions import db
from coachapp.templating import user_zone
from coachapp.timeutil import NonexistentLocalTime, local_moment, utcnow

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORTEST_SESSION, LONGEST_SESSION = 10, 240
MOST_LENGTHS = 4
# A slot found after another session starts on a round clock time.
SLOT_ROUNDING_MINUTES = 5
# Hours as "09:00-12:00"; a dash as typed on a phone (en or em dash) too.
TIME_RANGE = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-\u2013\u2014]\s*(\d{1,2})[:.](\d{2})$")


class AvailabilityError(ValueError):
    """What the coach typed cannot be read as availability; the message says why."""


def parse_hours(text: str) -> list[tuple[time, time]]:
    """Ranges such as "09:00-12:00, 13:30-17:00", in order; refuses nonsense and overlaps."""
    ranges = sorted(_parse_range(part.strip()) for part in re.split(r"[,;]", text) if part.strip())
    for earlier, later in pairwise(ranges):
        if later[0] < earlier[1]:
            raise AvailabilityError(
                f"{_range_text(*earlier)} and {_range_text(*later)} overlap: give each hour once."
            )
    return ranges


def _parse_range(part: str) -> tuple[time, time]:
    match = TIME_RANGE.match(part)
    if not match:
        raise AvailabilityError(f"“{part}” is not a range of hours: write it as 09:00-12:00.")
    hour1, minute1, hour2, minute2 = (int(group) for group in match.groups())
    if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
        raise AvailabilityError(f"“{part}” is not a time of day: use 00:00 to 23:59.")
    start, end = time(hour1, minute1), time(hour2, minute2)
    if end <= start:
        raise AvailabilityError(f"{_range_text(start, end)} ends before it starts.")
    return start, end


def _range_text(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def hours_text(ranges: list[BookingHours] | list[tuple[time, time]]) -> str:
    """Ranges as the settings form shows them: "09:00-12:00, 13:30-17:00"."""
    pairs = [(r.starts_at, r.ends_at) if isinstance(r, BookingHours) else r for r in ranges]
    return ", ".join(_range_text(start, end) for start, end in pairs)


def parse_lengths(text: str) -> list[int]:
    """Session lengths in minutes, such as "50, 90", shortest first."""
    parts = [part.strip() for part in re.split(r"[,;\s]+", text) if part.strip()]
    if not parts:
        raise AvailabilityError("Give at least one session length, in minutes (for example 50).")
    lengths = set()
    for part in parts:
        if not part.isdigit() or not SHORTEST_SESSION <= int(part) <= LONGEST_SESSION:
            raise AvailabilityError(
                f"“{part}” is not a session length: give whole minutes from "
                f"{SHORTEST_SESSION} to {LONGEST_SESSION}."
            )
        lengths.add(int(part))
    if len(lengths) > MOST_LENGTHS:
        raise AvailabilityError(f"Offer at most {MOST_LENGTHS} session lengths.")
    return sorted(lengths)


def parse_days_off(text: str) -> list[date]:
    """Dates such as 2026-12-24, one a line (or comma-separated), in order."""
    days = set()
    for part in re.split(r"[,;\s]+", text):
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise AvailabilityError(
                f"“{part}” is not a date: write it as year-month-day, e.g. 2026-12-24."
            ) from None
    return sorted(days)


def booking_settings(coach: User) -> BookingSettings | None:
    """The coach's booking rules, if they ever set them."""
    return db.session.get(BookingSettings, coach.id)


def free_slots(
    coach: User,
    day_from: date,
    day_to: date,
    length: int,
    *,
    now: datetime | None = None,
    exclude: CoachingSession | None = None,
) -> list[datetime]:
    """When a session of ``length`` minutes could start, from ``day_from`` to ``day_to``
    (days in the coach's time zone, both included), as UTC moments in order.

    Within the coach's hours, outside days off, at least the notice ahead of ``now``, with
    the buffer clear of every other session (``exclude`` aside, the one being moved), and
    none on a day that already holds the most sessions the coach takes. Slots follow one
    another at the length plus the buffer from the start of each range, and resume after
    any session in the way. Booking off: none."""
    settings = booking_settings(coach)
    if settings is None or not settings.enabled:
        return []
    zone = user_zone(coach)
    buffer = timedelta(minutes=settings.buffer_minutes)
    earliest = (now or utcnow()) + timedelta(hours=settings.minimum_notice_hours)
    # A day longer than usual (the clocks going back) still lies within a day either side.
    window_start = datetime.combine(day_from, time(0), tzinfo=zone) - timedelta(days=1)
    window_end = datetime.combine(day_to, time(0), tzinfo=zone) + timedelta(days=2)
    busy = overlapping(coach, window_start, window_end, exclude=exclude)
    per_day = Counter(each.starts_at.astimezone(zone).date() for each in busy)
    days_off = {each.day for each in settings.days_off}
    slots: list[datetime] = []
    day = day_from
    while day <= day_to:
        full = settings.max_sessions_per_day is not None and (
            per_day[day] >= settings.max_sessions_per_day
        )
        if day not in days_off and not full:
            for hours in settings.hours:
                if hours.weekday == day.weekday():
                    start, end = _range_moments(day, hours, zone)
                    slots += _slots_between(start, end, length, buffer, busy, earliest)
        day += timedelta(days=1)
    return sorted(slots)


def _range_moments(day: date, hours: BookingHours, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A range's start and end as moments, never longer than the clocks say: a start the
    clocks skip begins after the change, an end they skip comes before it; a time they
    show twice starts at the first and ends at the second."""
    return (
        _moment(day, hours.starts_at, zone, skipped_fold=0, repeated_fold=0),
        _moment(day, hours.ends_at, zone, skipped_fold=1, repeated_fold=1),
    )


def _moment(day: date, at: time, zone: ZoneInfo, skipped_fold: int, repeated_fold: int):
    try:
        return local_moment(day, at, zone, fold=repeated_fold).astimezone(UTC)
    except NonexistentLocalTime:
        # Skipped: fold 0 reads it with the offset before the change (a later moment),
        # fold 1 with the offset after it (an earlier one).
        return datetime.combine(day, at, tzinfo=zone).replace(fold=skipped_fold).astimezone(UTC)


def _slots_between(start, end, length, buffer, busy, earliest) -> list[datetime]:
    duration = timedelta(minutes=length)
    found = []
    at = start
    while at + duration <= end:
        in_the_way = [
            other for other in busy
            if other.starts_at - buffer < at + duration and other.ends_at + buffer > at
        ]
        if in_the_way:
            at = _round_up(max(other.ends_at for other in in_the_way) + buffer)
            continue
        if at >= earliest:
            found.append(at)
        at += duration + buffer
    return found


def _round_up(moment: datetime) -> datetime:
    step = SLOT_ROUNDING_MINUTES * 60
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(-(-seconds // step) * step, UTC)
