"""The clients pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")
