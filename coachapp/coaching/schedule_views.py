"""Pages that plan a session: mark it held or a no-show, cancel it, move it."""

from datetime import datetime, timedelta

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from coachapp.access import coach_required
from coachapp.coaching.blueprints import bp
from coachapp.coaching.forms import CancelSessionForm, MoveSessionForm, StatusForm
from coachapp.coaching.models import CoachingSession, Repeat
from coachapp.coaching.scheduling import (
    SchedulingRefused,
    cancel,
    cancel_following,
    following_in_series,
    mark_held,
    mark_no_show,
    overlapping,
    reschedule,
    reschedule_following,
    series_starts,
)
from coachapp.coaching.services import get_coaching_session_or_404, session_start_and_end
from coachapp.extensions import db
from coachapp.templating import format_datetime, user_zone
from coachapp.timeutil import AmbiguousLocalTime, NonexistentLocalTime

COACH_CHOICE = "coach"


def checked_times(
    form, exclude: CoachingSession | None, *, check_overlap: bool = True
) -> tuple[datetime, int] | None:
    """The start and length the form asks for, or None with the reason beside the field:
    a start the clocks skip or repeat (until the coach picks one), or an overlap with
    another session (until the coach confirms it)."""
    try:
        starts_at, minutes = session_start_and_end(
            form.date.data, form.start_time.data, form.end_time.data,
            user_zone(current_user), fold=_chosen_fold(form),
        )
    except NonexistentLocalTime as refusal:
        form.start_time.errors = [*form.start_time.errors, str(refusal)]
        return None
    except AmbiguousLocalTime as question:
        _ask_which(form, question)
        return None
    if check_overlap and not _confirmed_free(form, [starts_at], minutes, exclude):
        return None
    return starts_at, minutes


def checked_series(form, times: tuple[datetime, int]) -> list[datetime] | None:
    """When the later sessions of a series the form plans start, or None with the reason
    beside the repeat field (a skipped or repeated clock time on one of their days), or
    an overlap warning for the whole series."""
    starts_at, minutes = times
    try:
        later = series_starts(
            starts_at, Repeat(form.repeat.data), user_zone(current_user),
            until=form.repeat_until.data, count=form.repeat_count.data,
            fold=_chosen_fold(form),
        )
    except (NonexistentLocalTime, SchedulingRefused) as refusal:
        form.repeat.errors = [*form.repeat.errors, str(refusal)]
        return None
    except AmbiguousLocalTime as question:
        _ask_which(form, question)
        return None
    if not _confirmed_free(form, [starts_at, *later], minutes, exclude=None):
        return None
    return later


def _ask_which(form, question: AmbiguousLocalTime) -> None:
    at = form.start_time.data.strftime("%H:%M")
    form.fold.choices = [
        SelectChoice("0", f"The first {at} ({question.first.tzname()})"),
        SelectChoice("1", f"The second {at} ({question.second.tzname()})"),
    ]
    form.fold.errors = [str(question)]


def _confirmed_free(form, starts: list[datetime], minutes: int, exclude) -> bool:
    """Whether none of these times overlaps another session, or the coach said to go on."""
    length = timedelta(minutes=minutes)
    clashes = [
        clash for start in starts for clash in overlapping(current_user, start, start + length,
                                                            exclude=exclude)
    ]
    if clashes and not form.confirm_overlap.data:
        form.confirm_overlap.errors = [_overlap_warning(clashes)]
        return False
    return True


def _chosen_fold(form) -> int | None:
    return {"0": 0, "1": 1}.get(form.fold.data or "")


def _overlap_warning(clashes: list[CoachingSession]) -> str:
    times = "; ".join(
        f"{format_datetime(s.starts_at)} with {s.client.display_name}" for s in clashes
    )
    return f"This overlaps another of your sessions ({times}). Tick the box to keep it anyway."


def _who_choices(coaching_session: CoachingSession) -> list[SelectChoice]:
    """The coach, then each adult of the family."""
    return [SelectChoice(COACH_CHOICE, "You (the coach)")] + [
        SelectChoice(str(adult.id), adult.display_name)
        for adult in coaching_session.client.adults
    ]


def _who(coaching_session: CoachingSession, choice: str):
    """The coach or the family's adult that a "who" choice names."""
    if choice == COACH_CHOICE:
        return current_user
    return next(
        (adult for adult in coaching_session.client.adults if str(adult.id) == choice), None
    )


def _back(coaching_session: CoachingSession):
    return redirect(url_for("coaching.detail", coaching_session_id=coaching_session.id))


