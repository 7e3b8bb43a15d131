"""Writing programmes, enrolling adults in them, and what the coach sees of their progress.

Every function takes the coach whose things it touches: another coach's programme, prompt or
enrolment is a 404, never a 403 that confirms it exists.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import abort
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import joinedload, selectinload

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.programmes import schedule
from coachapp.programmes.models import (
    Enrolment,
    EnrolmentStatus,
    Programme,
    Prompt,
    Rhythm,
)
from coachapp.timeutil import utcnow

# Still following the programme: such enrolments keep a programme from being deleted.
ONGOING = (EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED)
# Running enrolments first, then paused, then finished.
STATUS_ORDER = case(
    (Enrolment.status == EnrolmentStatus.ACTIVE, 0),
    (Enrolment.status == EnrolmentStatus.PAUSED, 1),
    else_=2,
)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class EnrolmentRefused(Exception):
    """The enrolment (or the change to it) cannot be made; the message says why."""


@dataclass(frozen=True)
class ProgrammeRow:
    """One line of the coach's list of programmes."""

    programme: Programme
    prompt_count: int
    active_count: int


@dataclass(frozen=True)
class DayRelease:
    """One day of an enrolment: its prompt, and when the adult reads it."""

    prompt: Prompt
    released: bool
    # None when it came before a pause (the day is known, not its date) or will never come.
    on: date | None


@dataclass(frozen=True)
class Progress:
    """How far an adult has come: the day reached (at most the last day) and answers."""

    enrolment: Enrolment
    day: int
    days: int
    answered: int


# Programmes and prompts


def coach_programmes(coach: User) -> list[ProgrammeRow]:
    """The coach's programmes by title, with how many prompts and active enrolments (one query)."""
    prompt_count = (
        select(func.count(Prompt.id)).where(Prompt.programme_id == Programme.id).scalar_subquery()
    )
    active_count = (
        select(func.count(Enrolment.id))
        .where(Enrolment.programme_id == Programme.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Programme, prompt_count, active_count)
        .where(Programme.coach_id == coach.id)
        .order_by(Programme.title, Programme.id)
    )
    return [ProgrammeRow(*row) for row in rows]


def get_programme_or_404(programme_id: int, coach: User) -> Programme:
    """The coach's programme with its prompts."""
    programme = db.session.scalar(
        select(Programme)
        .options(selectinload(Programme.prompts))
        .where(Programme.id == programme_id, Programme.coach_id == coach.id)
    )
    if programme is None:
        abort(404)
    return programme


def get_prompt_or_404(programme: Programme, prompt_id: int) -> Prompt:
    """A prompt of this (already checked) programme."""
    prompt = next((prompt for prompt in programme.prompts if prompt.id == prompt_id), None)
    if prompt is None:
        abort(404)
    return prompt


def save_programme(programme: Programme, title: str, description: str) -> None:
    """Name and describe a programme. Flushes."""
    programme.title, programme.description = title, description
    db.session.add(programme)
    db.session.flush()


def day_taken(programme: Programme, day: int, prompt: Prompt | None = None) -> bool:
    """Whether another prompt of the programme already has this day."""
    return any(other.day == day and other is not prompt for other in programme.prompts)


def save_prompt(programme: Programme, prompt: Prompt, day: int, title: str, body: str) -> None:
    """Write one day's prompt (the form has checked its day is free). Flushes."""
    prompt.day, prompt.title, prompt.body = day, title, body
    if prompt not in programme.prompts:
        programme.prompts.append(prompt)
    programme.prompts.sort(key=lambda each: each.day)
    db.session.flush()


def ends_in_question(body: str) -> bool:
    """A prompt is meant to end in a question for the client to answer."""
    return body.rstrip().rstrip("*_ ").endswith("?")


def delete_prompt(programme: Programme, prompt: Prompt) -> None:
    """Remove one day; the others keep their numbers. Flushes."""
    programme.prompts.remove(prompt)
    db.session.flush()


def ongoing_enrolments(programme: Programme) -> int:
    """How many adults are still following (or have paused) the programme."""
    return db.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.programme_id == programme.id, Enrolment.status.in_(ONGOING)
        )
    )


def delete_programme(programme: Programme) -> None:
    """Delete a programme nobody follows any more, with its finished enrolments. Flushes.

    Journal entries written for it stay with their writers, no longer tied to a day.
    """
    if ongoing_enrolments(programme):
        raise EnrolmentRefused("Finish every enrolment in this programme before deleting it.")
    db.session.execute(delete(Enrolment).where(Enrolment.programme_id == programme.id))
    db.session.delete(programme)
    db.session.flush()


