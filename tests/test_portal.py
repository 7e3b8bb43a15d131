"""The client portal as a parent uses it: sessions, next steps, letters and their files."""

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.demo import DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD
from coachapp.documents.pdf import PdfRenderError
from coachapp.extensions import db
from coachapp.letters import rendering
from coachapp.letters.models import Letter, LetterStatus
from tests.conftest import csrf_token_from, spy_on_archive_files, statements_for
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
)

SOFIA_PRIVATE = "PRIVATE-SOFIA: her mother's voice says a good mother stays home"
SOFIA_SUMMARY = "We talked about the **first weeks** at nursery."
SOFIA_LETTER = "You are your child's perfect parent because you are theirs."
DRAFT_LETTER = "DRAFT-WORDS not yet ready for Sofia"
APPROVED_LETTER = "APPROVED-WORDS waiting to be sent"
DANIEL_PRIVATE = "PRIVATE-DANIEL: relapse fear before weekend visits"
DANIEL_SUMMARY = "Grace answered you with a drawing."
DANIEL_LETTER = "Small, reliable moments that Grace can count on."


def pdf_text(document: bytes) -> str:
    """All the text of a PDF, as a reader's copy-and-paste would give it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def text(response) -> str:
    return response.get_data(as_text=True)


def _sent(client: Client, body: str, subject: str) -> Letter:
    moment = datetime.now(UTC) - timedelta(days=3)
    return make_letter(
        client, body=body, subject=subject, status=LetterStatus.SENT,
        approved_at=moment, sent_at=moment + timedelta(hours=2), sent_to=client.first_adult.email,
    )


@pytest.fixture
def families(app) -> dict:
    """Sofia and Daniel, clients of one coach, each with a portal sign-in, sessions, letters."""
    with app.app_context():
        coach = make_coach()
        sofia = make_client(coach, "Sofia")
        daniel = make_client(coach, "Daniel", last_name="Okafor", children=[("Grace", 2011)])
        make_client_login(sofia)
        make_client_login(daniel)
        first = make_coaching_session(
            sofia, days_ago=30, private_notes=SOFIA_PRIVATE, summary=SOFIA_SUMMARY,
            action_items=["Visit the nursery together", "Book an evening for yourself"],
        )
        second = make_coaching_session(
            sofia, days_ago=2, private_notes=SOFIA_PRIVATE + " (again)",
            summary="Your proposal is with the firm.", action_items=["Send the proposal"],
        )
        upcoming = make_coaching_session(
            sofia, days_ago=-5, private_notes="", summary="UPCOMING-SESSION"
        )
        sent = _sent(sofia, SOFIA_LETTER, "After our first session")
        draft = make_letter(sofia, body=DRAFT_LETTER, subject="Draft subject")
        approved = make_letter(
            sofia, body=APPROVED_LETTER, subject="Approved subject",
            status=LetterStatus.APPROVED, approved_at=datetime.now(UTC),
        )
        daniels = make_coaching_session(
            daniel, days_ago=10, private_notes=DANIEL_PRIVATE, summary=DANIEL_SUMMARY,
            action_items=["Send Grace one short message"],
        )
        daniels_letter = _sent(daniel, DANIEL_LETTER, "Showing up")
        return {
            "coach": coach.id,
            "sofia": sofia.id,
            "daniel": daniel.id,
            "first": first.id,
            # Named by the day in the client's time zone (the default, London).
            "first_day": first.starts_at.astimezone(ZoneInfo("Europe/London")).date().isoformat(),
            "first_item": first.action_items[0].id,
            "second": second.id,
            "upcoming": upcoming.id,
            "sent": sent.id,
            "draft": draft.id,
            "approved": approved.id,
            "daniels_session": daniels.id,
            "daniels_item": daniels.action_items[0].id,
            "daniels_letter": daniels_letter.id,
        }


def sign_in_as_sofia(browser) -> None:
    assert browser.login("sofia@example.com", PASSWORD).headers["Location"] == "/portal/"


def sign_in_as_daniel(browser) -> None:
    assert browser.login("daniel@example.com", PASSWORD).headers["Location"] == "/portal/"


def assert_private_download(response, filename: str, mimetype: str) -> None:
    """A file only this person may have: an attachment, a neutral name, never cached."""
    assert response.status_code == 200
    assert response.mimetype == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={filename}"
    assert "sofia" not in disposition.lower() and "marin" not in disposition.lower()
    assert "no-store" in response.headers["Cache-Control"]


def assert_not_found(response) -> None:
    assert response.status_code == 404
    assert b"%PDF" not in response.data and not response.data.startswith(b"PK")


def test_a_client_sees_their_summaries_and_next_steps_but_never_private_notes(
    client, browser, families
):
    sign_in_as_sofia(browser)
    home = text(client.get("/portal/"))
    assert "We talked about the <strong>first weeks</strong> at nursery." in home
    assert "Your proposal is with the firm." in home
    assert "Visit the nursery together" in home and "Send the proposal" in home
    # Newest first; the upcoming session has nothing to show yet.
    assert home.index("Your proposal is with the firm.") < home.index("first weeks")
    assert "UPCOMING-SESSION" not in home
    assert "After our first session" in home
    letters = text(client.get("/portal/letters"))
    letter = text(client.get(f"/portal/letters/{families['sent']}"))
    assert "After our first session" in letters
    assert "perfect parent because you are theirs" in letter
    for page in (home, letters, letter):
        assert "PRIVATE-SOFIA" not in page
        assert "Draft subject" not in page and "Approved subject" not in page
        assert "DRAFT-WORDS" not in page and "APPROVED-WORDS" not in page
        assert "Daniel" not in page and "Grace" not in page and "Showing up" not in page
    assert 'href="/portal/download"' in home  # the menu's "Download everything"


def test_a_client_ticks_their_own_next_step_done_and_open_again(app, client, browser, families):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in_as_sofia(browser)
    toggle = f"/portal/action-items/{families['first_item']}/toggle"
    assert client.post(toggle).status_code == 400  # no CSRF token: refused
    token = csrf_token_from(text(client.get("/portal/")))

    done = client.post(toggle, data={"csrf_token": token})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/portal/#session-{families['first']}"
    with app.app_context():
        assert db.session.get(ActionItem, families["first_item"]).done_at is not None
    assert "Mark as not done: Visit the nursery together" in text(client.get("/portal/"))

    client.post(toggle, data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(ActionItem, families["first_item"]).done_at is None


def test_a_client_reads_and_downloads_a_letter_sent_to_them(client, browser, families):
    sign_in_as_sofia(browser)
    letter_id = families["sent"]
    response = client.get(f"/portal/letters/{letter_id}.pdf")
    assert_private_download(response, f"letter-{letter_id}.pdf", "application/pdf")
    assert SOFIA_LETTER in " ".join(pdf_text(response.data).split())


def test_drafts_and_approved_but_unsent_letters_are_not_found(client, browser, families):
    sign_in_as_sofia(browser)
    for letter_id in (families["draft"], families["approved"]):
        assert_not_found(client.get(f"/portal/letters/{letter_id}"))
        assert_not_found(client.get(f"/portal/letters/{letter_id}.pdf"))


def test_a_sessions_pdf_has_the_summary_and_next_steps_but_not_the_private_notes(
    client, browser, families
):
    sign_in_as_sofia(browser)
    response = client.get(f"/portal/sessions/{families['first']}.pdf")
    assert_private_download(response, f"session-{families['first_day']}.pdf", "application/pdf")
    document = " ".join(pdf_text(response.data).split())
    assert "We talked about the first weeks at nursery." in document
    assert "Visit the nursery together" in document
    assert "Maya Lindqvist" in document  # on the coach's letterhead
    assert "PRIVATE-SOFIA" not in document
    assert_not_found(client.get(f"/portal/sessions/{families['upcoming']}.pdf"))


def test_download_everything_is_one_zip_of_letters_and_sessions_without_private_notes(
    client, browser, families
):
    sign_in_as_sofia(browser)
    response = client.get("/portal/download")
    assert_private_download(response, "my-coaching.zip", "application/zip")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(archive.namelist())
    assert len(names) == 4
    assert names[0] == "index.html" and names[1] == f"letters/letter-{families['sent']}.pdf"
    assert all(re.fullmatch(r"sessions/session-\d{4}-\d\d-\d\d\.pdf", n) for n in names[2:])
    index = archive.read("index.html").decode()
    assert all(f'href="{name}"' in index for name in names[1:])
    contents = index + " ".join(
        " ".join(pdf_text(archive.read(name)).split()) for name in names[1:]
    )
    assert SOFIA_LETTER in contents and "first weeks" in contents
    for absent in ("PRIVATE-SOFIA", "DRAFT-WORDS", "APPROVED-WORDS", "UPCOMING", "Daniel"):
        assert absent not in contents


def pdf_entries(response) -> dict[str, bytes]:
    """The PDFs in a downloaded zip, by name."""
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}


def test_a_second_download_renders_nothing_again_and_an_edited_session_renders_afresh(
    app, client, browser, families, renders
):
    sign_in_as_sofia(browser)
    first = pdf_entries(client.get("/portal/download"))
    assert len(first) == 3 and len(renders) == 3  # one letter, two past sessions

    again = client.get("/portal/download")
    assert_private_download(again, "my-coaching.zip", "application/zip")
    assert pdf_entries(again) == first
    assert client.get(f"/portal/sessions/{families['second']}.pdf").status_code == 200
    assert len(renders) == 3  # every PDF came from the cache

    with app.app_context():
        db.session.get(CoachingSession, families["first"]).summary = "A calmer drop-off."
        db.session.commit()
    edited = pdf_entries(client.get("/portal/download"))
    assert len(renders) == 4 and "A calmer drop-off." in renders[-1]
    session_name = f"sessions/session-{families['first_day']}.pdf"
    assert edited[session_name] != first[session_name]
    assert {n: d for n, d in edited.items() if n != session_name} == {
        n: d for n, d in first.items() if n != session_name
    }


def test_the_archive_file_is_closed_when_the_download_ends(client, browser, families, monkeypatch):
    spools = spy_on_archive_files(monkeypatch)
    sign_in_as_sofia(browser)

    response = client.get("/portal/download")
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    assert response.content_length == len(response.data)
    assert len(spools) == 1 and not spools[0].closed  # sent from the file as it is read
    response.close()
    assert spools[0].closed


def test_a_pdf_that_cannot_be_made_shows_the_calm_page_instead_of_a_partial_archive(
    app, client, browser, families, monkeypatch
):
    def fail_on_the_second(html: str, **_options) -> bytes:
        calls.append(html)
        if len(calls) == 2:
            raise PdfRenderError("The PDF could not be made. Please try again in a moment.")
        return b"%PDF-fake"

    calls: list[str] = []
    monkeypatch.setattr(rendering, "render_pdf", fail_on_the_second)
    spools = spy_on_archive_files(monkeypatch)
    sign_in_as_sofia(browser)

    response = client.get("/portal/download")
    assert response.status_code == 503 and not response.data.startswith(b"PK")
    assert "The PDF could not be made" in text(response)
    assert len(spools) == 1 and spools[0].closed
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == AuditAction.ARCHIVE_DOWNLOADED.value)
        ) is None


def test_another_clients_letters_sessions_steps_and_files_are_not_found(
    app, client, browser, families
):
    sign_in_as_daniel(browser)
    for url in (
        f"/portal/letters/{families['sent']}",
        f"/portal/letters/{families['sent']}.pdf",
        f"/portal/sessions/{families['first']}.pdf",
    ):
        assert_not_found(client.get(url))
    assert_not_found(client.post(f"/portal/action-items/{families['first_item']}/toggle"))
    with app.app_context():
        assert db.session.get(ActionItem, families["first_item"]).done_at is None

    home = text(client.get("/portal/"))
    assert DANIEL_SUMMARY in home and "first weeks" not in home and "PRIVATE" not in home
    archive = zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data))
    assert f"letters/letter-{families['daniels_letter']}.pdf" in archive.namelist()
    contents = " ".join(" ".join(pdf_text(archive.read(n)).split())
                        for n in archive.namelist() if n.endswith(".pdf"))
    assert DANIEL_LETTER in contents and DANIEL_SUMMARY in contents
    assert "Sofia" not in contents and "PRIVATE" not in contents


def _coach_urls(app, families) -> list[tuple[str, str]]:
    """Every URL of the coach's part of the app, filled in with Sofia's own ids."""
    values = {
        "client_id": families["sofia"], "coaching_session_id": families["first"],
        "action_item_id": families["first_item"], "letter_id": families["sent"],
        "number": 1, "name": "logo.png",
    }
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] in ("static", "public", "auth", "portal"):
                continue
            # The journal's portal pages, and the work kept for anyone whose session ended.
            if rule.endpoint.startswith(("journal.portal_", "kept_work.")):
                continue
            if getattr(app.view_functions[rule.endpoint], "is_public", False):
                continue  # the public blog is open to everyone
            method = "GET" if "GET" in rule.methods else "POST"
            arguments = {name: values.get(name, 1) for name in rule.arguments}
            urls.append((method, app.url_for(rule.endpoint, **arguments)))
    return urls


def test_a_client_finds_no_coach_page_at_all(app, client, browser, families):
    sign_in_as_sofia(browser)
    urls = _coach_urls(app, families)
    assert ("GET", "/dashboard") in urls and ("GET", f"/letters/{families['sent']}/pdf") in urls
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 404, (method, url)
        assert b"%PDF" not in response.data and b"PRIVATE-SOFIA" not in response.data


def test_a_coach_finds_no_portal_page(client, browser, families):
    browser.login("coach@example.com", PASSWORD)
    assert_not_found(client.get("/portal/"))
    assert_not_found(client.get(f"/portal/letters/{families['sent']}.pdf"))
    assert_not_found(client.get("/portal/download"))


def test_the_demo_client_signs_in_and_finds_a_sent_letter(app, runner, client, browser):
    for _ in range(2):  # a second run changes nothing and the password still works
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert DEMO_CLIENT_EMAIL in result.output and DEMO_CLIENT_PASSWORD in result.output
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == DEMO_CLIENT_EMAIL)).scalar_one()
        sofia = db.session.execute(
            select(Client).join(Client.adults).where(Adult.user_id == user.id)
        ).scalar_one()
        assert user.is_client and sofia.first_adult.first_name == "Sofia"
        sent = db.session.scalars(
            select(Letter).where(Letter.client_id == sofia.id, Letter.status == LetterStatus.SENT)
        ).all()
        assert sent and all(letter.sent_at for letter in sent)
    assert browser.login(DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD).headers["Location"] == "/portal/"
    home = text(client.get("/portal/"))
    assert sent[0].subject in home and "Next steps" in home
    assert "Sofia cried" not in home  # the demo's private notes
    assert client.get(f"/portal/letters/{sent[0].id}").status_code == 200


def _client_with_history(app, sessions: int, letters: int) -> dict:
    """A client with a portal sign-in, ``sessions`` past sessions (one a day, each with a
    next step) and ``letters`` sent letters; their ids, newest first."""
    with app.app_context():
        coach = make_coach()
        parent = make_client(coach, first_name="Sofia", email="sofia@example.com")
        make_client_login(parent)
        made = [
            make_coaching_session(parent, days_ago=day + 1, summary=f"Summary of day {day + 1}",
                                  action_items=[f"Step of day {day + 1}"])
            for day in range(sessions)
        ]
        for number in range(letters):
            _sent(parent, f"Letter body {number}", f"Letter {number + 1}")
        return {"sessions": [s.id for s in made],
                "items": [s.action_items[0].id for s in made]}


def test_the_portal_home_shows_ten_sessions_a_page_and_the_newest_letters(app, client, browser):
    history = _client_with_history(app, sessions=25, letters=8)
    sign_in_as_sofia(browser)

    home = text(client.get("/portal/"))
    assert [f"session-{sid}" for sid in history["sessions"][:10]] == re.findall(
        r'id="(session-\d+)"', home)
    assert "Summary of day 1<" in home and "Summary of day 11<" not in home
    assert 'href="/portal/?page=3"' in home and "Older sessions" in home
    assert len(re.findall(r'href="/portal/letters/\d+"', home)) == 5
    assert 'href="/portal/letters">All 8 letters</a>' in home

    oldest = text(client.get("/portal/?page=3"))
    assert "Summary of day 25<" in oldest and "Summary of day 20<" not in oldest
    assert "Summary of day 21<" in oldest and "Newer sessions" in oldest
    assert "no sessions on this page" in text(client.get("/portal/?page=9"))


def test_ticking_a_step_on_an_older_page_returns_to_that_page(app, client, browser):
    history = _client_with_history(app, sessions=15, letters=0)
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in_as_sofia(browser)
    token = csrf_token_from(text(client.get("/portal/")))

    done = client.post(f"/portal/action-items/{history['items'][12]}/toggle",
                       data={"csrf_token": token})
    assert done.headers["Location"] == f"/portal/?page=2#session-{history['sessions'][12]}"
    newest = client.post(f"/portal/action-items/{history['items'][0]}/toggle",
                         data={"csrf_token": token})
    assert newest.headers["Location"] == f"/portal/#session-{history['sessions'][0]}"


def test_the_portal_home_costs_the_same_queries_with_a_long_history(app, client, browser):
    _client_with_history(app, sessions=12, letters=6)
    sign_in_as_sofia(browser)
    few = len(statements_for(app, client, "/portal/"))
    with app.app_context():
        parent = db.session.scalar(
            select(Client).join(Client.adults).where(Adult.email == "sofia@example.com")
        )
        for day in range(40):
            make_coaching_session(parent, days_ago=100 + day, action_items=["More"])
        for number in range(20):
            _sent(parent, f"Another letter {number}", "Another")
    assert len(statements_for(app, client, "/portal/")) == few
