"""The audit log: who signed in, read, downloaded, sent, published, exported or deleted what."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from coachapp.audit import models, views  # noqa: E402,F401  (registers the routes)
