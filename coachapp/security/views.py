"""The kept-work page: what a coach (or a client, in their journal) was typing when their
session timed out, to save where it was going or to discard."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from coachapp.access import home_url_for
from coachapp.extensions import db
from coachapp.security.kept_work import (
    KEPT_ID_FIELD,
    get_kept_work_or_404,
    kept_fields,
    kept_work_of,
    where_it_came_from,
)

bp = Blueprint("kept_work", __name__, url_prefix="/kept-work")


class DiscardForm(FlaskForm):
    """A button that throws one piece of kept work away: only the CSRF token."""


def _page(entries, status: int = 200):
    return render_template(
        "security/kept_work.html",
        entries=[(kept, where_it_came_from(kept), kept_fields(kept)) for kept in entries],
        kept_id_field=KEPT_ID_FIELD,
        discard_form=DiscardForm(formdata=None),
        home_url=home_url_for(current_user),
    ), status


@bp.get("/")
def index():
    """Everything the person's timed-out sessions kept, oldest first."""
    return _page(kept_work_of(current_user))


@bp.get("/<int:kept_id>")
def detail(kept_id: int):
    """One piece of kept work."""
    return _page([get_kept_work_or_404(kept_id, current_user)])


@bp.post("/<int:kept_id>/discard")
def discard(kept_id: int):
    """Throw one piece of kept work away."""
    kept = get_kept_work_or_404(kept_id, current_user)
    if not DiscardForm().validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for("kept_work.index"))
    db.session.delete(kept)
    db.session.commit()
    flash("Discarded.", "success")
    if kept_work_of(current_user):
        return redirect(url_for("kept_work.index"))
    return redirect(home_url_for(current_user))
