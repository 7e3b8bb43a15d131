"""The public blog as a reader meets it: posts, listings, feeds, sitemap, robots.txt."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, insert, select

from coachapp.auth.models import User
from coachapp.blog.feeds import atom_feed, rss_feed
from coachapp.blog.models import (
    BlogProfile,
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    PostTag,
    Series,
    post_tag_links,
)
from coachapp.blog.public_views import render_post_page
from coachapp.blog.sitemap import sitemap_entries
from coachapp.extensions import db
from tests.conftest import statements_for
from tests.factories import make_client, make_client_login, make_coach, make_post

CANONICAL = "https://harbour.example"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def text(response) -> str:
    return response.get_data(as_text=True)


def days_ago(days: float) -> datetime:
    """A moment ``days`` ago (negative: in the future)."""
    return datetime.now(UTC) - timedelta(days=days)


def links_in(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', page)


@pytest.fixture
def blog(app) -> dict:
    """A practice's blog: a coach with a profile, a category, tags, a three-day series."""
    app.config["CANONICAL_URL"] = CANONICAL
    with app.app_context():
        coach = make_coach(
            practice_name="Harbour Parent Coaching", bio="I was a midwife for twelve years."
        )
        practice_id = coach.practice_id
        db.session.add(
            BlogProfile(
                coach_id=coach.id,
                social_links="Instagram https://instagram.com/harbour.parents\nmaya.example",
            )
        )
        calm = Category(practice_id=practice_id, name="Calm evenings", slug="calm-evenings")
        guilt = PostTag(practice_id=practice_id, name="guilt", slug="guilt")
        bedtime = PostTag(practice_id=practice_id, name="bedtime", slug="bedtime")
        challenge = Series(
            practice_id=practice_id,
            title="3 day reset",
            slug="3-day-reset",
            description="Three small evenings back to yourself.",
            planned_parts=3,
        )
        db.session.add_all([calm, guilt, bedtime, challenge])
        db.session.commit()
        return {
            "coach_id": coach.id,
            "category_id": calm.id,
            "guilt_id": guilt.id,
            "bedtime_id": bedtime.id,
            "series_id": challenge.id,
        }


def coach_of(blog: dict) -> User:
    return db.session.get(User, blog["coach_id"])


def add_post(blog: dict, title: str, **kwargs) -> Post:
    """A post by the blog's coach; tags given by name."""
    tag_names = kwargs.pop("tags", ())
    tags = [db.session.get(PostTag, blog[f"{name}_id"]) for name in tag_names]
    return make_post(coach_of(blog), title, tags=tags, **kwargs)


def add_series(blog: dict, published_days_ago=(3, 2, 1), **kwargs) -> list[str]:
    """The three parts of the series, published on these days; their slugs in order."""
    return [
        add_post(
            blog,
            f"Evening {position}",
            series_id=blog["series_id"],
            series_position=position,
            publish_at=days_ago(days),
            **kwargs,
        ).slug
        for position, days in enumerate(published_days_ago, start=1)
    ]


def write_png(app, relative: str) -> str:
    """A small image under instance/uploads, as an upload would leave it."""
    path = Path(app.instance_path) / "uploads" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (156, 79, 54)).save(path, "PNG")
    return relative


# The post page


def test_a_post_shows_its_title_author_reading_time_category_tags_and_bio(app, client, blog):
    body = "## Evenings\n\n" + " ".join(["calm"] * 700)
    with app.app_context():
        add_post(
            blog,
            "When bedtime becomes a battle",
            excerpt="For the parent who dreads seven o'clock.",
            body=body,
            category_id=blog["category_id"],
            tags=("guilt", "bedtime"),
        )
    page = text(client.get("/blog/when-bedtime-becomes-a-battle"))
    assert "<h1>When bedtime becomes a battle</h1>" in page
    assert "4 min read" in page
    assert "For the parent who dreads seven o&#39;clock." in page
    assert "<h2>Evenings</h2>" in page
    assert 'href="/blog/category/calm-evenings"' in page and "Calm evenings" in page
    assert 'href="/blog/tag/guilt"' in page and 'href="/blog/tag/bedtime"' in page
    assert f'href="/blog/authors/{blog["coach_id"]}"' in page
    assert "I was a midwife for twelve years." in page
    assert 'href="https://instagram.com/harbour.parents"' in page
    assert page.index("I was a midwife") < page.index('id="comments"')


