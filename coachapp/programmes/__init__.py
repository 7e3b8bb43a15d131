"""Programmes: daily prompts a coach writes, and the adults enrolled in them."""

from coachapp.programmes import (  # noqa: F401  (the tables for migrations; the pages; the mail)
    models,
    notices,
    views,
)
from coachapp.programmes.blueprints import bp  # noqa: F401  (registered by create_app)
