"""Signing in and out, and who may open which page."""

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from coachapp import create_app
from coachapp.auth.models import User
from coachapp.auth.services import (
    AccountError,
    authenticate,
    hash_password,
    safe_next_path,
    set_password,
)
from coachapp.extensions import db
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

WRONG = "That e-mail address and password do not match an account."


@pytest.fixture
def coach_email(app):
    with app.app_context():
        return make_coach().email


def test_coach_signs_in_and_lands_on_dashboard(client, browser, coach_email):
    response = browser.login(coach_email, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Good to see you, Maya" in page.get_data(as_text=True)


def test_email_is_matched_without_case_or_spaces(browser, coach_email):
    response = browser.login("  COACH@Example.com ", PASSWORD)
    assert response.headers["Location"] == "/dashboard"


def test_wrong_password_and_unknown_email_get_the_same_message(browser, coach_email):
    wrong_password = browser.login(coach_email, "not-the-password")
    unknown_email = browser.login("nobody@example.com", PASSWORD)
    assert wrong_password.status_code == unknown_email.status_code == 400
    for response in (wrong_password, unknown_email):
        assert WRONG in response.get_data(as_text=True)


def test_failed_sign_in_reshows_the_typed_email(browser, coach_email):
    page = browser.login("typo@example.com", "whatever-it-was").get_data(as_text=True)
    assert 'value="typo@example.com"' in page
    assert "whatever-it-was" not in page  # a password is never echoed back


def test_empty_form_names_each_missing_field(browser):
    page = browser.login("", "").get_data(as_text=True)
    assert "Enter your e-mail address." in page
    assert "Enter your password." in page


def test_signed_in_person_is_sent_on_to_the_page_they_asked_for(client, browser, coach_email):
    assert client.get("/dashboard").headers["Location"] == "/login?next=%2Fdashboard"
    response = browser.login(coach_email, PASSWORD, next_path="/dashboard?tab=today")
    assert response.headers["Location"] == "/dashboard?tab=today"


@pytest.mark.parametrize(
    "unsafe_next",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\n//evil.example",
        "dashboard",
    ],
)
def test_unsafe_next_lands_on_the_dashboard(browser, coach_email, unsafe_next):
    response = browser.login(coach_email, PASSWORD, next_path=unsafe_next)
    assert response.headers["Location"] == "/dashboard"


def test_safe_next_path_accepts_only_local_paths():
    assert safe_next_path("/clients/3?page=2") == "/clients/3?page=2"
    for unsafe in ("", None, "//x.org", "/\\x.org", "http://x.org", "/\tx", "javascript:x"):
        assert safe_next_path(unsafe) is None


def test_sign_out_ends_the_session(client, browser, coach_email):
    browser.login(coach_email, PASSWORD)
    response = browser.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard").status_code == 302


def test_sign_out_is_not_possible_by_following_a_link(client, browser, coach_email):
    browser.login(coach_email, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_inactive_account_cannot_sign_in(app, browser, coach_email):
    with app.app_context():
        db.session.execute(select(User)).scalar_one().active = False
        db.session.commit()
    assert WRONG in browser.login(coach_email, PASSWORD).get_data(as_text=True)


def test_changing_the_password_signs_out_every_other_browser(app, client, browser, coach_email):
    browser.login(coach_email, PASSWORD)
    with app.app_context():
        coach = db.session.execute(select(User)).scalar_one()
        set_password(coach, "a-brand-new-password")
        db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_short_passwords_are_refused(app):
    with app.app_context():
        coach = make_coach()
        with pytest.raises(AccountError, match="at least 12 characters"):
            set_password(coach, "short")


def test_passwords_are_stored_hashed(app, coach_email):
    with app.app_context():
        coach = db.session.execute(select(User)).scalar_one()
        assert PASSWORD not in coach.password_hash
        assert authenticate(coach_email, PASSWORD) == coach


def test_passwords_are_hashed_with_strong_scrypt_unless_configured_otherwise(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "INSTANCE_PATH": tmp_path})
    with app.app_context():
        assert hash_password(PASSWORD).startswith("scrypt:32768:8:1$")


def test_a_password_stored_with_weaker_parameters_is_strengthened_at_sign_in(
    app, browser, coach_email
):
    with app.app_context():
        coach = db.session.execute(select(User)).scalar_one()
        coach.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        db.session.commit()
    assert browser.login(coach_email, PASSWORD).status_code == 302
    with app.app_context():
        stored = db.session.execute(select(User)).scalar_one().password_hash
        assert stored.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    browser.logout()
    assert browser.login(coach_email, PASSWORD).status_code == 302


def test_every_private_page_sends_anonymous_visitors_to_sign_in(app, client):
    private_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not getattr(app.view_functions[rule.endpoint], "is_public", False)
    ]
    assert private_rules, "the app has private pages"
    with app.test_request_context():
        for rule in private_rules:
            values = {argument: 1 for argument in rule.arguments}
            path = url_for(rule.endpoint, **values)
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(path, method=method)
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login?next="), path


def test_public_pages_open_without_signing_in(client):
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_client_cannot_open_a_coach_page(app, client, browser):
    with app.app_context():
        coach = make_coach()
        make_client_login(make_client(coach, email="sofia@example.com"))
    assert browser.login("sofia@example.com", PASSWORD).headers["Location"] == "/portal/"
    assert client.get("/dashboard").status_code == 404


def test_a_coach_cannot_open_the_client_portal(client, browser, coach_email):
    browser.login(coach_email, PASSWORD)
    assert client.get("/portal/").status_code == 404


def test_session_cookie_is_httponly_lax_and_ends_with_the_browser(browser, coach_email):
    response = browser.login(coach_email, PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("coachapp_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP on a laptop
    assert "Expires" not in session_cookie  # no long-lived sign-in
    assert not any(c.startswith("remember_token=") for c in cookies)


def test_session_cookie_is_secure_over_https(client, coach_email):
    page = client.get("/login", base_url="https://coach.example")
    assert page.status_code == 200
    response = client.post(
        "/login",
        data={"email": coach_email, "password": PASSWORD},
        base_url="https://coach.example",
    )
    session_cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("coachapp_session=")
    )
    assert "Secure" in session_cookie


def test_forms_without_a_csrf_token_are_refused(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_coach()
    client = app.test_client()
    refused = client.post("/login", data={"email": "coach@example.com", "password": PASSWORD})
    assert refused.status_code == 400
    assert "This form could not be sent" in refused.get_data(as_text=True)
    from tests.conftest import Browser

    accepted = Browser(client).login("coach@example.com", PASSWORD)
    assert accepted.headers["Location"] == "/dashboard"
    with app.app_context():
        db.engine.dispose()
