"""The coach's client pages: list, add, edit, archive, restore, delete.

The client's own page shows their sessions, so coaching draws it (coaching/client_page.py).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import ClientForm, client_form
from coachapp.clients.services import (
    SORTS,
    STATUSES,
    ClientListing,
    archive_client,
    coach_tags,
    create_client,
    get_client_or_404,
    has_archived_clients,
    list_clients,
    restore_client,
    update_client,
)
from coachapp.extensions import db
from coachapp.templating import local_today


@bp.route("/")
@coach_required
def index():
    """The coach's clients, searched, filtered, sorted and a page at a time."""
    listing = ClientListing.from_args(request.args)
    pagination = list_clients(current_user, listing)
    nobody_active = not pagination.total and not listing.is_filtered
    return render_template(
        "clients/index.html",
        listing=listing,
        pagination=pagination,
        tags=coach_tags(current_user),
        sorts=SORTS,
        statuses=STATUSES,
        today=local_today(current_user),
        has_archived=nobody_active and has_archived_clients(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@coach_required
def create():
    """Add a client."""
    form = client_form()
    if form.wants_another_child():
        form.add_child_row()
    elif form.validate_on_submit():
        client = create_client(current_user, form.client_data())
        db.session.commit()
        flash(f"{client.display_name} has been added to your clients.", "success")
        return redirect(url_for(".detail", client_id=client.id))
    return _render_form(form, client=None)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@coach_required
def edit(client_id: int):
    """Change a client's profile, children and tags."""
    client = get_client_or_404(client_id)
    form = client_form(client)
    if form.wants_another_child():
        form.add_child_row()
    elif form.validate_on_submit():
        update_client(client, form.client_data())
        db.session.commit()
        flash(f"Your changes to {client.display_name} are saved.", "success")
        return redirect(url_for(".detail", client_id=client.id))
    return _render_form(form, client=client)


def _render_form(form: ClientForm, client):
    """The client form; a 400 when it comes back with errors."""
    status = 400 if form.errors else 200
    return render_template("clients/form.html", form=form, client=client), status


@bp.route("/<int:client_id>/archive", methods=["POST"])
@coach_required
def archive(client_id: int):
    """Move a client out of the everyday list."""
    client = get_client_or_404(client_id)
    archive_client(client)
    db.session.commit()
    flash(
        f"{client.display_name} is archived. Everything is kept; "
        "restore them whenever you work together again.",
        "success",
    )
    return redirect(url_for(".detail", client_id=client.id))


@bp.route("/<int:client_id>/restore", methods=["POST"])
@coach_required
def restore(client_id: int):
    """Bring an archived client back."""
    client = get_client_or_404(client_id)
    restore_client(client)
    db.session.commit()
    flash(f"{client.display_name} is back in your active clients.", "success")
    return redirect(url_for(".detail", client_id=client.id))
