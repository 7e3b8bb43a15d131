"""Readers' comments on the blog: posting, spam defences, safe display and the coach's queue."""

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.blog.comments import (
    blocked_word_found,
    count_links,
    initial_status,
    rate_limit_wait,
    render_comment_text,
    sender_hash,
)
from coachapp.blog.models import BlogProfile, Comment, CommentStatus, Post, PostStatus
from coachapp.extensions import db
from tests.conftest import TEST_SECRET_KEY, csrf_token_from
from tests.factories import PASSWORD, make_coach, make_post

READER = {
    "author_name": "Ana",
    "author_email": "ana@example.com",
    "body": "Thank you, this helped me on a hard evening.",
}
THANKS = "It will appear here once the author has read it."
OTHER_ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def post_slug(app, coach_id) -> str:
    """A published post by the signed-in coach."""
    with app.app_context():
        return make_post(db.session.get(User, coach_id), "You are not failing").slug


@pytest.fixture
def reader(app):
    """A second browser: a reader who is not signed in."""
    return app.test_client()


def send_comment(reader, slug: str, environ_base: dict | None = None, **fields):
    """Post the comment form as a reader would fill it in."""
    data = {**READER, "website": "", **fields}
    return reader.post(f"/blog/{slug}/comments", data=data, environ_base=environ_base or {})


def stored_comments(app) -> list[Comment]:
    with app.app_context():
        return db.session.scalars(select(Comment).order_by(Comment.id)).all()


def only_comment_id(app) -> int:
    (comment,) = stored_comments(app)
    return comment.id


def set_profile(app, coach_id: int, **settings) -> None:
    with app.app_context():
        db.session.add(BlogProfile(coach_id=coach_id, **settings))
        db.session.commit()


def comments_section(page: str) -> str:
    """The comments part of a post page, where readers' words are shown."""
    return page[page.index('id="comments"') :]


# Posting, and the way to the post page


def test_a_comment_waits_for_the_author_then_appears_once_published(app, client, reader, post_slug):
    response = send_comment(reader, post_slug)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/blog/{post_slug}#comments"
    after = text(reader.get(f"/blog/{post_slug}"))
    assert THANKS in after
    assert READER["body"] not in after

    queue = text(client.get("/comments/"))
    assert READER["body"] in queue
    assert "ana@example.com" in queue  # the e-mail is shown to the coach
    assert "You are not failing" in queue
    assert 'Pending <span class="count">(1)</span>' in queue

    comment_id = only_comment_id(app)
    approved = client.post(f"/comments/{comment_id}/approve")
    assert approved.status_code == 303
    assert "Ana&#39;s comment is approved" in text(client.get(approved.headers["Location"]))

    page = text(reader.get(f"/blog/{post_slug}"))
    section = comments_section(page)
    assert READER["body"] in section
    assert "1 comment" in section
    assert "ana@example.com" not in page  # never shown publicly
    assert "Nothing waiting for you" in text(client.get("/comments/"))
    assert READER["body"] in text(client.get("/comments/?status=approved"))


def test_the_comment_form_is_protected_against_forged_posts(app, reader, post_slug):
    app.config["WTF_CSRF_ENABLED"] = True
    refused = send_comment(reader, post_slug)
    assert refused.status_code == 400
    assert stored_comments(app) == []

    token = csrf_token_from(comments_section(text(reader.get(f"/blog/{post_slug}"))))
    accepted = send_comment(reader, post_slug, csrf_token=token)
    assert accepted.status_code == 303
    assert len(stored_comments(app)) == 1


def test_name_and_comment_are_required_and_what_was_typed_is_kept(app, reader, post_slug):
    response = send_comment(reader, post_slug, author_name="", body="Half a thought")
    assert response.status_code == 422
    page = text(response)
    assert "Please tell us your name." in page
    assert "Half a thought" in page
    assert "ana@example.com" in page  # kept in the form the reader sees again
    assert stored_comments(app) == []


