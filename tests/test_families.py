"""Families: a client with a second parent, a partner or a grandparent, each with their own
contact details and portal sign-in; letters go to the family's first adult, and a session
to those who attended it (tests/test_session_attendance.py)."""

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import Role, User
from coachapp.blog.models import PublicationConsent
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.demo import (
    DEMO_APART_EMAILS,
    DEMO_CLIENT_PASSWORD,
    DEMO_COACH_EMAIL,
    DEMO_COACH_PASSWORD,
)
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.outbox.models import OutboxMessage
from tests.conftest import Browser, csrf_token_from, statements_for
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
)
from tests.smtp import SmtpServer

CANONICAL = "https://coach.example"
SUMMARY = "SHARED-SUMMARY: the first weeks at nursery"
PRIVATE = "PRIVATE-NOTES: her mother's voice"
STEP = "STEP-TEXT: visit the nursery together"
LETTER_SUBJECT = "LETTER-SUBJECT after our first session"
LETTER_BODY = "LETTER-BODY: you are your child's perfect parent."
NEW_PASSWORD = "a-brand-new-long-password"


def text(response) -> str:
    return response.get_data(as_text=True)


def adult_form(**overrides) -> dict:
    """What a coach types into the adult form for Marc, Lena's father."""
    data = {
        "first_name": "Marc",
        "last_name": "Duval",
        "preferred_name": "",
        "pronouns": "he/him",
        "relation_to_children": "Father",
        "email": "marc.duval@example.com",
        "phone": "+44 7700 900555",
        "preferred_contact": "phone",
    }
    data.update(overrides)
    return data


def add_sofia(app, coach_id: int, **kwargs) -> int:
    """Sofia Marin, a family of one adult; the family's id."""
    with app.app_context():
        return make_client(db.session.get(User, coach_id), **kwargs).id


def add_marc(app, client_id: int, **kwargs) -> int:
    """Marc Duval joins the family; his id as an adult."""
    with app.app_context():
        return add_family_adult(db.session.get(Client, client_id), **kwargs).id


def adults_of(app, client_id: int) -> list[tuple]:
    """Each adult of the family as stored: (first name, last name, e-mail, portal sign-in)."""
    with app.app_context():
        family = db.session.get(Client, client_id)
        return [(a.first_name, a.last_name, a.email, a.user_id) for a in family.adults]


def events(app, action: AuditAction) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action.value).order_by(AuditEvent.id)
        ).all()


# Adding an adult


def test_a_one_adult_client_page_reads_as_before(app, client, coach_id):
    client_id = add_sofia(app, coach_id, pronouns="she/her")
    page = text(client.get(f"/clients/{client_id}"))
    assert "<h1>Sofia Marin</h1>" in page
    assert re.search(r"<h2 id=\"adult-\d+-heading\">Contact</h2>", page)
    assert "A family of" not in page
    # Sofia herself is changed through the client form; nothing on her page removes her.
    assert not re.search(r"/adults/\d+/(edit|remove)", page)
    assert ">Add another adult</a>" in page
    assert re.search(r"Invite to the portal</button>", page)  # no adult named in the button


