"""The coaching pages' blueprints, on which the views register."""

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/sessions")
search_bp = Blueprint("search", __name__)
