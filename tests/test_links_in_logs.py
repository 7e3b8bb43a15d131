"""Invitation and password-reset links on a real server: the whole journey (the link asked
for, opened, the password set, a sign-in with it) leaves the links' tokens nowhere in the
server's output, under `flask run` and under gunicorn with its access log on; and each
link still works once, and not after it has expired."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from coachapp.auth.models import AccessToken
from coachapp.auth.tokens import hash_token
from coachapp.extensions import db
from coachapp.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, make_client, make_coach
from tests.live_server import GunicornLiveServer, LiveClient, LiveServer, app_on

MAIL_WAIT_SECONDS = 15
CLIENT_PASSWORD = "quiet mornings by the harbour"
COACH_PASSWORD = "a new password for the coach"
SERVERS = {"flask run": LiveServer, "gunicorn": GunicornLiveServer}


@pytest.fixture(params=sorted(SERVERS))
def server(request, database_url, tmp_path, mail_server):
    """coachapp as a real process, mail to the test's SMTP server, links pointing at it."""
    with app_on(database_url, tmp_path):
        coach = make_coach()
        make_client(coach, "Anna", last_name="Berg", email="anna@example.com")
    live = SERVERS[request.param](tmp_path / "instance", database_url, **mail_server.settings())
    live.config["CANONICAL_URL"] = live.url
    with live:
        yield live


def wait_for_mail(mail_server, count: int) -> list:
    """The messages once ``count`` have arrived (delivery runs after the response is sent)."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while len(mail_server.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail_server.messages) == count
    return mail_server.messages


def link_in(message, server, path: str) -> tuple[str, str]:
    """The e-mailed link's address on the server and its token (after the "#")."""
    plain = message.get_body(("plain",)).get_content()
    match = re.search(re.escape(server.url) + rf"({path})#([\w-]+)", plain)
    assert match, plain
    return match.group(1), match.group(2)


def open_link(browser: LiveClient, path: str, token: str):
    """What a browser does with the link: ask for its address (never the part after "#"),
    then the page's script posts the token; answers the page that leads to."""
    page = browser.get(path)
    fields = {"csrf_token": csrf_token_from(page.text), "link": token}
    handed_over = browser.post(path, fields)
    assert handed_over.status == 303 and handed_over.location == path
    return browser.get(path)


def choose_password(browser: LiveClient, path: str, password: str):
    fields = browser.form(path, "set-password")
    fields.update(password=password, confirm=password)
    return browser.post(path, fields)


def test_no_token_of_an_invitation_or_reset_journey_reaches_the_server_log(
    server, mail_server, database_url, tmp_path
):
    tokens = []
    # The coach invites Anna to the portal.
    coach = LiveClient(server.url)
    assert coach.sign_in("coach@example.com", PASSWORD).status == 302
    client_page = coach.get("/clients/")
    invite_path = re.search(r'href="(/clients/\d+)"', client_page.text).group(1)
    page = coach.get(invite_path).text
    token_field = csrf_token_from(page)
    invite_action = re.search(r'action="(/clients/\d+/adults/\d+/invite)"', page).group(1)
    assert coach.post(invite_action, {"csrf_token": token_field}).status == 302
    path, token = link_in(wait_for_mail(mail_server, 1)[0], server, "/invitation")
    tokens.append(token)

    # Anna opens it, chooses her password and is in her portal; later she signs in again.
    anna = LiveClient(server.url)
    assert "Welcome, Anna Berg" in open_link(anna, path, token).text
    assert choose_password(anna, path, CLIENT_PASSWORD).location == "/portal/"
    assert anna.get("/portal/").status == 200
    anna.sign_out()
    assert anna.sign_in("anna@example.com", CLIENT_PASSWORD).location == "/portal/"
    anna.sign_out()
    assert open_link(LiveClient(server.url), path, token).status == 410  # once only

    # The coach forgets her password and resets it by e-mail.
    forgetful = LiveClient(server.url)
    fields = {"csrf_token": forgetful.csrf_token("/forgot-password"), "email": "coach@example.com"}
    assert forgetful.post("/forgot-password", fields).status == 302
    path, token = link_in(wait_for_mail(mail_server, 2)[1], server, "/reset-password")
    tokens.append(token)
    assert "Choose a new password" in open_link(forgetful, path, token).text
    assert choose_password(forgetful, path, COACH_PASSWORD).location == "/dashboard"
    forgetful.sign_out()
    assert forgetful.sign_in("coach@example.com", COACH_PASSWORD).location == "/dashboard"

    # Anna asks for a reset link too, and opens it only after it has expired.
    late = LiveClient(server.url)
    fields = {"csrf_token": late.csrf_token("/forgot-password"), "email": "anna@example.com"}
    late.post("/forgot-password", fields)
    path, token = link_in(wait_for_mail(mail_server, 3)[2], server, "/reset-password")
    tokens.append(token)
    with app_on(database_url, tmp_path):
        db.session.execute(
            update(AccessToken)
            .where(AccessToken.token_hash == hash_token(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    expired = open_link(late, path, token)
    assert expired.status == 410 and "This link has expired" in expired.text

    log = server.log_text()
    assert "POST /invitation " in log and "POST /reset-password " in log  # requests logged
    for token in tokens:
        assert token not in log
