"""Two-step sign-in: setting it up with a real authenticator code, signing in with a code or
a recovery code, turning it off, and a practice owner requiring it for every coach."""

import hashlib
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy import text as sql

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import RecoveryCode, TokenPurpose, User
from coachapp.auth.tokens import issue_token
from coachapp.auth.two_factor_keys import decrypt_secret
from coachapp.extensions import db
from tests.conftest import Browser, make_test_app
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

SECRET_ON_PAGE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
RECOVERY_CODE = re.compile(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>")
WRONG_CODE = "That code is not right, or it has been used already."


def text(response) -> str:
    return response.get_data(as_text=True)


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now, or ``steps_ahead`` 30-second steps from now.

    Each code works once, so a test that needs a second code takes the next step's
    (still accepted: a phone's clock may run a little ahead).
    """
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def audit_rows(app, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action.value).order_by(AuditEvent.id)
            )
        )


def user_named(app, email: str) -> User:
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        db.session.expunge(user)
        return user


def stored_secret(app, email: str) -> str:
    """The user's two-step secret as coachapp reads it back (decrypted)."""
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        return decrypt_secret(user.totp_secret_encrypted)


def set_up_two_step(client) -> tuple[str, list[str]]:
    """Scan (read) the secret off the set-up page and confirm with the app's current code."""
    page = text(client.get("/account/two-step"))
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    response = client.post("/account/two-step", data={"code": code_for(secret)})
    assert response.status_code == 200, text(response)
    return secret, RECOVERY_CODE.findall(text(response))


def sign_in_with_password(browser: Browser, email: str = "coach@example.com", next_path=None):
    response = browser.login(email, PASSWORD, next_path=next_path)
    assert response.headers["Location"] == "/login/two-step"
    return response


@pytest.fixture
def secured(app, client, coach_id, browser) -> dict:
    """coach@example.com with two-step sign-in set up, signed out again."""
    secret, codes = set_up_two_step(client)
    browser.logout()
    return {"id": coach_id, "secret": secret, "codes": codes}


# Setting up


def test_a_coach_sets_up_two_step_sign_in_with_their_app(app, client, coach_id):
    page = client.get("/account/two-step")
    html = text(page)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<svg" in html and "data:" not in html and "style=" not in html
    secret = SECRET_ON_PAGE.search(html).group(1).replace(" ", "")
    assert stored_secret(app, "coach@example.com") == secret
    assert not user_named(app, "coach@example.com").has_two_factor  # not until confirmed
    assert secret in text(client.get("/account/two-step")).replace(" ", "")  # same on reload

    wrong = client.post("/account/two-step", data={"code": "000000"})
    assert wrong.status_code == 400 and "That code does not match" in text(wrong)
    assert not user_named(app, "coach@example.com").has_two_factor

    done = client.post("/account/two-step", data={"code": code_for(secret)})

    codes = RECOVERY_CODE.findall(text(done))
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert len(set(codes)) == 10
    assert "This is the only time we show them." in text(done)
    assert user_named(app, "coach@example.com").has_two_factor
    with app.app_context():
        stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    again = text(client.get("/account/two-step"))
    assert "Two-step sign-in is on" in again
    assert not any(code in again for code in codes)
    [enabled] = audit_rows(app, AuditAction.TWO_FACTOR_ENABLED)
    assert enabled.actor_id == coach_id
    assert "Recovery codes, or turn it off" in text(client.get("/account"))


# Signing in


def test_signing_in_needs_the_code_after_the_password(app, client, browser, secured):
    sign_in_with_password(browser, next_path="/clients/")
    assert client.get("/dashboard").status_code == 302  # not signed in yet
    assert audit_rows(app, AuditAction.SIGN_IN)[1:] == []  # only the set-up's own sign-in
    form = client.get("/login/two-step")
    assert form.status_code == 200 and "One more step" in text(form)

    response = client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})

    assert response.headers["Location"] == "/clients/"
    assert client.get("/dashboard").status_code == 200
    assert len(audit_rows(app, AuditAction.SIGN_IN)) == 2


def test_a_code_works_only_once(client, browser, secured):
    code = code_for(secured["secret"], 1)
    sign_in_with_password(browser)
    assert client.post("/login/two-step", data={"code": code}).status_code == 302
    browser.logout()

    sign_in_with_password(browser)
    replayed = client.post("/login/two-step", data={"code": code})

    assert replayed.status_code == 400 and WRONG_CODE in text(replayed)
    assert client.get("/dashboard").status_code == 302


