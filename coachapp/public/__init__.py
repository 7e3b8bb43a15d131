"""Pages anyone may open: the practice's front page and the health check."""

from coachapp.public import views  # noqa: F401
from coachapp.public.blueprints import bp  # noqa: F401  (registered by create_app)
