"""The calendar pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
