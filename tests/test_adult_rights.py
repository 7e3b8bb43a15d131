"""Data rights per adult of a family: what each adult reads in "Who has seen my records",
one adult's export, leaving the family (the first adult too) and erasing one adult's
details, inviting someone who left back, and letters left written to no one."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.clients.services import set_keep_apart
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus, RenderedPdf
from coachapp.outbox.models import OutboxMessage
from tests.conftest import Browser, page_text, statements_for
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_sent_letter,
)

JOINT_SUMMARY = "JOINT-SUMMARY: the two of you and Lena"
SOFIA_SUMMARY = "SOFIA-SUMMARY: Sofia alone"
MARC_SUMMARY = "MARC-SUMMARY: Marc alone"
MARC_STEP = "MARC-STEP: call the nursery"
SOFIA_STEP = "SOFIA-STEP: rest on Sunday"
FAMILY_STEP = "FAMILY-STEP: one evening a week together"


def rows(page: str) -> list[str]:
    """The rows of the activity table, as text without tags."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    found = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def sign_in(browser: Browser, email: str) -> None:
    browser.logout()
    assert browser.login(email, PASSWORD).status_code == 302


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia and Marc, each signed up to the portal: a joint session and a session with
    each alone, a joint letter and a letter to each alone, all sent."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia_family = make_client(coach, phone="+44 7700 900111")
        sofia = sofia_family.first_adult
        marc = add_family_adult(sofia_family, phone="+44 7700 900222")
        make_client_login(sofia_family)
        make_client_login(sofia_family, adult=marc)
        joint = make_coaching_session(
            sofia_family, days_ago=9, summary=JOINT_SUMMARY, attendees=[sofia, marc],
            action_items=[MARC_STEP, SOFIA_STEP, FAMILY_STEP],
        )
        joint.action_items[0].adult_id, joint.action_items[1].adult_id = marc.id, sofia.id
        with_sofia = make_coaching_session(
            sofia_family, days_ago=8, summary=SOFIA_SUMMARY, attendees=[sofia]
        )
        with_marc = make_coaching_session(
            sofia_family, days_ago=7, summary=MARC_SUMMARY, attendees=[marc]
        )
        letters = {
            name: make_sent_letter(
                sofia_family, subject=f"{name.upper()}-LETTER", addressees=addressees
            ).id
            for name, addressees in (
                ("joint", [sofia, marc]), ("sofia", [sofia]), ("marc", [marc])
            )
        }
        db.session.commit()
        return {
            "client": sofia_family.id,
            "sofia": sofia.id,
            "marc": marc.id,
            "marc_login": marc.user_id,
            "joint": joint.id,
            "with_sofia": with_sofia.id,
            "with_marc": with_marc.id,
            **{f"{name}_letter": letter_id for name, letter_id in letters.items()},
        }


def keep_apart(app, client_id: int) -> None:
    with app.app_context():
        set_keep_apart(db.session.get(Client, client_id), True)
        db.session.commit()


def walk_the_records(client, browser, f) -> None:
    """The coach opens everything; Sofia and Marc each download what they share."""
    client.get(f"/clients/{f['client']}")
    for session_id in (f["joint"], f["with_sofia"], f["with_marc"]):
        assert client.get(f"/sessions/{session_id}").status_code == 200
    for name in ("joint", "sofia", "marc"):
        assert client.get(f"/letters/{f[name + '_letter']}/pdf").status_code == 200
    sign_in(browser, "sofia@example.com")
    assert client.get(f"/portal/letters/{f['joint_letter']}.pdf").status_code == 200
    sign_in(browser, "marc@example.com")
    assert client.get(f"/portal/sessions/{f['joint']}.pdf").status_code == 200


def activity_of(client, browser, email: str) -> list[str]:
    sign_in(browser, email)
    page = page_text(client.get("/portal/activity"))
    return [row for row in rows(page) if "Signed " not in row]


def what(found: list[str], who: str, label: str) -> int:
    return sum(1 for row in found if who in row and label in row)


# Who has seen my records


def test_together_each_adult_reads_their_records_and_the_others_actions_on_shared_ones(
    app, client, browser, family, renders
):
    walk_the_records(client, browser, family)
    for email, own_download, other in (
        ("sofia@example.com", "Downloaded a PDF", "Marc Duval"),
        ("marc@example.com", "Downloaded a PDF", "Sofia Marin"),
    ):
        found = activity_of(client, browser, email)
        assert what(found, "Maya Lindqvist", "Opened your record") == 1, found
        # The joint session and their own; never the session held with the other alone.
        assert what(found, "Maya Lindqvist", "Read the notes of one of your sessions") == 2
        # The joint letter and their own.
        assert what(found, "Maya Lindqvist", "Downloaded a PDF") == 2
        assert what(found, "You", own_download) == 1
        # The other adult's download of something both share shows, named.
        assert what(found, other, "Downloaded a PDF") == 1, found
        assert not any("kept apart" in row for row in found)
        assert len(found) == 7, "\n".join(found)


