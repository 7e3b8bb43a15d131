"""The coach's calendar: their sessions by week and by month, in their time zone."""

from coachapp.calendar import views  # noqa: F401  (registers the routes)
from coachapp.calendar.blueprints import bp  # noqa: F401  (registered by create_app)
