"""The coach's booking settings, and booking, moving and cancelling in the portal (drawn
here on the portal's blueprint: they are the portal's pages, with booking's content)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from coachapp.access import client_required, coach_required
from coachapp.booking.availability import booking_settings
from coachapp.booking.blueprints import bp
from coachapp.booking.forms import HOURS_HINT, AvailabilityForm, BookSlotForm, CancelBookingForm
from coachapp.booking.services import (
    BookingRefused,
    SlotTaken,
    book,
    cancel_booking,
    coach_of_or_404,
    get_own_booking_or_404,
    move_booking,
    offered_slots,
    open_settings,
    parse_slot_value,
    save_availability,
    slots_by_day,
    upcoming_bookings,
)
from coachapp.coaching.scheduling import is_late_cancellation
from coachapp.extensions import db
from coachapp.portal.blueprints import bp as portal_bp
from coachapp.portal.services import current_client_or_404, signed_in_adult
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow


@bp.route("/booking/settings", methods=["GET", "POST"])
@coach_required
def settings():
    """Turn booking on or off and set the hours, lengths and limits clients book within."""
    form = AvailabilityForm()
    saved = booking_settings(current_user)
    if request.method == "GET" and saved is not None:
        form.fill_from(saved)
    if form.validate_on_submit():
        save_availability(current_user, form.availability())
        db.session.commit()
        flash("Booking settings saved.", "success")
        return redirect(url_for("booking.settings"))
    return render_template(
        "booking/settings.html", form=form, hours_hint=HOURS_HINT
    ), 400 if form.errors else 200


@portal_bp.route("/book")
@client_required
def book_start():
    """The booking page of the signed-in client's own coach."""
    adult = signed_in_adult(current_client_or_404())
    return redirect(url_for("portal.book_slot", coach_id=adult.client.coach_id))


@portal_bp.route("/book/<int:coach_id>", methods=["GET", "POST"])
@client_required
def book_slot(coach_id: int):
    """The coach's free times for the next weeks, in the client's time zone; book one."""
    adult = signed_in_adult(current_client_or_404())
    coach = coach_of_or_404(adult, coach_id)
    try:
        rules = open_settings(coach)
    except BookingRefused as refusal:
        return render_template("booking/closed.html", message=str(refusal), adult=adult)
    form = BookSlotForm()
    length = _length(request.values.get("length"), rules.lengths)
    nearest = []
    if form.validate_on_submit():
        try:
            book(adult, _chosen_start(form), _posted_length(form))
        except BookingRefused as refusal:
            db.session.rollback()
            form.start.errors = [str(refusal)]
            nearest = refusal.nearest if isinstance(refusal, SlotTaken) else []
        else:
            db.session.commit()
            flash(f"Booked. {coach.name} has been told.", "success")
            return redirect(url_for("portal.book_slot", coach_id=coach.id, length=length))
    form.length.data = str(length)
    return render_template(
        "booking/slots.html", form=form, coach=coach, lengths=rules.lengths, length=length,
        days=slots_by_day(offered_slots(coach, length), user_zone()),
        nearest=slots_by_day(nearest, user_zone()), bookings=upcoming_bookings(adult),
        action=url_for("portal.book_slot", coach_id=coach.id, length=length),
    ), _status(form, nearest)


@portal_bp.route("/bookings/<int:coaching_session_id>/move", methods=["GET", "POST"])
@client_required
def move_booked(coaching_session_id: int):
    """Move a session the client booked to another free time."""
    adult = signed_in_adult(current_client_or_404())
    coaching_session = get_own_booking_or_404(adult, coaching_session_id)
    coach = coaching_session.coach
    form = BookSlotForm()
    nearest = []
    if form.validate_on_submit():
        try:
            move_booking(coaching_session, adult, _chosen_start(form))
        except BookingRefused as refusal:
            db.session.rollback()
            form.start.errors = [str(refusal)]
            nearest = refusal.nearest if isinstance(refusal, SlotTaken) else []
        else:
            db.session.commit()
            flash(f"Moved. {coach.name} has been told.", "success")
            return redirect(url_for("portal.book_slot", coach_id=coach.id))
    try:
        open_settings(coach)
    except BookingRefused as refusal:
        return render_template("booking/closed.html", message=str(refusal), adult=adult)
    length = coaching_session.duration_minutes
    return render_template(
        "booking/move.html", form=form, coach=coach, coaching_session=coaching_session,
        days=slots_by_day(offered_slots(coach, length, exclude=coaching_session), user_zone()),
        nearest=slots_by_day(nearest, user_zone()),
        action=url_for("portal.move_booked", coaching_session_id=coaching_session.id),
    ), _status(form, nearest)


@portal_bp.route("/bookings/<int:coaching_session_id>/cancel", methods=["GET", "POST"])
@client_required
def cancel_booked(coaching_session_id: int):
    """Cancel a session the client booked."""
    adult = signed_in_adult(current_client_or_404())
    coaching_session = get_own_booking_or_404(adult, coaching_session_id)
    coach = coaching_session.coach
    form = CancelBookingForm()
    if form.validate_on_submit():
        try:
            cancel_booking(coaching_session, adult, form.reason.data or "")
        except BookingRefused as refusal:
            db.session.rollback()
            form.reason.errors = [str(refusal)]
        else:
            db.session.commit()
            flash(f"Cancelled. {coach.name} has been told.", "success")
            return redirect(url_for("portal.book_slot", coach_id=coach.id))
    return render_template(
        "booking/cancel.html", form=form, coach=coach, coaching_session=coaching_session,
        late=is_late_cancellation(coaching_session, utcnow()),
    ), 400 if form.errors else 200


def _status(form, nearest) -> int:
    """409 when someone else just took the time, 400 for any other refusal."""
    if not form.errors:
        return 200
    return 409 if nearest else 400


def _length(value: str | None, offered: list[int]) -> int:
    """The length asked for when offered, else the first offered."""
    return int(value) if value and value.isdigit() and int(value) in offered else offered[0]


def _posted_length(form: BookSlotForm) -> int:
    value = form.length.data or ""
    return int(value) if value.isdigit() else 0


def _chosen_start(form: BookSlotForm):
    start = parse_slot_value(form.start.data)
    if start is None:
        raise BookingRefused("Choose one of the free times.")
    return start
