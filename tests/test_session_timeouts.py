"""Idle and absolute session timeouts, and the work kept when a session times out."""

import time

import pytest
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import KeptWork, User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from tests.conftest import Browser, csrf_token_from, make_test_app
from tests.factories import (
    PASSWORD,
    form_fields,
    make_client,
    make_coach,
    make_letter,
    session_form,
)

IDLE_MESSAGE = "You were signed out after 30 minutes without activity."
KEPT_MESSAGE = "What you were typing is kept: sign in to save it."
TYPED_NOTES = "## Goal\nWrote this for forty minutes: the nursery, the guilt, the new job."


def text(response) -> str:
    return response.get_data(as_text=True)


def age_session(client, *, idle_minutes: float = 0, signed_in_hours: float = 0) -> None:
    """Move the session's clock back, as if time had passed since the last request."""
    now = int(time.time())
    with client.session_transaction() as session:
        session["seen_at"] = now - int(idle_minutes * 60)
        session["signed_in_at"] = now - int(signed_in_hours * 3600)


def expired_events(app) -> list[AuditEvent]:
    with app.app_context():
        action = AuditAction.SESSION_EXPIRED.value
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def kept_work(app) -> list[KeptWork]:
    with app.app_context():
        return db.session.scalars(select(KeptWork).order_by(KeptWork.id)).all()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """An app checking CSRF tokens as in production, with Sofia as the coach's client."""
    app = make_test_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        coach = make_coach()
        make_coach("other@example.com", "Jonas Berg")
        make_client(coach)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_an_idle_session_is_signed_out_with_a_clear_message(app, client, coach_id):
    age_session(client, idle_minutes=31)
    response = client.get("/clients/?q=sofia")
    assert response.headers["Location"] == "/login?next=%2Fclients%2F%3Fq%3Dsofia"
    assert IDLE_MESSAGE in text(client.get(response.headers["Location"]))
    assert client.get("/dashboard").headers["Location"].startswith("/login")  # still out
    (event,) = expired_events(app)
    assert event.actor_id == coach_id and event.detail == "idle timeout"


def test_a_session_ends_after_the_longest_allowed_time_even_when_busy(app, client, coach_id):
    age_session(client, idle_minutes=1, signed_in_hours=12)
    response = client.get("/dashboard", follow_redirects=True)
    assert "signed in for 12 hours" in text(response)
    assert "Sign in" in text(response)
    (event,) = expired_events(app)
    assert event.detail == "maximum session length"


def test_activity_keeps_the_session_and_the_cookie_is_not_rewritten_each_time(client, coach_id):
    client.get("/dashboard")  # the first page after sign-in adds its form token
    assert "Set-Cookie" not in client.get("/dashboard").headers  # seen a moment ago
    for _ in range(3):  # an hour and a half in all, never 30 minutes apart
        age_session(client, idle_minutes=29, signed_in_hours=1)
        response = client.get("/dashboard")
        assert response.status_code == 200
        assert "Set-Cookie" in response.headers
        with client.session_transaction() as session:
            assert time.time() - session["seen_at"] < 5


