"""An adult leaves a family: the page that says what happens, then the removal.

The route is the clients blueprint's (/clients/<id>/adults/<adult_id>/remove, endpoint
clients.remove_adult).
"""

from flask import flash, redirect, render_template, url_for

from coachapp.access import coach_required
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import RemoveAdultForm
from coachapp.clients.services import (
    FamilyRefused,
    check_removable,
    get_adult_or_404,
    get_client_or_404,
)
from coachapp.data_rights.leaving import leave_family
from coachapp.extensions import db


@bp.route(
    "/<int:client_id>/adults/<int:adult_id>/remove",
    methods=["GET", "POST"],
    endpoint="remove_adult",
)
@coach_required
def remove_adult_view(client_id: int, adult_id: int):
    """Ask, then take an adult out of the family (erasing their details if asked)."""
    client = get_client_or_404(client_id)
    adult = get_adult_or_404(client, adult_id)
    try:
        check_removable(adult)
    except FamilyRefused as error:  # the last adult: nothing to confirm
        flash(str(error), "error")
        return redirect(url_for(".detail", client_id=client_id))
    form = RemoveAdultForm()
    if form.validate_on_submit():
        try:
            departure = leave_family(adult, erase=form.erase.data)
        except FamilyRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".detail", client_id=client_id))
        db.session.commit()
        flash(_departure_message(departure.name, departure.erased), "success")
        return redirect(url_for(".detail", client_id=client_id))
    return render_template("clients/remove_adult.html", client=client, adult=adult, form=form)


def _departure_message(name: str, erased: bool) -> str:
    if erased:
        return (
            f"{name} is no longer part of this family; their portal sign-in is closed and "
            "their personal details are erased."
        )
    return f"{name} is no longer part of this family; their portal sign-in is closed."
