"""The journal: entries an adult writes in the portal, shared with the coach by choice."""

from coachapp.journal import (
    models,  # noqa: F401  (the tables, for migrations)
    views,  # noqa: F401  (registers the pages on the blueprint)
)
from coachapp.journal.blueprints import bp

__all__ = ["bp"]
