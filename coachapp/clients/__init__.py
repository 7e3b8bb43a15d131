"""Clients: the families a coach works with, their adults and their children."""

from coachapp.clients import adult_views, views  # noqa: F401  (registers the routes)
from coachapp.clients.blueprints import bp  # noqa: F401  (registered by create_app)