def test_the_coach_adds_a_second_adult_who_shows_on_the_page_and_in_the_list(
    app, client, coach_id
):
    client_id = add_sofia(app, coach_id)
    form = client.get(f"/clients/{client_id}/adults/new")
    assert form.status_code == 200
    assert "Add an adult to the family" in text(form)

    response = client.post(f"/clients/{client_id}/adults/new", data=adult_form())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{client_id}"
    page = text(client.get(response.headers["Location"]))
    assert "Marc Duval is now part of the family." in page
    assert "<h1>Sofia Marin and Marc Duval</h1>" in page
    assert "A family of 2 adults" in page
    assert ">Sofia Marin</h2>" in page and ">Marc Duval</h2>" in page
    assert "Father · he/him" in page
    assert 'href="mailto:marc.duval@example.com"' in page and "Phone call" in page
    assert ">Edit Marc Duval</a>" in page and ">Remove Marc Duval from the family</a>" in page
    assert "Edit Sofia Marin</a>" not in page  # the client form changes the first adult

    listing = text(client.get("/clients/"))
    assert "Sofia Marin and Marc Duval</a>" in listing
    with app.app_context():
        family = db.session.get(Client, client_id)
        assert [(a.position, a.first_name) for a in family.adults] == [(0, "Sofia"), (1, "Marc")]
        marc = family.adults[1]
        assert (marc.relation_to_children, marc.preferred_contact, marc.user_id) == (
            "Father", "phone", None
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": "   "}, "Enter their first name."),
        ({"email": "marc-at-example"}, "Enter an e-mail address such as name@example.com."),
        ({"last_name": "D" * 81}, "Field cannot be longer than 80 characters."),
        ({"phone": "call me"}, "Use digits, spaces and + ( ) - only."),
    ],
)
def test_the_adult_form_with_a_mistake_answers_400_and_keeps_everything_typed(
    app, client, coach_id, changes, message
):
    client_id = add_sofia(app, coach_id)
    typed = adult_form(**changes)
    response = client.post(f"/clients/{client_id}/adults/new", data=typed)
    page = text(response)
    assert response.status_code == 400
    assert message in page.replace("&#39;", "'")
    assert "Everything you typed is still here." in page
    for name in ("first_name", "last_name", "pronouns", "relation_to_children", "email", "phone"):
        if typed[name].strip():
            assert f'value="{typed[name]}"' in page, name
    assert re.search(r'value="phone"[^>]*checked|checked[^>]*value="phone"', page)
    assert [adult[0] for adult in adults_of(app, client_id)] == ["Sofia"]


def test_editing_an_adult_shows_their_details_and_saves_the_changes(app, client, coach_id):
    client_id = add_sofia(app, coach_id)
    marc_id = add_marc(app, client_id, relation_to_children="Father")
    form = text(client.get(f"/clients/{client_id}/adults/{marc_id}/edit"))
    assert "<h1>Edit Marc Duval</h1>" in form
    assert 'value="Marc"' in form and 'value="marc@example.com"' in form
    assert 'value="Father"' in form

    mistake = client.post(
        f"/clients/{client_id}/adults/{marc_id}/edit", data=adult_form(email="not-an-address")
    )
    assert mistake.status_code == 400 and 'value="not-an-address"' in text(mistake)
    assert adults_of(app, client_id)[1][2] == "marc@example.com"

    response = client.post(
        f"/clients/{client_id}/adults/{marc_id}/edit",
        data=adult_form(preferred_name="Marco", relation_to_children="Stepfather"),
        follow_redirects=True,
    )
    page = text(response)
    assert "Your changes to Marco Duval are saved." in page
    assert "<h1>Sofia Marin and Marco Duval</h1>" in page and "Stepfather · he/him" in page
    with app.app_context():
        marc = db.session.get(Adult, marc_id)
        assert (marc.preferred_name, marc.email, marc.phone, marc.position) == (
            "Marco", "marc.duval@example.com", "+44 7700 900555", 1
        )
        assert db.session.get(Client, client_id).first_adult.first_name == "Sofia"


# Removing an adult


