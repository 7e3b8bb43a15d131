"""The journal: entries an adult writes in the portal, shared with the coach by choice."""

from coachapp.journal import models  # noqa: F401  (the tables, for migrations)
