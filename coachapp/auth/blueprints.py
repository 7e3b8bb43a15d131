"""The auth pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
