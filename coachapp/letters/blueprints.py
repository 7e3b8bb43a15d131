"""The letters pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/letters")
