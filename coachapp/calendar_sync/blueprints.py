"""The calendar pages' blueprint."""

from flask import Blueprint

bp = Blueprint("calendar_sync", __name__, url_prefix="/calendar")
