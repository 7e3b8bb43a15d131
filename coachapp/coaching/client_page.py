"""A client's page: their profile, open steps, next follow-up and sessions, newest first.

It lives with coaching, which builds on clients, and answers at the client's own address
on the clients blueprint (the endpoint stays ``clients.detail``).
"""

from flask import render_template, request
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import ActionForm
from coachapp.clients.services import get_client_or_404
from coachapp.coaching.services import client_timeline, next_follow_up, open_action_items
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.journal.services import shared_entries_of
from coachapp.programmes.services import family_enrolments
from coachapp.templating import local_today


@bp.route("/<int:client_id>")
@coach_required
def detail(client_id: int):
    """A client's profile."""
    client = get_client_or_404(client_id)
    record_event(AuditAction.CLIENT_VIEWED, client_id=client.id)
    today = local_today(current_user)
    page = render_template(
        "clients/detail.html",
        client=client,
        today=today,
        action_form=ActionForm(),
        timeline=client_timeline(client, page=page_number(request.args)),
        open_items=open_action_items(client),
        next_follow_up=next_follow_up(client, today),
        shared_entries=shared_entries_of(client),
        programme_progress=family_enrolments(client),
    )
    db.session.commit()  # the visit's audit record; after rendering, which it would expire
    return page
