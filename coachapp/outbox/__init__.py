"""The outbox: e-mail recorded with the change that caused it, delivered by a worker."""

from coachapp.outbox import models, views  # noqa: F401  (registers the routes)
from coachapp.outbox.blueprints import bp  # noqa: F401  (registered by create_app)