@pytest.fixture
def family_with_history(app, coach_id) -> dict:
    """Sofia and Marc, both with a portal sign-in, a past session and a sent letter."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        family = make_client(coach)
        marc = add_family_adult(family)
        make_client_login(family)
        marc_login = make_client_login(family, adult=marc)
        past = make_coaching_session(
            family, days_ago=10, summary=SUMMARY, private_notes=PRIVATE, action_items=[STEP]
        )
        moment = datetime.now(UTC) - timedelta(days=3)
        sent = make_letter(
            family, body=LETTER_BODY, subject=LETTER_SUBJECT, status=LetterStatus.SENT,
            approved_at=moment, sent_at=moment + timedelta(hours=1), sent_to="sofia@example.com",
        )
        draft = make_letter(family, body="DRAFT-WORDS", subject="DRAFT-SUBJECT")
        return {
            "client": family.id,
            "marc": marc.id,
            "marc_login": marc_login.id,
            "session": past.id,
            "item": past.action_items[0].id,
            "letter": sent.id,
            "draft": draft.id,
        }


def test_removing_an_adult_asks_first_then_closes_their_sign_in_and_keeps_the_history(
    app, client, family_with_history
):
    f = family_with_history
    app.config["WTF_CSRF_ENABLED"] = True
    marc = Browser(app.test_client())
    assert marc.login("marc@example.com", PASSWORD).headers["Location"] == "/portal/"
    assert marc.client.get("/portal/").status_code == 200

    address = f"/clients/{f['client']}/adults/{f['marc']}/remove"
    assert f'href="{address}"' in text(client.get(f"/clients/{f['client']}"))
    confirm = text(client.get(address))
    assert "<h1>Remove Marc Duval from the family?</h1>" in confirm
    assert "their portal sign-in (marc@example.com) is closed" in confirm
    assert "sessions, letters and notes stay" in confirm
    assert len(adults_of(app, f["client"])) == 2  # opening the page changed nothing

    assert client.post(address).status_code == 400  # no CSRF token
    assert len(adults_of(app, f["client"])) == 2
    response = client.post(address, data={"csrf_token": csrf_token_from(confirm)})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Marc Duval is no longer part of this family; their portal sign-in is closed." in page
    assert "<h1>Sofia Marin</h1>" in page and "Marc Duval</h2>" not in page
    assert "marc@example.com" not in page

    # Marc's open session ends, and his password no longer signs him in.
    assert marc.client.get("/portal/").status_code == 302
    assert marc.login("marc@example.com", PASSWORD).status_code == 400
    assert marc.client.get("/portal/").status_code == 302
    with app.app_context():
        assert [a.first_name for a in db.session.get(Client, f["client"]).adults] == ["Sofia"]
        assert db.session.get(Adult, f["marc"]) is None
        login = db.session.get(User, f["marc_login"])
        assert login is not None and not login.active  # kept for the activity log
        assert db.session.get(CoachingSession, f["session"]).summary == SUMMARY
        assert db.session.get(Letter, f["letter"]).status is LetterStatus.SENT
        assert db.session.get(Letter, f["draft"]) is not None
    # Sofia still signs in and sees everything.
    sofia = Browser(app.test_client())
    assert sofia.login("sofia@example.com", PASSWORD).headers["Location"] == "/portal/"
    home = text(sofia.client.get("/portal/"))
    assert SUMMARY in home and LETTER_SUBJECT in home


def test_the_last_adult_of_a_family_cannot_be_removed(app, client, browser, coach_id):
    client_id = add_sofia(app, coach_id)
    with app.app_context():
        family = db.session.get(Client, client_id)
        login_id = make_client_login(family).id
        sofia_id = family.first_adult.id
    address = f"/clients/{client_id}/adults/{sofia_id}/remove"

    response = client.post(address, follow_redirects=True)
    page = text(response)
    assert response.request.path == f"/clients/{client_id}"
    assert (
        "Sofia Marin is the only adult of this family. To remove them, delete the client "
        "instead." in page
    )
    assert adults_of(app, client_id) == [("Sofia", "Marin", "sofia@example.com", login_id)]
    with app.app_context():
        assert db.session.get(User, login_id).active
    assert events(app, AuditAction.ADULT_REMOVED) == []
    browser.logout()
    assert browser.login("sofia@example.com", PASSWORD).headers["Location"] == "/portal/"


# Whose adults a coach can reach


ADULT_ROUTES = [
    ("get", "/clients/{client}/adults/{adult}/edit"),
    ("post", "/clients/{client}/adults/{adult}/edit"),
    ("post", "/clients/{client}/adults/{adult}/invite"),
    ("get", "/clients/{client}/adults/{adult}/remove"),
    ("post", "/clients/{client}/adults/{adult}/remove"),
]


@pytest.fixture
def three_families(app, coach_id) -> dict:
    """The coach's Sofia-and-Marc and Daniel; Ruth's (another coach's) Helen and Tom."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia = make_client(coach)
        marc = add_family_adult(sofia)
        daniel = make_client(coach, "Daniel", last_name="Okafor")
        daniel_partner = add_family_adult(daniel, "Grace", last_name="Okafor")
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        helen = make_client(ruth, "Helen", last_name="Brooks")
        tom = add_family_adult(helen, "Tom", last_name="Brooks")
        return {
            "sofia": sofia.id, "marc": marc.id,
            "daniel": daniel.id, "daniel_partner": daniel_partner.id,
            "helen": helen.id, "tom": tom.id,
        }


def everything_about_adults(app) -> tuple:
    """What any adult route could change: every adult, sign-ins, mail, the audit log."""
    with app.app_context():
        adults = db.session.execute(
            select(Adult.id, Adult.client_id, Adult.first_name, Adult.email, Adult.user_id)
            .order_by(Adult.id)
        ).all()
        return (
            adults,
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(OutboxMessage.id))),
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.action.in_(["adult_added", "adult_removed"])
                )
            ).all(),
        )


