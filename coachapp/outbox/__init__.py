"""The outbox: e-mail recorded with the change that caused it, delivered by a worker."""

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

from coachapp.outbox import models, views  # noqa: E402,F401  (registers the routes)
