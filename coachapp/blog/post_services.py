"""Writing posts: applying the editor's changes, categories and series, the author profile."""

from dataclasses import dataclass

from flask import abort
from sqlalchemy import delete, func, select
from wtforms import SelectChoice

from coachapp.auth.models import User
from coachapp.blog.models import BlogProfile, Category, Comment, Post, PostStatus, Series
from coachapp.blog.publishing import REPLACEMENT_FIELDS, parse_tag_names, post_slug, tags_named
from coachapp.blog.services import unique_slug
from coachapp.extensions import db
from coachapp.letters.letterhead import PreparedImage, store_image


@dataclass
class PostChanges:
    """What the coach submitted in the post editor."""

    title: str
    slug: str
    excerpt: str
    body: str
    category_id: int | None
    tag_names: list[str]
    series_id: int | None
    series_position: int | None
    cover_image_alt: str
    new_cover: PreparedImage | None
    remove_cover: bool

    @classmethod
    def from_form(cls, form) -> "PostChanges":
        return cls(
            title=form.title.data,
            slug=form.slug.data,
            excerpt=form.excerpt.data,
            body=form.body.data.replace("\r\n", "\n"),
            category_id=form.category_id.data or None,
            tag_names=parse_tag_names(form.tags.data),
            series_id=form.series_id.data or None,
            series_position=form.series_position.data if form.series_id.data else None,
            cover_image_alt=form.cover_image_alt.data,
            new_cover=form.prepared_image,
            remove_cover=form.remove_cover.data,
        )

    def checked_values(self) -> dict[str, str]:
        """The text the checker reads, as it would be saved."""
        return {
            "title": self.title,
            "excerpt": self.excerpt,
            "body": self.body,
            "cover_image_alt": self.cover_image_alt,
            "tags": ", ".join(self.tag_names),
        }


def new_post(author: User) -> Post:
    """An empty, unsaved draft by the author."""
    return Post(
        author_id=author.id,
        title="",
        excerpt="",
        body="",
        cover_image_alt="",
        status=PostStatus.DRAFT,
        from_letter=False,
        unpublished_reason="",
    )


def apply_post_changes(post: Post, changes: PostChanges, author: User) -> list[str]:
    """Apply the editor's changes; return image files to delete once committed. Flushes."""
    post.title = changes.title
    post.excerpt = changes.excerpt
    post.body = changes.body
    post.cover_image_alt = changes.cover_image_alt
    post.category = _own(Category, changes.category_id, author)
    post.series = _own(Series, changes.series_id, author)
    post.series_position = changes.series_position if post.series else None
    post.tags = tags_named(author.practice_id, changes.tag_names)
    post.slug = post_slug(post, changes.slug)
    db.session.add(post)
    discarded = []
    if changes.new_cover is not None or changes.remove_cover:
        if post.cover_image_path:
            discarded.append(post.cover_image_path)
        post.cover_image_path = None
    if changes.new_cover is not None:
        post.cover_image_path = store_image(author.id, changes.new_cover, folder="covers")
    db.session.flush()
    return discarded


def _own(model, row_id: int | None, author: User):
    """A category or series of the author's practice; another practice's is a 404."""
    if row_id is None:
        return None
    row = db.session.get(model, row_id)
    if row is None or row.practice_id != author.practice_id:
        abort(404)
    return row


def delete_post(post: Post) -> list[str]:
    """Delete the post and its comments; return its cover image to delete once committed."""
    discarded = [post.cover_image_path] if post.cover_image_path else []
    db.session.execute(delete(Comment).where(Comment.post_id == post.id))
    db.session.delete(post)
    db.session.flush()
    return discarded


def category_choices(author: User) -> list[SelectChoice]:
    """The practice's categories for a select box, 'None' first."""
    categories = practice_categories(author)
    return [SelectChoice(0, "None"), *(SelectChoice(c.id, c.name) for c in categories)]


def series_choices(author: User) -> list[SelectChoice]:
    """The practice's series for a select box, 'Not in a series' first."""
    series_list = practice_series(author)
    return [SelectChoice(0, "Not in a series"), *(SelectChoice(s.id, s.title) for s in series_list)]


def practice_categories(author: User) -> list[Category]:
    """Categories of the author's practice, by name."""
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.practice_id == author.practice_id)
            .order_by(Category.name)
        )
    )


def practice_series(author: User) -> list[Series]:
    """Series of the author's practice, by title."""
    return list(
        db.session.scalars(
            select(Series).where(Series.practice_id == author.practice_id).order_by(Series.title)
        )
    )


def post_counts(model_column) -> dict[int, int]:
    """How many posts each category (or series) holds, in one query."""
    rows = db.session.execute(
        select(model_column, func.count(Post.id))
        .where(model_column.is_not(None))
        .group_by(model_column)
    )
    return dict(rows.all())


def get_category_or_404(category_id: int, author: User) -> Category:
    """A category of the author's practice."""
    return _own(Category, category_id, author)


def get_series_or_404(series_id: int, author: User) -> Series:
    """A series of the author's practice."""
    return _own(Series, series_id, author)


def save_category(category: Category, name: str, description: str) -> None:
    """Name (and describe) a category; its web address follows a new name. Flushes."""
    category.name, category.description = name, description
    category.slug = unique_slug(Category, name, category.id, fallback="category")
    db.session.add(category)
    db.session.flush()


def save_series(series: Series, title: str, description: str, planned_parts: int | None) -> None:
    """Name (and describe) a series; its web address follows a new title. Flushes."""
    series.title, series.description, series.planned_parts = title, description, planned_parts
    series.slug = unique_slug(Series, title, series.id, fallback="series")
    db.session.add(series)
    db.session.flush()


def update_profile(coach: User, profile: BlogProfile, form) -> list[str]:
    """Save the author profile from its form; return a replaced photo to delete. Flushes."""
    coach.bio = form.bio.data
    for name in (*REPLACEMENT_FIELDS, "social_links", "approve_known_commenters", "blocked_words"):
        setattr(profile, name, getattr(form, name).data)
    discarded = []
    if form.prepared_image is not None or form.remove_photo.data:
        if profile.photo_path:
            discarded.append(profile.photo_path)
        profile.photo_path = None
    if form.prepared_image is not None:
        profile.photo_path = store_image(coach.id, form.prepared_image, folder="authors")
    db.session.add(profile)
    db.session.flush()
    return discarded
