"""Public blog pages served from memory to anonymous readers, never stale, never shared
where they should not be: one reader's CSRF token, a signed-in coach's page."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from coachapp.auth.models import User
from coachapp.blog.consents import give_consent, withdraw_consent
from coachapp.blog.models import (
    BlogProfile,
    BlogRevision,
    Category,
    Comment,
    CommentStatus,
    ConsentMethod,
    Post,
    PostStatus,
    PostTag,
    Series,
)
from coachapp.blog.page_cache import CachedPage, PageCache
from coachapp.blog.publishing import post_from_letter, publish_post
from coachapp.extensions import db
from tests.conftest import csrf_token_from, make_test_app, statements_for
from tests.factories import (
    PASSWORD,
    REPLACEMENT_FIELDS,
    default_replacements,
    make_client,
    make_client_login,
    make_coach,
    make_post,
    make_sent_letter,
)

# Every table a public blog page reads, with a column an UPDATE can set to itself.
WATCHED_COLUMNS = {
    "posts": "title",
    "post_comments": "body",
    "post_categories": "name",
    "post_series": "title",
    "post_tags": "name",
    "post_tag_links": "tag_id",
    "blog_profiles": "social_links",
    "users": "name",
    "practices": "name",
}


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def blog(app) -> dict:
    """A coach (signed in on ``client``) with a profile, a category, a tag, a series, and a
    post in all three with an approved comment; every table a public page reads has a row."""
    with app.app_context():
        coach = make_coach(bio="I was a midwife for twelve years.")
        db.session.add(BlogProfile(coach_id=coach.id, social_links="maya.example"))
        category = Category(practice_id=coach.practice_id, name="Calm evenings", slug="calm")
        tag = PostTag(practice_id=coach.practice_id, name="guilt", slug="guilt")
        series = Series(practice_id=coach.practice_id, title="3 day reset", slug="reset")
        db.session.add_all([category, tag, series])
        db.session.flush()
        post = make_post(
            coach,
            "You are not failing",
            category_id=category.id,
            series_id=series.id,
            series_position=1,
            tags=[tag],
        )
        db.session.add(
            Comment(
                post_id=post.id,
                author_name="Rosa",
                body="This helped me today.",
                status=CommentStatus.APPROVED,
            )
        )
        db.session.commit()
        return {"coach": coach.id, "post": post.id}


@pytest.fixture
def reader(app):
    """Someone reading the blog without signing in."""
    return app.test_client()


def public_paths(blog: dict) -> list[str]:
    return [
        "/blog/",
        "/blog/?page=1",
        "/blog/you-are-not-failing",
        "/blog/category/calm",
        "/blog/tag/guilt",
        "/blog/series/reset",
        f"/blog/authors/{blog['coach']}",
        "/blog/feed.atom",
        "/blog/feed.rss",
        "/sitemap.xml",
    ]


def assert_cached(app, reader, path: str) -> str:
    """Fetch the page until it comes from the cache (one query); return it."""
    reader.get(path)
    assert len(statements_for(app, reader, path)) == 1, path
    return text_of(reader.get(path))


def revision(app) -> int:
    with app.app_context():
        return db.session.scalar(select(BlogRevision.revision))


# Served from the cache


def test_a_second_anonymous_request_is_served_from_the_cache_with_one_query(app, blog, reader):
    for path in public_paths(blog):
        fresh = reader.get(path)
        assert fresh.status_code == 200, path
        queries = statements_for(app, reader, path)
        assert len(queries) == 1, (path, queries)
        assert "blog_revision" in queries[0]
        cached = reader.get(path)
        assert cached.data == fresh.data, path
        assert dict(cached.headers) == dict(fresh.headers), path
        assert "Content-Security-Policy" in cached.headers
        assert "no-store" not in cached.headers.get("Cache-Control", "")


def test_pages_that_are_not_a_plain_200_are_rendered_every_time(app, blog, reader):
    for _ in range(2):
        assert reader.get("/blog/no-such-post").status_code == 404
    assert reader.get("/blog/?page=9").status_code == 404
    assert reader.head("/blog/").status_code == 200
    assert len(statements_for(app, reader, "/blog/")) == 1


def test_the_cache_can_be_turned_off(database_url, tmp_path, blog):
    app = make_test_app(tmp_path / "uncached", database_url, BLOG_PAGE_CACHE_SIZE=0)
    reader = app.test_client()
    reader.get("/blog/you-are-not-failing")
    assert len(statements_for(app, reader, "/blog/you-are-not-failing")) > 1
    with app.app_context():
        db.engine.dispose()


def test_the_cache_keeps_only_the_newest_state_of_the_pages_used_last():
    pages = PageCache(max_pages=2)
    page = CachedPage((1, 5), b"<p>hello</p>", "text/html; charset=utf-8", False)
    pages.put("/a", page)
    pages.put("/b", page)
    assert pages.get("/a", (1, 5)) is page
    pages.put("/c", page)
    assert pages.get("/b", (1, 5)) is None  # used least recently
    assert pages.get("/a", (1, 5)) is page
    assert pages.get("/a", (2, 5)) is None and pages.get("/a", (1, 6)) is None


# Per reader: CSRF tokens, signed-in people, messages


def test_two_readers_get_their_own_csrf_token_and_each_can_comment(app, blog):
    app.config["WTF_CSRF_ENABLED"] = True
    path = "/blog/you-are-not-failing"
    first, second = app.test_client(), app.test_client()
    first_page = text_of(first.get(path))
    assert len(statements_for(app, second, path)) == 1
    second_page = text_of(second.get(path))
    first_token, second_token = csrf_token_from(first_page), csrf_token_from(second_page)
    assert first_token != second_token
    assert first_page.replace(first_token, "") == second_page.replace(second_token, "")

    comment = {"author_name": "Rosa", "author_email": "", "body": "Thank you.", "website": ""}
    stolen = second.post(f"{path}/comments", data={**comment, "csrf_token": first_token})
    assert stolen.status_code == 400
    for reader, token in ((first, first_token), (second, second_token)):
        sent = reader.post(f"{path}/comments", data={**comment, "csrf_token": token})
        assert sent.status_code == 303
    # A returning reader's cached page carries a token their session accepts.
    token = csrf_token_from(text_of(first.get(path)))
    again = first.post(f"{path}/comments", data={**comment, "csrf_token": token})
    assert again.status_code == 303


def test_a_flashed_message_is_shown_to_its_reader_alone(app, blog, reader):
    path = "/blog/you-are-not-failing"
    assert_cached(app, reader, path)
    comment = {"author_name": "Rosa", "author_email": "", "body": "Thank you.", "website": ""}
    assert reader.post(f"{path}/comments", data=comment).status_code == 303
    assert "Thank you for your comment" in text_of(reader.get(path))
    assert "Thank you for your comment" not in text_of(reader.get(path))
    assert "Thank you for your comment" not in text_of(app.test_client().get(path))


def test_signed_in_coaches_never_get_a_cached_page(app, client, browser, blog, reader):
    path = "/blog/you-are-not-failing"
    assert "Dashboard" not in assert_cached(app, reader, path)
    browser.login("coach@example.com", PASSWORD)
    for _ in range(2):
        assert len(statements_for(app, client, path)) > 1
        page = text_of(client.get(path))
        assert "Dashboard" in page and "Sign out" in page
        assert client.get(path).headers["Cache-Control"] == "no-store"
    assert "Dashboard" not in assert_cached(app, reader, path)


# Never stale


@pytest.fixture
def coach(client, browser, blog):
    """The blog's coach, signed in on ``client``."""
    browser.login("coach@example.com", PASSWORD)
    return client


