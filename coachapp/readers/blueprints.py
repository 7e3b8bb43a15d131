"""The readers' pages: following the blog by e-mail, confirming, leaving."""

from flask import Blueprint

bp = Blueprint("readers", __name__)
