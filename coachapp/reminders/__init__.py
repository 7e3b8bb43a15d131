"""Reminders: an e-mail to each adult expected at a planned session, queued by the worker."""

from coachapp.reminders import services  # noqa: F401  (listens for the worker's rounds)
