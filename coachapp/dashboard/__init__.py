"""The coach's dashboard: what needs attention today."""

from coachapp.dashboard import views  # noqa: F401
from coachapp.dashboard.blueprints import bp  # noqa: F401  (registered by create_app)
