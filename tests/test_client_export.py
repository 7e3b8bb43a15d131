"""A coach exports everything recorded about one client: client.json and the PDFs."""

import io
import json
import zipfile
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import User
from coachapp.blog.consents import give_consent
from coachapp.blog.models import ConsentMethod
from coachapp.blog.publishing import post_from_letter, publish_post
from coachapp.clients.services import tags_for
from coachapp.coaching.models import Topic
from coachapp.extensions import db
from tests.conftest import spy_on_archive_files
from tests.factories import (
    PASSWORD,
    default_replacements,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_sent_letter,
)

PRIVATE_NOTE = "PRIVATE: she fears her mother's judgement about the nursery."
SUMMARY = "We talked about the first weeks at nursery and the drop-off routine."
LETTER_WORDS = "You are your child's perfect parent because you are theirs."
REPLACEMENTS = default_replacements()


def pdf_text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


@pytest.fixture
def sofia(app, browser) -> dict:
    """Maya (signed in) and her client Sofia, with everything an export must carry."""
    with app.app_context():
        coach = make_coach()
        client = make_client(
            coach,
            "Sofia",
            last_name="Marin",
            children=[("Élodie", 2021), ("Lena", 2024)],
            goals="Go back to work without guilt.",
        )
        client.tags = tags_for(coach.id, ["return to work"])
        make_client_login(client)
        topic = Topic(coach_id=coach.id, name="Drop-off routine")
        first = make_coaching_session(
            client,
            days_ago=14,
            private_notes=PRIVATE_NOTE,
            summary=SUMMARY,
            action_items=["Visit the nursery together"],
            follow_up_on=date.today() + timedelta(days=7),
        )
        first.topics = [topic]
        make_coaching_session(client, days_ago=7, private_notes="Second talk.", summary="Calmer.")
        letter = make_sent_letter(
            client, body=f"Dear Sofia,\n\n{LETTER_WORDS}\n\nWith warmth,\n\nMaya"
        )
        give_consent(letter, coach, ConsentMethod.EMAIL, "E-mail of 3 March: happy to share.")
        post = post_from_letter(letter, coach, REPLACEMENTS)
        publish_post(post)
        db.session.commit()
        ids = {"coach": coach.id, "client": client.id, "letter": letter.id, "post": post.id}
    browser.login("coach@example.com", PASSWORD)
    return ids


def export(client, client_id: int):
    return client.post(f"/clients/{client_id}/export")


def test_the_client_page_offers_the_export(client, sofia):
    page = client.get(f"/clients/{sofia['client']}").get_data(as_text=True)
    assert "Export all data" in page and f'action="/clients/{sofia["client"]}/export"' in page


def test_the_export_holds_everything_recorded_about_the_client(app, client, sofia):
    response = export(client, sofia["client"])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert f"client-{sofia['client']}-export-" in disposition and "Sofia" not in disposition

    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    session_pdfs = sorted(name for name in names if name.startswith("sessions/"))
    assert len(session_pdfs) == 2 and f"letters/letter-{sofia['letter']}.pdf" in names
    raw = archive.read("client.json")
    assert "Élodie".encode() in raw  # UTF-8 as written, not \u escapes
    data = json.loads(raw.decode("utf-8"))

    [adult] = data["client"]["adults"]
    assert adult["first_name"] == "Sofia" and adult["last_name"] == "Marin"
    assert data["client"]["goals"] == "Go back to work without guilt."
    assert data["children"] == [
        {"first_name": "Élodie", "birth_year": 2021},
        {"first_name": "Lena", "birth_year": 2024},
    ]
    assert data["tags"] == ["return to work"]
    assert adult["portal_account"]["email"] == "sofia@example.com"
    assert adult["portal_account"]["state"] == "active"
    assert "password" not in json.dumps(adult["portal_account"])

    first, second = data["sessions"]
    assert first["private_notes"] == PRIVATE_NOTE and first["shared_summary"] == SUMMARY
    assert first["topics"] == ["Drop-off routine"]
    assert first["action_items"][0]["text"] == "Visit the nursery together"
    assert date.fromisoformat(first["follow_up_on"]) == date.today() + timedelta(days=7)
    assert datetime.fromisoformat(first["starts_at"]) < datetime.fromisoformat(second["starts_at"])
    assert second["private_notes"] == "Second talk."

    (letter,) = data["letters"]
    assert letter["status"] == "sent" and LETTER_WORDS in letter["body"]
    assert [revision["reason"] for revision in letter["revisions"]] == ["approve"]
    assert letter["revisions"][0]["author"] == "Maya Lindqvist"
    (consent,) = data["consents"]
    assert consent["method"] == "email" and consent["letter_id"] == sofia["letter"]
    assert consent["letter_revision"] == 1 and consent["withdrawn_at"] is None
    assert consent["note"] == "E-mail of 3 March: happy to share."
    (post,) = data["posts"]
    assert post["status"] == "published" and post["letter_id"] == sofia["letter"]
    assert "Sofia" not in post["body"] and "perfect parent" in post["body"]
    public_path = post["public_url"].removeprefix(app.config["CANONICAL_URL"])
    assert public_path.startswith("/blog/") and client.get(public_path).status_code == 200
    assert data["coach"]["name"] == "Maya Lindqvist"

    session_text = pdf_text(archive.read(first["pdf"]))
    assert "first weeks at nursery" in session_text and "Visit the nursery together" in session_text
    assert "PRIVATE" not in session_text  # the session PDF is the client's copy
    assert "perfect parent" in pdf_text(archive.read(letter["pdf"]))

    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENT_EXPORTED.value)
        )
        assert event.client_id == sofia["client"] and event.actor_id == sofia["coach"]


def test_a_second_export_renders_no_pdf_again_and_closes_its_file(
    client, sofia, renders, monkeypatch
):
    spools = spy_on_archive_files(monkeypatch)
    first = export(client, sofia["client"])
    assert len(renders) == 3  # two sessions and a letter
    second = export(client, sofia["client"])
    assert len(renders) == 3

    for response in (first, second):
        assert response.content_length == len(response.data)
        response.close()
    pdfs = [
        {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}
        for archive in (zipfile.ZipFile(io.BytesIO(r.data)) for r in (first, second))
    ]
    assert len(pdfs[0]) == 3 and pdfs[0] == pdfs[1]
    assert len(spools) == 2 and all(spool.closed for spool in spools)


def test_another_coach_cannot_export_my_client(app, client, sofia, browser):
    browser.logout()
    with app.app_context():
        make_coach("ruth@example.com", "Ruth Adeyemi")
    browser.login("ruth@example.com", PASSWORD)
    response = export(client, sofia["client"])
    assert response.status_code == 404 and b"Sofia" not in response.data
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENT_EXPORTED.value)
            )
            is None
        )


def test_a_client_cannot_export_even_their_own_data(app, client, sofia, browser):
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    assert export(client, sofia["client"]).status_code == 404


def test_an_export_of_a_new_client_is_small_and_complete(app, client, sofia):
    with app.app_context():
        coach = db.session.get(User, sofia["coach"])
        helen_id = make_client(coach, "Helen", last_name="Brooks", children=[]).id
    response = export(client, helen_id)
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["README.txt", "client.json"]
    data = json.loads(archive.read("client.json"))
    [adult] = data["client"]["adults"]
    assert adult["first_name"] == "Helen" and adult["portal_account"] == {"state": "not invited"}
    assert data["sessions"] == data["letters"] == data["posts"] == data["consents"] == []
    assert PRIVATE_NOTE not in archive.read("client.json").decode()  # Sofia's stay with Sofia
