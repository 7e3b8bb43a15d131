"""The coach's dashboard: what needs attention today."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from coachapp.dashboard import views  # noqa: E402,F401