def test_shorter_timeouts_can_be_set(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
    with app.app_context():
        make_coach()
    client = app.test_client()
    Browser(client).login("coach@example.com", PASSWORD)
    age_session(client, idle_minutes=4)
    assert client.get("/dashboard").status_code == 200
    age_session(client, idle_minutes=6)
    page = text(client.get("/dashboard", follow_redirects=True))
    assert "You were signed out after 5 minutes without activity." in page
    with app.app_context():
        db.engine.dispose()


def test_a_session_note_typed_while_timed_out_is_kept_and_saved_after_sign_in(csrf_app):
    client = csrf_app.test_client()
    browser = Browser(client)
    browser.login("coach@example.com", PASSWORD)
    form_page = text(client.get("/sessions/new"))
    with csrf_app.app_context():
        client_id = db.session.scalars(select(Client.id)).one()
    typed = session_form(
        client_id, private_notes=TYPED_NOTES, csrf_token=csrf_token_from(form_page)
    )
    age_session(client, idle_minutes=45, signed_in_hours=1)

    response = client.post("/sessions/new", data=typed)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert f"{IDLE_MESSAGE} {KEPT_MESSAGE}" in text(client.get("/login"))
    (kept,) = kept_work(csrf_app)
    assert kept.path == "/sessions/new"
    assert ["private_notes", typed["private_notes"]] in kept.fields
    assert not any(name == "csrf_token" for name, _ in kept.fields)

    signed_in = browser.login("coach@example.com", PASSWORD)
    assert signed_in.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").headers["Location"] == "/kept-work/"
    assert client.get("/dashboard").status_code == 200  # only once
    page = text(client.get("/kept-work/"))
    assert "A new session" in page and "the nursery, the guilt, the new job" in page
    fields = form_fields(page, "kept-work-form")
    assert fields["csrf_token"] != typed["csrf_token"]  # a fresh token for the new session

    saved = client.post("/sessions/new", data=fields)
    assert saved.status_code == 302
    with csrf_app.app_context():
        notes = db.session.scalars(select(CoachingSession.private_notes)).one()
    assert notes.replace("\r\n", "\n") == TYPED_NOTES
    assert kept_work(csrf_app) == []
    assert "Nothing is waiting to be saved." in text(client.get("/kept-work/"))


def test_kept_work_can_be_discarded_and_is_never_shown_to_anyone_else(csrf_app):
    client = csrf_app.test_client()
    browser = Browser(client)
    browser.login("coach@example.com", PASSWORD)
    token = csrf_token_from(text(client.get("/account/edit")))
    bio = "I coach parents returning to work.\nSecond line of a long bio."
    age_session(client, idle_minutes=31)
    data = {"name": "Maya L.", "timezone": "Europe/London", "bio": bio, "csrf_token": token}
    client.post("/account/edit", data=data)
    (kept,) = kept_work(csrf_app)

    other = csrf_app.test_client()
    Browser(other).login("other@example.com", PASSWORD)
    assert other.get("/dashboard").status_code == 200  # no kept work of their own
    assert other.get(f"/kept-work/{kept.id}").status_code == 404
    token = csrf_token_from(text(other.get("/kept-work/")))
    assert "Second line of a long bio" not in text(other.get("/kept-work/"))
    discard = other.post(f"/kept-work/{kept.id}/discard", data={"csrf_token": token})
    assert discard.status_code == 404
    assert len(kept_work(csrf_app)) == 1

    browser.login("coach@example.com", PASSWORD)
    page = text(client.get(f"/kept-work/{kept.id}"))
    assert "Changes to your details" in page and "Second line of a long bio" in page
    discarded = client.post(
        f"/kept-work/{kept.id}/discard", data={"csrf_token": csrf_token_from(page)}
    )
    assert discarded.headers["Location"] == "/dashboard"
    assert kept_work(csrf_app) == []


def test_passwords_are_never_kept(csrf_app):
    client = csrf_app.test_client()
    Browser(client).login("coach@example.com", PASSWORD)
    token = csrf_token_from(text(client.get("/account/password")))
    age_session(client, idle_minutes=31)
    data = {"current_password": PASSWORD, "password": "a-brand-new-password", "csrf_token": token}
    response = client.post("/account/password", data=data)
    assert response.headers["Location"] == "/login"
    assert kept_work(csrf_app) == []


def test_autosave_after_a_timeout_gets_json_and_the_letter_is_kept(app, client, coach_id):
    with app.app_context():
        letter_id = make_letter(make_client(db.session.get(User, coach_id))).id
    age_session(client, idle_minutes=31)
    typed = {"subject": "After our session", "body": "Typed after lunch.", "version": "1"}
    response = client.post(
        f"/letters/{letter_id}/autosave", data=typed, headers={"Accept": "application/json"}
    )
    assert response.status_code == 401
    assert response.json == {
        "ok": False,
        "signed_out": True,
        "message": f"{IDLE_MESSAGE} {KEPT_MESSAGE}",
    }
    (kept,) = kept_work(app)
    assert kept.path == f"/letters/{letter_id}/edit"  # saved through the editor's own form
    assert ["body", "Typed after lunch."] in kept.fields


def test_the_preview_frame_explains_a_timeout_instead_of_a_refused_sign_in_page(
    app, client, coach_id
):
    with app.app_context():
        letter_id = make_letter(make_client(db.session.get(User, coach_id))).id
    age_session(client, idle_minutes=31)
    response = client.post(
        f"/letters/{letter_id}/preview",
        data={"subject": "S", "body": "Typed.", "version": "1"},
        headers={"Sec-Fetch-Dest": "iframe"},
    )
    assert response.status_code == 401
    assert IDLE_MESSAGE in text(response)
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
