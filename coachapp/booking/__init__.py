"""Booking from the portal: a coach's weekly availability, and clients booking, moving and
cancelling their own sessions within it."""

from coachapp.booking import views  # noqa: F401
from coachapp.booking.blueprints import bp  # noqa: F401  (registered by create_app)
