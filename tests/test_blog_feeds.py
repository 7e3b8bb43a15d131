"""The blog as feed readers and search engines read it once it has grown: dozens of posts by
several coaches, in series, categories and tags, with awkward titles, among drafts, scheduled
and withdrawn posts."""

import html
import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import feedparser
import pytest
from sqlalchemy import select

from coachapp.access import public_view
from coachapp.auth.models import User
from coachapp.blog import sitemap
from coachapp.blog.feeds import FEED_SIZE, robots_txt
from coachapp.blog.models import (
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    PostTag,
    Series,
)
from coachapp.blog.services import POSTS_PER_PAGE, unique_slug
from coachapp.blog.sitemap import unlisted_pages, urlset_document
from coachapp.extensions import db
from tests.factories import make_coach, make_post

CANONICAL = "https://harbour.example"
PRACTICE = "Harbour & Sons <Parent Coaching> 🌊"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP = "{" + SITEMAP_NAMESPACE + "}"
# RFC 3339 date-times (Atom), which are also the full form of W3C datetimes (sitemaps).
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
LONG_TITLE = "A letter for the evening when " + "nothing goes to plan and " * 6 + "that is fine"
AWKWARD_TITLES = (
    "Tom & Jerry <script>alert(1)</script> at bedtime",
    'She said "enough" — and it\'s fine',
    "Bedtime 🌙✨ without tears 👶🏽",
    "שלום, مرحبا: letters from right to left",
    "A broken \ufffd character in the middle",
    LONG_TITLE,
    "5 < 6 > 4 & so on",
    # Pasted from a word processor, whose line break is a vertical tab.
    "Pasted from Word:\x0ba line break\x0cand a page break",
)
AWKWARD_BODY = (
    "Fish & chips < 5 £ > \"quoted\" 'single' 🌙 \ufffd שלום\n\n"
    "<b>Raw HTML</b> and a [link](https://example.org/?a=1&b=2).\n\n"
    "```\nif a < b && c > d:\n```\n"
)
HIDDEN = (
    ("Draft never dated", PostStatus.DRAFT, None),
    ("Draft with a past date", PostStatus.DRAFT, -3),
    ("Scheduled for next week", PostStatus.SCHEDULED, 7),
    ("Published in the future", PostStatus.PUBLISHED, 2),
    ("Withdrawn after consent ended", PostStatus.UNPUBLISHED, -5),
)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def as_feed_text(title: str) -> str:
    """What a feed shows of a title: a page or line break pasted from Word reads as a space."""
    return title.replace("\x0b", " ").replace("\x0c", " ")


