"""Attacks on a real coachapp server: a replayed session cookie, forged forms (no CSRF
token), changes by GET, SQL injection in every search and sign-in field.
"""

from urllib.parse import quote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.blog.models import Comment
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.letters.models import Letter
from tests.factories import (
    PASSWORD,
    make_client,
    make_coach,
    make_coaching_session,
    make_letter,
    make_post,
)
from tests.live_server import LiveClient, LiveServer, app_on

FORM_REFUSED = "This form could not be sent"


def signed_in(server: LiveServer) -> LiveClient:
    coach = LiveClient(server.url)
    assert coach.sign_in("coach@example.com", PASSWORD).location == "/dashboard"
    return coach


@pytest.fixture
def practice(database_url, tmp_path) -> dict:
    """Maya (coach@example.com) with her client Sofia, a session, a letter and a blog post;
    and another coach, Zelda, whose client must never show up on Maya's pages."""
    with app_on(database_url, tmp_path):
        maya = make_coach()
        sofia = make_client(maya, "Sofia")
        zelda = make_coach("zelda@example.com", "Zelda Quist")
        other = make_client(zelda, "Xanthe", last_name="Quorn", email="xanthe@example.com")
        make_coaching_session(other, private_notes="ZELDA-PRIVATE-NOTE about Xanthe.")
        return {
            "session_id": make_coaching_session(sofia, private_notes="Kept as it was.").id,
            "letter_id": make_letter(sofia).id,
            "slug": make_post(maya).slug,
        }


@pytest.fixture
def server(practice, database_url, tmp_path):
    with LiveServer(tmp_path / "server", database_url) as running:
        yield running


# A session cookie replayed after signing out


def test_a_session_cookie_copied_before_signing_out_is_refused_afterwards(server, practice):
    coach = signed_in(server)
    stolen = coach.cookie("coachapp_session")
    assert stolen and coach.get("/dashboard").status == 200
    assert coach.sign_out().location == "/login"

    thief = LiveClient(server.url)
    thief.set_cookie("coachapp_session", stolen)
    for path in ("/dashboard", f"/sessions/{practice['session_id']}"):
        reply = thief.get(path)
        assert reply.status in (302, 401), f"{path} answered {reply.status}"
        if reply.status == 302:
            assert reply.location.startswith("/login")
        assert "Kept as it was." not in reply.text


# Forms sent without their CSRF token


def test_forms_without_their_csrf_token_are_refused_and_change_nothing(
    server, practice, database_url, tmp_path
):
    reader = LiveClient(server.url)
    reply = reader.post("/login", {"email": "coach@example.com", "password": PASSWORD})
    assert reply.status == 400 and FORM_REFUSED in reply.text
    assert reader.get("/dashboard").location.startswith("/login")  # not signed in

    coach = signed_in(server)
    session_path = f"/sessions/{practice['session_id']}/edit"
    letter_id = practice["letter_id"]
    forged = {
        "/logout": {},
        session_path: dict(coach.form(session_path, "session-form"), private_notes="Forged"),
        f"/letters/{letter_id}/autosave": dict(
            coach.form(f"/letters/{letter_id}/edit", "letter-form"), body="Forged"
        ),
    }
    for path, fields in forged.items():
        fields.pop("csrf_token", None)
        reply = coach.post(path, fields)
        assert reply.status == 400, f"{path} answered {reply.status}"
        assert FORM_REFUSED in reply.text and "Go back" in reply.text
    reply = coach.post(f"/letters/{letter_id}/autosave", {"body": "Forged", "version": "1"},
                       Accept="application/json")  # fmt: skip
    assert reply.status == 400 and reply.json()["message"].startswith("Not saved: this page")
    assert coach.get("/dashboard").status == 200  # still signed in

    comment = {"author_name": "A reader", "author_email": "", "body": "Forged", "website": ""}
    reply = reader.post(f"/blog/{practice['slug']}/comments", comment)
    assert reply.status == 400 and FORM_REFUSED in reply.text

    with app_on(database_url, tmp_path):
        assert db.session.get(CoachingSession, practice["session_id"]).private_notes == (
            "Kept as it was."
        )
        assert db.session.get(Letter, letter_id).body != "Forged"
        assert db.session.scalar(select(func.count(Comment.id))) == 0


# Changes by GET


def test_no_action_that_changes_something_can_be_done_by_get(app, client, coach_id):
    post_only = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and "GET" not in rule.methods
    ]
    assert len(post_only) > 10
    for rule in post_only:
        _domain, path = rule.build(dict.fromkeys(rule.arguments, 1))
        reply = client.get(path)
        assert reply.status_code == 405, f"GET {path} answered {reply.status_code}"
        assert "That action is not available here" in reply.get_data(as_text=True)


# SQL injection

INJECTIONS = (
    "' OR 1=1 --",
    '"; DROP TABLE clients; --',
    "%' UNION SELECT password_hash FROM users --",
)


def test_sql_injection_in_every_search_and_sign_in_field_is_only_text(
    server, practice, database_url, tmp_path
):
    coach = signed_in(server)
    reader = LiveClient(server.url)
    token = reader.csrf_token("/login")  # one token serves the reader's whole visit
    for attack in INJECTIONS:
        for path in ("/search", "/clients/"):
            reply = coach.get(f"{path}?q={quote(attack, safe='')}")
            assert reply.status == 200, f"{path} answered {reply.status} for {attack}"
            assert str(escape(attack)) in reply.text  # shown back as the words typed
            for secret in ("Xanthe", "ZELDA-PRIVATE-NOTE", "scrypt:", "pbkdf2:"):
                assert secret not in reply.text
            assert "Sofia" not in reply.text  # no name contains the attack, so none is listed

        for fields in (
            {"email": attack, "password": PASSWORD},
            {"email": "coach@example.com", "password": attack},
        ):
            reply = reader.post("/login", dict(fields, csrf_token=token))
            assert reply.status == 400 and "do not match an account" in reply.text
        assert reader.get("/dashboard").location.startswith("/login")

        reply = reader.post("/forgot-password", {"email": attack, "csrf_token": token})
        assert reply.status in (302, 400), f"forgot-password answered {reply.status}"

        comment = {"author_name": attack, "body": "Thank you.", "website": "", "csrf_token": token}
        reply = reader.post(f"/blog/{practice['slug']}/comments", comment)
        assert reply.status == 303, f"the comment answered {reply.status}"

    with app_on(database_url, tmp_path):
        names = db.session.scalars(select(Comment.author_name).order_by(Comment.id)).all()
        assert tuple(names) == INJECTIONS  # stored as the names typed
        assert db.session.scalar(select(func.count(User.id))) == 2
        assert db.session.scalar(select(func.count(Client.id))) == 2
        assert db.session.scalar(select(func.count(CoachingSession.id))) == 2
    assert "Traceback" not in server.log_text()
