"""Passwords that are hard to guess, sign-outs that really end sessions, changing one's own
password and e-mail address, and the audit rows every sign-in leaves."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import Role, TokenPurpose, User
from coachapp.auth.tokens import issue_token
from coachapp.clients.models import Adult
from coachapp.extensions import db
from tests.conftest import Browser, csrf_token_from, make_test_app
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

COMMON_PASSWORD = "password1234"
COMMON_REASON = "This is a very common password."
NEW_PASSWORD = "a-brand-new-long-password"
# 200 characters, all of them kept: only the last one differs between the two.
LONG_PASSWORD = ("tea by the window while the children sleep " * 5)[:199] + "A"
LONG_PASSWORD_TWIN = LONG_PASSWORD[:-1] + "B"
SESSION_COOKIE = "coachapp_session"


def text(response) -> str:
    return response.get_data(as_text=True)


def audit_rows(app, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action.value).order_by(AuditEvent.id)
            )
        )


def row_text(row: AuditEvent) -> str:
    """Every column of an audit row, as one string to search."""
    return " ".join(str(getattr(row, column.key)) for column in AuditEvent.__table__.columns)


@pytest.fixture
def coach(app):
    with app.app_context():
        coach = make_coach()
        return {"id": coach.id, "practice_id": coach.practice_id}


def second_browser(app) -> Browser:
    return Browser(app.test_client())


# Choosing a password


@pytest.mark.parametrize(
    ("purpose", "path"),
    [(TokenPurpose.RESET, "/reset-password"), (TokenPurpose.INVITE, "/invitation")],
)
def test_the_set_password_page_refuses_a_common_password_with_the_reason(
    app, client, browser, purpose, path
):
    with app.app_context():
        coach = make_coach()
        sofia = make_client_login(make_client(coach))
        token = issue_token(sofia, purpose, timedelta(hours=1))
        db.session.commit()
    link = f"{path}/{token}"

    refused = client.post(link, data={"password": COMMON_PASSWORD, "confirm": COMMON_PASSWORD})

    assert refused.status_code == 400
    assert COMMON_REASON in text(refused) and "Add a few more words" in text(refused)
    assert browser.login("sofia@example.com", COMMON_PASSWORD).status_code == 400
    accepted = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.headers["Location"] == "/portal/"


def test_a_password_made_of_the_persons_own_name_is_refused(app, client):
    with app.app_context():
        coach = make_coach(email="ruth@example.com", name="Ruth Adeyemi")
        token = issue_token(coach, TokenPurpose.RESET, timedelta(hours=1))
        db.session.commit()
    refused = client.post(
        f"/reset-password/{token}", data={"password": "ruthadeyemi12", "confirm": "ruthadeyemi12"}
    )
    assert refused.status_code == 400
    assert "Add a few more words" in text(refused)


def test_create_coach_refuses_a_common_password_with_the_reason(app, runner):
    result = runner.invoke(
        args=[
            "create-coach",
            "--email",
            "ruth@example.com",
            "--name",
            "Ruth Adeyemi",
            "--password",
            COMMON_PASSWORD,
        ]
    )
    assert result.exit_code != 0
    assert COMMON_REASON in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


def test_create_coach_asks_again_after_a_password_made_of_the_coachs_name(app, runner):
    result = runner.invoke(
        args=["create-coach", "--email", "ruth@example.com", "--name", "Ruth Adeyemi"],
        input=f"ruthadeyemi12\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Add a few more words" in result.output


def test_a_long_password_is_kept_whole(app, client, browser):
    with app.app_context():
        make_coach(password=LONG_PASSWORD)
    assert len(LONG_PASSWORD) == 200
    assert browser.login("coach@example.com", LONG_PASSWORD_TWIN).status_code == 400
    assert browser.login("coach@example.com", LONG_PASSWORD).headers["Location"] == "/dashboard"


# Signing in and out


def test_a_copy_of_the_cookie_stops_working_after_sign_out(app, client, browser, coach):
    browser.login("coach@example.com", PASSWORD)
    copied = client.get_cookie(SESSION_COOKIE).value
    assert browser.logout().headers["Location"] == "/login"

    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, copied)
    response = replay.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_nothing_in_the_session_survives_signing_in(client, browser, coach):
    with client.session_transaction() as before:
        before["planted"] = "set by someone else before sign-in"
    browser.login("coach@example.com", PASSWORD)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"]


def test_sign_in_failure_and_sign_out_are_in_the_audit_log(app, browser, coach):
    browser.login("Coach@Example.com", "wrong-password-typed-here")
    browser.login("nobody@example.com", "another-wrong-password")
    browser.login("coach@example.com", PASSWORD)
    browser.logout()

    [signed_in] = audit_rows(app, AuditAction.SIGN_IN)
    assert signed_in.actor_id == coach["id"] and signed_in.practice_id == coach["practice_id"]
    assert signed_in.client_id is None
    wrong_password, unknown = audit_rows(app, AuditAction.SIGN_IN_FAILED)
    assert wrong_password.actor_name == "Coach@Example.com"
    assert wrong_password.practice_id == coach["practice_id"]
    assert wrong_password.actor_id is None and wrong_password.detail == "wrong password"
    assert unknown.actor_name == "nobody@example.com" and unknown.practice_id is None
    assert unknown.detail == "no account with this address"
    assert "wrong-password-typed-here" not in row_text(wrong_password)
    assert "another-wrong-password" not in row_text(unknown)
    [signed_out] = audit_rows(app, AuditAction.SIGN_OUT)
    assert signed_out.actor_id == coach["id"]


def test_a_clients_sign_ins_are_filed_under_their_client_record(app, browser):
    with app.app_context():
        sofia = make_client(make_coach())
        make_client_login(sofia)
        sofia_id = sofia.id
    browser.login("sofia@example.com", "not-her-password")
    browser.login("sofia@example.com", PASSWORD)
    [failed] = audit_rows(app, AuditAction.SIGN_IN_FAILED)
    [signed_in] = audit_rows(app, AuditAction.SIGN_IN)
    assert failed.client_id == signed_in.client_id == sofia_id
    assert signed_in.actor_role == Role.CLIENT.value


# Changing the password


def test_changing_the_password_signs_other_browsers_out_but_keeps_this_one(
    app, client, browser, coach
):
    browser.login("coach@example.com", PASSWORD)
    other = second_browser(app)
    other.login("coach@example.com", PASSWORD)
    assert "Change your password" in text(client.get("/account"))

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.headers["Location"] == "/account"
    assert "Your password is changed" in text(client.get("/account"))
    assert client.get("/dashboard").status_code == 200
    assert other.client.get("/dashboard").status_code == 302
    assert other.login("coach@example.com", PASSWORD).status_code == 400
    assert other.login("coach@example.com", NEW_PASSWORD).status_code == 302
    [changed] = audit_rows(app, AuditAction.PASSWORD_CHANGED)
    assert changed.actor_id == coach["id"]
    assert NEW_PASSWORD not in row_text(changed) and PASSWORD not in row_text(changed)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {
                "current_password": "not-my-password",
                "password": NEW_PASSWORD,
                "confirm": NEW_PASSWORD,
            },
            "That is not your current password.",
        ),
        (
            {"current_password": PASSWORD, "password": COMMON_PASSWORD, "confirm": COMMON_PASSWORD},
            COMMON_REASON,
        ),
        (
            {
                "current_password": PASSWORD,
                "password": NEW_PASSWORD,
                "confirm": "a-brand-new-long-passw0rd",
            },
            "The two new passwords are not the same.",
        ),
        (
            {"current_password": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            "Enter your current password.",
        ),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app, client, browser, coach, form, message
):
    browser.login("coach@example.com", PASSWORD)
    response = client.post("/account/password", data=form)
    assert response.status_code == 400
    assert message in text(response)
    assert client.get("/dashboard").status_code == 200
    browser.logout()
    assert browser.login("coach@example.com", PASSWORD).status_code == 302
    assert audit_rows(app, AuditAction.PASSWORD_CHANGED) == []


def test_the_password_change_form_works_with_csrf_protection(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_coach()
    browser = Browser(app.test_client())
    browser.login("coach@example.com", PASSWORD)
    page = browser.client.get("/account/password")
    data = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert browser.client.post("/account/password", data=data).status_code == 400
    data["csrf_token"] = csrf_token_from(text(page))
    assert browser.client.post("/account/password", data=data).status_code == 302
    assert browser.client.get("/dashboard").status_code == 200
    with app.app_context():
        db.engine.dispose()


# Changing the e-mail address


def test_changing_the_email_needs_the_right_password(app, client, browser, coach):
    browser.login("coach@example.com", PASSWORD)
    other = second_browser(app)
    other.login("coach@example.com", PASSWORD)

    missing = client.post("/account/email", data={"email": "maya@newmail.example"})
    wrong = client.post(
        "/account/email",
        data={"email": "maya@newmail.example", "current_password": "not-my-password"},
    )
    for response in (missing, wrong):
        assert response.status_code == 400
        assert 'value="maya@newmail.example"' in text(response)  # what was typed is kept
    assert "Enter your current password." in text(missing)
    assert "That is not your current password." in text(wrong)
    assert other.client.get("/dashboard").status_code == 200

    right = client.post(
        "/account/email", data={"email": " Maya@NewMail.example ", "current_password": PASSWORD}
    )

    assert right.headers["Location"] == "/account"
    assert "maya@newmail.example" in text(client.get("/account"))
    assert other.client.get("/dashboard").status_code == 302
    assert other.login("coach@example.com", PASSWORD).status_code == 400
    assert other.login("maya@newmail.example", PASSWORD).status_code == 302
    [changed] = audit_rows(app, AuditAction.EMAIL_CHANGED)
    assert changed.actor_id == coach["id"] and "coach@example.com" in changed.detail


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("ruth@example.com", "That address belongs to another account."),
        ("coach@example.com", "That is already the address you sign in with."),
        ("maya-at-example", "That e-mail address is not valid"),
    ],
)
def test_an_address_that_is_taken_or_invalid_is_refused(
    app, client, browser, coach, email, message
):
    with app.app_context():
        make_coach(email="ruth@example.com", name="Ruth Adeyemi")
    browser.login("coach@example.com", PASSWORD)
    response = client.post("/account/email", data={"email": email, "current_password": PASSWORD})
    assert response.status_code == 400 and message in text(response)
    with app.app_context():
        assert db.session.get(User, coach["id"]).email == "coach@example.com"


def test_a_client_changes_their_sign_in_address(app, client, browser):
    with app.app_context():
        sofia = make_client(make_coach())
        make_client_login(sofia)
        sofia_id = sofia.id
    browser.login("sofia@example.com", PASSWORD)
    response = client.post(
        "/account/email", data={"email": "sofia.m@example.com", "current_password": PASSWORD}
    )
    assert response.headers["Location"] == "/account"
    assert client.get("/portal/").status_code == 200
    [changed] = audit_rows(app, AuditAction.EMAIL_CHANGED)
    assert changed.client_id == sofia_id
    with app.app_context():
        user = db.session.execute(
            select(User).join(Adult, Adult.user_id == User.id).where(Adult.client_id == sofia_id)
        ).scalar_one()
        assert user.email == "sofia.m@example.com"