def post_fields(app, post_id: int, **changes) -> dict:
    with app.app_context():
        post = db.session.get(Post, post_id)
        fields = {
            "title": post.title,
            "slug": post.slug,
            "excerpt": post.excerpt,
            "body": post.body,
            "category_id": str(post.category_id or 0),
            "series_id": str(post.series_id or 0),
            "series_position": str(post.series_position or ""),
            "tags": ", ".join(tag.name for tag in post.tags),
            "cover_image_alt": "",
        }
    return {**fields, **changes}


def test_publishing_unpublishing_and_editing_show_at_once(app, coach, blog, reader):
    home, feed = "/blog/", "/blog/feed.atom"
    assert "Small steps" not in assert_cached(app, reader, home)
    assert_cached(app, reader, feed)
    new_post = {"title": "Small steps", "body": "One at a time.", "category_id": "0"}
    made = coach.post("/posts/new", data={**new_post, "series_id": "0"})
    post_id = int(re.search(r"/posts/(\d+)/edit", made.location).group(1))
    assert coach.post(f"/posts/{post_id}/publish", data={"when": "now"}).status_code == 302
    assert "Small steps" in text_of(reader.get(home))
    assert "Small steps" in text_of(reader.get(feed))

    path = "/blog/you-are-not-failing"
    assert_cached(app, reader, path)
    edited = post_fields(app, blog["post"], body="Rest is not a reward.")
    assert coach.post(f"/posts/{blog['post']}/edit", data=edited).status_code == 302
    assert "Rest is not a reward." in text_of(reader.get(path))

    assert_cached(app, reader, path)
    assert coach.post(f"/posts/{blog['post']}/unpublish").status_code == 302
    assert reader.get(path).status_code == 404
    assert "You are not failing" not in text_of(reader.get(home))
    assert "You are not failing" not in text_of(reader.get(feed))