@pytest.mark.parametrize(("method", "path"), ADULT_ROUTES)
@pytest.mark.parametrize(
    ("family", "adult"),
    [
        ("sofia", "daniel_partner"),  # another family of the same coach
        ("sofia", "tom"),  # another coach's family
        ("helen", "tom"),  # another coach's family, with its own adult
    ],
)
def test_an_adult_of_another_family_is_not_found_and_nothing_changes(
    app, client, three_families, method, path, family, adult
):
    before = everything_about_adults(app)
    address = path.format(client=three_families[family], adult=three_families[adult])
    response = getattr(client, method)(address, data=adult_form(first_name="Intruder"))
    assert response.status_code == 404
    page = text(response)
    for name in ("Grace", "Okafor", "Helen", "Brooks"):
        assert name not in page, name
    assert everything_about_adults(app) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_adding_an_adult_to_another_coachs_family_is_not_found(
    app, client, three_families, method
):
    before = everything_about_adults(app)
    response = getattr(client, method)(
        f"/clients/{three_families['helen']}/adults/new", data=adult_form()
    )
    assert response.status_code == 404 and "Helen" not in text(response)
    assert everything_about_adults(app) == before


# Finding a family


def test_the_list_and_the_search_find_the_family_by_the_second_adults_names(
    app, client, coach_id
):
    client_id = add_sofia(app, coach_id)
    add_marc(app, client_id)
    add_sofia(app, coach_id, first_name="Helen", last_name="Brooks")
    for query in ("marc", "DUVAL", "sofia duval", "marc marin"):
        listing = text(client.get("/clients/", query_string={"q": query}))
        assert "Sofia Marin and Marc Duval</a>" in listing, query
        assert "Helen Brooks" not in listing, query
    assert "No clients match" in text(client.get("/clients/?q=marcel"))

    found = text(client.get("/search?q=marc"))
    assert "Sofia Marin and <mark>Marc</mark> Duval" in found and "Helen" not in found
    assert "Sofia Marin and Marc <mark>Duv</mark>al" in text(client.get("/search?q=duv"))
    assert f'href="/clients/{client_id}"' in found


# Inviting an adult


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    app.config.update(server.settings(), CANONICAL_URL=CANONICAL)
    yield server
    server.stop()


def invitation_link(message) -> str:
    """The e-mailed invitation link, without the host: "/invitation#<token>"."""
    plain = message.get_body(("plain",)).get_content()
    match = re.search(re.escape(CANONICAL) + r"(/invitation#[\w-]+)", plain)
    assert match, plain
    return match.group(1)


