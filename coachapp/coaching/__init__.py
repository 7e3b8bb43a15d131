"""Coaching sessions: what happened, what was agreed, what comes next; and search."""

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/sessions")
search_bp = Blueprint("search", __name__)

from coachapp.coaching import search, views  # noqa: E402,F401  (routes and index upkeep)
