"""The headers every response carries, the letter preview's own policy, trusted hosts, and
the calm 500 page in production."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from coachapp.auth.models import User
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.letters.rendering import letter_html
from tests.conftest import Browser, csrf_token_from, make_test_app
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_post,
)

STRICT_POLICY = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy_of(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    header = response.headers["Content-Security-Policy"]
    directives = [part.strip().split(" ", 1) for part in header.split(";")]
    return {name: sources for name, sources in directives}


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def coach_pages(app, coach_id) -> list[str]:
    """The main pages of a coach with a client, a session, a letter and a blog post."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia = make_client(coach)
        session = make_coaching_session(sofia, action_items=["Visit the nursery"])
        letter = make_letter(sofia)
        post = make_post(coach)
        ids = {"client": sofia.id, "session": session.id, "letter": letter.id, "post": post.id}
        slug = post.slug
    return [
        "/dashboard",
        "/clients/",
        "/clients/new",
        f"/clients/{ids['client']}",
        f"/clients/{ids['client']}/edit",
        "/sessions/new",
        f"/sessions/{ids['session']}",
        f"/sessions/{ids['session']}/edit",
        "/sessions/note-templates",
        "/sessions/topics",
        "/search?q=nursery",
        "/letters/",
        f"/letters/new?client_id={ids['client']}",
        f"/letters/{ids['letter']}",
        f"/letters/{ids['letter']}/edit",
        f"/letters/{ids['letter']}/revisions",
        f"/letters/{ids['letter']}/delete",
        "/letters/templates",
        "/letters/templates/new",
        "/letters/letterhead",
        "/outbox/",
        "/posts/",
        "/posts/new",
        f"/posts/{ids['post']}/edit",
        "/posts/profile",
        "/comments/",
        "/account",
        "/account/edit",
        "/account/password",
        "/audit/",
        "/kept-work/",
        "/blog/",
        f"/blog/{slug}",
    ]


class InlineCodeFinder(HTMLParser):
    """Collects everything a strict policy would refuse: inline scripts and styles."""

    def __init__(self):
        super().__init__()
        self.refused: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.refused.append("an inline <script>")
        if tag == "style":
            self.refused.append("a <style> element")
        if "style" in names:
            self.refused.append(f"a style attribute on <{tag}>")
        self.refused += [f"{name}= on <{tag}>" for name in names if name.startswith("on")]


def test_a_coachs_pages_carry_the_strict_policy_and_are_never_cached(client, coach_pages):
    for path in coach_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy_of(response) == STRICT_POLICY, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        # Pages with secrets in them choose the stricter no-referrer themselves.
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "Strict-Transport-Security" not in response.headers, path  # plain HTTP


def test_no_page_of_a_coach_has_inline_scripts_styles_or_handlers(client, coach_pages):
    for path in coach_pages:
        finder = InlineCodeFinder()
        finder.feed(text(client.get(path)))
        assert finder.refused == [], path