@pytest.fixture
def grown_blog(app) -> dict:
    """Two coaches' 45 public posts, a third coach with drafts only, and hidden posts."""
    app.config["CANONICAL_URL"] = CANONICAL
    with app.app_context():
        maya = make_coach(practice_name=PRACTICE)
        jonas = make_coach("jonas@example.com", "Jonas Øberg-Al Rashid", practice=maya.practice)
        quiet = make_coach("quiet@example.com", "Quinn Draftwell", practice=maya.practice)
        practice_id = maya.practice_id

        def group(model, **fields):
            found = model(practice_id=practice_id, **fields)
            db.session.add(found)
            return found

        calm = group(Category, name="Calm & quiet evenings", slug="calm-quiet-evenings")
        work = group(Category, name="Back to work", slug="back-to-work")
        drafts_only = group(Category, name="Only drafts", slug="only-drafts")
        tags = [
            group(PostTag, name="guilt", slug="guilt"),
            group(PostTag, name="bedtime", slug="bedtime"),
            group(PostTag, name="sleep 😴", slug="sleep"),
        ]
        secret = group(PostTag, name="secret", slug="secret")
        reset = group(Series, title="3 day reset", slug="3-day-reset", planned_parts=3)
        coming = group(Series, title="Coming soon", slug="coming-soon")
        db.session.commit()

        public = []

        def publish(author: User, title: str, days: float, **fields) -> Post:
            post = new_post(author, title, publish_at=days_ago(days), **fields)
            public.append(
                {
                    "title": as_feed_text(title),
                    "slug": post.slug,
                    "author": author.name,
                    "author_id": author.id,
                    "published": post.publish_at,
                    "updated": max(post.updated_at, post.publish_at),
                    "category": post.category.name if post.category else None,
                    "category_slug": post.category.slug if post.category else None,
                    "tags": [tag.slug for tag in post.tags],
                    "excerpt": as_feed_text(post.excerpt),
                    "opening": as_feed_text(post.body).split("\n")[0][:20],
                }
            )
            return post

        for number in range(30):
            publish(
                (maya, jonas)[number % 2],
                f"Letter {number}: small steps",
                90 - number,
                excerpt="" if number % 3 == 0 else f"Introduction {number} & a <little> more.",
                cover_image_path="covers/evening.png" if number % 4 == 0 else None,
                cover_image_alt="A lamp & a book",
                category_id=(calm.id, work.id, None)[number % 3],
                tags=tags[: number % 4],
            )
        for number, title in enumerate(AWKWARD_TITLES):
            publish(
                (maya, jonas)[number % 2],
                title,
                40 - number,
                body=AWKWARD_BODY + title,
                excerpt=title if number % 2 else "",
                category_id=calm.id,
            )
        for position in (1, 2, 3):
            publish(
                maya,
                f"Evening {position}",
                20 - position,
                series_id=reset.id,
                series_position=position,
                tags=[tags[1]],
            )
        # Edited long after it went out: its feed entry and sitemap entry say so.
        publish(jonas, "Revised after readers wrote", 15, updated_at=days_ago(0.5))
        for number in range(1, 4):
            publish(maya, f"This week {number}", number / 10, category_id=work.id)

        hidden = []
        for title, status, publish_in_days in HIDDEN:
            post = new_post(
                (maya, quiet)[len(hidden) % 2],
                title,
                status=status,
                publish_at=None if publish_in_days is None else days_ago(-publish_in_days),
                category_id=drafts_only.id,
                tags=[secret],
                series_id=coming.id,
                series_position=len(hidden) + 1,
            )
            hidden.append(post.slug)

        commented = db.session.scalars(select(Post).where(Post.slug == "letter-29-small-steps"))
        commented_id = commented.one().id
        for status in CommentStatus:
            db.session.add(
                Comment(
                    post_id=commented_id,
                    author_name="Ana & Bo",
                    body=f"A {status} <3",
                    status=status,
                )
            )
        db.session.commit()
        return {
            "public": public,
            "hidden": hidden,
            "coach_ids": (maya.id, jonas.id),
            "quiet_id": quiet.id,
        }


def new_post(author: User, title: str, **fields) -> Post:
    """A post as make_post makes it, flushed but not committed: the fixture commits once."""
    post = Post(
        author_id=author.id,
        title=title,
        slug=unique_slug(Post, title),
        excerpt=fields.pop("excerpt", "A few words for parents who feel they fall short."),
        body=fields.pop("body", "Every parent has days like this.\n\nYou are doing enough."),
        status=fields.pop("status", PostStatus.PUBLISHED),
        **fields,
    )
    db.session.add(post)
    db.session.flush()
    return post


def newest_first(posts: list[dict]) -> list[dict]:
    return sorted(posts, key=lambda post: post["published"], reverse=True)


def parsed_time(struct) -> datetime:
    return datetime(*struct[:6], tzinfo=UTC)


def whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


# Feeds


