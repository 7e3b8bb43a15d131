"""Coaching sessions: what happened, what was agreed, what comes next; and search."""

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/sessions")
search_bp = Blueprint("search", __name__)

from coachapp.auth.signals import coach_created  # noqa: E402
from coachapp.coaching import (  # noqa: E402,F401  (routes and index upkeep)
    client_page,
    search,
    views,
)
from coachapp.coaching.services import add_default_topics  # noqa: E402

# Every new coach starts with the default topic list.
coach_created.connect(add_default_topics)
