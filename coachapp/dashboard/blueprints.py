"""The dashboard pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