# Enrolments


def coach_adults(coach: User) -> list[Adult]:
    """The adults of the coach's current (not archived) families, by family then position."""
    return list(
        db.session.scalars(
            select(Adult)
            .join(Adult.client)
            .options(joinedload(Adult.user), joinedload(Adult.client))
            .where(Client.coach_id == coach.id, Client.archived_at.is_(None))
            .order_by(Adult.last_name, Adult.first_name, Adult.client_id, Adult.position)
        ).unique()
    )


def get_adult_or_404(adult_id: int, coach: User) -> Adult:
    """An adult of one of the coach's families."""
    adult = db.session.get(Adult, adult_id)
    if adult is None or adult.client.coach_id != coach.id:
        abort(404)
    return adult


def get_enrolment_or_404(enrolment_id: int, coach: User) -> Enrolment:
    """An enrolment in one of the coach's programmes."""
    enrolment = db.session.scalar(
        select(Enrolment)
        .join(Enrolment.programme)
        .options(
            joinedload(Enrolment.programme).selectinload(Programme.prompts),
            joinedload(Enrolment.adult).joinedload(Adult.user),
        )
        .where(Enrolment.id == enrolment_id, Programme.coach_id == coach.id)
    )
    if enrolment is None:
        abort(404)
    return enrolment


def enrol(
    programme: Programme, adult: Adult, start_date: date, rhythm: Rhythm, weekdays: list[int]
) -> Enrolment:
    """Enrol one adult of a family, from ``start_date``, on a rhythm. Flushes.

    Refused while the same adult follows the same programme already (or has paused it).
    """
    if adult.client.coach_id != programme.coach_id:
        abort(404)
    already = db.session.scalar(
        select(Enrolment.id).where(
            Enrolment.programme_id == programme.id,
            Enrolment.adult_id == adult.id,
            Enrolment.status.in_(ONGOING),
        )
    )
    if already is not None:
        raise EnrolmentRefused(
            f"{adult.display_name} already follows “{programme.title}”: "
            "finish that enrolment before starting again."
        )
    if rhythm is Rhythm.CHOSEN_DAYS and not weekdays:
        raise EnrolmentRefused("Choose at least one day of the week.")
    enrolment = Enrolment(
        programme=programme,
        client_id=adult.client_id,
        adult=adult,
        start_date=start_date,
        counting_from=start_date,
        counted_days=0,
        rhythm=rhythm,
        weekdays=",".join(map(str, sorted(weekdays))) if rhythm is Rhythm.CHOSEN_DAYS else "",
        status=EnrolmentStatus.ACTIVE,
    )
    db.session.add(enrolment)
    db.session.flush()
    _record(AuditAction.ENROLLED, enrolment)
    return enrolment


def pause_enrolment(enrolment: Enrolment) -> None:
    """Freeze the adult's day: nothing new arrives until the coach resumes it."""
    if enrolment.status is not EnrolmentStatus.ACTIVE:
        raise EnrolmentRefused("Only a running enrolment can be paused.")
    schedule.pause(enrolment, schedule.adult_today(enrolment))
    _record(AuditAction.ENROLMENT_PAUSED, enrolment)


def resume_enrolment(enrolment: Enrolment) -> None:
    """Count on from tomorrow, where the adult stopped."""
    if enrolment.status is not EnrolmentStatus.PAUSED:
        raise EnrolmentRefused("Only a paused enrolment can be resumed.")
    schedule.resume(enrolment, schedule.adult_today(enrolment))
    _record(AuditAction.ENROLMENT_RESUMED, enrolment)


def finish_enrolment(enrolment: Enrolment) -> None:
    """End it early: the days already reached stay readable, no new day arrives."""
    if enrolment.status is EnrolmentStatus.FINISHED:
        raise EnrolmentRefused("This enrolment is finished already.")
    if enrolment.status is EnrolmentStatus.ACTIVE:
        enrolment.counted_days = schedule.day_reached(enrolment, schedule.adult_today(enrolment))
    enrolment.status = EnrolmentStatus.FINISHED
    enrolment.finished_at = utcnow()
    _record(AuditAction.ENROLMENT_FINISHED, enrolment)


def _record(action: AuditAction, enrolment: Enrolment) -> None:
    # Aimed at the adult, so the family's activity log shows it to them and only them.
    record_event(
        action,
        client_id=enrolment.client_id,
        target=enrolment.adult,
        detail=f"Programme {enrolment.programme_id}, enrolment {enrolment.id}",
    )


