"""The portal pages' blueprint, on which the views register."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