@pytest.mark.parametrize("path", ["/blog/feed.atom", "/blog/feed.rss"])
def test_feeds_of_a_grown_blog_parse_cleanly_with_the_newest_public_posts(client, grown_blog, path):
    response = client.get(path, headers={"Host": "attacker.example"})
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == PRACTICE
    assert feed.feed.link == f"{CANONICAL}/blog/"

    expected = newest_first(grown_blog["public"])[:FEED_SIZE]
    assert [entry.title for entry in feed.entries] == [post["title"] for post in expected]
    for entry, post in zip(feed.entries, expected, strict=True):
        assert entry.link == f"{CANONICAL}/blog/{post['slug']}"
        assert entry.author == post["author"]
        assert parsed_time(entry.published_parsed) == whole_seconds(post["published"])
        if path.endswith(".atom"):  # RSS has no date of change for an item
            assert parsed_time(entry.updated_parsed) == whole_seconds(post["updated"])
        if post["category"]:
            assert post["category"] in [tag.term for tag in entry.tags]
        # Without an introduction, the summary is the opening of the text.
        summary = html.unescape(entry.summary)
        assert (
            summary == post["excerpt"] if post["excerpt"] else summary.startswith(post["opening"])
        )
        assert entry.content[0].value.strip()

    awkward = next(entry for entry in feed.entries if entry.title == AWKWARD_TITLES[0])
    body = html.unescape(awkward.content[0].value)
    assert "Fish & chips < 5 £ >" in body and "🌙 \ufffd שלום" in body
    assert "<script>" not in awkward.content[0].value

    text = response.get_data(as_text=True)
    assert "attacker.example" not in text
    for slug in grown_blog["hidden"]:
        assert f"/blog/{slug}<" not in text and f'/blog/{slug}"' not in text, slug
    for title, _, _ in HIDDEN:
        assert title not in text


def test_every_feed_link_opens_the_post_it_names(client, grown_blog):
    feed = feedparser.parse(client.get("/blog/feed.atom").data)
    for entry in feed.entries:
        page = client.get(urlsplit(entry.link).path)
        assert page.status_code == 200, entry.link
        assert f'<link rel="canonical" href="{entry.link}">' in page.get_data(as_text=True)


def _one(element, name: str):
    found = element.findall(f"{ATOM}{name}")
    assert len(found) == 1, (name, len(found))
    return found[0]


def _atom_entries(client) -> list:
    return ElementTree.fromstring(client.get("/blog/feed.atom").data).findall(f"{ATOM}entry")


def test_the_atom_feed_has_everything_rfc_4287_requires(client, grown_blog):
    feed = ElementTree.fromstring(client.get("/blog/feed.atom").data)
    assert feed.tag == f"{ATOM}feed"
    assert urlsplit(_one(feed, "id").text).scheme  # an absolute IRI
    assert _one(feed, "title").text == PRACTICE
    feed_updated = _one(feed, "updated").text
    assert RFC_3339.fullmatch(feed_updated)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == FEED_SIZE
    # The feed names no author, so every entry must name one.
    has_feed_author = feed.find(f"{ATOM}author") is not None
    updated_times = []
    for entry in entries:
        assert urlsplit(_one(entry, "id").text).scheme
        assert _one(entry, "title").text
        updated = _one(entry, "updated").text
        assert RFC_3339.fullmatch(updated)
        updated_times.append(datetime.fromisoformat(updated))
        published = entry.findall(f"{ATOM}published")
        assert len(published) <= 1 and RFC_3339.fullmatch(published[0].text)
        assert datetime.fromisoformat(published[0].text) <= updated_times[-1]
        assert has_feed_author or entry.find(f"{ATOM}author/{ATOM}name").text
        alternates = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == 1 and alternates[0].get("href").startswith(f"{CANONICAL}/blog/")
        content = _one(entry, "content")
        assert content.get("type") == "html" and content.get("src") is None
    assert datetime.fromisoformat(feed_updated) == max(updated_times)
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids)


