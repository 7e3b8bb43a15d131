"""The client's home page in the portal."""

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coachapp.auth.access import client_required
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.portal import bp
from coachapp.timeutil import utcnow


@bp.route("/")
@client_required
def index():
    """The client's past sessions, with only what the coach wrote for them."""
    client_record = db.session.execute(
        select(Client).where(Client.user_id == current_user.id)
    ).scalar_one_or_none()
    if client_record is None:
        abort(404)
    past_sessions = db.session.scalars(
        select(CoachingSession)
        .options(selectinload(CoachingSession.action_items))
        .where(
            CoachingSession.client_id == client_record.id,
            CoachingSession.starts_at <= utcnow(),
        )
        .order_by(CoachingSession.starts_at.desc())
    ).all()
    return render_template(
        "portal/index.html", client_record=client_record, past_sessions=past_sessions
    )