def test_a_wrong_code_is_refused_and_noted_in_the_audit_log(app, client, browser, secured):
    sign_in_with_password(browser)
    response = client.post("/login/two-step", data={"code": "123 456"})
    assert response.status_code == 400 and WRONG_CODE in text(response)
    assert 'value="123 456"' in text(response)
    assert client.get("/dashboard").status_code == 302
    [failed] = audit_rows(app, AuditAction.SIGN_IN_FAILED)
    assert failed.actor_id == secured["id"] and failed.detail == "wrong two-step code"
    # Still waiting for the right code:
    assert (
        client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)}).status_code
        == 302
    )


def test_a_recovery_code_works_once(app, client, browser, secured):
    first, second = secured["codes"][:2]
    sign_in_with_password(browser)
    response = client.post("/login/two-step", data={"code": first})
    assert response.headers["Location"] == "/dashboard"
    assert "you have 9 codes left" in text(client.get("/dashboard"))
    [used] = audit_rows(app, AuditAction.RECOVERY_CODE_USED)
    assert used.actor_id == secured["id"]
    browser.logout()

    sign_in_with_password(browser)
    assert client.post("/login/two-step", data={"code": first}).status_code == 400
    # Typed from paper: capitals and spaces do not matter.
    typed = second.upper().replace("-", " ")
    assert client.post("/login/two-step", data={"code": typed}).status_code == 302


def test_the_code_must_follow_the_password_within_five_minutes(client, browser, secured):
    sign_in_with_password(browser)
    with client.session_transaction() as session:
        pending = session["pending_sign_in"]
        session["pending_sign_in"] = {**pending, "at": pending["at"] - 5 * 60 - 1}

    response = client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})

    assert response.headers["Location"] == "/login"
    assert "within five minutes" in text(client.get("/login"))
    assert client.get("/dashboard").status_code == 302
    assert client.get("/login/two-step").headers["Location"] == "/login"


def test_the_two_step_page_is_only_for_someone_whose_password_was_right(client, secured):
    assert client.get("/login/two-step").headers["Location"] == "/login"
    response = client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard").status_code == 302


def test_a_reset_link_does_not_skip_the_code(app, client, secured):
    with app.app_context():
        token = issue_token(
            db.session.get(User, secured["id"]), TokenPurpose.RESET, timedelta(hours=1)
        )
        db.session.commit()
    new_password = "a-brand-new-long-password"
    response = client.post(
        f"/reset-password/{token}", data={"password": new_password, "confirm": new_password}
    )
    assert response.headers["Location"] == "/login/two-step"
    assert client.get("/dashboard").status_code == 302
    assert (
        client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)}).status_code
        == 302
    )
    assert client.get("/dashboard").status_code == 200


# Recovery codes and turning it off


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(client, browser, secured):
    sign_in_with_password(browser)
    client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})

    wrong = client.post(
        "/account/two-step/recovery-codes", data={"codes-current_password": "nope-nope-nope"}
    )
    assert wrong.status_code == 400 and "That is not your current password." in text(wrong)
    fresh = client.post(
        "/account/two-step/recovery-codes", data={"codes-current_password": PASSWORD}
    )
    new_codes = RECOVERY_CODE.findall(text(fresh))
    assert len(new_codes) == 10 and not set(new_codes) & set(secured["codes"])
    browser.logout()

    sign_in_with_password(browser)
    assert client.post("/login/two-step", data={"code": secured["codes"][0]}).status_code == 400
    assert client.post("/login/two-step", data={"code": new_codes[0]}).status_code == 302


def test_turning_two_step_off_needs_the_password(app, client, browser, secured):
    sign_in_with_password(browser)
    client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})

    wrong = client.post(
        "/account/two-step/disable", data={"off-current_password": "nope-nope-nope"}
    )
    assert wrong.status_code == 400 and "That is not your current password." in text(wrong)
    assert user_named(app, "coach@example.com").has_two_factor

    response = client.post("/account/two-step/disable", data={"off-current_password": PASSWORD})

    assert response.headers["Location"] == "/account"
    assert not user_named(app, "coach@example.com").has_two_factor
    [disabled] = audit_rows(app, AuditAction.TWO_FACTOR_DISABLED)
    assert disabled.actor_id == secured["id"]
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode)).all() == []
    browser.logout()
    assert browser.login("coach@example.com", PASSWORD).headers["Location"] == "/dashboard"


