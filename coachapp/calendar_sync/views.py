"""The coach's calendar settings, and the secret address a calendar subscribes to."""

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from coachapp.access import coach_required, public_view
from coachapp.calendar_sync.blueprints import bp
from coachapp.calendar_sync.feeds import (
    coach_feed,
    feed_by_token,
    feed_calendar,
    new_feed_token,
    revoke_feed,
)
from coachapp.calendar_sync.forms import CalendarAddressForm, CalendarFeedForm
from coachapp.calendar_sync.models import ClientNaming
from coachapp.extensions import db


def _settings_page(form: CalendarFeedForm, new_address: str = "", status: int = 200):
    return render_template(
        "calendar_sync/settings.html",
        form=form,
        address_form=CalendarAddressForm(),
        calendar_feed=coach_feed(current_user),
        new_address=new_address,
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@coach_required
def settings():
    """Your calendar address and how it names families."""
    calendar_feed = coach_feed(current_user)
    form = CalendarFeedForm()
    if not form.is_submitted() and calendar_feed is not None:
        form.client_naming.data = calendar_feed.client_naming.value
    if form.validate_on_submit():
        if calendar_feed is not None:
            calendar_feed.client_naming = ClientNaming(form.client_naming.data)
            db.session.commit()
            flash("Your calendar names families by "
                  f"{calendar_feed.client_naming.label.split(' (')[0].lower()}.", "success")
        return redirect(url_for("calendar_sync.settings"))
    return _settings_page(form, status=400 if form.errors else 200)


@bp.post("/settings/address")
@coach_required
def new_address():
    """Make a new secret address (the old one stops working) and show it this once."""
    form = CalendarFeedForm()
    if not form.validate_on_submit():
        return _settings_page(form, status=400)
    token = new_feed_token(current_user, ClientNaming(form.client_naming.data))
    db.session.commit()
    address = url_for("calendar_sync.subscribed_feed", token=token, _external=True)
    return _settings_page(form, new_address=address)


@bp.post("/settings/revoke")
@coach_required
def revoke():
    """Stop the secret address from working: calendars subscribed to it get nothing more."""
    if not CalendarAddressForm().validate_on_submit():
        abort(400)
    if revoke_feed(current_user):
        db.session.commit()
        flash("Your calendar address no longer works.", "success")
    return redirect(url_for("calendar_sync.settings"))


@bp.get("/feed/<token>.ics")
@public_view
def subscribed_feed(token: str):
    """The coach's sessions for a subscribed calendar; an unknown or revoked address is a 404."""
    calendar_feed = feed_by_token(token)
    if calendar_feed is None:
        abort(404)
    response = Response(feed_calendar(calendar_feed), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
