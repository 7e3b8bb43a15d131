"""Signing in and out, and who may open what."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from coachapp.auth import link_views, two_factor_views, views  # noqa: E402,F401  (registers the routes)