def test_an_approved_comment_shows_at_once(app, coach, blog, reader):
    path = "/blog/you-are-not-failing"
    comment = {"author_name": "Ben", "author_email": "", "body": "Kind words.", "website": ""}
    assert reader.post(f"{path}/comments", data=comment).status_code == 303
    assert "Thank you for your comment" in text_of(reader.get(path))
    assert "Kind words." not in assert_cached(app, reader, path)
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id).where(Comment.author_name == "Ben"))
    assert coach.post(f"/comments/{comment_id}/approve").status_code == 303
    assert "Kind words." in text_of(reader.get(path))


def test_the_authors_bio_and_links_show_at_once(app, coach, blog, reader):
    path, author = "/blog/you-are-not-failing", f"/blog/authors/{blog['coach']}"
    assert_cached(app, reader, path)
    assert_cached(app, reader, author)
    details = {"name": "Maya Lindqvist", "timezone": "Europe/London", "bio": "Mother of two."}
    assert coach.post("/account/edit", data=details).status_code == 302
    assert "Mother of two." in text_of(reader.get(path))
    assert "Mother of two." in text_of(reader.get(author))

    assert_cached(app, reader, author)
    profile = {**REPLACEMENT_FIELDS, "bio": "Mother of two.", "social_links": "harbour.example"}
    assert coach.post("/posts/profile", data=profile).status_code == 302
    assert "harbour.example" in text_of(reader.get(author))


@pytest.fixture
def consented_post(app, blog) -> dict:
    """A public post made from a client's letter with her consent."""
    with app.app_context():
        coach = db.session.get(User, blog["coach"])
        anna = make_client(coach, "Anna", last_name="Berg", email="anna.berg@example.com")
        make_client_login(anna)
        letter = make_sent_letter(anna, body="Dear Anna,\n\nSmall steps count.\n\nMaya")
        give_consent(letter, coach, ConsentMethod.EMAIL, "Said yes on 3 March.")
        post = post_from_letter(letter, coach, default_replacements())
        post.title = "Small steps count"
        publish_post(post)
        db.session.commit()
        return {"client": anna.id, "letter": letter.id, "path": f"/blog/{post.slug}"}


def test_withdrawn_consent_takes_the_post_off_at_once_in_every_process(
    app, blog, reader, consented_post, database_url, tmp_path
):
    path = consented_post["path"]
    assert "Small steps count" in assert_cached(app, reader, path)
    assert "Small steps count" in assert_cached(app, reader, "/blog/feed.rss")
    # Another process on the same database withdraws it, with one bulk UPDATE of posts.
    other = make_test_app(tmp_path / "other-process", database_url)
    with other.app_context():
        from coachapp.letters.models import Letter

        letter = db.session.get(Letter, consented_post["letter"])
        coach = db.session.get(User, blog["coach"])
        assert withdraw_consent(letter, coach, "Private now.") == 1
        db.session.commit()
        db.engine.dispose()
    assert reader.get(path).status_code == 404
    assert "Small steps count" not in text_of(reader.get("/blog/feed.rss"))
    assert "Small steps count" not in text_of(reader.get("/sitemap.xml"))


