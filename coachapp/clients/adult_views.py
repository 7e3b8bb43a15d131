"""The adults of a family: add a second parent (or a partner, a grandparent), change their
details, invite them to the portal. (An adult leaves the family through data_rights:
leaving may erase their details from other features too.)"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.services import AccountError
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import ActionForm, AdultForm, KeepApartForm
from coachapp.clients.invitations import invite_adult
from coachapp.clients.services import (
    AdultData,
    add_adult,
    get_adult_or_404,
    get_client_or_404,
    set_keep_apart,
    update_adult,
)
from coachapp.extensions import db
from coachapp.mail import MailError, where_mail_goes
from coachapp.outbox.services import send_soon


@bp.route("/<int:client_id>/adults/new", methods=["GET", "POST"], endpoint="add_adult")
@coach_required
def add_adult_view(client_id: int):
    """Add another adult to the family."""
    client = get_client_or_404(client_id)
    form = AdultForm()
    if form.validate_on_submit():
        adult = add_adult(client, form.adult_data())
        record_event(AuditAction.ADULT_ADDED, client_id=client.id, target=adult)
        changes = set_keep_apart(client, True) if form.keep_apart.data else []
        db.session.commit()
        flash(" ".join([f"{adult.display_name} is now part of the family.", *changes]),
              "success")
        return redirect(url_for(".detail", client_id=client.id))
    return _render_form(form, client, adult=None)


@bp.route("/<int:client_id>/adults/<int:adult_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_adult(client_id: int, adult_id: int):
    """Change one adult's details."""
    client = get_client_or_404(client_id)
    adult = get_adult_or_404(client, adult_id)
    form = AdultForm() if request.method == "POST" else AdultForm(
        data={name: getattr(adult, name) for name in AdultData.FIELDS}
    )
    if form.validate_on_submit():
        update_adult(adult, form.adult_data())
        db.session.commit()
        flash(f"Your changes to {adult.display_name} are saved.", "success")
        return redirect(url_for(".detail", client_id=client.id))
    return _render_form(form, client, adult=adult)


@bp.post("/<int:client_id>/adults/<int:adult_id>/invite", endpoint="invite_adult")
@coach_required
def invite_adult_view(client_id: int, adult_id: int):
    """Invite one adult to the portal: a sign-in of their own and an e-mailed link."""
    client = get_client_or_404(client_id)
    adult = get_adult_or_404(client, adult_id)
    if not ActionForm().validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for(".detail", client_id=client.id))
    try:
        message = invite_adult(adult, current_user)
    except (AccountError, MailError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".detail", client_id=client_id))
    db.session.commit()
    send_soon(message)
    flash(f"Invitation on its way to {message.recipient}. {where_mail_goes()}", "success")
    return redirect(url_for(".detail", client_id=client.id))


@bp.post("/<int:client_id>/keep-apart", endpoint="keep_apart")
@coach_required
def keep_apart_view(client_id: int):
    """Keep the family's adults apart, or stop; the change is in the activity log."""
    client = get_client_or_404(client_id)
    form = KeepApartForm()
    if not form.validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for(".detail", client_id=client.id))
    changes = set_keep_apart(client, form.keep_apart.data)
    db.session.commit()
    flash(" ".join(changes) or "Nothing to change.", "success")
    return redirect(url_for(".detail", client_id=client.id, _anchor="keep-apart"))


def _render_form(form: AdultForm, client, adult):
    """The adult form; a 400 when it comes back with errors."""
    status = 400 if form.errors else 200
    page = render_template("clients/adult_form.html", form=form, client=client, adult=adult)
    return page, status