def test_kept_apart_each_adult_reads_only_their_records_and_never_the_others_actions(
    app, client, browser, family, renders
):
    keep_apart(app, family["client"])
    walk_the_records(client, browser, family)
    for email, other in (("sofia@example.com", "Marc"), ("marc@example.com", "Sofia")):
        found = activity_of(client, browser, email)
        assert what(found, "", "Kept the adults of your family apart") == 1
        assert what(found, "Maya Lindqvist", "Opened your record") == 1
        assert what(found, "Maya Lindqvist", "Read the notes of one of your sessions") == 2
        assert what(found, "Maya Lindqvist", "Downloaded a PDF") == 2
        assert what(found, "You", "Downloaded a PDF") == 1
        assert not any(other in row for row in found), found
        assert len(found) == 7, found


def add_marcs_downloads(app, f: dict, count: int) -> None:
    with app.app_context():
        for _ in range(count):
            db.session.add(AuditEvent(
                action=AuditAction.PDF_DOWNLOADED.value, client_id=f["client"],
                target_type="coaching_sessions", target_id=f["joint"],
                actor_id=f["marc_login"], actor_role="client", actor_name="Marc Duval",
            ))
        db.session.commit()


def test_the_activity_page_takes_the_same_few_queries_however_long_the_history(
    app, client, browser, family, renders
):
    walk_the_records(client, browser, family)
    sign_in(browser, "sofia@example.com")
    add_marcs_downloads(app, family, 60)
    with_sixty = len(statements_for(app, client, "/portal/activity"))
    add_marcs_downloads(app, family, 600)
    statements = statements_for(app, client, "/portal/activity")
    assert with_sixty == len(statements) <= 5, "\n\n".join(statements)
    assert len(rows(page_text(client.get("/portal/activity")))) == 50  # a page of them


# One adult's export


def export_of(client, client_id: int, adult_id: int) -> tuple[dict, list[str], str]:
    response = client.post(f"/clients/{client_id}/adults/{adult_id}/export")
    assert response.status_code == 200, response.status_code
    with zipfile.ZipFile(io.BytesIO(response.data)) as zipped:
        data = json.loads(zipped.read("client.json"))
        names = zipped.namelist()
    return data, names, response.headers["Content-Disposition"]


@pytest.mark.parametrize("kept_apart", [False, True])
def test_one_adults_export_holds_their_share_and_never_the_others_own_records(
    app, client, browser, family, renders, kept_apart
):
    f = family
    if kept_apart:
        keep_apart(app, f["client"])
    sign_in(browser, "marc@example.com")
    client.get(f"/portal/sessions/{f['joint']}.pdf")
    sign_in(browser, "coach@example.com")
    page = page_text(client.get(f"/clients/{f['client']}"))
    assert f'action="/clients/{f["client"]}/adults/{f["marc"]}/export"' in page
    assert "Export Marc Duval\u2019s data" in page

    data, names, disposition = export_of(client, f["client"], f["marc"])
    assert f"client-{f['client']}-adult-{f['marc']}-export-" in disposition
    assert "Marc" not in disposition
    assert data["adult"]["email"] == "marc@example.com"
    assert data["adult"]["phone"] == "+44 7700 900222"
    assert data["adult"]["portal_account"]["state"] == "active"
    assert data["client"] == {"id": f["client"], "adults_kept_apart": kept_apart}
    assert [s["shared_summary"] for s in data["sessions"]] == [JOINT_SUMMARY, MARC_SUMMARY]
    joint_steps = [item["text"] for item in data["sessions"][0]["action_items"]]
    assert joint_steps == [MARC_STEP, FAMILY_STEP]  # not Sofia's own step
    assert [letter["subject"] for letter in data["letters"]] == ["JOINT-LETTER", "MARC-LETTER"]
    assert [letter["sent_to"] for letter in data["letters"]] == ["marc@example.com"] * 2
    assert len([name for name in names if name.startswith("sessions/")]) == 2
    assert len([name for name in names if name.startswith("letters/")]) == 2
    assert any(e["who"] == "you" and e["what"] == "Downloaded a PDF" for e in data["activity"])
    everything = json.dumps(data)
    for secret in ("sofia@example.com", "900111", SOFIA_SUMMARY, SOFIA_STEP, "SOFIA-LETTER"):
        assert secret not in everything, secret

    with app.app_context():
        [exported] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENT_EXPORTED.value)
        ).all()
        assert (exported.target_type, exported.target_id) == ("adults", f["marc"])
    # Marc reads that his data was exported; Sofia does not.
    assert what(activity_of(client, browser, "marc@example.com"), "Maya", "Exported your") == 1
    assert what(activity_of(client, browser, "sofia@example.com"), "Maya", "Exported") == 0