def test_the_public_blog_has_the_policy_and_keeps_its_own_caching(app, client):
    with app.app_context():
        post = make_post(make_coach())
        slug, post_id = post.slug, post.id
        cover = Path(app.instance_path) / "uploads" / "covers" / "lamp.png"
        cover.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (156, 79, 54)).save(cover, "PNG")
        post.cover_image_path = "covers/lamp.png"
        db.session.commit()
    for path in ("/", "/blog/", f"/blog/{slug}"):
        response = client.get(path)
        assert response.status_code == 200
        assert policy_of(response) == STRICT_POLICY
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
    static = client.get("/static/css/coachapp.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    # A signed-in coach's page shows their name, so it is not cached; the image still is.
    Browser(client).login("coach@example.com", PASSWORD)
    assert client.get(f"/blog/{slug}").headers["Cache-Control"] == "no-store"
    assert "max-age=3600" in client.get(f"/blog/posts/{post_id}/cover").headers["Cache-Control"]
    assert "no-store" not in client.get("/static/css/coachapp.css").headers.get("Cache-Control", "")


def test_the_letter_preview_may_be_framed_here_and_allows_only_its_own_style(app, client, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        letter_id = make_letter(make_client(coach)).id
    editor = text(client.get(f"/letters/{letter_id}/edit"))
    assert 'name="letter-preview-frame"' in editor
    assert 'src="/static/js/letter-editor.js"' in editor
    nonces = []
    for response in (
        client.get(f"/letters/{letter_id}/preview"),
        client.post(
            f"/letters/{letter_id}/preview",
            data={"subject": "Typed", "body": "Typed just now.", "version": "1"},
        ),
    ):
        assert response.status_code == 200
        policy = policy_of(response)
        nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{20,})'", policy.pop("style-src"))[1]
        assert policy == {**STRICT_POLICY, "frame-ancestors": "'self'"}
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Cache-Control"] == "no-store"
        assert f'<style nonce="{nonce}">' in text(response)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a new nonce for every response
    # The same document as the PDF renders it carries no nonce, so its PDF cache holds.
    with app.test_request_context():
        html = letter_html(db.session.get(Letter, letter_id))
        assert "<style>" in html and "nonce" not in html


def test_hsts_is_sent_only_over_https(client, coach_id):
    assert "Strict-Transport-Security" not in client.get("/dashboard").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_stricter_no_referrer_of_the_password_pages_is_kept(client):
    response = client.get("/reset-password/not-a-real-token")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_letters_pdfs_and_portal_files_are_never_cached(app, client, browser):
    with app.app_context():
        coach = make_coach()
        sofia = make_client(coach)
        make_client_login(sofia)
        session_id = make_coaching_session(sofia, days_ago=3).id
        moment = datetime.now(UTC) - timedelta(days=2)
        sent = make_letter(
            sofia,
            status=LetterStatus.SENT,
            approved_at=moment,
            sent_at=moment,
            sent_to=sofia.first_adult.email,
        ).id
    browser.login("coach@example.com", PASSWORD)
    coach_pdf = client.get(f"/letters/{sent}/pdf")
    assert coach_pdf.mimetype == "application/pdf"
    assert coach_pdf.headers["Cache-Control"] == "no-store"
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    for path in (
        f"/portal/letters/{sent}.pdf",
        f"/portal/sessions/{session_id}.pdf",
        "/portal/download",
        "/portal/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("source", ["environment", "instance config"])
def test_only_trusted_host_names_are_answered(database_url, tmp_path, monkeypatch, source):
    instance = tmp_path / "instance"
    instance.mkdir()
    if source == "environment":
        monkeypatch.setenv("FLASK_TRUSTED_HOSTS", '["coach.example"]')
    else:
        (instance / "config.py").write_text("TRUSTED_HOSTS = ['coach.example']\n")
    app = make_test_app(instance, database_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login", base_url="http://coach.example")
    assert page.status_code == 200
    for method in ("GET", "POST"):
        refused = client.open("/login", method=method, base_url="http://evil.example")
        assert refused.status_code == 400
        assert "does not answer at this address" in text(refused)
    forged = client.post(
        "/login",
        data={"csrf_token": csrf_token_from(text(page)), "email": "a@b.c", "password": "x"},
        base_url="http://coach.example",
        headers={"Host": "evil.example"},
    )
    assert forged.status_code == 400
    with app.app_context():
        db.engine.dispose()


def test_a_crash_in_production_shows_the_calm_page_never_a_traceback(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, PRODUCTION=True, DEBUG=True)

    @app.get("/crash-for-test")
    def crash():
        raise RuntimeError("internal detail: the database password is hunter2")

    app.view_functions["crash"].is_public = True
    response = app.test_client().get("/crash-for-test")
    page = text(response)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "hunter2" not in page and "Traceback" not in page and "RuntimeError" not in page
    assert policy_of(response) == STRICT_POLICY
    with app.app_context():
        db.engine.dispose()