def test_deleting_the_client_takes_an_unconsented_post_off_at_once(app, coach, blog, reader):
    with app.app_context():
        anna = make_client(db.session.get(User, blog["coach"]), "Anna", last_name="Berg")
        post = make_post(db.session.get(User, blog["coach"]), "Anna's story", client_id=anna.id)
        anna_id, path = anna.id, f"/blog/{post.slug}"
    assert_cached(app, reader, path)
    assert coach.post(f"/clients/{anna_id}/delete").status_code in (302, 303)
    assert reader.get(path).status_code == 404


def test_an_edit_from_another_process_shows_at_once(app, blog, reader, database_url, tmp_path):
    path = "/blog/you-are-not-failing"
    assert_cached(app, reader, path)
    other = make_test_app(tmp_path / "other-process", database_url)
    with other.app_context():
        db.session.get(Post, blog["post"]).title = "You are enough"
        db.session.commit()
        db.engine.dispose()
    assert "<h1>You are enough</h1>" in text_of(reader.get(path))


@pytest.mark.parametrize("table", sorted(WATCHED_COLUMNS))
def test_a_bulk_update_in_sql_of_any_table_the_blog_reads_is_seen(app, blog, reader, table):
    assert_cached(app, reader, "/blog/you-are-not-failing")
    before = revision(app)
    column = WATCHED_COLUMNS[table]
    with app.app_context():
        db.session.execute(text(f"UPDATE {table} SET {column} = {column}"))
        db.session.commit()
    assert revision(app) > before
    assert len(statements_for(app, reader, "/blog/you-are-not-failing")) > 1


def test_a_hidden_comment_and_a_renamed_author_in_sql_show_at_once(app, blog, reader):
    path = "/blog/you-are-not-failing"
    assert "This helped me today." in assert_cached(app, reader, path)
    with app.app_context():
        db.session.execute(text("UPDATE post_comments SET status = 'spam'"))
        db.session.execute(text("UPDATE users SET name = 'Maya Berg'"))
        db.session.commit()
    page = text_of(reader.get(path))
    assert "This helped me today." not in page and "Maya Berg" in page


def test_inserts_and_deletes_count_too(app, blog, reader):
    path = "/blog/tag/guilt"
    assert "You are not failing" in assert_cached(app, reader, path)
    with app.app_context():
        db.session.execute(text("DELETE FROM post_tag_links"))
        db.session.commit()
    assert "You are not failing" not in assert_cached(app, reader, path)
    with app.app_context():
        db.session.execute(
            text("INSERT INTO post_tag_links (post_id, tag_id) SELECT id, :tag FROM posts"),
            {"tag": db.session.scalar(select(PostTag.id))},
        )
        db.session.commit()
    assert "You are not failing" in text_of(reader.get(path))


def test_a_scheduled_post_shows_when_its_time_comes_with_no_write(app, blog, reader, monkeypatch):
    publish_at = datetime.now(UTC) + timedelta(hours=1)
    with app.app_context():
        make_post(
            db.session.get(User, blog["coach"]),
            "Monday morning",
            status=PostStatus.SCHEDULED,
            publish_at=publish_at,
        )
    assert "Monday morning" not in assert_cached(app, reader, "/blog/")
    assert "Monday morning" not in assert_cached(app, reader, "/blog/feed.atom")
    assert reader.get("/blog/monday-morning").status_code == 404
    before = revision(app)

    later = publish_at + timedelta(minutes=1)
    for module in ("coachapp.blog.services", "coachapp.blog.page_cache"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    assert "Monday morning" in text_of(reader.get("/blog/"))
    assert "Monday morning" in text_of(reader.get("/blog/feed.atom"))
    assert reader.get("/blog/monday-morning").status_code == 200
    assert revision(app) == before
