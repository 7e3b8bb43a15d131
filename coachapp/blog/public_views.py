"""The public blog: posts, their listings and images, feeds, sitemap.xml and robots.txt."""

from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, current_app, render_template, request, send_file
from markupsafe import Markup
from sqlalchemy import select

from coachapp.access import public_view
from coachapp.blog.blueprints import bp
from coachapp.blog.comment_forms import CommentForm
from coachapp.blog.comments import approved_comments
from coachapp.blog.feeds import atom_feed, robots_txt, rss_feed
from coachapp.blog.journal_posts import answer_days_of, answers_in_series
from coachapp.blog.models import Category, Post, PostTag, Series
from coachapp.blog.page_cache import shared_with_readers
from coachapp.blog.services import (
    BlogSite,
    author_page,
    author_with_profile,
    blog_page,
    blog_site,
    canonical_url,
    category_page,
    get_author_or_404,
    get_by_slug_or_404,
    get_readable_post_or_404,
    is_public,
    neighbours,
    posts_in_series,
    profiles_by_author,
    reading_minutes,
    rendered_body,
    series_label,
    series_parts,
    share_links,
    tag_page,
)
from coachapp.blog.sitemap import sitemap_part_xml, sitemap_xml
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.letters.letterhead import image_file

# Covers and photos are public; an hour keeps them fresh enough after a post goes offline.
IMAGE_MAX_AGE_SECONDS = 3600
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
DESCRIPTION_CHARS = 200
BLOG_DESCRIPTION = "Letters and articles for mothers and fathers who carry more than they should."


@dataclass(frozen=True)
class PageMeta:
    """What a page tells search engines and link previews about itself."""

    title: str
    description: str
    url: str
    kind: str = "website"
    image: str | None = None
    image_alt: str = ""
    published: datetime | None = None
    modified: datetime | None = None


@bp.route("/blog/")
@public_view
@shared_with_readers
def index():
    """The newest public posts, ten to a page."""
    page = page_number(request.args)
    posts = blog_page(page)
    meta = PageMeta("Blog", BLOG_DESCRIPTION, _listing_url("blog.index", page))
    return _render("blog/index.html", meta, posts=posts)


@bp.route("/blog/<slug>")
@public_view
@shared_with_readers
def post(slug: str):
    """One post, with its series, neighbours, author and readers' comments."""
    return render_post_page(get_readable_post_or_404(slug))


def render_post_page(post: Post, comment_form: CommentForm | None = None, status: int = 200):
    """The whole post page; the comment view calls it to show a form with its errors."""
    site = blog_site()
    parts = series_parts(post)
    previous, following = neighbours(post, parts)
    body = rendered_body(post.body)
    url = canonical_url("blog.post", slug=post.slug)
    cover = _cover_url(post) if post.cover_image_path else None
    meta = PageMeta(
        title=post.title,
        description=_description(post.excerpt or body.striptags()),
        url=url,
        kind="article",
        image=cover,
        image_alt=post.cover_image_alt,
        published=post.publish_at,
        modified=max(post.updated_at, post.publish_at),
    )
    return _render(
        "blog/post.html",
        meta,
        site=site,
        status=status,
        post=post,
        body=body,
        author=author_with_profile(post.author, site),
        minutes=reading_minutes(post.excerpt, post.body),
        parts=parts,
        previous=previous,
        following=following,
        shares=share_links(url, post.title),
        comments=approved_comments(post),
        comment_form=comment_form or CommentForm(),
        has_answers=_has_readers_answers(post),
    )


def _has_readers_answers(post: Post) -> bool:
    """Whether readers' answers to this day of its series are on the blog."""
    if post.series_id is None or post.series_position is None or post.answer_day is not None:
        return False
    return post.series_position in answer_days_of(post.series_id)


@bp.route("/blog/category/<slug>")
@public_view
@shared_with_readers
def category(slug: str):
    """A category's public posts."""
    found = get_by_slug_or_404(Category, slug)
    page = page_number(request.args)
    meta = PageMeta(
        found.name,
        _description(found.description or f"Posts about {found.name}."),
        _listing_url("blog.category", page, slug=slug),
    )
    posts = category_page(found, page)
    return _render("blog/category.html", meta, category=found, posts=posts)


@bp.route("/blog/tag/<slug>")
@public_view
@shared_with_readers
def tag(slug: str):
    """The public posts carrying a tag."""
    found = get_by_slug_or_404(PostTag, slug)
    page = page_number(request.args)
    meta = PageMeta(
        f"Posts tagged “{found.name}”",
        f"Posts tagged “{found.name}”.",
        _listing_url("blog.tag", page, slug=slug),
    )
    posts = tag_page(found, page)
    return _render("blog/tag.html", meta, tag=found, posts=posts)


