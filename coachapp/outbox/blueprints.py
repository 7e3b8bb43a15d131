"""The outbox pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