def test_atom_entry_ids_stay_the_same_when_a_post_is_renamed_or_others_appear(
    app, client, grown_blog
):
    before = {entry.findtext(f"{ATOM}id") for entry in _atom_entries(client)}
    assert before == {entry.findtext(f"{ATOM}id") for entry in _atom_entries(client)}
    with app.app_context():
        post = db.session.scalars(select(Post).where(Post.slug == "this-week-3")).one()
        post.title, post.slug = "This week, renamed", "this-week-renamed"
        make_post(
            db.session.get(User, grown_blog["coach_ids"][0]), "Just now", publish_at=days_ago(0.01)
        )
    after = _atom_entries(client)
    ids = {entry.findtext(f"{ATOM}id") for entry in after}
    assert len(ids & before) == FEED_SIZE - 1  # the oldest entry made room for the new one
    renamed = next(
        entry for entry in after if entry.findtext(f"{ATOM}title") == "This week, renamed"
    )
    assert renamed.findtext(f"{ATOM}id") in before
    assert renamed.find(f"{ATOM}link").get("href") == f"{CANONICAL}/blog/this-week-renamed"


def test_a_post_pasted_from_a_word_processor_does_not_break_the_feeds(app, client, grown_blog):
    with app.app_context():
        coach = db.session.get(User, grown_blog["coach_ids"][0])
        make_post(
            coach,
            "Bell\x07 and escape\x1b in a title",
            excerpt="An introduction\x0bon two lines.",
            body="Text with a backspace\x08 and a\x0cpage break.",
            publish_at=days_ago(0.01),
        )
    for path in ("/blog/feed.atom", "/blog/feed.rss"):
        response = client.get(path)
        assert response.status_code == 200, path
        feed = feedparser.parse(response.data)
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.entries[0].title == "Bell and escape in a title"
        assert html.unescape(feed.entries[0].summary) == "An introduction on two lines."


# sitemap.xml


def expected_sitemap(grown_blog: dict) -> set[str]:
    """Every public page of the grown blog, worked out from what the fixture published."""
    public = grown_blog["public"]

    def listing(path: str, count: int) -> list[str]:
        pages = max(1, math.ceil(count / POSTS_PER_PAGE))
        return [path] + [f"{path}?page={page}" for page in range(2, pages + 1)]

    def count(key: str, value) -> int:
        return sum(1 for post in public if value == post[key])

    addresses = ["/", *listing("/blog/", len(public))]
    addresses += [f"/blog/{post['slug']}" for post in public]
    for slug in {post["category_slug"] for post in public} - {None}:
        addresses += listing(f"/blog/category/{slug}", count("category_slug", slug))
    for slug in {tag for post in public for tag in post["tags"]}:
        tagged = sum(1 for post in public if slug in post["tags"])
        addresses += listing(f"/blog/tag/{slug}", tagged)
    for coach_id in grown_blog["coach_ids"]:
        addresses += listing(f"/blog/authors/{coach_id}", count("author_id", coach_id))
    addresses.append("/blog/series/3-day-reset")
    return {CANONICAL + address for address in addresses}


def sitemap_urls(document: bytes) -> dict[str, str | None]:
    """{loc: lastmod} of a <urlset>, checked against the sitemaps.org rules on the way."""
    assert len(document) <= 50 * 1024 * 1024
    urlset = ElementTree.fromstring(document)
    assert urlset.tag == f"{SITEMAP}urlset"
    urls = urlset.findall(f"{SITEMAP}url")
    assert 0 < len(urls) <= 50_000 and len(urls) == len(urlset)
    found = {}
    for url in urls:
        names = [child.tag.removeprefix(SITEMAP) for child in url]
        assert names.count("loc") == 1 and set(names) <= {
            "loc",
            "lastmod",
            "changefreq",
            "priority",
        }
        loc, lastmod = url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod")
        assert loc.startswith(f"{CANONICAL}/") and len(loc) < 2048, loc
        assert loc not in found, f"{loc} is listed twice"
        if lastmod is not None:
            assert DATE_TIME.fullmatch(lastmod), lastmod
            assert datetime.fromisoformat(lastmod) <= datetime.now(UTC)
        found[loc] = lastmod
    return found


