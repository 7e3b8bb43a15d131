"""Signing in and out, and who may open what."""

from coachapp.auth import link_views, two_factor_views, views  # noqa: F401  (registers the routes)
from coachapp.auth.blueprints import bp  # noqa: F401  (registered by create_app)
