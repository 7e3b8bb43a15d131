"""Follow-up letters: templates with merge fields, drafts, revisions, approval, PDF."""

from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/letters")

from coachapp.letters import (  # noqa: E402,F401  (routes, and the letter PDF for the outbox)
    consent_views,
    letterhead_views,
    models,
    sending,
    views,
)