@bp.post("/<int:coaching_session_id>/status")
@coach_required
def change_status(coaching_session_id: int):
    """Mark a session that has taken place as held, or as a no-show."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose held or no-show.", "error")
        return _back(coaching_session)
    try:
        (mark_held if form.status.data == "held" else mark_no_show)(coaching_session)
    except SchedulingRefused as refusal:
        flash(str(refusal), "error")
        return _back(coaching_session)
    db.session.commit()
    flash(f"Session marked {coaching_session.status.label.lower()}.", "success")
    return _back(coaching_session)


@bp.route("/<int:coaching_session_id>/cancel", methods=["GET", "POST"])
@coach_required
def cancel_session(coaching_session_id: int):
    """Cancel a session, saying who cancelled and why; it stays on the client's page."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    form = CancelSessionForm()
    form.cancelled_by.choices = _who_choices(coaching_session)
    if coaching_session.is_cancelled:
        flash("This session is already cancelled.", "error")
        return _back(coaching_session)
    later = following_in_series(coaching_session)
    if form.validate_on_submit():
        who = _who(coaching_session, form.cancelled_by.data)
        if form.scope.data == "following":
            cancelled = cancel_following(coaching_session, form.reason.data, who)
        else:
            cancelled = [coaching_session]
            cancel(coaching_session, form.reason.data, who)
        db.session.commit()
        late = " It was within your notice period: marked as a late cancellation."
        count = len(cancelled)
        done = f"{count} sessions cancelled." if count > 1 else "Session cancelled."
        flash(done + (late if coaching_session.late_cancellation else ""), "success")
        return _back(coaching_session)
    return render_template(
        "coaching/cancel.html", form=form, coaching_session=coaching_session, later=later
    ), 400 if form.errors else 200


def _move_form(coaching_session: CoachingSession) -> MoveSessionForm:
    form = MoveSessionForm()
    form.moved_by.choices = _who_choices(coaching_session)
    if not form.is_submitted():
        zone = user_zone(current_user)
        start = coaching_session.starts_at.astimezone(zone)
        end = coaching_session.ends_at.astimezone(zone)
        form.moved_by.data = COACH_CHOICE
        form.date.data = start.date()
        form.start_time.data = start.time().replace(second=0, microsecond=0)
        form.end_time.data = end.time().replace(second=0, microsecond=0)
        form.fold.data = str(start.fold)
    return form


@bp.route("/<int:coaching_session_id>/move", methods=["GET", "POST"])
@coach_required
def move_session(coaching_session_id: int):
    """Move a session to another time; its old time stays in its history."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    if coaching_session.is_cancelled:
        flash("This session is cancelled: it cannot be moved.", "error")
        return _back(coaching_session)
    form = _move_form(coaching_session)
    later = following_in_series(coaching_session)
    if form.validate_on_submit():
        moving = [coaching_session, *later] if form.scope.data == "following" else []
        times = checked_times(form, exclude=moving or coaching_session)
        moves = _move(form, coaching_session, times, later) if times else None
        if moves is not None:
            db.session.commit()
            flash(_moved_message(len(moves)), "success")
            return _back(coaching_session)
    return render_template(
        "coaching/move.html", form=form, coaching_session=coaching_session, later=later
    ), 400 if form.errors else 200


def _move(form, coaching_session, times, later) -> list | None:
    """Move the session (and the following ones, if asked); None with the reason beside
    the field when a following one falls on a daylight-saving change."""
    mover = _who(coaching_session, form.moved_by.data)
    if form.scope.data != "following" or not later:
        move = reschedule(coaching_session, *times, moved_by=mover)
        return [move] if move else []
    try:
        moves = reschedule_following(
            coaching_session, *times, moved_by=mover, zone=user_zone(current_user),
            fold=_chosen_fold(form),
        )
        # The first new time was checked before moving; the following ones only now have
        # theirs. A clash the coach has not confirmed undoes the whole move.
        db.session.flush()
        if not _confirmed_free(
            form, [each.starts_at for each in later], times[1], [coaching_session, *later]
        ):
            db.session.rollback()
            return None
        return moves
    except NonexistentLocalTime as refusal:
        form.scope.errors = [str(refusal)]
    except AmbiguousLocalTime as question:
        _ask_which(form, question)
    return None


def _moved_message(count: int) -> str:
    if count == 0:
        return "The session keeps its time."
    return "Session moved." if count == 1 else f"{count} sessions moved."
