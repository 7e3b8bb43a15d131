"""The whole publishing journey on the demo practice, as a coach, a reader and a client live it."""

import re
import xml.etree.ElementTree as ET

from sqlalchemy import select

from coachapp.blog.models import Post
from coachapp.demo import (
    DEMO_CLIENT_EMAIL,
    DEMO_CLIENT_PASSWORD,
    DEMO_COACH_EMAIL,
    DEMO_COACH_PASSWORD,
)
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from tests.conftest import csrf_token_from


def text(response) -> str:
    return response.get_data(as_text=True)


def submit(client, path: str, data: dict, page: str):
    """Post a form from the page it is on, with that page's CSRF token when it has one."""
    html = text(client.get(page))
    token = {"csrf_token": csrf_token_from(html)} if 'name="csrf_token"' in html else {}
    return client.post(path, data={**token, **data})


def test_a_letter_goes_from_consent_to_the_blog_and_off_it_again(app, runner, client, browser):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        letter = db.session.scalars(
            select(Letter).where(Letter.status == LetterStatus.APPROVED).order_by(Letter.id)
        ).first()
        letter_id, child = letter.id, letter.client.children[0].first_name
        assert letter.client.first_adult.email == DEMO_CLIENT_EMAIL

    # The coach sends the approved letter, so it reaches the client's portal.
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    letter_page = f"/letters/{letter_id}"
    sent = submit(client, f"/letters/{letter_id}/send", {"personal_message": ""}, letter_page)
    assert sent.status_code == 302
    browser.logout()

    # The client reads it in her portal and agrees to it being shared.
    browser.login(DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD)
    portal_page = f"/portal/letters/{letter_id}"
    assert "Sharing this letter with other parents" in text(client.get(portal_page))
    agreed = submit(client, f"{portal_page}/consent", {"agree": "y"}, portal_page)
    assert agreed.status_code == 302
    browser.logout()

    # The coach makes a post of it; the anonymiser has taken the child's name out.
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    assert "Consent given" in text(client.get(letter_page))
    words = {
        "client_name_replacement": "my dear friend",
        "child_name_replacement": "your little one",
        "contact_replacement": "[removed]",
        "other_term_replacement": "[removed]",
        "identifying_words": "",
    }
    made = submit(
        client, f"/posts/from-letter/{letter_id}", words, f"/posts/from-letter/{letter_id}"
    )
    post_id = int(re.search(r"/posts/(\d+)/edit", made.location).group(1))
    editor = f"/posts/{post_id}/edit"
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert child not in post.body and "your little one" in post.body
        body = post.body

    # The coach adds a line, leaving the child's name in; the checker refuses to publish.
    fields = {
        "title": "Small steps after a big decision",
        "slug": "",
        "excerpt": "Shared with permission.",
        "category_id": "0",
        "series_id": "0",
        "tags": "",
        "cover_image_alt": "",
    }
    submit(
        client, editor, {**fields, "body": body + f"\n\nGive {child}'s teddy a squeeze."}, editor
    )
    refused = submit(client, f"/posts/{post_id}/publish", {"when": "now"}, editor)
    assert refused.status_code == 409
    assert f"<mark>{child}</mark>&#39;s teddy" in text(refused)

    # Fixed, it publishes.
    submit(client, editor, {**fields, "body": body + "\n\nGive the teddy a squeeze."}, editor)
    published = submit(client, f"/posts/{post_id}/publish", {"when": "now"}, editor)
    assert published.status_code == 302
    browser.logout()

    # A reader finds it on the blog, with the author's bio and a link to the previous post.
    post_page = text(client.get("/blog/small-steps-after-a-big-decision"))
    assert "Small steps after a big decision" in post_page and child not in post_page
    assert "I am a parent coach and a mother of two" in post_page
    assert "Older post" in post_page or "Previous" in post_page
    feed = ET.fromstring(client.get("/blog/feed.atom").data)
    titles = [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in feed]
    assert "Small steps after a big decision" in titles

    # The reader comments; it waits for the coach, who approves it; then everyone sees it.
    page = "/blog/small-steps-after-a-big-decision"
    comment = {
        "author_name": "Rosa",
        "author_email": "",
        "body": "This helped me today.",
        "website": "",
    }
    assert submit(client, f"{page}/comments", comment, page).status_code == 303
    assert "This helped me today." not in text(client.get(page))
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    queue = text(client.get("/comments/"))
    comment_id = re.search(r"/comments/(\d+)/approve", queue).group(1)
    assert submit(client, f"/comments/{comment_id}/approve", {}, "/comments/").status_code in (
        302,
        303,
    )
    browser.logout()
    assert "This helped me today." in text(client.get(page))

    # The client changes her mind in the portal: the post is gone at once.
    browser.login(DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD)
    withdrawn = submit(client, f"{portal_page}/consent/withdraw", {"note": ""}, portal_page)
    assert withdrawn.status_code == 302
    browser.logout()
    assert client.get(page).status_code == 404
    assert b"Small steps after a big decision" not in client.get("/blog/feed.atom").data
    assert b"small-steps-after-a-big-decision" not in client.get("/sitemap.xml").data
