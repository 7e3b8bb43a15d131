"""The public pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("public", __name__)