def test_inviting_the_second_adult_sends_them_their_own_invitation(
    app, client, coach_id, smtp, browser
):
    client_id = add_sofia(app, coach_id)
    marc_id = add_marc(app, client_id, email="Marc.Duval@Example.com")
    page = text(client.get(f"/clients/{client_id}"))
    invite_marc = f"/clients/{client_id}/adults/{marc_id}/invite"
    assert f'action="{invite_marc}"' in page
    assert "Invite to the portal<span class=\"visually-hidden\"> (Marc Duval)</span>" in page

    response = client.post(invite_marc)
    response.close()  # as a server does: the invitation is delivered after the response
    assert response.status_code == 302
    [(recipients, message)] = smtp.received
    assert recipients == ["marc.duval@example.com"]
    assert "Hello Marc," in message.get_body(("plain",)).get_content()
    page = text(client.get(f"/clients/{client_id}"))
    assert "Invitation on its way to marc.duval@example.com." in page
    assert "Invited; no password chosen yet." in page and "Not invited yet." in page  # Sofia

    browser.logout()
    path, token = invitation_link(message).split("#", 1)
    client.get(path)
    welcome = client.post(path, data={"link": token}, follow_redirects=True)
    assert "Welcome, Marc Duval" in text(welcome)
    chosen = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.headers["Location"] == "/portal/"
    assert "Hello, Marc" in text(client.get("/portal/"))
    with app.app_context():
        family = db.session.get(Client, client_id)
        sofia, marc = family.adults
        assert sofia.user_id is None
        assert marc.user.email == "marc.duval@example.com" and marc.user.role is Role.CLIENT


@pytest.mark.parametrize("address", ["coach@example.com", "Sofia@Example.com"])
def test_inviting_with_an_address_another_account_uses_is_refused(
    app, client, coach_id, smtp, address
):
    client_id = add_sofia(app, coach_id)
    with app.app_context():
        make_client_login(db.session.get(Client, client_id))  # sofia@example.com
    marc_id = add_marc(app, client_id, email=address)
    users_before = everything_about_adults(app)[1]

    response = client.post(f"/clients/{client_id}/adults/{marc_id}/invite", follow_redirects=True)
    page = text(response)
    assert (
        f"There is already an account for {address.lower()}: give Marc Duval another e-mail "
        "address to invite them." in page
    )
    assert "Invitation on its way" not in page
    assert smtp.received == []
    assert adults_of(app, client_id)[1][3] is None
    assert everything_about_adults(app)[1] == users_before
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


# What the second adult sees in the portal