def test_a_series_post_says_which_day_it_is_and_links_its_neighbours_in_the_series(
    app, client, blog
):
    with app.app_context():
        # Day 3 went out before day 1: the series order, not the dates, decides.
        first, second, third = add_series(blog, published_days_ago=(2, 3, 4))
        add_post(blog, "Published in between", publish_at=days_ago(2.5))
    page = text(client.get(f"/blog/{second}"))
    assert "Day 2 of 3" in page
    assert f'<a class="post-pager-previous" href="/blog/{first}" rel="prev">' in page
    assert f'<a class="post-pager-next" href="/blog/{third}" rel="next">' in page
    series_nav = page[
        page.index('class="series-nav"') : page.index("</nav>", page.index("series-nav"))
    ]
    assert [f"/blog/{slug}" for slug in (first, third)] == [
        link for link in links_in(series_nav) if "/series/" not in link
    ]
    assert '<span aria-current="page">Evening 2</span>' in series_nav
    assert "published-in-between" not in page


def test_a_series_without_day_in_its_title_counts_parts(app, client, blog):
    with app.app_context():
        letters = Series(
            practice_id=coach_of(blog).practice_id, title="Letters to Sunday", slug="l"
        )
        db.session.add(letters)
        db.session.flush()
        add_post(blog, "Second letter", series_id=letters.id, series_position=2)
    page = text(client.get("/blog/second-letter"))
    assert "Part 2" in page and "Part 2 of" not in page and "Day 2" not in page


def test_posts_outside_a_series_link_their_neighbours_by_date_skipping_hidden_posts(
    app, client, blog
):
    with app.app_context():
        add_post(blog, "Oldest", publish_at=days_ago(10))
        add_post(blog, "Older", publish_at=days_ago(8))
        add_post(blog, "Draft in between", status=PostStatus.DRAFT, publish_at=days_ago(7))
        add_post(blog, "Middle", publish_at=days_ago(6))
        add_post(blog, "Withdrawn", status=PostStatus.UNPUBLISHED, publish_at=days_ago(5))
        add_post(blog, "Newer", publish_at=days_ago(4))
        add_post(blog, "Tomorrow", status=PostStatus.SCHEDULED, publish_at=days_ago(-1))
    middle = text(client.get("/blog/middle"))
    assert 'href="/blog/older" rel="prev"' in middle
    assert 'href="/blog/newer" rel="next"' in middle
    for hidden in ("draft-in-between", "withdrawn", "tomorrow"):
        assert hidden not in middle
    oldest = text(client.get("/blog/oldest"))
    assert 'rel="prev"' not in oldest and 'href="/blog/older" rel="next"' in oldest
    newer = text(client.get("/blog/newer"))
    assert 'href="/blog/middle" rel="prev"' in newer and 'rel="next"' not in newer


def test_share_links_carry_the_encoded_canonical_address_whatever_the_host(app, client, blog):
    with app.app_context():
        add_post(blog, "You are not failing")
    page = text(client.get("/blog/you-are-not-failing", headers={"Host": "attacker.example"}))
    encoded = quote(f"{CANONICAL}/blog/you-are-not-failing", safe="")
    shares = page[
        page.index('class="share-links"') : page.index("</ul>", page.index("share-links"))
    ]
    hrefs = links_in(shares)
    assert len(hrefs) == 5
    assert all(encoded in href for href in hrefs)
    assert hrefs[0].startswith("mailto:?subject=You%20are%20not%20failing&amp;body=")
    assert any(href.startswith("https://www.facebook.com/sharer/") for href in hrefs)
    assert any(href.startswith("https://twitter.com/intent/tweet") for href in hrefs)
    assert any(href.startswith("https://www.linkedin.com/") for href in hrefs)
    assert any(href.startswith("https://wa.me/") for href in hrefs)
    assert shares.count('rel="noopener"') == 5
    assert "attacker.example" not in page