def test_comments_on_posts_that_are_not_public_are_not_found(app, reader, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        hidden = [
            make_post(coach, "A draft", status=PostStatus.DRAFT, publish_at=None).slug,
            make_post(coach, "Taken down", status=PostStatus.UNPUBLISHED).slug,
            make_post(
                coach,
                "Next week",
                status=PostStatus.SCHEDULED,
                publish_at=datetime.now(UTC) + timedelta(days=7),
            ).slug,
        ]
    for slug in [*hidden, "no-such-post"]:
        assert send_comment(reader, slug).status_code == 404, slug
    assert stored_comments(app) == []


# Spam defences


def test_a_filled_in_trap_field_stores_nothing_but_thanks_as_usual(app, reader, post_slug):
    response = send_comment(reader, post_slug, website="https://cheap-pills.example")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/blog/{post_slug}#comments"
    assert THANKS in text(reader.get(f"/blog/{post_slug}"))
    assert stored_comments(app) == []


def test_the_trap_field_is_hidden_from_sight_and_keyboard_and_labelled(reader, post_slug):
    section = comments_section(text(reader.get(f"/blog/{post_slug}")))
    trap = re.search(r'<div class="comment-trap">(.*?)</div>\s*</div>', section, re.DOTALL)
    assert trap, "the form has the trap field"
    assert "Leave this field empty" in trap.group(1)
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", trap.group(1)).group()
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert "The author reads every comment before it appears here." in section


def test_a_sixth_comment_within_ten_minutes_gets_a_friendly_429(app, reader, post_slug):
    for number in range(5):
        assert send_comment(reader, post_slug, body=f"Comment {number}").status_code == 303
    response = send_comment(reader, post_slug, body="My sixth thought, kept for later")
    page = text(response)
    assert response.status_code == 429
    assert "Please wait a few minutes" in page
    assert "in about 10 minutes" in page
    assert "My sixth thought, kept for later" in page  # typed text is not lost
    assert 0 < int(response.headers["Retry-After"]) <= 600
    assert len(stored_comments(app)) == 5

    # Another address is not held back.
    assert send_comment(reader, post_slug, environ_base=OTHER_ADDRESS).status_code == 303


def test_the_sender_is_stored_as_a_keyed_hash_never_as_the_address(app, reader, post_slug):
    send_comment(reader, post_slug, environ_base=OTHER_ADDRESS)
    (comment,) = stored_comments(app)
    expected = hmac.new(TEST_SECRET_KEY.encode(), b"203.0.113.9", hashlib.sha256).hexdigest()
    assert comment.sender_hash == expected
    assert "203.0.113.9" not in comment.sender_hash
    assert sender_hash("203.0.113.9", "another key") != expected


def test_comments_older_than_the_window_no_longer_count(app, coach_id, post_slug):
    now = datetime.now(UTC)
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.slug == post_slug))
        db.session.add_all(
            Comment(
                post_id=post_id,
                author_name="Bot",
                body="x",
                sender_hash="h",
                created_at=now - timedelta(minutes=minutes),
            )
            for minutes in (11, 9, 8, 3, 2, 1)
        )
        db.session.commit()
        # Five within ten minutes: wait until the one from 9 minutes ago leaves the window.
        assert rate_limit_wait("h", now) == timedelta(minutes=1)
        assert rate_limit_wait("h", now + timedelta(minutes=1, seconds=1)) is None
        assert rate_limit_wait("someone else", now) is None


def test_three_links_are_refused_and_the_text_is_kept(app, reader, post_slug):
    body = "See https://a.example, https://b.example and http://c.example/page."
    response = send_comment(reader, post_slug, body=body)
    assert response.status_code == 422
    page = text(response)
    assert "at most 2 links" in page
    assert "See https://a.example, https://b.example and http://c.example/page." in page
    assert stored_comments(app) == []
    two_links = "See https://a.example and https://b.example."
    assert send_comment(reader, post_slug, body=two_links).status_code == 303


