"""Clients: the parents a coach works with, and their children."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from coachapp.clients import export_views, views  # noqa: E402,F401  (registers the routes)
