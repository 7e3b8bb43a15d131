"""The coach's calendar pages: a week as a list per day, a month as a table."""

from datetime import timedelta

from flask import abort, render_template, request
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.calendar.blueprints import bp
from coachapp.calendar.services import (
    month_after,
    month_before,
    month_of,
    month_weeks,
    week_days,
    week_of,
)
from coachapp.templating import local_today, user_zone


@bp.route("/")
@coach_required
def week():
    """The week of ``?week=<any day of it>``, this week without one."""
    today = local_today()
    monday = week_of(request.args.get("week"), today)
    if monday is None:
        abort(404)
    return render_template(
        "calendar/week.html",
        days=week_days(monday, current_user, user_zone(), today),
        monday=monday,
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        is_this_week=monday <= today < monday + timedelta(days=7),
    )


@bp.route("/month")
@coach_required
def month():
    """The month of ``?month=YYYY-MM``, this month without one."""
    today = local_today()
    first = month_of(request.args.get("month"), today)
    if first is None:
        abort(404)
    return render_template(
        "calendar/month.html",
        weeks=month_weeks(first, current_user, user_zone(), today),
        first=first,
        previous_month=month_before(first),
        next_month=month_after(first),
        is_this_month=(first.year, first.month) == (today.year, today.month),
    )
