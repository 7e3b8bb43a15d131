"""Calendars: invitations e-mailed to attendees, .ics downloads and the coach's feed."""

from coachapp.calendars import invitations, views  # noqa: F401  (listeners and pages)
from coachapp.calendars.blueprints import bp

__all__ = ["bp"]