def test_the_head_describes_the_post_for_search_engines_and_link_previews(app, client, blog):
    with app.app_context():
        post = add_post(
            blog,
            "Seven o'clock",
            excerpt="For the parent who dreads bedtime.",
            cover_image_path=write_png(app, "covers/1/evening.png"),
            cover_image_alt="A lamp by a child's bed",
        )
        published = post.publish_at.isoformat()
        post_id = post.id
    page = text(client.get("/blog/seven-o-clock", headers={"Host": "attacker.example"}))
    url = f"{CANONICAL}/blog/seven-o-clock"
    assert f'<link rel="canonical" href="{url}">' in page
    assert '<meta name="description" content="For the parent who dreads bedtime.">' in page
    assert '<meta property="og:title" content="Seven o&#39;clock">' in page
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert f'<meta property="og:image" content="{CANONICAL}/blog/posts/{post_id}/cover?v=' in page
    assert f'<meta property="article:published_time" content="{published}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    for kind, name, path in (("atom+xml", "Atom", "feed.atom"), ("rss+xml", "RSS", "feed.rss")):
        title = f"Harbour Parent Coaching ({name})"
        assert f'type="application/{kind}" title="{title}" href="{CANONICAL}/blog/{path}"' in page
    assert 'alt="A lamp by a child&#39;s bed"' in page
    assert "attacker.example" not in page


def test_listing_pages_are_websites_with_a_small_card_when_there_is_no_image(app, client, blog):
    with app.app_context():
        add_post(blog, "Plain")
    home = text(client.get("/blog/"))
    assert '<meta property="og:type" content="website">' in home
    assert '<meta name="twitter:card" content="summary">' in home
    assert f'<link rel="canonical" href="{CANONICAL}/blog/">' in home
    assert "og:image" not in text(client.get("/blog/plain"))


