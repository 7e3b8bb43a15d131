"""Clients: the parents a coach works with, and their children."""

from coachapp.clients import views  # noqa: F401  (registers the routes)
from coachapp.clients.blueprints import bp  # noqa: F401  (registered by create_app)
