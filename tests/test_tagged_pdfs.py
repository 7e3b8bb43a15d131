"""Every PDF coachapp makes is one a screen reader can follow and an archive can keep.

Letters, session notes, the letterhead sample and every PDF in the client's archive and
the coach's export are tagged PDF/UA-1 and PDF/A-3b documents: a structure tree with
headings, paragraphs, lists and figures with alternative text, in the order the page reads.
Read back with pikepdf and pypdf (tests/pdf_standards.py).
"""

import io
import zipfile
from pathlib import Path

import pytest

from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.letters.models import Letter
from coachapp.letters.rendering import letter_pdf
from coachapp.portal.services import session_pdf
from tests.conftest import Browser
from tests.factories import (
    PASSWORD,
    long_letter_body,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_letterhead,
    make_sent_letter,
)
from tests.pdf_standards import (
    figure_alternatives,
    reading_order,
    standards_problems,
    structure_roles,
)
from tests.test_pdf import png_bytes

LETTER_BODY = """Dear Sofia,

Thank you for Tuesday.

## Two things to try

- ten minutes for yourself after the drop-off
- one moment each evening when Lena laughed

1. Write it down.
2. Read it back on Sunday.

> You cannot pour from an empty cup.

With warmth,"""


def in_order(text: str, *parts: str) -> bool:
    """Whether every part appears in ``text``, each after the one before."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


@pytest.fixture
def maya(app) -> dict:
    """Maya's full letterhead (logo, signature image and text), her client Sofia with a
    portal sign-in, a session with a summary and steps, and a sent letter."""
    with app.app_context():
        coach = make_coach()
        folder = Path(app.instance_path) / "uploads" / "letterheads" / str(coach.id)
        folder.mkdir(parents=True)
        (folder / "logo.png").write_bytes(png_bytes())
        (folder / "signature.png").write_bytes(png_bytes(size=(200, 50)))
        make_letterhead(
            coach,
            practice_name="Harbour Parent Coaching",
            phone="+44 117 496 0123",
            logo_path=f"letterheads/{coach.id}/logo.png",
            signature_image_path=f"letterheads/{coach.id}/signature.png",
            signature_text="Maya",
        )
        sofia = make_client(coach, "Sofia", last_name="Marin")
        make_client_login(sofia)
        coaching_session = make_coaching_session(
            sofia,
            summary="We talked about the mornings.\n\n- the coat\n- the gate",
            action_items=["Visit the nursery together"],
        )
        letter = make_sent_letter(sofia, subject="After our talk", body=LETTER_BODY)
        return {
            "coach": coach.id, "client": sofia.id,
            "session": coaching_session.id, "letter": letter.id,
        }


def test_a_letter_is_a_tagged_pdf_ua_and_pdf_a_document(app, maya):
    with app.app_context():
        pdf = letter_pdf(db.session.get(Letter, maya["letter"]))

    assert standards_problems(pdf, title="After our talk") == []
    roles = structure_roles(pdf)
    for role in ("/H1", "/H2", "/P", "/L", "/LI", "/BlockQuote", "/Figure"):
        assert role in roles, role
    assert roles.count("/L") == 2  # the bulleted and the numbered list
    assert figure_alternatives(pdf) == [
        "Logo of Harbour Parent Coaching", "Signature of Maya Lindqvist",
    ]


def test_a_screen_reader_reads_a_letter_in_the_order_of_the_page(app, maya):
    with app.app_context():
        pdf = letter_pdf(db.session.get(Letter, maya["letter"]))

    spoken = reading_order(pdf)
    assert in_order(
        spoken,
        "Maya Lindqvist", "+44 117 496 0123",  # the letterhead
        "Sofia Marin",  # to whom
        "AFTER OUR TALK",  # the subject
        "Dear Sofia,", "Thank you for Tuesday.", "Two things to try",
        "ten minutes for yourself", "one moment each evening",
        "Write it down.", "Read it back on Sunday.",
        "You cannot pour from an empty cup.", "With warmth,",
        "Maya Lindqvist, Harbour Parent Coaching",  # the signature
    ), spoken
    # The running footer repeats on every page: a reader is not made to hear it.
    assert "1 of 1" not in spoken


def test_a_letter_of_several_pages_reads_on_from_page_to_page(app, maya):
    with app.app_context():
        sofia = db.session.get(Client, maya["client"])
        body = long_letter_body(paragraphs=14)
        pdf = letter_pdf(make_letter(sofia, subject="A long letter", body=body))

    assert standards_problems(pdf, title="A long letter") == []
    spoken = reading_order(pdf)
    paragraphs = [line for line in body.split("\n\n") if line.strip()]
    assert len(paragraphs) > 10
    assert in_order(spoken, *(" ".join(paragraph.split())[:40] for paragraph in paragraphs))


def test_a_sessions_shared_notes_are_a_tagged_pdf_read_in_order(app, maya):
    with app.app_context():
        pdf = session_pdf(db.session.get(CoachingSession, maya["session"]))

    assert standards_problems(pdf, title="Our session on") == []
    roles = structure_roles(pdf)
    assert {"/H1", "/H2", "/L", "/LI", "/Figure"} <= set(roles)
    assert figure_alternatives(pdf) == ["Logo of Harbour Parent Coaching"]
    assert in_order(
        reading_order(pdf),
        "Maya Lindqvist", "OUR SESSION ON", "We talked about the mornings.",
        "the coat", "the gate", "Next steps", "Visit the nursery together",
    )


def test_the_letterhead_sample_is_a_tagged_pdf(app, client, maya):
    Browser(client).login("coach@example.com", PASSWORD)
    response = client.get("/letters/letterhead/sample.pdf")
    assert response.status_code == 200
    assert standards_problems(response.data, title="A sample letter") == []
    assert in_order(reading_order(response.data), "Alex Sample", "Dear Alex,", "With warmth,")


def test_every_pdf_in_the_clients_archive_is_tagged(app, client, maya):
    Browser(client).login("sofia@example.com", PASSWORD)
    assert "made to be kept for years (PDF/A)" in client.get("/portal/").get_data(as_text=True)
    response = client.get("/portal/download")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdfs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}
    assert len(pdfs) == 2
    assert {name: standards_problems(pdf) for name, pdf in pdfs.items()} == {
        name: [] for name in pdfs
    }


def test_every_pdf_in_the_coachs_export_is_tagged(app, client, maya):
    Browser(client).login("coach@example.com", PASSWORD)
    response = client.post(f"/clients/{maya['client']}/export")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdfs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}
    assert len(pdfs) == 2
    assert {name: standards_problems(pdf) for name, pdf in pdfs.items()} == {
        name: [] for name in pdfs
    }


def test_the_checks_catch_an_untagged_pdf():
    """The checker itself: WeasyPrint's plain output fails each of the promises."""
    import weasyprint

    plain = weasyprint.HTML(string="<p>Hello</p>").write_pdf()
    problems = " | ".join(standards_problems(plain))
    for expected in ("structure tree", "tagged", "language", "PDF/UA-1", "PDF/A-3b", "title"):
        assert expected in problems
