"""Follow-up letters: templates with merge fields, drafts, revisions, approval, PDF."""

from coachapp.letters import (  # noqa: F401  (routes, and the letter PDF for the outbox)
    letterhead_views,
    models,
    sending,
    views,
)
from coachapp.letters.blueprints import bp  # noqa: F401  (registered by create_app)
