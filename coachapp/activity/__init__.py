"""The activity log as people read it: the coach's log with client names, filters and CSV,
and a client's own history ("Who has seen my records") for the portal.

Writing the log is coachapp.audit, below every feature; reading it with names builds on
accounts and clients.
"""

from flask import Blueprint

bp = Blueprint("activity", __name__, url_prefix="/audit")

from coachapp.activity import views  # noqa: E402,F401  (registers the routes)