def test_a_script_in_a_post_is_shown_harmless(app, client, blog):
    with app.app_context():
        add_post(
            blog,
            "Careful <b>words</b>",
            excerpt="<script>alert('intro')</script>",
            body="<script>alert(1)</script>\n\n"
            "[x](javascript:alert(1)) <img src=x onerror=alert(2)>",
        )
    page = text(client.get("/blog/careful-b-words-b"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as the words typed
    assert 'href="javascript:' not in page.lower()
    assert "<img" not in page
    assert "Careful &lt;b&gt;words&lt;/b&gt;" in page
    # A feed reader shows the summary and content as HTML: that HTML must be harmless.
    atom = ElementTree.fromstring(client.get("/blog/feed.atom").data)
    rss = ElementTree.fromstring(client.get("/blog/feed.rss").data)
    html_parts = [
        atom.findtext(f"{ATOM}entry/{ATOM}summary"),
        atom.findtext(f"{ATOM}entry/{ATOM}content"),
        rss.findtext("channel/item/description"),
        rss.findtext("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded"),
    ]
    assert all(html_parts)
    for html in html_parts:
        assert "<script" not in html and "<img" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#39;intro&#39;)&lt;/script&gt;" in html_parts[0]


def test_render_post_page_shows_the_page_again_with_the_status_asked_for(app, blog):
    from coachapp.blog.comment_forms import CommentForm

    with app.app_context():
        add_post(blog, "You are not failing")
    with app.test_request_context("/blog/you-are-not-failing/comments", method="POST"):
        post = db.session.scalars(select(Post)).one()
        form = CommentForm(data={"author_name": "", "body": ""})
        form.validate()
        page, status = render_post_page(post, comment_form=form, status=422)
    assert status == 422
    assert "<h1>You are not failing</h1>" in page and 'id="comments"' in page


def test_approved_comments_appear_under_the_post(app, client, blog):
    with app.app_context():
        post = add_post(blog, "You are not failing")
        db.session.add_all(
            [
                Comment(
                    post_id=post.id,
                    author_name="Ana",
                    body="Thank you <b>so</b> much",
                    status=CommentStatus.APPROVED,
                ),
                Comment(
                    post_id=post.id,
                    author_name="Spammer",
                    body="Buy now",
                    status=CommentStatus.SPAM,
                ),
            ]
        )
        db.session.commit()
    page = text(client.get("/blog/you-are-not-failing"))
    assert "Ana" in page and "Thank you &lt;b&gt;so&lt;/b&gt; much" in page
    assert "Buy now" not in page


# What readers may not see yet, or any more


@pytest.mark.parametrize(
    "status, publish_in_days",
    [
        (PostStatus.DRAFT, None),
        (PostStatus.DRAFT, -1),
        (PostStatus.UNPUBLISHED, -1),
        (PostStatus.SCHEDULED, 1),
        (PostStatus.PUBLISHED, 1),
    ],
)
def test_hidden_posts_are_nowhere_on_the_blog(app, client, blog, status, publish_in_days):
    publish_at = None if publish_in_days is None else days_ago(-publish_in_days)
    with app.app_context():
        cover = write_png(app, "covers/hidden.png")
        post = add_post(
            blog,
            "Not for readers",
            status=status,
            publish_at=publish_at,
            cover_image_path=cover,
            category_id=blog["category_id"],
            tags=("guilt",),
            series_id=blog["series_id"],
            series_position=2,
        )
        hidden_id = post.id
        add_post(
            blog,
            "Public one",
            series_id=blog["series_id"],
            series_position=1,
            category_id=blog["category_id"],
            tags=("guilt",),
            publish_at=days_ago(3),
        )
    assert client.get("/blog/not-for-readers").status_code == 404
    assert client.get(f"/blog/posts/{hidden_id}/cover").status_code == 404
    pages = [
        "/",
        "/blog/",
        "/blog/public-one",
        "/blog/category/calm-evenings",
        "/blog/tag/guilt",
        "/blog/series/3-day-reset",
        f"/blog/authors/{blog['coach_id']}",
        "/blog/feed.atom",
        "/blog/feed.rss",
        "/sitemap.xml",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Public one" in text(response) or "public-one" in text(response), path
        assert "not-for-readers" not in text(response), path
        assert "Not for readers" not in text(response), path


def test_a_scheduled_post_appears_by_itself_once_its_time_has_come(app, client, blog):
    with app.app_context():
        post = add_post(
            blog, "Monday morning", status=PostStatus.SCHEDULED, publish_at=days_ago(-1 / 24)
        )
        post_id = post.id
    assert client.get("/blog/monday-morning").status_code == 404
    assert "monday-morning" not in text(client.get("/blog/feed.atom"))
    with app.app_context():
        # The clock moving past publish_at, with no job touching the status.
        db.session.get(Post, post_id).publish_at = days_ago(1 / 24 / 60)
        db.session.commit()
        assert db.session.get(Post, post_id).status is PostStatus.SCHEDULED
    assert client.get("/blog/monday-morning").status_code == 200
    assert "Monday morning" in text(client.get("/blog/"))
    assert f"{CANONICAL}/blog/monday-morning" in text(client.get("/blog/feed.atom"))
    assert f"{CANONICAL}/blog/monday-morning" in text(client.get("/sitemap.xml"))


# Listings


def test_the_blog_says_so_kindly_when_nothing_is_published(app, client, blog):
    with app.app_context():
        add_post(blog, "Still a draft", status=PostStatus.DRAFT)
    page = text(client.get("/blog/"))
    assert "Nothing published yet" in page
    assert "Still a draft" not in page


def test_the_blog_lists_ten_posts_a_page_newest_first(app, client, blog):
    with app.app_context():
        for number in range(1, 13):
            add_post(blog, f"Letter {number:02}", publish_at=days_ago(20 - number))
    first = text(client.get("/blog/"))
    shown = re.findall(r"Letter (\d\d)</a>", first)
    assert shown == [f"{number:02}" for number in range(12, 2, -1)]
    assert 'href="/blog/?page=2" rel="next"' in first
    second = text(client.get("/blog/?page=2"))
    assert re.findall(r"Letter (\d\d)</a>", second) == ["02", "01"]
    assert 'href="/blog/" rel="prev"' in second
    assert f'<link rel="canonical" href="{CANONICAL}/blog/?page=2">' in second
    assert client.get("/blog/?page=3").status_code == 404
    assert client.get("/blog/?page=0").status_code == 404
    assert client.get("/blog/?page=abc").status_code == 200


def test_a_listed_post_shows_its_cover_date_author_category_series_excerpt_and_time(
    app, client, blog
):
    with app.app_context():
        post = add_post(
            blog,
            "Evening 2",
            excerpt="The second evening.",
            series_id=blog["series_id"],
            series_position=2,
            category_id=blog["category_id"],
            cover_image_path=write_png(app, "covers/2.png"),
            body="word " * 450,
        )
        post_id = post.id
        zone = ZoneInfo(app.config["DEFAULT_TIMEZONE"])  # readers who are not signed in
        day = post.publish_at.astimezone(zone).strftime("%-d %b %Y")
    page = text(client.get("/blog/"))
    assert f'src="/blog/posts/{post_id}/cover?v=' in page
    assert "The second evening." in page
    assert "Calm evenings" in page and "3 day reset</a>, Day 2 of 3" in page
    assert "Maya Lindqvist" in page and "3 min read" in page
    assert day in page


def test_category_tag_series_and_author_pages_list_the_right_posts(app, client, blog):
    with app.app_context():
        other_coach = make_coach(
            email="ines@example.com", name="Ines Okafor", practice=coach_of(blog).practice
        )
        add_post(blog, "Calm one", category_id=blog["category_id"], tags=("guilt",))
        add_post(blog, "Loud one", tags=("bedtime",))
        make_post(other_coach, "By Ines", category_id=blog["category_id"])
        slugs = add_series(blog, published_days_ago=(5, 6, 7))
        ines_id = other_coach.id
    category = text(client.get("/blog/category/calm-evenings"))
    assert "Calm one" in category and "By Ines" in category and "Loud one" not in category
    tag = text(client.get("/blog/tag/guilt"))
    assert "Calm one" in tag and "Loud one" not in tag and "By Ines" not in tag
    series = text(client.get("/blog/series/3-day-reset"))
    assert "Three small evenings back to yourself." in series
    positions = [series.index(f'href="/blog/{slug}"') for slug in slugs]
    assert positions == sorted(positions)
    assert "Calm one" not in series
    ines = text(client.get(f"/blog/authors/{ines_id}"))
    assert "By Ines" in ines and "Calm one" not in ines
    maya = text(client.get(f"/blog/authors/{blog['coach_id']}"))
    assert "I was a midwife for twelve years." in maya
    assert 'href="https://instagram.com/harbour.parents"' in maya and "maya.example" in maya
    assert "Calm one" in maya and "By Ines" not in maya


def test_category_and_tag_pages_are_paginated(app, client, blog):
    with app.app_context():
        for number in range(11):
            add_post(
                blog,
                f"Calm {number}",
                category_id=blog["category_id"],
                tags=("guilt",),
                publish_at=days_ago(number + 1),
            )
    for path in ("/blog/category/calm-evenings", "/blog/tag/guilt"):
        assert f'href="{path}?page=2" rel="next"' in text(client.get(path))
        assert "Calm 10" in text(client.get(f"{path}?page=2"))
        assert client.get(f"{path}?page=3").status_code == 404


def test_unknown_slugs_and_people_who_are_not_coaches_are_404(app, client, blog):
    with app.app_context():
        client_user_id = make_client_login(make_client(coach_of(blog))).id
    for path in (
        "/blog/no-such-post",
        "/blog/category/nope",
        "/blog/tag/nope",
        "/blog/series/nope",
        "/blog/authors/999",
        f"/blog/authors/{client_user_id}",
        f"/blog/authors/{client_user_id}/photo",
        "/blog/posts/999/cover",
    ):
        assert client.get(path).status_code == 404, path


# Images


def test_a_public_cover_is_served_with_a_public_cache_and_a_missing_one_is_404(app, client, blog):
    with app.app_context():
        with_cover = add_post(blog, "With cover", cover_image_path=write_png(app, "c/a.png")).id
        without = add_post(blog, "Without cover").id
        outside = add_post(blog, "Sneaky", cover_image_path="../config.py").id
    response = client.get(f"/blog/posts/{with_cover}/cover")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "no-store" not in response.headers["Cache-Control"]
    assert client.get(f"/blog/posts/{without}/cover").status_code == 404
    assert client.get(f"/blog/posts/{outside}/cover").status_code == 404


def test_a_coachs_photo_is_shown_on_their_pages(app, client, blog):
    coach_id = blog["coach_id"]
    assert client.get(f"/blog/authors/{coach_id}/photo").status_code == 404
    with app.app_context():
        profile = db.session.scalars(select(BlogProfile)).one()
        profile.photo_path = write_png(app, "profiles/maya.png")
        db.session.commit()
        add_post(blog, "With a face")
    response = client.get(f"/blog/authors/{coach_id}/photo")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert f'src="/blog/authors/{coach_id}/photo?v=' in text(client.get("/blog/with-a-face"))
    assert 'alt="Maya Lindqvist"' in text(client.get(f"/blog/authors/{coach_id}"))


# Feeds, sitemap and robots.txt


def _hidden_and_public_posts(blog) -> None:
    add_post(
        blog,
        "Public letter",
        excerpt="An introduction.",
        body="**Bold** words.",
        category_id=blog["category_id"],
    )
    add_post(blog, "Draft letter", status=PostStatus.DRAFT)
    add_post(blog, "Future letter", status=PostStatus.SCHEDULED, publish_at=days_ago(-2))
    add_post(blog, "Withdrawn letter", status=PostStatus.UNPUBLISHED)


def test_the_atom_feed_lists_public_posts_with_canonical_links(app, client, blog):
    with app.app_context():
        _hidden_and_public_posts(blog)
    response = client.get("/blog/feed.atom", headers={"Host": "attacker.example"})
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    assert feed.findtext(f"{ATOM}title") == "Harbour Parent Coaching"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Public letter"]
    entry = entries[0]
    assert entry.find(f"{ATOM}link").get("href") == f"{CANONICAL}/blog/public-letter"
    assert entry.findtext(f"{ATOM}id").startswith("tag:harbour.example,")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Maya Lindqvist"
    assert entry.findtext(f"{ATOM}summary") == "An introduction."
    assert entry.find(f"{ATOM}summary").get("type") == "html"
    assert "<strong>Bold</strong>" in entry.findtext(f"{ATOM}content")
    assert entry.findtext(f"{ATOM}published") and entry.findtext(f"{ATOM}updated")
    self_link = [link for link in feed.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link[0].get("href") == f"{CANONICAL}/blog/feed.atom"
    assert "attacker.example" not in response.get_data(as_text=True)


def test_the_rss_feed_lists_public_posts_with_canonical_links(app, client, blog):
    with app.app_context():
        _hidden_and_public_posts(blog)
    response = client.get("/blog/feed.rss", headers={"Host": "attacker.example"})
    assert response.mimetype == "application/rss+xml"
    channel = ElementTree.fromstring(response.data).find("channel")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["Public letter"]
    assert items[0].findtext("link") == f"{CANONICAL}/blog/public-letter"
    assert items[0].findtext("description") == "An introduction."
    assert items[0].findtext("pubDate")
    assert items[0].findtext("{http://purl.org/dc/elements/1.1/}creator") == "Maya Lindqvist"
    assert "<strong>Bold</strong>" in items[0].findtext(
        "{http://purl.org/rss/1.0/modules/content/}encoded"
    )
    assert channel.findtext("link") == f"{CANONICAL}/blog/"


def test_feeds_carry_the_twenty_newest_posts_and_build_without_a_request(app, blog):
    with app.app_context():
        for number in range(25):
            add_post(blog, f"Post {number}", publish_at=days_ago(30 - number))
        entries = ElementTree.fromstring(atom_feed()).findall(f"{ATOM}entry")
        items = ElementTree.fromstring(rss_feed()).find("channel").findall("item")
    assert len(entries) == len(items) == 20
    assert entries[0].findtext(f"{ATOM}title") == "Post 24"
    assert entries[-1].findtext(f"{ATOM}title") == "Post 5"


def test_the_sitemap_lists_only_public_pages_on_the_canonical_address(app, client, blog):
    with app.app_context():
        _hidden_and_public_posts(blog)
        add_post(blog, "Tagged", tags=("guilt",), series_id=blog["series_id"], series_position=1)
        add_post(blog, "Hidden tag", tags=("bedtime",), status=PostStatus.DRAFT)
    response = client.get("/sitemap.xml", headers={"Host": "attacker.example"})
    assert response.mimetype == "application/xml"
    urls = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in ElementTree.fromstring(response.data).findall(f"{SITEMAP}url")
    }
    assert set(urls) == {
        f"{CANONICAL}/",
        f"{CANONICAL}/blog/",
        f"{CANONICAL}/blog/public-letter",
        f"{CANONICAL}/blog/tagged",
        f"{CANONICAL}/blog/category/calm-evenings",
        f"{CANONICAL}/blog/tag/guilt",
        f"{CANONICAL}/blog/series/3-day-reset",
        f"{CANONICAL}/blog/authors/{blog['coach_id']}",
    }
    assert datetime.fromisoformat(urls[f"{CANONICAL}/blog/public-letter"]) <= datetime.now(UTC)


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(app, client, blog):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines and "Allow: /blog/" in lines
    for private in (
        "/dashboard",
        "/clients",
        "/sessions",
        "/letters",
        "/portal",
        "/posts",
        "/comments",
        "/search",
        "/account",
        "/outbox",
        "/reset-password",
        "/invitation",
    ):
        assert f"Disallow: {private}" in lines, private
    disallowed = [line.split(": ", 1)[1] for line in lines if line.startswith("Disallow:")]
    assert not any(path in ("/", "/blog", "/blog/") for path in disallowed)
    assert f"Sitemap: {CANONICAL}/sitemap.xml" in lines


def test_robots_txt_names_every_private_page(app):
    from coachapp.blog.feeds import robots_txt

    with app.app_context():
        disallowed = [
            line.split(": ", 1)[1]
            for line in robots_txt(app).splitlines()
            if line.startswith("Disallow:")
        ]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or getattr(app.view_functions[rule.endpoint], "is_public", 0):
            continue
        pattern = re.sub(r"<[^>]+>", "*", rule.rule)
        assert any(pattern.startswith(path) for path in disallowed), rule.rule


def test_sitemap_entries_can_be_read_without_a_request(app, blog):
    with app.app_context():
        add_post(blog, "Quiet")
        addresses = [address for address, _ in sitemap_entries()]
    assert f"{CANONICAL}/blog/quiet" in addresses


# Around the blog: footer, navigation, front page


def test_blog_pages_end_with_the_coaches_links_and_the_feeds(app, client, blog):
    page = text(client.get("/blog/"))
    footer = page[page.index('<footer class="site-footer">') :]
    assert "Follow Maya Lindqvist" in footer
    assert 'href="https://instagram.com/harbour.parents"' in footer
    assert 'href="/blog/feed.atom"' in footer and 'href="/blog/feed.rss"' in footer


def test_visitors_find_the_blog_from_the_navigation_and_the_front_page(app, client, blog):
    with app.app_context():
        for number in range(4):
            add_post(blog, f"News {number}", publish_at=days_ago(10 - number))
        add_post(blog, "Unfinished", status=PostStatus.DRAFT)
    front = text(client.get("/"))
    assert 'href="/blog/"' in front
    assert "From the blog" in front
    assert [title for title in re.findall(r"News \d", front)] == ["News 3", "News 2", "News 1"]
    assert "Unfinished" not in front


def test_blog_pages_use_no_inline_styles_or_scripts(app, client, blog):
    with app.app_context():
        add_series(blog)
    for path in ("/blog/", "/blog/evening-2", "/blog/series/3-day-reset"):
        page = text(client.get(path))
        assert "<script" not in page and "style=" not in page and "<style" not in page, path


# A fixed number of queries, however large the blog


def _bulk_posts(blog: dict, count: int, first: int) -> None:
    """``count`` newer public posts, in the category, tagged, every third in the series."""
    now = datetime.now(UTC)
    db.session.execute(
        insert(Post),
        [
            {
                "author_id": blog["coach_id"],
                "title": f"Bulk {number}",
                "slug": f"bulk-{number}",
                "excerpt": "A short introduction.",
                "body": "Some words about evenings. " * 40,
                "status": PostStatus.PUBLISHED,
                "publish_at": now - timedelta(hours=1, seconds=number),
                "category_id": blog["category_id"],
                "series_id": blog["series_id"] if number % 3 == 0 else None,
                "series_position": 10 + number if number % 3 == 0 else None,
            }
            for number in range(first, first + count)
        ],
    )
    new_ids = db.session.scalars(
        select(Post.id).where(Post.slug.in_([f"bulk-{n}" for n in range(first, first + count)]))
    ).all()
    db.session.execute(
        insert(post_tag_links),
        [{"post_id": post_id, "tag_id": blog["guilt_id"]} for post_id in new_ids],
    )
    db.session.commit()


def _bulk_comments(post_id: int, count: int) -> None:
    """``count`` approved comments on the post."""
    now = datetime.now(UTC)
    db.session.execute(
        insert(Comment),
        [
            {
                "post_id": post_id,
                "author_name": f"Reader {number}",
                "body": "Thank you.",
                "status": CommentStatus.APPROVED,
                "created_at": now - timedelta(minutes=number),
            }
            for number in range(count)
        ],
    )
    db.session.commit()


def test_blog_pages_take_the_same_few_queries_for_10_or_1000_posts(app, client, blog):
    with app.app_context():
        db.session.scalars(select(BlogProfile)).one().photo_path = "profiles/maya.png"
        plain = add_post(
            blog,
            "Plain post",
            category_id=blog["category_id"],
            tags=("guilt",),
            publish_at=days_ago(2),
        ).id
        in_series = add_post(
            blog,
            "Series post",
            series_id=blog["series_id"],
            series_position=1,
            tags=("guilt",),
            category_id=blog["category_id"],
            publish_at=days_ago(2),
        ).id
    paths = (
        "/blog/",
        "/blog/plain-post",
        "/blog/series-post",
        "/blog/feed.atom",
        "/blog/feed.rss",
        "/blog/category/calm-evenings",
        "/blog/tag/guilt",
        "/blog/series/3-day-reset",
        f"/blog/authors/{blog['coach_id']}",
        "/sitemap.xml",
        "/",
    )
    with app.app_context():
        _bulk_posts(blog, 8, first=0)
        _bulk_comments(plain, 5)
        _bulk_comments(in_series, 5)
    with_ten = {path: len(statements_for(app, client, path)) for path in paths}
    with app.app_context():
        _bulk_posts(blog, 990, first=8)
        _bulk_comments(plain, 495)
        _bulk_comments(in_series, 495)
        assert db.session.scalar(select(func.count(Post.id))) == 1000
    with_a_thousand = {path: len(statements_for(app, client, path)) for path in paths}
    assert with_ten == with_a_thousand
    assert with_a_thousand["/blog/plain-post"] <= 6, with_a_thousand
    assert with_a_thousand["/blog/"] <= 4, with_a_thousand
    assert with_a_thousand["/blog/feed.atom"] <= 3, with_a_thousand
    assert text(client.get("/blog/plain-post")).count("Reader ") >= 500