def test_another_familys_adult_is_not_found(app, client, family, renders):
    with app.app_context():
        coach = db.session.get(Client, family["client"]).coach
        daniel = make_client(coach, "Daniel", last_name="Okafor")
        grace = add_family_adult(daniel, "Grace", last_name="Okafor")
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        helen = make_client(ruth, "Helen", last_name="Brooks")
        strangers = [(daniel.id, grace.id), (helen.id, helen.first_adult.id)]
    for client_id, adult_id in [(family["client"], strangers[0][1]), *strangers[1:]]:
        for path in ("export", "remove"):
            response = client.post(f"/clients/{client_id}/adults/{adult_id}/{path}")
            assert response.status_code == 404, (client_id, adult_id, path)
    with app.app_context():
        assert db.session.get(Adult, strangers[0][1]) is not None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == AuditAction.CLIENT_EXPORTED.value)) == 0


# Leaving the family


def test_the_first_adult_can_leave_and_the_next_becomes_first(
    app, client, browser, family, renders
):
    f = family
    page = page_text(client.get(f"/clients/{f['client']}"))
    address = f"/clients/{f['client']}/adults/{f['sofia']}/remove"
    assert f'href="{address}"' in page
    confirm = page_text(client.get(address))
    assert "Marc Duval becomes the family's first adult" in confirm
    assert "Also erase their personal details" in confirm

    sofia = Browser(app.test_client())
    assert sofia.login("sofia@example.com", PASSWORD).status_code == 302
    response = client.post(address, follow_redirects=True)
    page = page_text(response)
    assert "Sofia Marin is no longer part of this family; their portal sign-in is closed." in page
    assert "<h1>Marc Duval</h1>" in page
    assert sofia.client.get("/portal/").status_code == 302  # signed out at once
    assert sofia.login("sofia@example.com", PASSWORD).status_code == 400
    with app.app_context():
        family_now = db.session.get(Client, f["client"])
        assert family_now.first_adult.id == f["marc"]
        # The shared history stays: the joint session and letter, now Marc's alone.
        joint = db.session.get(CoachingSession, f["joint"])
        assert [a.id for a in joint.attendees] == [f["marc"]]
        assert [a.id for a in db.session.get(Letter, f["joint_letter"]).addressees] == [f["marc"]]
        # Sofia's own step is now the family's.
        steps = {item.text: item.adult_id for item in joint.action_items}
        assert steps == {MARC_STEP: f["marc"], SOFIA_STEP: None, FAMILY_STEP: None}
        assert db.session.get(CoachingSession, f["with_sofia"]) is not None
        assert db.session.get(Letter, f["sofia_letter"]).sent_to == "sofia@example.com"
        login = db.session.scalar(select(User).where(User.email == "sofia@example.com"))
        assert login is not None and not login.active

    # The last adult still cannot leave, and is not even asked to confirm.
    for method in ("GET", "POST"):
        response = client.open(f"/clients/{f['client']}/adults/{f['marc']}/remove",
                               method=method, follow_redirects=True)
        assert "Marc Duval is the only adult of this family" in page_text(response)
        assert "Remove Marc Duval from the family?" not in page_text(response)


def test_erasing_an_adults_details_leaves_no_name_or_address_but_the_activity_log(
    app, client, family, renders
):
    f = family
    keep_apart(app, f["client"])
    with app.app_context():
        db.session.add(OutboxMessage(
            kind="letter", recipient="marc@example.com", subject="A letter", text="Hello Marc",
            html="<p>Hello Marc</p>", letter_id=f["marc_letter"],
            idempotency_key=f"letter-{f['marc_letter']}-adult-{f['marc']}",
        ))
        db.session.get(Letter, f["joint_letter"]).sent_to = "sofia@example.com, marc@example.com"
        db.session.commit()
    client.get(f"/letters/{f['marc_letter']}/pdf")  # a PDF with his name, in the cache
    response = client.post(
        f"/clients/{f['client']}/adults/{f['marc']}/remove", data={"erase": "y"},
        follow_redirects=True,
    )
    assert "their personal details are erased" in page_text(response)
    with app.app_context():
        assert db.session.get(User, f["marc_login"]) is None
        assert db.session.scalar(select(User).where(User.email == "marc@example.com")) is None
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert db.session.scalar(select(func.count(RenderedPdf.id)).where(
            RenderedPdf.letter_id == f["marc_letter"])) == 0
        joint = db.session.get(Letter, f["joint_letter"])
        assert joint.sent_to == "sofia@example.com"
        only_his = db.session.get(Letter, f["marc_letter"])
        assert only_his.addressees == [] and "marc@" not in only_his.sent_to
        assert db.session.get(CoachingSession, f["with_marc"]).summary == MARC_SUMMARY
        # Kept apart, his own step went with him; Sofia's and the family's stay.
        steps = [item.text for item in db.session.get(CoachingSession, f["joint"]).action_items]
        assert steps == [SOFIA_STEP, FAMILY_STEP]
        stored = [
            (a.first_name, a.email, a.phone) for a in db.session.get(Client, f["client"]).adults
        ]
        assert stored == [("Sofia", "sofia@example.com", "+44 7700 900111")]
        [removed] = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == AuditAction.ADULT_REMOVED.value)).all()
        assert "erased" in removed.detail and "Marc" not in removed.detail
    # The coach still reads the letter written to him alone; the portal shows it to no one.
    assert client.get(f"/letters/{f['marc_letter']}").status_code == 200


