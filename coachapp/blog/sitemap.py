"""sitemap.xml: every page of the site that anyone may read, for search engines.

The list comes from the app's routes. Each page anyone may open is listed, unless robots.txt
keeps crawlers out of it or it is no page (an image, a feed). A route with variable parts
(a post's slug, a category's) is listed once for each public value, which PAGE_VALUES
gives; a public page added later joins by itself, and tests/test_blog_feeds.py fails for
one with variable parts until PAGE_VALUES says where its values come from.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import Row, select
from werkzeug.routing import Rule

from coachapp.blog.feeds import NOT_FOR_CRAWLERS, last_changed
from coachapp.blog.models import Category, Post, PostTag, Series, post_tag_links
from coachapp.blog.services import POSTS_PER_PAGE, canonical_url, is_public
from coachapp.extensions import db
from coachapp.timeutil import utcnow

SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# sitemaps.org allows 50,000 addresses (and 50 MB) in one file: past that, /sitemap.xml is
# an index of numbered parts. 50,000 of the blog's addresses take about 10 MB.
MAX_URLS_PER_SITEMAP = 50_000
# Addresses anyone may open that are not pages to find in a search: images, and the files
# machines read.
NOT_PAGES = frozenset(
    {
        "blog.cover",
        "blog.author_photo",
        "blog.feed_atom",
        "blog.feed_rss",
        "blog.sitemap",
        "blog.sitemap_part",
        "blog.robots",
    }
)

SitemapEntry = tuple[str, datetime | None]
PageValues = Iterator[tuple[dict, datetime | None]]


@dataclass(frozen=True)
class PublicPosts:
    """The public posts at one moment, newest first: what every listed blog page shows."""

    rows: list[Row]
    now: datetime

    def grouped_by(self, column: str) -> dict[int, list[Row]]:
        """The posts by category_id, series_id or author_id (posts without one left out)."""
        groups = defaultdict(list)
        for row in self.rows:
            if getattr(row, column) is not None:
                groups[getattr(row, column)].append(row)
        return groups


def public_posts(now: datetime | None = None) -> PublicPosts:
    """The public posts at ``now``, in one query."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Post.id,
            Post.slug,
            Post.updated_at,
            Post.publish_at,
            Post.category_id,
            Post.series_id,
            Post.author_id,
        )
        .where(is_public(now))
        .order_by(Post.publish_at.desc(), Post.id.desc())
    ).all()
    return PublicPosts(rows, now)


def newest_change(rows: Iterable[Row]) -> datetime | None:
    """When the newest of these posts last changed for readers."""
    return max((last_changed(row) for row in rows), default=None)


def listing_pages(rows: list[Row], **values) -> PageValues:
    """Every page of a listing of these posts, POSTS_PER_PAGE to a page."""
    changed = newest_change(rows)
    pages = max(1, math.ceil(len(rows) / POSTS_PER_PAGE))
    for page in range(1, pages + 1):
        yield {**values, "page": page if page > 1 else None}, changed


