"""Coaching sessions: what happened, what was agreed, what comes next; and search."""

from coachapp.auth.signals import coach_created
from coachapp.clients.signals import keep_apart_starting
from coachapp.coaching import (  # noqa: F401  (routes and index upkeep)
    client_page,
    schedule_views,
    search,
    views,
)
from coachapp.coaching.blueprints import bp, search_bp  # noqa: F401  (registered by create_app)
from coachapp.coaching.services import add_default_topics, stop_sharing_beyond_attendees

# Every new coach starts with the default topic list.
coach_created.connect(add_default_topics)
# A family kept apart: no session stays shared beyond those who attended.
keep_apart_starting.connect(stop_sharing_beyond_attendees)
