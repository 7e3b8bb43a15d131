"""The calendar pages' blueprint."""

from flask import Blueprint

bp = Blueprint("calendars", __name__, url_prefix="/calendar")
