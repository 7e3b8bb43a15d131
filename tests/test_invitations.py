"""Inviting a client to the portal, and resetting a forgotten password, by e-mailed link."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coachapp.audit.models import AuditEvent
from coachapp.auth.models import AccessToken, Role, User
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.timeutil import utcnow
from tests.conftest import Browser
from tests.factories import PASSWORD, make_client
from tests.smtp import SmtpServer

CANONICAL = "https://coach.example"
NEW_PASSWORD = "a-brand-new-long-password"


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config.update(server.settings(), CANONICAL_URL=CANONICAL)
    yield server
    server.stop()


def text(response) -> str:
    return response.get_data(as_text=True)


def link_in(message, path: str) -> str:
    """The link as e-mailed, without the host ("/invitation#<token>"), checking the plain
    and HTML parts both carry the canonical link."""
    plain = message.get_body(("plain",)).get_content()
    match = re.search(re.escape(CANONICAL) + rf"({path}#[\w-]+)", plain)
    assert match, plain
    assert CANONICAL + match.group(1) in message.get_body(("html",)).get_content()
    return match.group(1)


def open_link(client, link: str):
    """Open an e-mailed link as a browser does: it asks for the address (the token after
    "#" stays in the browser), then the page's script posts the token; answers the page
    that leads to."""
    path, token = link.split("#", 1)
    assert client.get(path).status_code in (200, 404, 410)
    return client.post(path, data={"link": token}, follow_redirects=True)


def closed(response):
    """Close the response, as a server does, so the after-response delivery runs."""
    response.close()
    return response


def add_client(app, coach_id: int, **kwargs) -> int:
    with app.app_context():
        return make_client(db.session.get(User, coach_id), **kwargs).id


def invite(client, client_id: int, host: str = "localhost"):
    """Press "Invite to the portal", perhaps on a request that names another Host."""
    if host != "localhost":  # the test client sends cookies by host: share the sign-in
        cookie = client.get_cookie("coachapp_session")
        client.set_cookie("coachapp_session", cookie.value, domain=host)
    return closed(client.post(invite_address(client, client_id), headers={"Host": host}))


def invite_address(client, client_id: int) -> str:
    """Where the client page's "Invite to the portal" button posts (the first adult's)."""
    page = text(client.get(f"/clients/{client_id}"))
    return re.search(r'action="(/clients/\d+/adults/\d+/invite)"', page).group(1)


def set_password(client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    """Press "Set my password" on the page of the link opened last in this browser."""
    data = {"password": password, "confirm": confirm or password}
    return client.post(link.split("#", 1)[0], data=data)


# Invitations


def test_an_invited_client_sets_a_password_and_lands_in_the_portal(
    app, client, coach_id, smtp, browser
):
    client_id = add_client(app, coach_id)
    assert "Invite to the portal" in text(client.get(f"/clients/{client_id}"))

    response = invite(client, client_id, host="attacker.example")

    assert response.status_code == 302
    [(recipients, message)] = smtp.received
    assert recipients == ["sofia@example.com"]
    assert "invites you to your coaching portal" in message["Subject"]
    link = link_in(message, "/invitation")
    assert "attacker.example" not in message.as_string()
    assert "Invited; no password chosen yet." in text(client.get(f"/clients/{client_id}"))

    browser.logout()
    form = open_link(client, link)
    assert form.status_code == 200 and "Welcome, Sofia Marin" in text(form)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    response = set_password(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200

    with app.app_context():
        sofia = db.session.get(Client, client_id)
        coach = db.session.get(User, coach_id)
        login = sofia.first_adult.user
        assert login.role is Role.CLIENT and login.email == "sofia@example.com"
        assert login.practice_id == coach.practice_id
    browser.logout()
    assert browser.login("sofia@example.com", NEW_PASSWORD).headers["Location"] == "/portal/"


def test_an_invitation_link_works_once(app, client, coach_id, smtp, browser):
    client_id = add_client(app, coach_id)
    invite(client, client_id)
    link = link_in(smtp.messages[0], "/invitation")
    browser.logout()
    open_link(client, link)
    set_password(client, link)
    browser.logout()

    again = open_link(client, link)
    assert again.status_code == 410
    assert "This link has already been used" in text(again)
    assert set_password(client, link, "another-long-password").status_code == 410
    assert browser.login("sofia@example.com", "another-long-password").status_code == 400


def test_an_expired_invitation_gets_a_clear_page(app, client, coach_id, smtp, browser):
    client_id = add_client(app, coach_id)
    invite(client, client_id)
    link = link_in(smtp.messages[0], "/invitation")
    with app.app_context():
        db.session.execute(update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    browser.logout()
    page = open_link(client, link)
    assert page.status_code == 410 and "This link has expired" in text(page)
    assert "Ask your coach to send you a new invitation" in text(page)


def test_an_unknown_link_is_not_found(client):
    page = open_link(client, "/invitation#not-a-real-token-at-all")
    assert page.status_code == 404 and "This link does not work" in text(page)


def test_the_password_must_be_long_enough_and_typed_twice_alike(
    app, client, coach_id, smtp, browser
):
    client_id = add_client(app, coach_id)
    invite(client, client_id)
    link = link_in(smtp.messages[0], "/invitation")
    browser.logout()
    open_link(client, link)
    short = set_password(client, link, "too-short")
    assert short.status_code == 400 and "at least 12 characters" in text(short)
    different = set_password(client, link, NEW_PASSWORD, "not-the-same-password")
    assert different.status_code == 400 and "not the same" in text(different)
    assert set_password(client, link).status_code == 302  # the link still works


def test_a_client_without_an_email_address_cannot_be_invited(app, client, coach_id):
    client_id = add_client(app, coach_id, email="")
    page = text(client.get(f"/clients/{client_id}"))
    assert "Add an e-mail address to invite them." in page
    with app.app_context():
        adult_id = db.session.get(Client, client_id).first_adult.id
    response = client.post(f"/clients/{client_id}/adults/{adult_id}/invite", follow_redirects=True)
    assert "has no e-mail address yet" in text(response)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_the_link_is_kept_only_as_a_hash_and_leaves_the_outbox_once_sent(
    app, client, coach_id, smtp
):
    client_id = add_client(app, coach_id)
    invite(client, client_id)
    token = link_in(smtp.messages[0], "/invitation").split("#", 1)[1]
    with app.app_context():
        [row] = db.session.scalars(select(AccessToken)).all()
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert row.token_hash != token and len(row.token_hash) == 64
        assert token not in message.text and token not in message.html


def test_another_coachs_client_cannot_be_invited(app, client, coach_id, browser):
    from tests.factories import make_coach

    client_id = add_client(app, coach_id)
    address = invite_address(client, client_id)
    browser.logout()
    with app.app_context():
        make_coach("other@example.com", "Other Coach")
    browser.login("other@example.com", PASSWORD)
    assert client.post(address).status_code == 404


# Password reset


def test_a_coach_resets_a_forgotten_password_by_email(app, client, coach_id, smtp, browser):
    elsewhere = Browser(app.test_client())
    elsewhere.login("coach@example.com", PASSWORD)
    browser.logout()
    assert "Forgot your password?" in text(client.get("/login"))

    response = closed(
        client.post(
            "/forgot-password",
            data={"email": "Coach@Example.com"},
            headers={"Host": "attacker.example"},
            follow_redirects=True,
        )
    )

    assert "If an account exists for that address" in text(response)
    [message] = smtp.messages
    link = link_in(message, "/reset-password")
    assert "attacker.example" not in message.as_string()
    assert "Choose a new password" in text(open_link(client, link))
    response = set_password(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/clients/").status_code == 200
    # Every other browser is signed out; the old password no longer works.
    assert elsewhere.client.get("/clients/").status_code == 302
    browser.logout()
    assert browser.login("coach@example.com", PASSWORD).status_code == 400
    assert browser.login("coach@example.com", NEW_PASSWORD).status_code == 302
    browser.logout()
    assert open_link(client, link).status_code == 410


def test_forgot_password_answers_the_same_for_an_unknown_address(app, client, smtp):
    response = closed(
        client.post("/forgot-password", data={"email": "nobody@example.com"}, follow_redirects=True)
    )
    assert "If an account exists for that address" in text(response)
    assert smtp.received == []


def test_a_reset_link_expires_after_an_hour(app, client, coach_id, smtp, browser):
    browser.logout()
    closed(client.post("/forgot-password", data={"email": "coach@example.com"}))
    link = link_in(smtp.messages[0], "/reset-password")
    with app.app_context():
        row = db.session.scalars(select(AccessToken)).one()
        lifetime = row.expires_at - row.created_at
        assert timedelta(minutes=59) < lifetime <= timedelta(minutes=60)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = open_link(client, link)
    assert page.status_code == 410 and "This link has expired" in text(page)
    assert "Ask for a new link" in text(page)


# The token stays out of addresses, pages, messages and logs


SHOWN_FOR = re.compile(r'name="shown_for" type="hidden" value="(\d+)"')


def token_of(link: str) -> str:
    return link.split("#", 1)[1]


def test_the_emailed_link_carries_its_token_only_after_the_hash(app, client, coach_id, smtp):
    # Browsers never send what follows "#": no request log, proxy or Referer sees it.
    invite(client, add_client(app, coach_id))
    link = link_in(smtp.messages[0], "/invitation")
    path, token = link.split("#", 1)
    assert path == "/invitation" and len(token) >= 43


def test_opening_a_link_leaves_its_token_in_no_address_page_message_or_log(
    app, client, coach_id, smtp, browser, caplog
):
    invite(client, add_client(app, coach_id))
    link = link_in(smtp.messages[0], "/invitation")
    token = token_of(link)
    browser.logout()
    caplog.clear()
    caplog.set_level("DEBUG")  # every logger, coachapp's and its libraries'

    responses = [client.get("/invitation")]
    responses.append(client.post("/invitation", data={"link": token}))
    assert responses[-1].status_code == 303
    assert responses[-1].headers["Location"] == "/invitation"
    responses.append(client.get("/invitation"))
    assert "Welcome, Sofia Marin" in text(responses[-1])
    responses.append(set_password(client, link, "short"))
    responses.append(set_password(client, link))
    assert responses[-1].headers["Location"] == "/portal/"
    responses.append(client.get("/portal/"))
    assert "Your password is set. Welcome!" in text(responses[-1])

    for response in responses:
        assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
        assert token not in str(response.headers), response.request.path
        assert token not in text(response), response.request.path
    for response in responses[:4]:  # every page about the link sends no Referer at all
        assert response.headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert events and not any(token in audit_row_text(event) for event in events)
    assert caplog.records and token not in caplog.text


def audit_row_text(event) -> str:
    return " ".join(str(getattr(event, column.key)) for column in event.__table__.columns)


def test_a_link_emailed_before_still_works_and_its_address_is_left_at_once(
    app, client, coach_id, smtp, browser
):
    # Links e-mailed by earlier versions carry the token in the address itself.
    invite(client, add_client(app, coach_id))
    token = token_of(link_in(smtp.messages[0], "/invitation"))
    browser.logout()

    first = client.get(f"/invitation/{token}")

    assert first.status_code == 303 and first.headers["Location"] == "/invitation"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/invitation")
    assert "Welcome, Sofia Marin" in text(page) and token not in text(page)
    assert 'action="/invitation"' in text(page)
    assert set_password(client, "/invitation").headers["Location"] == "/portal/"
    browser.logout()
    assert client.get(f"/invitation/{token}", follow_redirects=True).status_code == 410


def test_a_link_the_page_cannot_read_can_be_pasted(app, client, coach_id, smtp, browser):
    invite(client, add_client(app, coach_id))
    link = link_in(smtp.messages[0], "/invitation")
    browser.logout()

    page = client.get("/invitation")
    assert page.status_code == 200 and "paste it here" in text(page)
    assert "js/open-link.js" in text(page)  # the script that reads the link after "#"
    wrong = client.post("/invitation", data={"link": "my password is hunter2!"})
    assert wrong.status_code == 400 and "That is not the link from your e-mail" in text(wrong)
    assert "hunter2" not in text(wrong)

    pasted = client.post(
        "/invitation", data={"link": f"  {CANONICAL}{link}\n"}, follow_redirects=True
    )

    assert "Welcome, Sofia Marin" in text(pasted)
    assert set_password(client, link).headers["Location"] == "/portal/"


def test_a_password_sent_after_the_browser_lost_the_link_asks_to_open_it_again(client):
    response = set_password(client, "/reset-password")
    assert response.status_code == 400
    assert "This browser no longer holds your link" in text(response)


def test_the_link_opened_last_in_a_browser_wins_and_an_older_tab_sets_nothing(
    app, client, coach_id, smtp, browser
):
    invite(client, add_client(app, coach_id))
    invite(client, add_client(app, coach_id, first_name="Tom", email="tom@example.com"))
    sofia_link, tom_link = (link_in(message, "/invitation") for message in smtp.messages)
    browser.logout()
    first_tab = text(open_link(client, sofia_link))
    assert "Welcome, Sofia Marin" in first_tab
    sofias_page_link = SHOWN_FOR.search(first_tab).group(1)

    second_tab = text(open_link(client, tom_link))  # Tom's link, opened later in a second tab
    assert "Welcome, Tom Marin" in second_tab
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    stale = client.post("/invitation", data={**data, "shown_for": sofias_page_link})

    assert stale.status_code == 409
    assert "this page is now for tom@example.com" in text(stale)
    assert "Welcome, Tom Marin" in text(stale)
    assert browser.login("sofia@example.com", NEW_PASSWORD).status_code == 400
    assert browser.login("tom@example.com", NEW_PASSWORD).status_code == 400
    toms_page_link = SHOWN_FOR.search(text(stale)).group(1)
    done = client.post("/invitation", data={**data, "shown_for": toms_page_link})
    assert done.headers["Location"] == "/portal/"
    browser.logout()
    assert browser.login("tom@example.com", NEW_PASSWORD).status_code == 302


def test_a_link_opened_while_signed_in_as_someone_else_says_so_and_switches_only_here(
    app, client, coach_id, smtp, browser
):
    elsewhere = Browser(app.test_client())
    elsewhere.login("coach@example.com", PASSWORD)
    invite(client, add_client(app, coach_id))
    link = link_in(smtp.messages[0], "/invitation")

    page = text(open_link(client, link))  # the coach opens the client's link herself

    assert "Welcome, Sofia Marin" in page
    assert "You are signed in as Maya Lindqvist (coach@example.com)" in page
    assert "signs you out of this browser and signs in Sofia Marin" in page
    assert set_password(client, link).headers["Location"] == "/portal/"
    assert "sofia@example.com" in text(client.get("/account"))
    assert client.get("/clients/").status_code == 404  # no longer the coach, here
    assert elsewhere.client.get("/clients/").status_code == 200  # her other browser stays in
