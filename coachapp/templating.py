"""Jinja filters that show stored UTC times in the reader's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from flask_login import current_user

from coachapp.richtext import render_markdown
from coachapp.timeutil import utcnow


def user_zone(user=None) -> ZoneInfo:
    """The time zone of ``user`` (default: the signed-in person), else the app's default."""
    user = user if user is not None else current_user
    name = getattr(user, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"]
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(user=None) -> date:
    """Today's date where ``user`` lives."""
    return utcnow().astimezone(user_zone(user)).date()


def format_datetime(value: datetime | None, pattern: str = "%a %-d %b %Y, %H:%M") -> str:
    """A stored UTC moment in the reader's time zone, e.g. 'Tue 3 Mar 2026, 14:30'."""
    if value is None:
        return ""
    return value.astimezone(user_zone()).strftime(pattern)


def format_date(value: date | datetime | None, pattern: str = "%-d %b %Y") -> str:
    """A date such as '3 Mar 2026'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(user_zone())
    return value.strftime(pattern)


def format_iso(value: date | datetime | None) -> str:
    """A moment for ``<time datetime>``, to the second: HTML allows at most three digits of
    a second's fraction, and Python writes six."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.replace(microsecond=0)
    return value.isoformat()


def register_template_helpers(app: Flask) -> None:
    """Make the filters available to every template."""
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["iso"] = format_iso
    app.jinja_env.filters["markdown"] = render_markdown
