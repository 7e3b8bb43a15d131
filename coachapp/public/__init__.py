"""Pages anyone may open: the practice's front page and the health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from coachapp.public import views  # noqa: E402,F401
