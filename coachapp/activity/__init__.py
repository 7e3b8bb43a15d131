"""The activity log as people read it: the coach's log with client names, filters and CSV,
and a client's own history ("Who has seen my records") for the portal.

Writing the log is coachapp.audit, below every feature; reading it with names builds on
accounts and clients.
"""

from coachapp.activity import views  # noqa: F401  (registers the routes)
from coachapp.activity.blueprints import bp  # noqa: F401  (registered by create_app)
