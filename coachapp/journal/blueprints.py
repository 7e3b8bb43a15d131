"""The journal's blueprint: the client's pages under /portal/journal, the coach's under
/journal."""

from flask import Blueprint

bp = Blueprint("journal", __name__)
