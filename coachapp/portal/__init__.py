"""The client portal: what a client sees of their own coaching."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from coachapp.portal import views  # noqa: E402,F401