def test_a_blocked_word_sends_the_comment_to_spam_quietly(app, client, reader, coach_id, post_slug):
    set_profile(app, coach_id, blocked_words="casino\nquick loans\n")
    response = send_comment(reader, post_slug, body="Try our Quick  Loans today!")
    assert THANKS in text(reader.get(response.headers["Location"]))
    (comment,) = stored_comments(app)
    assert comment.status is CommentStatus.SPAM
    assert "Try our Quick  Loans today!" in text(client.get("/comments/?status=spam"))
    assert "Try our Quick" not in text(client.get("/comments/"))
    assert "Try our Quick" not in text(reader.get(f"/blog/{post_slug}"))


def test_blocked_words_match_whole_words_and_phrases_in_any_case():
    assert blocked_word_found("Visit my CASINO now", "casino")
    assert blocked_word_found("quick\nloans here", "Quick loans")
    assert not blocked_word_found("Occasionally I read this", "casino")
    assert not blocked_word_found("quickloans", "quick loans")
    assert not blocked_word_found("anything", "\n  \n")


def test_a_known_commenter_is_published_at_once_when_the_author_allows_it(
    app, reader, coach_id, post_slug
):
    set_profile(app, coach_id, approve_known_commenters=True)
    with app.app_context():
        other_post = make_post(db.session.get(User, coach_id), "Another evening")
        db.session.add(
            Comment(
                post_id=other_post.id,
                author_name="Ana",
                author_email="ana@example.com",
                body="An earlier word",
                status=CommentStatus.APPROVED,
            )
        )
        db.session.commit()
    response = send_comment(reader, post_slug, author_email="ANA@example.com")
    assert "It is now published" in text(reader.get(response.headers["Location"]))
    assert READER["body"] in comments_section(text(reader.get(f"/blog/{post_slug}")))

    strangers = send_comment(reader, post_slug, author_email="new@example.com", body="Hello")
    assert strangers.status_code == 303
    assert "Hello" not in comments_section(text(reader.get(f"/blog/{post_slug}")))


def test_a_known_commenter_waits_when_the_setting_is_off(app, reader, coach_id, post_slug):
    set_profile(app, coach_id, approve_known_commenters=False)
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == post_slug))
        db.session.add(
            Comment(
                post_id=post.id,
                author_name="Ana",
                author_email="ana@example.com",
                body="An earlier word",
                status=CommentStatus.APPROVED,
            )
        )
        db.session.commit()
    send_comment(reader, post_slug)
    assert READER["body"] not in text(reader.get(f"/blog/{post_slug}"))
    with app.app_context():
        assert (
            db.session.scalar(select(Comment.status).where(Comment.body == READER["body"]))
            is CommentStatus.PENDING
        )


