"""The booking pages' blueprint: the coach's settings and the portal's booking pages."""

from flask import Blueprint

bp = Blueprint("booking", __name__)
