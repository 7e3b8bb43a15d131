"""Posts: slugs, what the public may see, reading time, and each author's blog profile."""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from urllib.parse import quote

from flask import abort, current_app
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import Integer, Row, Select, bindparam, func, or_, select, union_all
from sqlalchemy.orm import joinedload

from coachapp.auth.models import Role, User
from coachapp.blog.models import PUBLIC_STATUSES, BlogProfile, Category, Post, PostTag, Series
from coachapp.extensions import db
from coachapp.letters.letterhead import SocialLink, social_links
from coachapp.richtext import render_markdown
from coachapp.timeutil import utcnow

SLUG_MAX_CHARS = 80
WORDS_PER_MINUTE = 200


def slugify(text: str, fallback: str = "post") -> str:
    """A lower-case ASCII slug of the text: 'Day 7: Letting go!' → 'day-7-letting-go'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX_CHARS].rstrip("-") or fallback


def unique_slug(model, text: str, exclude_id: int | None = None, fallback: str = "post") -> str:
    """The slug of ``text``, with -2, -3, … added until no other ``model`` row has it."""
    base = slugify(text, fallback)
    statement = select(model.slug).where(model.slug.like(f"{base}%"))
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    taken = set(db.session.scalars(statement))
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def is_public(now: datetime | None = None):
    """The SQL condition for a post readers may see at ``now``."""
    now = now or utcnow()
    return Post.status.in_(PUBLIC_STATUSES) & (Post.publish_at <= now)


def reading_minutes(*texts: str) -> int:
    """Minutes an unhurried reader needs for the text, at least one."""
    words = sum(len(text.split()) for text in texts)
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def blog_profile(coach: User) -> BlogProfile:
    """The coach's blog profile, or a new unsaved one with the defaults."""
    profile = db.session.execute(
        select(BlogProfile).where(BlogProfile.coach_id == coach.id)
    ).scalar_one_or_none()
    if profile is None:
        profile = BlogProfile(
            coach_id=coach.id,
            social_links="",
            blocked_words="",
            approve_known_commenters=False,
            client_name_replacement="my dear friend",
            child_name_replacement="your little one",
            contact_replacement="[removed]",
            other_term_replacement="[removed]",
        )
    return profile


def profiles_by_author(author_ids: set[int]) -> dict[int, BlogProfile]:
    """The saved blog profiles of these authors, by author id, in one query."""
    if not author_ids:
        return {}
    profiles = db.session.scalars(select(BlogProfile).where(BlogProfile.coach_id.in_(author_ids)))
    return {profile.coach_id: profile for profile in profiles}


# The public blog as readers browse it: pages of posts, series, neighbours and authors.

POSTS_PER_PAGE = 10
# "30 day challenge", "Seven days of calm": parts are days. Whole words only, so that
# "Sunday letters" or "Holiday tips" still count parts.
DAY_WORD = re.compile(r"\bdays?\b", re.IGNORECASE)
NEWEST_FIRST = (Post.publish_at.desc(), Post.id.desc())
# A series reads by part number; equal numbers fall back to publication order.
SERIES_ORDER = (Post.series_position, Post.publish_at, Post.id)


@dataclass(frozen=True)
class Author:
    """A coach as readers meet them: the account, the blog profile and its social links."""

    coach: User
    profile: BlogProfile | None

    @property
    def links(self) -> list[SocialLink]:
        return social_links(self.profile.social_links if self.profile else "")

    @property
    def has_photo(self) -> bool:
        return bool(self.profile and self.profile.photo_path)


@dataclass(frozen=True)
class BlogSite:
    """What every blog page shows around its content: the practice's name and its coaches."""

    name: str
    authors: list[Author]

    def author(self, coach_id: int) -> Author | None:
        """One of the practice's active coaches, already loaded with their profile."""
        return next((author for author in self.authors if author.coach.id == coach_id), None)