def test_approval_on_another_authors_posts_does_not_make_a_commenter_known(app, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        other = make_coach("other@example.com", "Jonas Berg")
        db.session.add(BlogProfile(coach_id=coach.id, approve_known_commenters=True))
        theirs = make_post(other, "Their post")
        db.session.add(
            Comment(
                post_id=theirs.id,
                author_name="Ana",
                author_email="ana@example.com",
                body="Hi",
                status=CommentStatus.APPROVED,
            )
        )
        db.session.commit()
        mine = make_post(coach, "My post")
        status = initial_status(mine, "Ana", "ana@example.com", "Hello again")
        assert status is CommentStatus.PENDING


# Safe display


XSS_PAYLOADS = {
    "script": "<script>alert('x')</script>",
    "link": '<a href="javascript:alert(1)">click me</a>',
    "bare": "javascript:alert(document.cookie)",
    "onerror": '<img src=x onerror="alert(1)">',
    "svg": "<svg onload=alert(1)>",
    "html": "<b>bold</b> <iframe src=https://evil.example></iframe>",
    "data": "data:text/html;base64,PHNjcmlwdD4=",
}
NEVER_AS_MARKUP = ("<script", "<img", "<svg", "<iframe", "<b>", 'href="javascript:', 'href="data:')


def test_comments_with_html_or_scripts_are_stored_as_typed_and_shown_as_text(
    app, client, reader, post_slug
):
    body = "\n\n".join(XSS_PAYLOADS.values()) + "\n\nMore at https://example.com/a?b=1&c=2."
    send_comment(reader, post_slug, body=body)
    comment_id = only_comment_id(app)
    with app.app_context():
        assert db.session.get(Comment, comment_id).body == body
    client.post(f"/comments/{comment_id}/approve")

    public_page = text(reader.get(f"/blog/{post_slug}"))
    queue = text(client.get("/comments/?status=approved"))
    for page in (public_page, queue):
        section = page[page.index(f'id="comment-{comment_id}"') :]
        for markup in NEVER_AS_MARKUP:
            assert markup not in section, markup
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in section
        assert "&lt;svg onload=alert(1)&gt;" in section
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in section
        assert (
            '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
            "https://example.com/a?b=1&amp;c=2</a>." in section
        )


def test_comment_text_keeps_paragraphs_and_line_breaks_and_links_only_web_addresses():
    html = str(render_comment_text("Dear all,\nthank you.\n\n\nSee (https://x.example/a_(b)).\r\n"))
    assert html == (
        "<p>Dear all,<br>\nthank you.</p>\n"
        '<p>See (<a href="https://x.example/a_(b)" rel="nofollow ugc noopener">'
        "https://x.example/a_(b)</a>).</p>"
    )
    for text_only in ("javascript:alert(1)", "ftp://files.example", "https://.", "vbscript:x"):
        assert "<a " not in str(render_comment_text(text_only)), text_only
    assert str(render_comment_text('https://x.example/"onmouseover="alert(1)')).count('"') == 4
    assert count_links("https://a.example http://b.example javascript:c www.d.example") == 2


# The coach's moderation queue


def test_the_queue_shows_counts_and_an_empty_state_for_each_tab(app, client, reader, post_slug):
    assert "Nothing waiting for you" in text(client.get("/comments/"))
    assert "No approved comments yet" in text(client.get("/comments/?status=approved"))
    assert "No spam" in text(client.get("/comments/?status=spam"))
    assert "Nothing waiting for you" in text(client.get("/comments/?status=nonsense"))

    send_comment(reader, post_slug, body="First")
    send_comment(reader, post_slug, body="Second")
    first, second = (comment.id for comment in stored_comments(app))
    client.post(f"/comments/{second}/spam")
    queue = text(client.get("/comments/"))
    assert 'Pending <span class="count">(1)</span>' in queue
    assert 'Approved <span class="count">(0)</span>' in queue
    assert 'Spam <span class="count">(1)</span>' in queue
    assert f'id="comment-{first}"' in queue and f'id="comment-{second}"' not in queue


def test_marking_as_spam_takes_a_published_comment_off_the_post(app, client, reader, post_slug):
    send_comment(reader, post_slug)
    comment_id = only_comment_id(app)
    client.post(f"/comments/{comment_id}/approve")
    assert READER["body"] in text(reader.get(f"/blog/{post_slug}"))
    response = client.post(f"/comments/{comment_id}/spam")
    assert response.headers["Location"] == "/comments/?status=approved"
    assert "moved to spam" in text(client.get(response.headers["Location"]))
    assert READER["body"] not in text(reader.get(f"/blog/{post_slug}"))
    assert READER["body"] in text(client.get("/comments/?status=spam"))


def test_a_reply_as_the_author_appears_under_the_comment_it_answers(
    app, client, reader, coach_id, post_slug
):
    send_comment(reader, post_slug)
    send_comment(reader, post_slug, author_name="Ben", body="A later comment")
    ana_id = stored_comments(app)[0].id
    client.post(f"/comments/{ana_id + 1}/approve")

    response = client.post(f"/comments/{ana_id}/reply", data={"body": "Thank you, Ana <3"})
    assert response.status_code == 303
    assert "Your reply to Ana is published" in text(client.get(response.headers["Location"]))
    with app.app_context():
        reply = db.session.scalar(select(Comment).where(Comment.parent_id == ana_id))
        assert reply.user_id == coach_id
        assert reply.author_name == "Maya Lindqvist"
        assert reply.status is CommentStatus.APPROVED

    section = comments_section(text(reader.get(f"/blog/{post_slug}")))
    assert "3 comments" in section
    # Replying published Ana's waiting comment; the reply sits under it, before Ben's.
    ana = section.index(READER["body"])
    answer = section.index("Thank you, Ana &lt;3")
    assert ana < answer < section.index("A later comment")
    replies = section[section.index('class="comment-replies"') :]
    assert replies.index("Author's reply") < replies.index("Thank you, Ana &lt;3")


def test_an_empty_reply_is_refused_and_a_too_long_one_is_kept(app, client, reader, post_slug):
    send_comment(reader, post_slug)
    comment_id = only_comment_id(app)
    empty = client.post(f"/comments/{comment_id}/reply", data={"body": "  "})
    assert empty.status_code == 422
    assert "Please write your reply." in text(empty)
    too_long = client.post(f"/comments/{comment_id}/reply", data={"body": "Long " * 1001})
    assert too_long.status_code == 422
    assert "Long Long Long" in text(too_long)
    assert len(stored_comments(app)) == 1


def test_deleting_removes_the_comment_and_its_reply_for_good(app, client, reader, post_slug):
    send_comment(reader, post_slug)
    comment_id = only_comment_id(app)
    client.post(f"/comments/{comment_id}/reply", data={"body": "Thank you, Ana"})
    queue = text(client.get("/comments/?status=approved"))
    assert "Deleting is permanent" in queue and "Delete for good" in queue

    response = client.post(f"/comments/{comment_id}/delete")
    assert response.status_code == 303
    assert "deleted for good" in text(client.get(response.headers["Location"]))
    assert stored_comments(app) == []
    page = text(reader.get(f"/blog/{post_slug}"))
    assert READER["body"] not in page and "Thank you, Ana" not in page


def test_another_coach_can_neither_see_nor_touch_my_comments(
    app, client, browser, reader, post_slug
):
    send_comment(reader, post_slug)
    comment_id = only_comment_id(app)
    with app.app_context():
        make_coach("other@example.com", "Jonas Berg")
    browser.logout()
    browser.login("other@example.com", PASSWORD)

    assert READER["body"] not in text(client.get("/comments/"))
    assert "Nothing waiting for you" in text(client.get("/comments/"))
    for action in ("approve", "spam", "delete", "reply"):
        response = client.post(f"/comments/{comment_id}/{action}", data={"body": "Mine now"})
        assert response.status_code == 404, action
    (comment,) = stored_comments(app)
    assert comment.status is CommentStatus.PENDING


def test_action_addresses_accept_only_post(app, client, reader, post_slug):
    send_comment(reader, post_slug)
    comment_id = only_comment_id(app)
    for action in ("approve", "spam", "delete", "reply"):
        assert client.get(f"/comments/{comment_id}/{action}").status_code == 405, action
    assert reader.get(f"/blog/{post_slug}/comments").status_code == 405
    assert stored_comments(app)[0].status is CommentStatus.PENDING


def test_readers_cannot_open_the_queue(reader, post_slug):
    assert reader.get("/comments/").headers["Location"].startswith("/login")


# The dashboard


def test_the_dashboard_shows_how_many_comments_await_moderation(app, client, reader, post_slug):
    assert "awaiting moderation" not in text(client.get("/dashboard"))
    send_comment(reader, post_slug, body="One")
    send_comment(reader, post_slug, body="Two")
    dashboard = text(client.get("/dashboard"))
    assert '<a href="/comments/">2 comments awaiting moderation</a>' in dashboard
    with app.app_context():
        pending = db.session.scalar(select(func.count(Comment.id)))
    assert pending == 2
