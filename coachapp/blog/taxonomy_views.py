"""Categories and series: how a practice's posts are grouped on the blog."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import update

from coachapp.access import coach_required
from coachapp.blog.blueprints import posts_bp as bp
from coachapp.blog.forms import CategoryForm, ConfirmForm, SeriesForm
from coachapp.blog.models import Category, Post, Series
from coachapp.blog.post_services import (
    get_category_or_404,
    get_series_or_404,
    post_counts,
    practice_categories,
    practice_series,
    save_category,
    save_series,
)
from coachapp.blog.series_programmes import programme_from_series, programme_of_series
from coachapp.extensions import db


@bp.route("/groups")
@coach_required
def groups():
    """The practice's categories and series, with forms to add more."""
    return _groups_page(CategoryForm(prefix="category"), SeriesForm(prefix="series"))


def _groups_page(category_form, series_form, status: int = 200):
    page = render_template(
        "posts/groups.html",
        categories=practice_categories(current_user),
        series_list=practice_series(current_user),
        category_counts=post_counts(Post.category_id),
        series_counts=post_counts(Post.series_id),
        category_form=category_form,
        series_form=series_form,
        confirm_form=ConfirmForm(),
    )
    return page, status


@bp.post("/categories")
@coach_required
def add_category():
    """Add a category."""
    form = CategoryForm(prefix="category")
    if not form.validate():
        return _groups_page(form, SeriesForm(prefix="series"), 422)
    category = Category(practice_id=current_user.practice_id)
    save_category(category, form.name.data, form.description.data)
    db.session.commit()
    flash(f"Category “{category.name}” added.", "success")
    return redirect(url_for(".groups"))


@bp.post("/series")
@coach_required
def add_series():
    """Add a series."""
    form = SeriesForm(prefix="series")
    if not form.validate():
        return _groups_page(CategoryForm(prefix="category"), form, 422)
    series = Series(practice_id=current_user.practice_id)
    save_series(series, form.title.data, form.description.data, form.planned_parts.data)
    db.session.commit()
    flash(f"Series “{series.title}” added.", "success")
    return redirect(url_for(".groups"))


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_category(category_id: int):
    """Rename or describe a category."""
    category = get_category_or_404(category_id, current_user)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        save_category(category, form.name.data, form.description.data)
        db.session.commit()
        flash("Category saved.", "success")
        return redirect(url_for(".groups"))
    page = render_template("posts/group_form.html", form=form, what="category", group=category)
    return page, 422 if form.errors else 200


@bp.route("/series/<int:series_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_series(series_id: int):
    """Rename or describe a series, or change how many parts it will have."""
    series = get_series_or_404(series_id, current_user)
    form = SeriesForm(obj=series)
    if form.validate_on_submit():
        save_series(series, form.title.data, form.description.data, form.planned_parts.data)
        db.session.commit()
        flash("Series saved.", "success")
        return redirect(url_for(".groups"))
    page = render_template("posts/group_form.html", form=form, what="series", group=series)
    return page, 422 if form.errors else 200


@bp.post("/categories/<int:category_id>/delete")
@coach_required
def delete_category(category_id: int):
    """Remove a category; its posts stay, without a category."""
    category = get_category_or_404(category_id, current_user)
    if ConfirmForm().validate_on_submit():
        db.session.execute(
            update(Post).where(Post.category_id == category.id).values(category_id=None)
        )
        db.session.delete(category)
        db.session.commit()
        flash(f"Category “{category.name}” removed; its posts are kept.", "success")
    return redirect(url_for(".groups"))


@bp.post("/series/<int:series_id>/delete")
@coach_required
def delete_series(series_id: int):
    """Remove a series; its posts stay, as single posts."""
    series = get_series_or_404(series_id, current_user)
    if ConfirmForm().validate_on_submit():
        db.session.execute(
            update(Post)
            .where(Post.series_id == series.id)
            .values(series_id=None, series_position=None)
        )
        db.session.delete(series)
        db.session.commit()
        flash(f"Series “{series.title}” removed; its posts are kept.", "success")
    return redirect(url_for(".groups"))


@bp.post("/series/<int:series_id>/programme")
@coach_required
def series_programme(series_id: int):
    """Make a programme of daily prompts from the series; the one made before, if any."""
    series = get_series_or_404(series_id, current_user)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".groups"))
    existing = programme_of_series(series, current_user)
    if existing is not None:
        flash(
            f"You made a programme from “{series.title}” already: here it is. "
            "Edit its days here rather than making another.",
            "info",
        )
        return redirect(url_for("programmes.detail", programme_id=existing.id))
    programme = programme_from_series(series, current_user)
    db.session.commit()
    flash(
        f"Programme made from “{series.title}” with {len(programme.prompts)} days. "
        "Its days are copies: changing a post later does not change them.",
        "success",
    )
    return redirect(url_for("programmes.detail", programme_id=programme.id))
