"""The coach's programme pages."""

from flask import Blueprint

bp = Blueprint("programmes", __name__, url_prefix="/programmes")