def slugs_by_id(model, ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, slug) of these categories or series, by slug."""
    statement = select(model.id, model.slug).where(model.id.in_(list(ids))).order_by(model.slug)
    return [(row.id, row.slug) for row in db.session.execute(statement)]


def blog_pages(posts: PublicPosts) -> PageValues:
    return listing_pages(posts.rows)


def post_pages(posts: PublicPosts) -> PageValues:
    for row in posts.rows:
        yield {"slug": row.slug}, last_changed(row)


def category_pages(posts: PublicPosts) -> PageValues:
    groups = posts.grouped_by("category_id")
    for category_id, slug in slugs_by_id(Category, groups):
        yield from listing_pages(groups[category_id], slug=slug)


def series_pages(posts: PublicPosts) -> PageValues:
    groups = posts.grouped_by("series_id")
    for series_id, slug in slugs_by_id(Series, groups):
        yield {"slug": slug}, newest_change(groups[series_id])  # one page, however long


def author_pages(posts: PublicPosts) -> PageValues:
    groups = posts.grouped_by("author_id")
    for author_id in sorted(groups):
        yield from listing_pages(groups[author_id], author_id=author_id)


def tag_pages(posts: PublicPosts) -> PageValues:
    links = db.session.execute(
        select(PostTag.slug, post_tag_links.c.post_id)
        .join(post_tag_links, post_tag_links.c.tag_id == PostTag.id)
        .join(Post, Post.id == post_tag_links.c.post_id)
        .where(is_public(posts.now))
    )
    by_id = {row.id: row for row in posts.rows}
    rows_by_slug = defaultdict(list)
    for slug, post_id in links:
        if post_id in by_id:  # published between the two queries
            rows_by_slug[slug].append(by_id[post_id])
    for slug in sorted(rows_by_slug):
        yield from listing_pages(rows_by_slug[slug], slug=slug)


# Where the values of each public page's variable parts come from. A page shows up only
# with something public on it: an empty category or a coach with no public post is left out.
PAGE_VALUES: dict[str, Callable[[PublicPosts], PageValues]] = {
    "blog.index": blog_pages,
    "blog.post": post_pages,
    "blog.category": category_pages,
    "blog.tag": tag_pages,
    "blog.series": series_pages,
    "blog.author": author_pages,
}


def page_rules(app: Flask) -> list[Rule]:
    """The routes of pages anyone may read and crawlers may index, one per endpoint."""
    rules: dict[str, Rule] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if (
            rule.endpoint in NOT_PAGES
            or rule.endpoint == "static"
            or "GET" not in (rule.methods or ())
            or not getattr(view, "is_public", False)
            or rule.rule.startswith(NOT_FOR_CRAWLERS)
        ):
            continue
        rules.setdefault(rule.endpoint, rule)
    return list(rules.values())


def unlisted_pages(app: Flask) -> list[str]:
    """Public pages with variable parts that PAGE_VALUES does not know, so are not listed."""
    return [
        rule.rule for rule in page_rules(app) if rule.arguments and rule.endpoint not in PAGE_VALUES
    ]


def sitemap_entries(now: datetime | None = None) -> list[SitemapEntry]:
    """(address on CANONICAL_URL, last change or None) of every public page."""
    posts = public_posts(now)
    entries = []
    for rule in page_rules(current_app):
        values = PAGE_VALUES.get(rule.endpoint)
        if values is None and rule.arguments:
            continue  # unlisted_pages names it
        found = values(posts) if values else [({}, None)]
        entries += [(canonical_url(rule.endpoint, **given), changed) for given, changed in found]
    return entries


def sitemap_xml(now: datetime | None = None) -> bytes:
    """/sitemap.xml: every public page, or an index of the parts when there are too many."""
    entries = sitemap_entries(now)
    if len(entries) <= MAX_URLS_PER_SITEMAP:
        return urlset_document(entries)
    parts = math.ceil(len(entries) / MAX_URLS_PER_SITEMAP)
    return index_document(
        canonical_url("blog.sitemap_part", number=number) for number in range(1, parts + 1)
    )


def sitemap_part_xml(number: int, now: datetime | None = None) -> bytes | None:
    """Part ``number`` (from 1) of a sitemap too large for one file; None if there is none."""
    entries = sitemap_entries(now)
    start = (number - 1) * MAX_URLS_PER_SITEMAP
    if len(entries) <= MAX_URLS_PER_SITEMAP or number < 1 or start >= len(entries):
        return None
    return urlset_document(entries[start : start + MAX_URLS_PER_SITEMAP])


def urlset_document(entries: Iterable[SitemapEntry]) -> bytes:
    """A sitemaps.org <urlset>, each last change in W3C datetime format (in UTC)."""
    from xml.etree import ElementTree  # only search engines ask for this (start-up time)

    urlset = ElementTree.Element("urlset", xmlns=SITEMAP_NAMESPACE)
    for address, changed in entries:
        url = ElementTree.SubElement(urlset, "url")
        ElementTree.SubElement(url, "loc").text = address
        if changed is not None:
            lastmod = changed.astimezone(UTC).isoformat(timespec="seconds")
            ElementTree.SubElement(url, "lastmod").text = lastmod
    return ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)


def index_document(addresses: Iterable[str]) -> bytes:
    """A sitemaps.org <sitemapindex> pointing to these sitemaps."""
    from xml.etree import ElementTree

    index = ElementTree.Element("sitemapindex", xmlns=SITEMAP_NAMESPACE)
    for address in addresses:
        ElementTree.SubElement(ElementTree.SubElement(index, "sitemap"), "loc").text = address
    return ElementTree.tostring(index, encoding="utf-8", xml_declaration=True)
