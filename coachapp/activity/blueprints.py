"""The activity pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("activity", __name__, url_prefix="/audit")