def test_the_sitemap_lists_every_public_page_of_a_grown_blog_and_nothing_hidden(client, grown_blog):
    response = client.get("/sitemap.xml", headers={"Host": "attacker.example"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    urls = sitemap_urls(response.data)
    assert set(urls) == expected_sitemap(grown_blog)

    for post in grown_blog["public"]:
        lastmod = urls[f"{CANONICAL}/blog/{post['slug']}"]
        assert datetime.fromisoformat(lastmod) == whole_seconds(post["updated"])
    revised = next(
        post for post in grown_blog["public"] if post["slug"] == "revised-after-readers-wrote"
    )
    assert revised["updated"] - revised["published"] > timedelta(days=14)

    text = response.get_data(as_text=True)
    for hidden in (*grown_blog["hidden"], "only-drafts", "secret", "coming-soon"):
        assert f"/{hidden}<" not in text, hidden
    assert f"/blog/authors/{grown_blog['quiet_id']}<" not in text


def test_every_address_in_the_sitemap_opens_for_a_reader_and_calls_itself_canonical(
    app, client, grown_blog
):
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").get_data(as_text=True).splitlines())
    for loc in sitemap_urls(client.get("/sitemap.xml").data):
        address = urlsplit(loc)
        response = client.get(address.path, query_string=address.query)
        assert response.status_code == 200, loc
        page = response.get_data(as_text=True)
        if 'rel="canonical"' in page:
            assert f'<link rel="canonical" href="{loc}">' in page, loc
        assert robots.can_fetch("*", loc), loc


def test_every_public_page_route_has_a_way_into_the_sitemap(app):
    assert unlisted_pages(app) == []


def test_a_public_page_added_later_joins_the_sitemap_by_itself(app, client):
    app.config["CANONICAL_URL"] = CANONICAL
    app.add_url_rule("/blog/about", "about", public_view(lambda: "About the blog"))
    app.add_url_rule("/blog/answers/<slug>", "answers", public_view(lambda slug: slug))
    assert unlisted_pages(app) == ["/blog/answers/<slug>"]
    urls = sitemap_urls(client.get("/sitemap.xml").data)
    assert f"{CANONICAL}/blog/about" in urls
    assert not any("/answers/" in loc for loc in urls)


def test_a_sitemap_too_large_for_one_file_becomes_an_index_of_parts(
    client, grown_blog, monkeypatch
):
    monkeypatch.setattr(sitemap, "MAX_URLS_PER_SITEMAP", 20)
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [element.findtext(f"{SITEMAP}loc") for element in index.findall(f"{SITEMAP}sitemap")]
    expected = expected_sitemap(grown_blog)
    assert parts == [
        f"{CANONICAL}/sitemap-{number}.xml"
        for number in range(1, math.ceil(len(expected) / 20) + 1)
    ]
    listed = {}
    for part in parts:
        response = client.get(urlsplit(part).path)
        assert response.status_code == 200 and response.mimetype == "application/xml"
        urls = sitemap_urls(response.data)
        assert len(urls) <= 20
        assert not set(urls) & set(listed)
        listed |= urls
    assert set(listed) == expected
    assert client.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_a_small_sitemap_has_no_parts(client):
    assert client.get("/sitemap-1.xml").status_code == 404


def test_fifty_thousand_of_the_longest_addresses_fit_in_one_sitemap_file():
    longest = f"{CANONICAL}/blog/category/{'x' * 100}?page=99999"
    now = datetime.now(UTC)
    document = urlset_document([(longest, now)] * sitemap.MAX_URLS_PER_SITEMAP)
    assert len(document) <= 50 * 1024 * 1024


# robots.txt


def test_robots_txt_keeps_crawlers_from_every_invitation_and_reset_link(app):
    app.config["CANONICAL_URL"] = CANONICAL
    robots = RobotFileParser()
    with app.app_context():
        robots.parse(robots_txt(app).splitlines())
    for path in (
        "/invitation",
        "/invitation#a-token",
        "/invitation/a-token",
        "/reset-password",
        "/reset-password#a-token",
        "/reset-password/a-token",
        "/login",
        "/clients/1",
    ):
        assert not robots.can_fetch("*", f"{CANONICAL}{path}"), path
    for path in ("/", "/blog/", "/blog/a-post", "/sitemap.xml"):
        assert robots.can_fetch("*", f"{CANONICAL}{path}"), path