def canonical_url(endpoint: str, **values) -> str:
    """The absolute address of a page on CANONICAL_URL (never the request's Host header)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["CANONICAL_URL"].rstrip("/") + path


# Statements take the moment as the parameter "now". Those behind every post page, feed and
# page of the blog are built once and then only given new parameters: on SQLite, building a
# statement costs about as much as running it.


def public_now():
    """is_public with the moment left as the parameter "now"."""
    return Post.status.in_(PUBLIC_STATUSES) & (Post.publish_at <= bindparam("now"))


def public_post_ids(*conditions) -> Select:
    """The ids of the public posts that meet ``conditions``."""
    return select(Post.id).where(public_now(), *conditions)


def posts_with_ids(ids: Select, order=NEWEST_FIRST) -> Select:
    """The posts ``ids`` selects, with author, category and series joined into one query.

    Sorting and cutting bare ids first keeps a page cheap however many posts there are:
    sorting whole rows joined to their authors costs ten times as much.
    """
    return (
        select(Post)
        .where(Post.id.in_(ids))
        .options(joinedload(Post.author), joinedload(Post.category), joinedload(Post.series))
        .order_by(*order)
    )


def listing_statements(*conditions) -> tuple[Select, Select]:
    """A listing's page of posts (given "now" and "offset") and their count (given "now")."""
    ids = public_post_ids(*conditions)
    page_ids = ids.order_by(*NEWEST_FIRST).limit(POSTS_PER_PAGE).offset(bindparam("offset"))
    return posts_with_ids(page_ids), select(func.count()).select_from(ids.subquery())


class PostPagination(Pagination):
    """A page of a listing, from the two statements listing_statements builds."""

    def _query_items(self) -> list[Post]:
        parameters = {"now": self._query_args["now"], "offset": self._query_offset}
        return list(db.session.scalars(self._query_args["items"], parameters))

    def _query_count(self) -> int:
        return db.session.scalar(self._query_args["total"], {"now": self._query_args["now"]})


def public_page(statements: tuple[Select, Select], page: int) -> Pagination:
    """One page of a listing, newest first; a page number past the end is a 404."""
    items, total = statements
    return PostPagination(
        page=page,
        per_page=POSTS_PER_PAGE,
        max_per_page=POSTS_PER_PAGE,
        error_out=True,
        items=items,
        total=total,
        now=utcnow(),
    )


_blog_listing = cache(listing_statements)


def blog_page(page: int) -> Pagination:
    """A page of the whole blog."""
    return public_page(_blog_listing(), page)


def category_page(category: Category, page: int) -> Pagination:
    """A page of the category's posts."""
    return public_page(listing_statements(Post.category_id == category.id), page)


def tag_page(tag: PostTag, page: int) -> Pagination:
    """A page of the posts carrying the tag."""
    return public_page(listing_statements(Post.tags.any(PostTag.id == tag.id)), page)


def author_page(author: User, page: int) -> Pagination:
    """A page of the coach's posts."""
    return public_page(listing_statements(Post.author_id == author.id), page)


def posts_in_series(series: Series) -> list[Post]:
    """The series' public posts in reading order."""
    ids = public_post_ids(Post.series_id == series.id, Post.answer_day.is_(None))
    statement = posts_with_ids(ids, SERIES_ORDER)
    return list(db.session.scalars(statement, {"now": utcnow()}))


@cache
def _newest_posts_statement(count: int) -> Select:
    return posts_with_ids(public_post_ids().order_by(*NEWEST_FIRST).limit(count))


def newest_public_posts(count: int, now: datetime | None = None) -> list[Post]:
    """The ``count`` newest public posts with their authors, categories and series."""
    statement = _newest_posts_statement(count)
    return list(db.session.scalars(statement, {"now": now or utcnow()}))


@cache
def _post_by_slug_statement() -> Select:
    ids = public_post_ids(Post.slug == bindparam("slug"))
    return posts_with_ids(ids).options(joinedload(Post.tags))


def get_readable_post_or_404(slug: str) -> Post:
    """The public post with this slug and all the post page shows of it, in one query."""
    rows = db.session.scalars(_post_by_slug_statement(), {"now": utcnow(), "slug": slug})
    post = rows.unique().one_or_none()
    if post is None:
        abort(404)
    return post


@lru_cache(maxsize=512)
def rendered_body(text: str) -> Markup:
    """render_markdown, remembered: the same words always give the same safe HTML.

    Keyed by the text itself, so an edited post can never be shown from a stale copy;
    the blog's pages and feeds render each post often, and Markdown is their costliest step.
    """
    return render_markdown(text)


def get_by_slug_or_404(model, slug: str):
    """The category, tag or series with this slug, else a 404."""
    return db.first_or_404(select(model).where(model.slug == slug))


def get_author_or_404(author_id: int) -> User:
    """The coach with this id; clients and unknown ids are a 404."""
    return db.first_or_404(select(User).where(User.id == author_id, User.role == Role.COACH))