def _portal_urls(app, values: dict) -> list[tuple[str, str]]:
    """Every portal address that names a session, an action item or a letter."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("portal.") or not rule.arguments:
                continue
            if rule.arguments == {"coach_id"}:  # the coach's free times: no family's record
                continue
            method = "GET" if "GET" in rule.methods else "POST"
            arguments = {name: values[name] for name in rule.arguments}
            urls.append((method, app.url_for(rule.endpoint, **arguments)))
    return urls


def test_the_second_adult_sees_an_empty_portal_and_none_of_the_familys_records(
    app, client, browser, family_with_history, renders
):
    f = family_with_history
    client.get(f"/clients/{f['client']}")  # the coach opens the family's record
    client.get(f"/sessions/{f['session']}")
    browser.logout()
    assert browser.login("sofia@example.com", PASSWORD).status_code == 302
    assert client.get(f"/portal/letters/{f['letter']}.pdf").status_code == 200
    browser.logout()

    assert browser.login("marc@example.com", PASSWORD).headers["Location"] == "/portal/"
    home = text(client.get("/portal/"))
    assert "Hello, Marc" in home and "Nothing shared with you yet" in home
    letters = text(client.get("/portal/letters"))
    for page in (home, letters):
        for secret in (SUMMARY, STEP, LETTER_SUBJECT, LETTER_BODY, PRIVATE, "DRAFT"):
            assert secret not in page, secret

    archive = client.get("/portal/download")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        assert zipped.namelist() == ["index.html"]
        index = zipped.read("index.html").decode()
    assert "No letters yet." in index and "No sessions yet." in index
    assert LETTER_SUBJECT not in index

    # Marc reads that the coach opened the family's record, and nothing about the session
    # he did not attend or the letter not written to him.
    activity = text(client.get("/portal/activity"))
    rows = re.findall(r"<tr>(.*?)</tr>", activity.split("<tbody>", 1)[-1], re.S)
    assert [row for row in rows if "You" not in row] == [
        row for row in rows if "Maya Lindqvist" in row and "Opened your record" in row
    ]
    for other in ("Sofia", "Read the notes", "Downloaded a PDF"):
        assert other not in activity, other

    values = {
        "coaching_session_id": f["session"],
        "action_item_id": f["item"],
        "letter_id": f["letter"],
    }
    urls = _portal_urls(app, values)
    assert ("GET", f"/portal/sessions/{f['session']}.pdf") in urls
    assert ("POST", f"/portal/action-items/{f['item']}/toggle") in urls
    assert len(urls) >= 6
    for method, url in [*urls, ("GET", f"/portal/letters/{f['draft']}")]:
        data = {"agree": "y", "note": "changed my mind"} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url)
        assert b"%PDF" not in response.data and LETTER_BODY.encode() not in response.data
    renders_for_marc = len(renders)
    with app.app_context():
        assert db.session.get(ActionItem, f["item"]).done_at is None
        assert db.session.scalar(select(func.count(PublicationConsent.id))) == 0

    # The first adult still sees everything, as before.
    browser.logout()
    assert browser.login("sofia@example.com", PASSWORD).headers["Location"] == "/portal/"
    home = text(client.get("/portal/"))
    assert "SHARED-SUMMARY" in home and STEP in home and LETTER_SUBJECT in home
    assert "Nothing shared with you yet" not in home and PRIVATE not in home
    assert client.get(f"/portal/letters/{f['letter']}").status_code == 200
    assert client.get(f"/portal/sessions/{f['session']}.pdf").status_code == 200
    assert len(renders) == renders_for_marc + 1  # Marc's walk rendered nothing
    with zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data)) as zipped:
        assert len(zipped.namelist()) == 3  # the index, the letter and the session
    activity = text(client.get("/portal/activity"))
    assert "Maya Lindqvist" in activity and "Opened your record" in activity
    assert "Marc" not in activity  # his sign-ins and his (empty) archive are his own


# The audit log


def test_the_audit_log_records_adding_and_removing_an_adult(app, client, coach_id):
    client_id = add_sofia(app, coach_id)
    client.post(f"/clients/{client_id}/adults/new", data=adult_form())
    [added] = events(app, AuditAction.ADULT_ADDED)
    marc_id = adults_of_ids(app, client_id)[1]
    assert (added.actor_id, added.client_id, added.target_type, added.target_id) == (
        coach_id, client_id, "adults", marc_id
    )
    assert "Marc" not in (added.detail or "")  # the log keeps ids, not what was typed

    client.post(f"/clients/{client_id}/adults/{marc_id}/remove")
    [removed] = events(app, AuditAction.ADULT_REMOVED)
    assert (removed.actor_id, removed.client_id) == (coach_id, client_id)
    assert str(marc_id) in removed.detail

    log = text(client.get("/audit/"))
    assert "Added an adult to a family" in log and "Removed an adult from a family" in log


def adults_of_ids(app, client_id: int) -> list[int]:
    with app.app_context():
        return [adult.id for adult in db.session.get(Client, client_id).adults]


# What it costs


def _give_adults(app, client_ids: list[int], how_many: int) -> None:
    """Bring each family to ``how_many`` adults, each with a portal sign-in."""
    with app.app_context():
        for client_id in client_ids:
            family = db.session.get(Client, client_id)
            for number in range(len(family.adults), how_many):
                adult = add_family_adult(
                    family, f"Adult{number}", email=f"adult{number}.{client_id}@example.com"
                )
                make_client_login(family, adult=adult)


def test_the_client_list_and_page_take_the_same_queries_with_one_or_three_adults(
    app, client, coach_id
):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        ids = []
        for number in range(5):
            family = make_client(
                coach, f"Parent{number}", email=f"parent{number}@example.com",
                children=[("Lena", 2020), ("Mateo", 2022)],
            )
            make_client_login(family)
            ids.append(family.id)
    list_with_one = statements_for(app, client, "/clients/")
    page_with_one = statements_for(app, client, f"/clients/{ids[0]}")

    _give_adults(app, ids, 3)
    list_with_three = statements_for(app, client, "/clients/")
    page_with_three = statements_for(app, client, f"/clients/{ids[0]}")
    assert "Parent0 Marin, Adult1 Duval and Adult2 Duval</a>" in text(client.get("/clients/"))
    assert len(list_with_three) == len(list_with_one), list_with_three
    assert len(page_with_three) == len(page_with_one), page_with_three


# The demo practice


def test_the_demo_has_a_couple_who_come_together_and_a_second_run_adds_no_one(
    app, runner, client, browser
):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        family = db.session.scalars(
            select(Client).join(Client.adults).where(Adult.email == "amira.haddad@example.com")
        ).one()
        assert [(a.full_name, a.relation_to_children, a.user_id) for a in family.adults] == [
            ("Amira Haddad", "", None), ("Karim Haddad", "Father", None)
        ]
        # six families: one a couple, one separated parents
        assert db.session.scalar(select(func.count(Adult.id))) == 8
        family_id = family.id
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    assert "<h1>Amira and Karim Haddad</h1>" in text(client.get(f"/clients/{family_id}"))


def test_the_demo_separated_parents_are_kept_apart_and_each_sees_only_their_own_portal(
    app, runner, client, browser
):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    assert all(email in result.output for email in DEMO_APART_EMAILS)
    with app.app_context():
        family = db.session.scalars(
            select(Client).join(Client.adults).where(Adult.email == "claire.bennett@example.com")
        ).one()
        assert family.keep_apart and family.display_name == "Claire Bennett and Luca Romano"
        assert [(a.relation_to_children, a.user is not None) for a in family.adults] == [
            ("Mother", True), ("Father", True)
        ]
        assert [a.phone for a in family.adults] == ["+44 7700 900987", "+44 7700 900988"]
        changes = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.client_id == family.id,
            AuditEvent.action == AuditAction.KEEP_APART_CHANGED.value,
        )).all()
        assert changes == ["Adults kept apart"]  # once, though the demo ran twice
        letters = {
            " and ".join(a.first_name for a in letter.addressees): letter.id
            for letter in db.session.scalars(select(Letter).where(Letter.client_id == family.id))
        }
        assert sorted(letters) == ["Claire", "Claire and Luca", "Luca"]
    own_words = {
        "Claire": "no screens at the table", "Luca": "handovers to be calmer for him",
    }
    sign_ins = dict(zip(("Claire", "Luca"), DEMO_APART_EMAILS, strict=True))
    for name, other in (("Claire", "Luca"), ("Luca", "Claire")):
        browser.logout()
        browser.login(sign_ins[name], DEMO_CLIENT_PASSWORD)
        home = text(client.get("/portal/"))
        assert own_words[name] in home and "without a goodbye on the doorstep" in home
        assert own_words[other] not in home
        assert f"{name} alone" not in home  # the private notes stay with the coach
        assert client.get(f"/portal/letters/{letters[name]}").status_code == 200
        assert client.get(f"/portal/letters/{letters['Claire and Luca']}").status_code == 200
        assert client.get(f"/portal/letters/{letters[other]}").status_code == 404
