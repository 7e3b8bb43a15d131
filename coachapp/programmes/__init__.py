"""Programmes: daily prompts a coach writes, and the adults enrolled in them."""

from coachapp.programmes import models  # noqa: F401  (the tables, for migrations)