def rhythm_label(enrolment: Enrolment) -> str:
    """"Every day", "Weekdays" or "Monday, Wednesday and Friday"."""
    if enrolment.rhythm is Rhythm.DAILY:
        return "Every day"
    if enrolment.rhythm is Rhythm.WEEKDAYS:
        return "Weekdays (Monday to Friday)"
    names = [WEEKDAY_NAMES[day - 1] for day in sorted(schedule.chosen_weekdays(enrolment))]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def day_releases(enrolment: Enrolment, today: date) -> list[DayRelease]:
    """Each day of the programme, released or not, with the date the adult reads it."""
    reached = schedule.day_reached(enrolment, today)
    last_day = max((prompt.day for prompt in enrolment.programme.prompts), default=0)
    dates = _future_dates(enrolment, last_day)
    releases = []
    for prompt in enrolment.programme.prompts:
        released = prompt.day <= reached
        on = dates.get(prompt.day)
        if not released and enrolment.status is EnrolmentStatus.FINISHED:
            on = None
        releases.append(DayRelease(prompt, released, on))
    return releases


def _future_dates(enrolment: Enrolment, last_day: int) -> dict[int, date]:
    """The date of each day counted from ``counting_from``: days before a pause have none,
    and a paused enrolment shows where its next days would fall were it resumed tomorrow."""
    weekdays = schedule.chosen_weekdays(enrolment)
    moment = enrolment.counting_from
    if enrolment.status is EnrolmentStatus.PAUSED:
        moment = max(moment, schedule.adult_today(enrolment) + timedelta(days=1))
    dates, day = {}, enrolment.counted_days
    while day < last_day:
        if moment.isoweekday() in weekdays:
            day += 1
            dates[day] = moment
        moment += timedelta(days=1)
    return dates


def answered_counts(enrolment_ids: list[int]) -> dict[int, int]:
    """How many prompts each enrolment's adult has answered: a count, never the text."""
    if not enrolment_ids:
        return {}
    rows = db.session.execute(
        select(JournalEntry.enrolment_id, func.count(func.distinct(JournalEntry.prompt_id)))
        .where(JournalEntry.enrolment_id.in_(enrolment_ids), JournalEntry.prompt_id.is_not(None))
        .group_by(JournalEntry.enrolment_id)
    )
    return dict(rows.all())


def progress_of(enrolments: list[Enrolment]) -> list[Progress]:
    """Each enrolment's day (in its adult's time zone) and how many days are answered."""
    answered = answered_counts([enrolment.id for enrolment in enrolments])
    return [
        _progress(enrolment, _last_day(enrolment.programme), answered.get(enrolment.id, 0))
        for enrolment in enrolments
    ]


def _last_day(programme: Programme) -> int:
    return max((prompt.day for prompt in programme.prompts), default=0)


def _progress(enrolment: Enrolment, last_day: int, answered: int) -> Progress:
    reached = schedule.day_reached(enrolment, schedule.adult_today(enrolment))
    return Progress(enrolment, min(reached, last_day), last_day, answered)


def _progress_listed(statement) -> list[Progress]:
    """The enrolments ``statement`` selects, each with its programme's last day and its
    answers counted in the same query: a list page costs one query however long."""
    last_day = (
        select(func.coalesce(func.max(Prompt.day), 0))
        .where(Prompt.programme_id == Enrolment.programme_id)
        .scalar_subquery()
    )
    answered = (
        select(func.count(func.distinct(JournalEntry.prompt_id)))
        .where(JournalEntry.enrolment_id == Enrolment.id, JournalEntry.prompt_id.is_not(None))
        .scalar_subquery()
    )
    rows = db.session.execute(statement.add_columns(last_day, answered))
    return [_progress(enrolment, days, count) for enrolment, days, count in rows]


def programme_enrolments(programme: Programme) -> list[Progress]:
    """Everyone enrolled in the programme, running ones first, newest first."""
    return _progress_listed(
        select(Enrolment)
        .options(joinedload(Enrolment.adult).joinedload(Adult.user))
        .where(Enrolment.programme_id == programme.id)
        .order_by(STATUS_ORDER, Enrolment.created_at.desc(), Enrolment.id.desc())
    )


def family_enrolments(client: Client) -> list[Progress]:
    """The family's enrolments, for the client's page."""
    return _progress_listed(
        select(Enrolment)
        .options(
            joinedload(Enrolment.programme),
            joinedload(Enrolment.adult).joinedload(Adult.user),
        )
        .where(Enrolment.client_id == client.id)
        .order_by(STATUS_ORDER, Enrolment.start_date.desc(), Enrolment.id.desc())
    )
