"""Calendars: invitations e-mailed to attendees, .ics downloads and the coach's feed."""

from coachapp.calendar_sync import invitations, views  # noqa: F401  (listeners and pages)
from coachapp.calendar_sync.blueprints import bp

__all__ = ["bp"]