@bp.route("/blog/series/<slug>")
@public_view
@shared_with_readers
def series(slug: str):
    """A series' public parts in reading order."""
    found = get_by_slug_or_404(Series, slug)
    meta = PageMeta(
        found.title,
        _description(found.description or f"The posts of the series “{found.title}”, in order."),
        canonical_url("blog.series", slug=slug),
    )
    days_of_answers = answers_in_series(found)
    return _render(
        "blog/series.html",
        meta,
        series=found,
        posts=posts_in_series(found),
        days_of_answers=days_of_answers,
        answered_days={day.day for day in days_of_answers},
    )


@bp.route("/blog/authors/<int:author_id>")
@public_view
@shared_with_readers
def author(author_id: int):
    """A coach's page: who they are, where to follow them, and their public posts."""
    coach = get_author_or_404(author_id)
    page = page_number(request.args)
    site = blog_site()
    found = author_with_profile(coach, site)
    meta = PageMeta(
        coach.name,
        _description(coach.bio or f"Posts by {coach.name}."),
        _listing_url("blog.author", page, author_id=author_id),
        kind="profile",
        image=_photo_url(coach.id, found.profile) if found.has_photo else None,
        image_alt=coach.name,
    )
    posts = author_page(coach, page)
    return _render("blog/author.html", meta, site=site, author=found, posts=posts)


@bp.route("/blog/posts/<int:post_id>/cover")
@public_view
def cover(post_id: int):
    """A public post's cover image; any other post's is a 404."""
    found = db.first_or_404(select(Post).where(Post.id == post_id, is_public()))
    return _image_response(found.cover_image_path)


@bp.route("/blog/authors/<int:author_id>/photo")
@public_view
def author_photo(author_id: int):
    """A coach's profile photo."""
    coach = get_author_or_404(author_id)
    profile = profiles_by_author({coach.id}).get(coach.id)
    return _image_response(profile.photo_path if profile else None)


@bp.route("/blog/feed.atom")
@public_view
@shared_with_readers
def feed_atom():
    """The newest posts as an Atom feed."""
    return Response(atom_feed(), mimetype="application/atom+xml")


@bp.route("/blog/feed.rss")
@public_view
@shared_with_readers
def feed_rss():
    """The newest posts as an RSS feed."""
    return Response(rss_feed(), mimetype="application/rss+xml")


@bp.route("/sitemap.xml")
@public_view
@shared_with_readers
def sitemap():
    """Every public page of the blog, for search engines."""
    return Response(sitemap_xml(), mimetype="application/xml")


@bp.route("/sitemap-<int:number>.xml")
@public_view
@shared_with_readers
def sitemap_part(number: int):
    """One part of a sitemap too large for one file (sitemap.xml is then their index)."""
    document = sitemap_part_xml(number)
    if document is None:
        abort(404)
    return Response(document, mimetype="application/xml")


@bp.route("/robots.txt")
@public_view
def robots():
    """Which pages search engines may read, and where the sitemap is."""
    return Response(robots_txt(current_app), mimetype="text/plain")


def _render(
    template: str, meta: PageMeta, site: BlogSite | None = None, status: int = 200, **context
):
    """A blog page with what every blog page shares: its meta tags, the site and helpers."""
    return render_template(
        template,
        meta=meta,
        site=site or blog_site(),
        atom_url=canonical_url("blog.feed_atom"),
        rss_url=canonical_url("blog.feed_rss"),
        series_label=series_label,
        reading_minutes=reading_minutes,
        image_version=image_version,
        **context,
    ), status


def _listing_url(endpoint: str, page: int, **values) -> str:
    """The canonical address of one page of a listing (the first page has no ?page=)."""
    return canonical_url(endpoint, page=page if page > 1 else None, **values)


def _description(text: str | Markup) -> str:
    """At most DESCRIPTION_CHARS of plain text, cut at a word."""
    words = " ".join(str(text).split())
    if len(words) <= DESCRIPTION_CHARS:
        return words
    return words[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "…"


def _cover_url(post: Post) -> str:
    """The cover's absolute address, for link previews (pages use the same ?v=)."""
    return canonical_url("blog.cover", post_id=post.id, v=image_version(post))


def _photo_url(coach_id: int, profile) -> str:
    """The profile photo's absolute address, for link previews."""
    return canonical_url("blog.author_photo", author_id=coach_id, v=image_version(profile))


def image_version(row) -> int:
    """A ?v= for an image's address that changes whenever its row does, so caches refresh."""
    return int(row.updated_at.timestamp())


def _image_response(relative_path: str | None):
    """An uploaded image as a cacheable public response, or a 404."""
    path = image_file(relative_path)
    if path is None or path.suffix.lower() not in IMAGE_TYPES:
        abort(404)
    response = send_file(
        path, mimetype=IMAGE_TYPES[path.suffix.lower()], max_age=IMAGE_MAX_AGE_SECONDS
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