def test_turning_two_step_off_works_with_csrf_protection(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_coach()
    browser = Browser(app.test_client())
    client = browser.client
    browser.login("coach@example.com", PASSWORD)
    page = text(client.get("/account/two-step"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    secret = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    client.post("/account/two-step", data={"code": code_for(secret), "csrf_token": token})
    manage = text(client.get("/account/two-step"))
    off_token = re.search(r'name="off-csrf_token"[^>]*value="([^"]+)"', manage).group(1)

    refused = client.post("/account/two-step/disable", data={"off-current_password": PASSWORD})
    assert refused.status_code == 400
    response = client.post(
        "/account/two-step/disable",
        data={"off-current_password": PASSWORD, "off-csrf_token": off_token},
    )
    assert response.headers["Location"] == "/account"
    with app.app_context():
        assert not db.session.execute(select(User)).scalar_one().has_two_factor
        db.engine.dispose()


# The practice owner's requirement


@pytest.fixture
def practice(app) -> dict:
    """Maya owns a practice with Sam (another coach); Ruth has a practice of her own."""
    with app.app_context():
        maya = make_coach()
        sam = make_coach(email="sam@example.com", name="Sam Okoro", practice=maya.practice)
        ruth = make_coach(email="ruth@example.com", name="Ruth Adeyemi")
        return {"maya": maya.id, "sam": sam.id, "ruth": ruth.id, "practice": maya.practice_id}


def test_the_owner_requires_two_step_sign_in_and_coaches_without_it_must_set_it_up(
    app, client, browser, practice
):
    sam = Browser(app.test_client())
    assert sam.login("sam@example.com", PASSWORD).headers["Location"] == "/dashboard"
    browser.login("coach@example.com", PASSWORD)
    page = text(client.get("/account"))
    assert "Every coach of my practice must use two-step sign-in" in page

    too_soon = client.post("/account/practice/two-step", data={"require": "y"})
    assert too_soon.status_code == 400
    assert "Turn on two-step sign-in for yourself first" in text(too_soon)
    set_up_two_step(client)
    response = client.post("/account/practice/two-step", data={"require": "y"})

    assert response.headers["Location"] == "/account"
    assert "One coach who had not set it up was signed out" in text(client.get("/account"))
    assert client.get("/dashboard").status_code == 200  # the owner stays signed in
    assert sam.client.get("/dashboard").status_code == 302  # Sam was signed out

    signed_in = sam.login("sam@example.com", PASSWORD)
    assert signed_in.headers["Location"] == "/account/two-step"
    for path in ("/dashboard", "/clients/", "/account", "/account/password"):
        assert sam.client.get(path).headers["Location"] == "/account/two-step", path
    setup_page = text(sam.client.get("/account/two-step"))
    assert "Your practice asks every coach to sign in with two steps" in setup_page
    assert "Not now" not in setup_page
    secret, _codes = set_up_two_step(sam.client)
    assert sam.client.get("/dashboard").status_code == 200

    manage = text(sam.client.get("/account/two-step"))
    assert "Turn off two-step sign-in" not in manage
    refused = sam.client.post("/account/two-step/disable", data={"off-current_password": PASSWORD})
    assert refused.status_code == 400 and "cannot be turned off" in text(refused)
    assert user_named(app, "sam@example.com").has_two_factor
    sam.logout()
    assert sam.login("sam@example.com", PASSWORD).headers["Location"] == "/login/two-step"
    signed_in = sam.client.post("/login/two-step", data={"code": code_for(secret, 1)})
    assert signed_in.headers["Location"] == "/dashboard"


def test_only_the_owner_changes_the_requirement(app, client, browser, practice):
    browser.login("sam@example.com", PASSWORD)
    assert "Every coach of my practice" not in text(client.get("/account"))
    assert client.post("/account/practice/two-step", data={"require": "y"}).status_code == 404
    browser.logout()
    with app.app_context():
        make_client_login(make_client(db.session.get(User, practice["maya"])))
    browser.login("sofia@example.com", PASSWORD)
    assert client.post("/account/practice/two-step", data={"require": "y"}).status_code == 404
    with app.app_context():
        assert not db.session.get(User, practice["maya"]).practice.require_two_factor


def test_a_coach_of_another_practice_changes_nothing_of_ours(app, client, browser, practice):
    maya = Browser(app.test_client())
    maya.login("coach@example.com", PASSWORD)
    browser.login("ruth@example.com", PASSWORD)
    set_up_two_step(client)

    client.post("/account/practice/two-step", data={"require": "y"})
    client.post("/account/two-step/disable", data={"off-current_password": PASSWORD})

    with app.app_context():
        ruth = db.session.get(User, practice["ruth"])
        maya_user = db.session.get(User, practice["maya"])
        assert ruth.practice.require_two_factor
        assert not maya_user.practice.require_two_factor
        assert not maya_user.totp_secret_encrypted
    assert maya.client.get("/dashboard").status_code == 200  # not signed out
    assert "ruth@example.com" not in text(maya.client.get("/account"))
    assert audit_rows(app, AuditAction.TWO_FACTOR_DISABLED) == []  # Ruth's practice requires it


# The secret at rest, and the keys that encrypt it

NEW_KEY = Fernet.generate_key().decode()


def every_value_in_users(app) -> str:
    """Every column of every users row, as the database returns it, in one string."""
    with app.app_context():
        rows = db.session.execute(sql("SELECT * FROM users")).all()
    return " ".join(str(value) for row in rows for value in row)


def test_the_database_never_holds_the_plain_secret(app, client, coach_id, backend):
    page = text(client.get("/account/two-step"))  # set-up started: a secret is kept already
    unconfirmed = SECRET_ON_PAGE.search(page).group(1).replace(" ", "")
    assert unconfirmed not in every_value_in_users(app)

    secret, _codes = set_up_two_step(client)

    assert secret == unconfirmed and secret not in every_value_in_users(app)
    with app.app_context():
        stored = db.session.get(User, coach_id).totp_secret_encrypted
        assert decrypt_secret(stored) == secret
        with pytest.raises(InvalidToken):  # another key opens nothing
            Fernet(NEW_KEY).decrypt(stored.encode())
        database_file = db.engine.url.database
    if backend == "sqlite":  # not in the file either, nor in its write-ahead log
        for path in (Path(database_file), Path(f"{database_file}-wal")):
            assert not path.exists() or secret.encode() not in path.read_bytes()


def test_without_its_key_the_code_page_says_why_and_a_recovery_code_still_works(
    app, client, browser, secured, caplog
):
    app.config["TWO_FACTOR_KEYS"] = [NEW_KEY]  # e.g. the database restored on another server
    sign_in_with_password(browser)

    response = client.post("/login/two-step", data={"code": code_for(secured["secret"], 1)})

    assert response.status_code == 400
    assert "coachapp cannot check the codes of your app at the moment" in text(response)
    assert "Sign in with one of your recovery codes" in text(response)
    assert audit_rows(app, AuditAction.SIGN_IN_FAILED) == []  # not the person's mistake
    assert f"two-step secret of user {secured['id']}" in caplog.text
    assert secured["secret"] not in caplog.text
    signed_in = client.post("/login/two-step", data={"code": secured["codes"][0]})
    assert signed_in.headers["Location"] == "/dashboard"
    # Turned off and set up again, it works with the key this server has.
    client.post("/account/two-step/disable", data={"off-current_password": PASSWORD})
    secret, _codes = set_up_two_step(client)
    browser.logout()
    sign_in_with_password(browser)
    assert client.post("/login/two-step", data={"code": code_for(secret, 1)}).status_code == 302


def test_an_unfinished_set_up_whose_key_is_gone_starts_again(app, client, coach_id):
    client.get("/account/two-step")
    app.config["TWO_FACTOR_KEYS"] = [NEW_KEY]
    secret, codes = set_up_two_step(client)
    assert len(codes) == 10 and stored_secret(app, "coach@example.com") == secret


def test_a_new_key_is_put_first_then_every_secret_is_encrypted_with_it_and_the_old_retired(
    app, client, browser, secured, runner
):
    old_key = app.config["TWO_FACTOR_KEYS"][0]
    made = runner.invoke(args=["two-step", "new-key"])
    assert made.exit_code == 0, made.output
    new_key = made.stdout.splitlines()[0]
    Fernet(new_key)  # a working key
    assert f"TWO_FACTOR_KEYS = {[new_key, old_key]!r}" in made.stderr
    assert f"FLASK_TWO_FACTOR_KEYS='{json.dumps([new_key, old_key])}'" in made.stderr

    app.config["TWO_FACTOR_KEYS"] = [new_key, old_key]  # as the operator sets it, and restarts
    rotated = runner.invoke(args=["two-step", "rotate-key"])

    assert rotated.exit_code == 0, rotated.output
    assert "1 two-step secret now encrypted with the first key." in rotated.output
    assert f"TWO_FACTOR_KEYS = {[new_key]!r}" in rotated.output
    with app.app_context():
        stored = db.session.get(User, secured["id"]).totp_secret_encrypted
    assert Fernet(new_key).decrypt(stored.encode()).decode() == secured["secret"]
    app.config["TWO_FACTOR_KEYS"] = [new_key]  # the old key retired
    sign_in_with_password(browser)
    code = code_for(secured["secret"], 1)
    assert client.post("/login/two-step", data={"code": code}).status_code == 302
    again = runner.invoke(args=["two-step", "rotate-key"])
    assert again.exit_code == 0 and "there is none to retire" in again.output


def test_rotating_leaves_a_secret_no_key_opens_as_it_was_and_says_so(app, secured, runner):
    with app.app_context():
        before = db.session.get(User, secured["id"]).totp_secret_encrypted
    app.config["TWO_FACTOR_KEYS"] = [NEW_KEY]  # the key it was made with is missing

    refused = runner.invoke(args=["two-step", "rotate-key"])

    assert refused.exit_code == 1
    assert f"1 open with none of TWO_FACTOR_KEYS (users {secured['id']})" in refused.output
    assert "retire no key yet" in refused.output
    with app.app_context():
        assert db.session.get(User, secured["id"]).totp_secret_encrypted == before
