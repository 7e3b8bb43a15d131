"""What coaching announces for the features above it (calendars) to act on."""

from blinker import Namespace

coaching_signals = Namespace()

# Sent with a session as the sender when its attendees' calendars should learn of it:
# planned with an invitation, moved, given another place, or cancelled.
session_calendar_changed = coaching_signals.signal("session-calendar-changed")