# Coming back


def test_someone_who_left_can_be_added_back_and_invited_again(app, client, family, renders):
    f = family
    client.post(f"/clients/{f['client']}/adults/{f['marc']}/remove")
    added = client.post(f"/clients/{f['client']}/adults/new", data={
        "first_name": "Marc", "last_name": "Duval", "email": "Marc@example.com",
        "preferred_contact": "email",
    })
    assert added.status_code == 302
    with app.app_context():
        marc_again = db.session.get(Client, f["client"]).adults[-1].id
    response = client.post(f"/clients/{f['client']}/adults/{marc_again}/invite",
                           follow_redirects=True)
    page = page_text(response)
    assert "Invitation on its way to marc@example.com." in page, page
    with app.app_context():
        login = db.session.get(Adult, marc_again).user
        assert login.id == f["marc_login"] and login.active and login.password_hash is None
    # His old password opens nothing until he chooses a new one from the invitation.
    assert Browser(app.test_client()).login("marc@example.com", PASSWORD).status_code == 400


def test_an_address_in_use_elsewhere_is_still_refused(app, client, family):
    f = family
    with app.app_context():
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        helen = make_client(ruth, "Helen", last_name="Brooks")
        tom = add_family_adult(helen, "Tom", last_name="Brooks")
        closed = make_client_login(helen, adult=tom)
        tom.user_id, closed.active = None, False  # Tom left Ruth's family: another practice
        db.session.commit()
    for address in ("sofia@example.com", "tom@example.com", "coach@example.com"):
        with app.app_context():
            extra = add_family_adult(db.session.get(Client, f["client"]), "Ana", email=address)
            extra_id = extra.id
        response = client.post(f"/clients/{f['client']}/adults/{extra_id}/invite",
                               follow_redirects=True)
        assert f"There is already an account for {address}" in page_text(response), address
        with app.app_context():
            assert db.session.get(Adult, extra_id).user_id is None
            db.session.delete(db.session.get(Adult, extra_id))
            db.session.commit()


# Letters left written to no one


def test_a_letter_whose_only_addressee_left_opens_but_cannot_be_sent_until_readdressed(
    app, client, browser, coach_id, renders
):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia_family = make_client(coach)
        marc = add_family_adult(sofia_family)
        moment = datetime.now(UTC) - timedelta(hours=1)
        approved = make_letter(
            sofia_family, subject="TO-MARC", body="Dear {{ client.first_name }},",
            addressees=[marc], status=LetterStatus.APPROVED, approved_at=moment,
        )
        client_id, marc_id, letter_id = sofia_family.id, marc.id, approved.id
        sofia_id = sofia_family.first_adult.id
    client.post(f"/clients/{client_id}/adults/{marc_id}/remove")

    page = page_text(client.get(f"/letters/{letter_id}"))
    assert "This letter is written to no one now" in page
    assert client.get(f"/letters/{letter_id}/pdf").status_code == 200
    assert client.get(f"/letters/{letter_id}/preview").status_code == 200
    response = client.post(f"/letters/{letter_id}/send", follow_redirects=True)
    assert "This letter is written to no one now" in page_text(response)
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert letter.status is LetterStatus.APPROVED and letter.sent_at is None
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    # In a family now of one adult, the editor still asks whom the letter is to.
    opened = client.get(f"/letters/{letter_id}/edit")
    editor = page_text(opened)
    assert opened.status_code == 200
    assert 'name="addressees"' in editor and "Sofia Marin" in editor
    form = {"subject": "TO-SOFIA", "body": "Dear Sofia,", "addressees_shown": "1",
            "version": re.search(r'name="version"[^>]*value="(\d+)"', editor).group(1)}
    client.post(f"/letters/{letter_id}/edit", data={**form, "addressees": str(sofia_id)})
    with app.app_context():
        assert [a.id for a in db.session.get(Letter, letter_id).addressees] == [sofia_id]
