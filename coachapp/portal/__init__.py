"""The client portal: what a client sees of their own coaching."""

from coachapp.portal import views  # noqa: F401
from coachapp.portal.blueprints import bp  # noqa: F401  (registered by create_app)
