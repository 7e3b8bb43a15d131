"""Which day of a programme an enrolled adult has reached, in their own time zone.

Plain functions of the enrolment and a date, so pages, e-mails and tests agree on it.
"""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from coachapp.programmes.models import Enrolment, EnrolmentStatus, Prompt, Rhythm
from coachapp.timeutil import utcnow

WEEKDAYS = (1, 2, 3, 4, 5)


def chosen_weekdays(enrolment: Enrolment) -> set[int]:
    """The ISO weekdays (Monday 1 .. Sunday 7) that bring a prompt."""
    if enrolment.rhythm is Rhythm.DAILY:
        return set(range(1, 8))
    if enrolment.rhythm is Rhythm.WEEKDAYS:
        return set(WEEKDAYS)
    chosen = {int(part) for part in enrolment.weekdays.split(",") if part.strip().isdigit()}
    return {day for day in chosen if 1 <= day <= 7} or set(range(1, 8))


def rhythm_days_between(enrolment: Enrolment, first: date, last: date) -> int:
    """How many days from ``first`` to ``last`` (both included) bring a prompt."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weekdays = chosen_weekdays(enrolment)
    whole_weeks, rest = divmod(days, 7)
    count = whole_weeks * len(weekdays)
    for offset in range(rest):
        if (first + timedelta(days=whole_weeks * 7 + offset)).isoweekday() in weekdays:
            count += 1
    return count


def day_reached(enrolment: Enrolment, today: date) -> int:
    """The programme day the adult has reached on ``today`` (0 before the first).

    Not capped at the programme's length; a paused or finished enrolment stays where it
    stopped.
    """
    if enrolment.status is not EnrolmentStatus.ACTIVE:
        return enrolment.counted_days
    return enrolment.counted_days + rhythm_days_between(enrolment, enrolment.counting_from, today)


def released_prompts(enrolment: Enrolment, today: date) -> list[Prompt]:
    """The prompts the adult can read on ``today``, day 1 first."""
    reached = day_reached(enrolment, today)
    return [prompt for prompt in enrolment.programme.prompts if prompt.day <= reached]


def adult_today(enrolment: Enrolment) -> date:
    """Today's date where the enrolled adult lives (their portal account's time zone)."""
    user = enrolment.adult.user
    zone = ZoneInfo(user.timezone) if user is not None and user.timezone else ZoneInfo("UTC")
    return utcnow().astimezone(zone).date()


def pause(enrolment: Enrolment, today: date) -> None:
    """Freeze the count at today's day."""
    enrolment.counted_days = day_reached(enrolment, today)
    enrolment.status = EnrolmentStatus.PAUSED
    enrolment.paused_at = utcnow()


def resume(enrolment: Enrolment, today: date) -> None:
    """Count on from tomorrow: today's prompt, if any, was already counted at the pause
    (or from the start date, when it was paused before it began)."""
    enrolment.status = EnrolmentStatus.ACTIVE
    enrolment.counting_from = max(today + timedelta(days=1), enrolment.counting_from)
    enrolment.paused_at = None
