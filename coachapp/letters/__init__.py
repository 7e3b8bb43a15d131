"""Follow-up letters: templates with merge fields, drafts, revisions, approval, PDF."""

from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/letters")

from coachapp.letters import letterhead_views, models, views  # noqa: E402,F401  (views join as they are written)
