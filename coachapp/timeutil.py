"""Time helpers: coachapp stores UTC and shows times in the coach's time zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current moment as an aware UTC datetime (a callable column default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("coachapp stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class NonexistentLocalTime(ValueError):
    """A local time the clocks skip on a daylight-saving day (01:30 when 01:00 becomes 02:00)."""


class AmbiguousLocalTime(ValueError):
    """A local time the clocks show twice on a daylight-saving day; ``first`` and ``second``
    are the two moments it can mean, in that order."""

    def __init__(self, message: str, first: datetime, second: datetime):
        super().__init__(message)
        self.first = first
        self.second = second


def local_moment(day: date, at: time, zone: ZoneInfo, fold: int | None = None) -> datetime:
    """The aware moment a wall-clock time on ``day`` means in ``zone``.

    Never shifts silently: a skipped time raises NonexistentLocalTime, and a repeated one
    raises AmbiguousLocalTime unless ``fold`` says which (0 the first, 1 the second)."""
    first = datetime.combine(day, at, tzinfo=zone)
    second = first.replace(fold=1)
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != first.replace(tzinfo=None):
        raise NonexistentLocalTime(
            f"{at:%H:%M} does not exist on {day:%-d %b %Y} in {zone.key}: the clocks go "
            "forward then. Choose another time."
        )
    if first.utcoffset() == second.utcoffset():
        return first
    if fold is None:
        raise AmbiguousLocalTime(
            f"{at:%H:%M} happens twice on {day:%-d %b %Y} in {zone.key}: the clocks go back "
            f"then. Choose the first {at:%H:%M} ({first.tzname()}) or the second "
            f"({second.tzname()}).",
            first,
            second,
        )
    return second if fold else first
