"""What machines read from the public blog: Atom and RSS feeds and robots.txt (sitemap.xml
is in sitemap.py).

Every absolute link starts with CANONICAL_URL, the practice's configured public address:
a feed reader or search engine must never be sent to whatever Host a request named.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, current_app
from markupsafe import escape

from coachapp.blog.models import Post
from coachapp.blog.services import (
    blog_site,
    canonical_url,
    newest_public_posts,
    rendered_body,
)

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

FEED_SIZE = 20
FEED_SUBTITLE = "Letters and articles for mothers and fathers."
SUMMARY_CHARS = 200
# An empty blog's feed has to give some date; it has never changed.
FEED_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# Public pages that are no use to a search engine; links with tokens must never be indexed
# (the bare /invitation and /reset-password read their token from the address's fragment).
# A coach's calendar feed is public only to whoever holds its secret address.
NOT_FOR_CRAWLERS = (
    "/login", "/forgot-password", "/invitation", "/reset-password", "/healthz", "/calendar/feed",
    "/blog/by-email/",  # following the blog by e-mail: forms and links from messages
)
# Characters XML 1.0 cannot carry, which text pasted from a word processor can hold
# (Word's line break is a vertical tab): feedgen refuses them, and the feed would fail.
NOT_XML_WHITESPACE = re.compile(r"[\x0b\x0c]")
NOT_XML = re.compile(r"[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class FeedItem:
    """Everything a feed says about one post, as plain values (so a built feed can be reused)."""

    id: str
    title: str
    url: str
    author: str
    published: datetime
    updated: datetime
    summary: str
    body: str
    category: str | None


def xml_text(text: str) -> str:
    """The text without the characters XML cannot carry; a page break reads as a space."""
    return NOT_XML.sub("", NOT_XML_WHITESPACE.sub(" ", text))


def opening_words(body: str) -> str:
    """The first SUMMARY_CHARS of the text as plain words, cut at a word.

    A post without an introduction still needs an RSS description: some readers show
    nothing else of an item.
    """
    words = " ".join(rendered_body(body).striptags().split())
    if len(words) <= SUMMARY_CHARS:
        return words
    return words[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def last_changed(post: Post) -> datetime:
    """When readers last saw the post change: its edit, or a scheduled post going live."""
    return max(post.updated_at, post.publish_at)


def entry_id(post: Post) -> str:
    """A permanent tag: URI for the post, unchanged when its title or slug is edited."""
    host = urlsplit(current_app.config["CANONICAL_URL"]).hostname or "localhost"
    return f"tag:{host},{post.created_at:%Y-%m-%d}:blog/post/{post.id}"


def feed_items(now: datetime | None = None) -> tuple[FeedItem, ...]:
    """The FEED_SIZE newest public posts, in one query."""
    posts = newest_public_posts(FEED_SIZE, now)
    return tuple(
        FeedItem(
            id=entry_id(post),
            title=xml_text(post.title),
            url=canonical_url("blog.post", slug=post.slug),
            author=xml_text(post.author.name),
            published=post.publish_at,
            updated=last_changed(post),
            summary=xml_text(post.excerpt) or opening_words(xml_text(post.body)),
            body=xml_text(post.body),
            category=xml_text(post.category.name) if post.category else None,
        )
        for post in posts
    )


def blog_feed(kind: str, now: datetime | None = None) -> bytes:
    """The blog's feed as 'atom' or 'rss', every link on CANONICAL_URL."""
    self_endpoint = {"atom": "blog.feed_atom", "rss": "blog.feed_rss"}[kind]
    return feed_document(
        kind,
        xml_text(blog_site().name),
        canonical_url("blog.index"),
        canonical_url(self_endpoint),
        feed_items(now),
    )


@lru_cache(maxsize=16)
def feed_document(
    kind: str, title: str, blog_url: str, self_url: str, items: tuple[FeedItem, ...]
) -> bytes:
    """The feed's XML, remembered: the same posts give the same document, built once."""
    from feedgen.feed import FeedGenerator  # loaded with the first feed a reader asks for

    feed = FeedGenerator()
    feed.load_extension("dc", atom=False, rss=True)  # RSS names authors only by e-mail
    feed.id(blog_url)
    feed.title(title)
    feed.subtitle(FEED_SUBTITLE)
    feed.link(href=self_url, rel="self")
    feed.link(href=blog_url, rel="alternate")  # last, as RSS takes the last link as its own
    feed.language("en")
    # The newest change, not the time of the request, so that an unchanged feed reads the same.
    updated = max((item.updated for item in items), default=FEED_EPOCH)
    feed.updated(updated)
    feed.lastBuildDate(updated)
    for item in items:
        add_entry(feed, item)
    return feed.atom_str(pretty=True) if kind == "atom" else feed.rss_str(pretty=True)


def add_entry(feed: "FeedGenerator", item: FeedItem) -> None:
    """Add one post: links, dates, author, introduction and the whole rendered text."""
    entry = feed.add_entry(order="append")
    entry.id(item.id)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.author(name=item.author)
    entry.dc.dc_creator(item.author)
    entry.published(item.published)
    entry.updated(item.updated)
    if item.summary:
        # RSS readers treat a description as HTML: the coach's plain text goes in escaped.
        entry.summary(str(escape(item.summary)), type="html")
    entry.content(str(rendered_body(item.body)), type="html")
    if item.category:
        entry.category(term=item.category)


def atom_feed(now: datetime | None = None) -> bytes:
    """The blog's Atom feed."""
    return blog_feed("atom", now)


def rss_feed(now: datetime | None = None) -> bytes:
    """The blog's RSS 2.0 feed."""
    return blog_feed("rss", now)


def private_paths(app: Flask) -> list[str]:
    """Where the pages behind sign-in live, read from the app's routes ('/clients', …).

    A whole first path segment is listed when no public page shares it; a private page
    under a public segment is listed on its own, with * for each variable part.
    """
    public_segments, private_rules = set(), []
    for rule in app.url_map.iter_rules():
        segment = _first_segment(rule.rule)
        if rule.endpoint == "static" or "<" in segment or segment == "/":
            continue
        if getattr(app.view_functions[rule.endpoint], "is_public", False):
            public_segments.add(segment)
        else:
            private_rules.append((segment, rule.rule))
    return sorted(
        {
            _robots_pattern(rule) if segment in public_segments else segment
            for segment, rule in private_rules
        }
    )


def _first_segment(path: str) -> str:
    """'/clients/<int:client_id>' → '/clients'."""
    return "/" + path.lstrip("/").split("/", 1)[0]


def _robots_pattern(rule: str) -> str:
    """A route as a robots.txt path: '/blog/<int:post_id>/edit' → '/blog/*/edit'."""
    parts = [("*" if part.startswith("<") else part) for part in rule.split("/")]
    return "/".join(parts)


def robots_txt(app: Flask) -> str:
    """robots.txt: read the front page and the blog, keep out of everything behind sign-in."""
    # Disallow lines first: older crawlers take the first line that matches, not the longest.
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in (*private_paths(app), *NOT_FOR_CRAWLERS)]
    lines += ["Allow: /", "Allow: /blog/"]
    lines += ["", f"Sitemap: {canonical_url('blog.sitemap')}", ""]
    return "\n".join(lines)