def series_label(post: Post) -> str:
    """Where the post sits in its series: 'Day 2 of 30', 'Part 3', or '' outside a series.

    A reader's answer is no part of the series: it names the day it answers.
    """
    if post.series is not None and post.answer_day is not None:
        return f"A reader's answer to day {post.answer_day}"
    if post.series is None or post.series_position is None:
        return ""
    word = "Day" if DAY_WORD.search(post.series.title) else "Part"
    planned = post.series.planned_parts
    return f"{word} {post.series_position}" + (f" of {planned}" if planned else "")


@cache
def _series_parts_statement() -> Select:
    return (
        select(Post.id, Post.title, Post.slug, Post.series_position)
        .where(Post.series_id == bindparam("series_id"), Post.answer_day.is_(None), public_now())
        .order_by(*SERIES_ORDER)
    )


def series_parts(post: Post, now: datetime | None = None) -> list[Row]:
    """The public parts of the post's series (id, title, slug, position) in order; one query.

    Readers' answers are not parts: their page reads like a post outside a series.
    """
    if post.series_id is None or post.answer_day is not None:
        return []
    parameters = {"series_id": post.series_id, "now": now or utcnow()}
    return list(db.session.execute(_series_parts_statement(), parameters))


def neighbours(post: Post, parts: list[Row], now: datetime | None = None) -> tuple:
    """The (previous, next) posts: within the series if the post has parts, else by date."""
    if parts:
        ids = [part.id for part in parts]
        index = ids.index(post.id)
        previous = parts[index - 1] if index > 0 else None
        following = parts[index + 1] if index + 1 < len(parts) else None
        return previous, following
    return chronological_neighbours(post, now)


@cache
def _neighbours_statement() -> Select:
    columns = (Post.id, Post.title, Post.slug, Post.publish_at)
    at, post_id = bindparam("at", type_=Post.publish_at.type), bindparam("post_id", type_=Integer)
    older = (
        select(*columns)
        .where(
            public_now(), or_(Post.publish_at < at, (Post.publish_at == at) & (Post.id < post_id))
        )
        .order_by(Post.publish_at.desc(), Post.id.desc())
        .limit(1)
        .subquery()
    )
    newer = (
        select(*columns)
        .where(
            public_now(), or_(Post.publish_at > at, (Post.publish_at == at) & (Post.id > post_id))
        )
        .order_by(Post.publish_at, Post.id)
        .limit(1)
        .subquery()
    )
    return union_all(select(older), select(newer))


def chronological_neighbours(post: Post, now: datetime | None = None) -> tuple:
    """The public posts published just before and just after this one, in one query."""
    parameters = {"at": post.publish_at, "post_id": post.id, "now": now or utcnow()}
    previous = following = None
    for row in db.session.execute(_neighbours_statement(), parameters):
        if (row.publish_at, row.id) < (post.publish_at, post.id):
            previous = row
        else:
            following = row
    return previous, following


@cache
def _blog_site_statement() -> Select:
    return (
        select(User, BlogProfile)
        .outerjoin(BlogProfile, BlogProfile.coach_id == User.id)
        .where(User.role == Role.COACH, User.active)
        .options(joinedload(User.practice))
        .order_by(User.is_owner.desc(), User.name, User.id)
    )


def blog_site() -> BlogSite:
    """The practice's name and its active coaches with their profiles, in one query."""
    rows = db.session.execute(_blog_site_statement()).all()
    authors = [Author(coach, profile) for coach, profile in rows]
    name = authors[0].coach.practice.name if authors else "coachapp"
    return BlogSite(name=name, authors=authors)


def author_with_profile(coach: User, site: BlogSite | None = None) -> Author:
    """The coach with their blog profile: from ``site`` if loaded there, else one query."""
    found = site.author(coach.id) if site else None
    return found or Author(coach, profiles_by_author({coach.id}).get(coach.id))


# Share buttons are plain links: no script, no tracking until the reader clicks.
SHARE_TARGETS = (
    ("E-mail", "mailto:?subject={title}&body={url}"),
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?u={url}"),
    ("X (Twitter)", "https://twitter.com/intent/tweet?url={url}&text={title}"),
    ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?url={url}"),
    ("WhatsApp", "https://wa.me/?text={title}%20{url}"),
)


def share_links(url: str, title: str) -> list[tuple[str, str]]:
    """(label, href) for sharing ``url`` by e-mail and on social networks."""
    encoded = {"url": quote(url, safe=""), "title": quote(title, safe="")}
    return [(label, pattern.format(**encoded)) for label, pattern in SHARE_TARGETS]
