"""The coach's dashboard page."""

from flask import render_template
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.dashboard.blueprints import bp
from coachapp.dashboard.services import build_dashboard
from coachapp.templating import local_today
from coachapp.timeutil import utcnow


@bp.route("/dashboard")
@coach_required
def index():
    """Today's and upcoming sessions, due follow-ups, open action items, recent clients."""
    today = local_today(current_user)
    dashboard = build_dashboard(current_user, now=utcnow(), today=today)
    return render_template("dashboard/index.html", dashboard=dashboard, today=today)
