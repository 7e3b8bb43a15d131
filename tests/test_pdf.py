"""Letters as PDFs: what the client receives, what WeasyPrint may read, and the PDF cache."""

import io
import os
import re
import signal
import socket
from pathlib import Path
from select import select as wait_until_readable

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, insert, select

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.documents import pdf as pdf_module
from coachapp.documents.pdf import PdfRenderError, render_pdf
from coachapp.documents.weasyprint_engine import LocalFilesFetcher
from coachapp.extensions import db
from coachapp.letters import rendering
from coachapp.letters.models import Letter, Letterhead, RenderedPdf
from coachapp.letters.rendering import content_hash, letter_document, letter_html, letter_pdf
from coachapp.paths import STATIC_FOLDER
from coachapp.portal.services import session_document, session_pdf
from tests.factories import (
    PASSWORD,
    long_letter_body,
    make_client,
    make_coach,
    make_coaching_session,
    make_letter,
    make_letterhead,
)

XSS_NAME = "<img src=x onerror=alert(1)>"
TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
LETTERHEAD = {
    "display_name": "Maya Lindqvist",
    "practice_name": "Harbour Parent Coaching",
    "address": "12 Quay Street\nBristol BS1 4DJ",
    "phone": "+44 117 496 0123",
    "website": "www.harbourparents.co.uk",
    "social_links": "Instagram https://instagram.com/harbourparents",
    "signature_text": "Maya",
}


def pdf_text(document: bytes) -> str:
    """All the text of a PDF, page after page, as a reader's copy-and-paste would give it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def page_texts(document: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(document)).pages]


def image_count(document: bytes) -> int:
    """How many image XObjects the PDF's pages draw."""
    count = 0
    for page in PdfReader(io.BytesIO(document)).pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        count += sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


def png_bytes(size=(120, 60), colour=(156, 79, 54)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, "PNG")
    return output.getvalue()


@pytest.fixture
def listener():
    """A local TCP socket that records whether anything connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def connections_accepted(server: socket.socket) -> int:
    accepted = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return accepted
        connection.close()
        accepted += 1


# --- The renderer: only the app's own files, within time and memory limits -----------------


def test_renderer_reads_nothing_outside_the_allowed_folders_and_opens_no_connection(
    tmp_path, listener
):
    allowed = tmp_path / "uploads"
    allowed.mkdir()
    (allowed / "logo.png").write_bytes(png_bytes())
    outside = tmp_path / "secret.png"
    outside.write_bytes(png_bytes())
    (allowed / "escape.png").symlink_to(outside)
    port = listener.getsockname()[1]
    local = f"http://127.0.0.1:{port}"
    html = f"""<!doctype html><html><head>
      <link rel="stylesheet" href="{local}/style.css">
      <link rel="attachment" href="file:///etc/passwd">
      <style>@import url({local}/import.css);
             body {{ background: url({local}/background.png); }}</style>
      </head><body>
      <p>Visible text.</p>
      <img src="file:///etc/passwd">
      <img src="{local}/x">
      <img src="https://127.0.0.1:{port}/y">
      <img src="{(allowed / '..' / 'secret.png').as_uri()}">
      <img src="{(allowed / 'escape.png').as_uri()}">
      <img src="data:image/png;base64,{TINY_PNG}">
      <a rel="attachment" href="{local}/attachment.bin">a file</a>
      <img src="{(allowed / 'logo.png').as_uri()}">
      </body></html>"""

    document = render_pdf(html, base_url=allowed.as_uri() + "/", allowed_roots=[allowed])

    text = pdf_text(document)
    assert "Visible text." in text
    assert "root:" not in text
    assert image_count(document) == 1  # only the logo inside the allowed folder
    assert b"/EmbeddedFile" not in document
    assert connections_accepted(listener) == 0


def test_fetcher_refuses_every_url_but_a_file_inside_the_folders(tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p {}")
    fetcher = LocalFilesFetcher([root])

    assert fetcher.allowed_path((root / "ok.css").as_uri()) == (root / "ok.css").resolve()
    for url in (
        (root / "missing.css").as_uri(),
        root.as_uri(),  # a folder
        (root / ".." / "ok.css").as_uri(),
        root.as_uri() + "/%2e%2e/%2e%2e/etc/passwd",
        "file://example.com" + str(root / "ok.css"),
        "file:///etc/passwd",
        "http://127.0.0.1/ok.css",
        "https://example.com/ok.css",
        "data:text/css,p{}",
        "ftp://example.com/ok.css",
    ):
        assert fetcher.allowed_path(url) is None, url
        with pytest.raises(PermissionError):
            fetcher.fetch(url)


def test_a_render_past_the_time_limit_fails_cleanly_and_the_next_one_works(tmp_path):
    html = "<p>" + "A long letter. " * 2000 + "</p>"
    with pytest.raises(PdfRenderError, match=r"longer than 0\.001 seconds"):
        render_pdf(html, base_url=tmp_path.as_uri() + "/", allowed_roots=[tmp_path],
                   timeout_seconds=0.001)

    assert render_pdf("<p>Short.</p>", base_url=tmp_path.as_uri() + "/",
                      allowed_roots=[tmp_path]).startswith(b"%PDF")


@pytest.fixture
def renderer_doing(monkeypatch):
    """Start a fresh renderer process whose renders do something else (it forks from us)."""

    def start(work):
        pdf_module._renderer.stop()
        monkeypatch.setattr(pdf_module, "render_in_this_process", work)

    yield start
    pdf_module._renderer.stop()  # the next test gets a renderer that renders again


def test_a_render_past_the_memory_limit_fails_cleanly(tmp_path, renderer_doing):
    renderer_doing(lambda job: bytes(bytearray(64 * 1024 * 1024)))  # as a huge image would

    with pytest.raises(PdfRenderError, match="more memory"):
        render_pdf("<p>Hi</p>", base_url=tmp_path.as_uri() + "/", allowed_roots=[tmp_path],
                   memory_limit_bytes=16 * 1024 * 1024)


def test_a_renderer_that_crashes_fails_cleanly(tmp_path, renderer_doing):
    renderer_doing(lambda job: os.kill(os.getpid(), signal.SIGSEGV))

    with pytest.raises(PdfRenderError):
        render_pdf("<p>Hi</p>", base_url=tmp_path.as_uri() + "/", allowed_roots=[tmp_path])


# --- A letter on its letterhead -------------------------------------------------------------


@pytest.fixture
def letter_id(app, coach_id) -> int:
    """A two-page letter from the signed-in coach to Sofia Marin, on a full letterhead."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        make_letterhead(coach, **LETTERHEAD)
        sofia = make_client(coach, "Sofia", last_name="Marin")
        return make_letter(sofia, body=long_letter_body()).id


def test_letter_pdf_has_letterhead_date_client_body_footer_and_page_numbers(app, letter_id):
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        document = letter_pdf(letter)
        today = rendering.letter_date(letter, db.session.get(User, letter.coach_id), "A4")

    pages = page_texts(document)
    assert len(pages) == 2
    first, second = pages
    for expected in ("Maya Lindqvist", "HARBOUR PARENT COACHING", "12 Quay Street",
                     "harbourparents.co.uk", today, "Sofia Marin", "sofia@example.com",
                     "AFTER OUR FIRST SESSION", "Dear Sofia,", "1 of 2"):
        assert expected in first, expected
    for expected in ("The last paragraph ends the letter.", "With warmth,", "2 of 2",
                     "instagram.com/harbourparents", "+44 117 496 0123"):
        assert expected in second, expected  # the footer repeats the contact details


def test_a_client_named_like_html_is_printed_as_text(app, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        client = make_client(coach, XSS_NAME, last_name="", email="")
        letter = make_letter(client, body=f"Dear {XSS_NAME},\n\n<script>alert(2)</script>")
        html = letter_html(letter)
        document = letter_pdf(letter)

    assert "<img src=x" not in html and "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    text = pdf_text(document)
    assert XSS_NAME in text
    assert "<script>alert(2)</script>" in text
    assert image_count(document) == 0


# --- The PDF cache ---------------------------------------------------------------------------


def cached_rows(letter_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RenderedPdf).where(RenderedPdf.letter_id == letter_id)
    )


def test_an_unchanged_letter_is_served_from_the_cache(app, letter_id, renders):
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        first = letter_pdf(letter)
        db.session.commit()
        db.session.expire_all()

        again = letter_pdf(db.session.get(Letter, letter_id))

    assert again == first
    assert len(renders) == 1


def test_any_change_to_the_letter_or_letterhead_renders_again(app, letter_id, renders, tmp_path):
    def change_letter(letter, letterhead):
        letter.body += "\n\nP.S. One more thing."

    def change_subject(letter, letterhead):
        letter.subject = "A new subject"

    def change_client(letter, letterhead):
        letter.client.first_adult.last_name = "Marín"

    def change_accent(letter, letterhead):
        letterhead.accent_colour = "#336699"

    def change_paper(letter, letterhead):
        letterhead.paper_size = "Letter"

    def change_social_links(letter, letterhead):
        letterhead.social_links = ""

    def add_logo(letter, letterhead):
        folder = Path(app.instance_path) / "uploads" / "letterheads" / str(letter.coach_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "logo.png").write_bytes(png_bytes())
        letterhead.logo_path = f"letterheads/{letter.coach_id}/logo.png"

    def redraw_logo(letter, letterhead):
        logo = Path(app.instance_path) / "uploads" / letterhead.logo_path
        logo.write_bytes(png_bytes(colour=(0, 0, 0)) + b"\0")

    changes = [change_letter, change_subject, change_client, change_accent, change_paper,
               change_social_links, add_logo, redraw_logo]
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        letterhead = db.session.scalar(select(Letterhead))
        previous = letter_pdf(letter)
        db.session.commit()
        for number, change in enumerate(changes, start=2):
            change(letter, letterhead)
            db.session.commit()
            document = letter_pdf(letter)
            db.session.commit()
            assert len(renders) == number, change.__name__
            assert document != previous, change.__name__
            assert cached_rows(letter_id) == 1  # the older PDFs of the letter are gone
            previous = document


def test_two_processes_storing_the_same_pdf_keep_one_copy(app, letter_id, monkeypatch):
    """Another app process finishes the same render first: its copy is kept, no error."""
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        key = content_hash(letter_document(letter))

        def render_while_another_process_stores_it(html, **_options):
            with db.engine.begin() as other_process:
                other_process.execute(
                    insert(RenderedPdf).values(
                        content_hash=key, letter_id=letter_id, pdf=b"%PDF-theirs"
                    )
                )
            return b"%PDF-ours"

        monkeypatch.setattr(rendering, "render_pdf", render_while_another_process_stores_it)
        assert letter_pdf(letter) == b"%PDF-ours"
        db.session.commit()
        assert cached_rows(letter_id) == 1
        assert letter_pdf(db.session.get(Letter, letter_id)) == b"%PDF-theirs"


# --- Session PDFs in the same cache ----------------------------------------------------------

SESSION_PRIVATE = "PRIVATE: she fears her mother's judgement"
SESSION_SUMMARY = "We talked about the first weeks at nursery."


@pytest.fixture
def session_id(app, coach_id) -> int:
    """A session of the signed-in coach with Sofia Marin, on a full letterhead."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        make_letterhead(coach, **LETTERHEAD)
        sofia = make_client(coach, "Sofia", last_name="Marin")
        return make_coaching_session(
            sofia, private_notes=SESSION_PRIVATE, summary=SESSION_SUMMARY,
            action_items=["Visit the nursery together"],
        ).id  # fmt: skip


def cached_session_rows(session_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RenderedPdf)
        .where(RenderedPdf.coaching_session_id == session_id)
    )


def test_an_unchanged_session_is_served_from_the_cache(app, session_id, renders):
    with app.app_context():
        first = session_pdf(db.session.get(CoachingSession, session_id))
        db.session.commit()
        db.session.expire_all()

        again = session_pdf(db.session.get(CoachingSession, session_id))
        assert cached_session_rows(session_id) == 1

    assert again == first
    assert len(renders) == 1
    assert SESSION_SUMMARY in renders[0]


def test_any_change_to_what_a_session_pdf_shows_renders_it_again(
    app, session_id, renders, monkeypatch
):
    def change_summary(coaching_session, letterhead):
        coaching_session.summary = "We agreed on a calmer drop-off."

    def tick_a_step_done(coaching_session, letterhead):
        coaching_session.action_items[0].done_at = coaching_session.starts_at

    def add_a_step(coaching_session, letterhead):
        coaching_session.action_items.append(ActionItem(position=1, text="Book an evening"))

    def change_accent(coaching_session, letterhead):
        letterhead.accent_colour = "#336699"

    def change_paper(coaching_session, letterhead):
        letterhead.paper_size = "Letter"

    def add_logo(coaching_session, letterhead):
        coach_id = coaching_session.coach_id
        folder = Path(app.instance_path) / "uploads" / "letterheads" / str(coach_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "logo.png").write_bytes(png_bytes())
        letterhead.logo_path = f"letterheads/{coach_id}/logo.png"

    def redraw_logo(coaching_session, letterhead):
        logo = Path(app.instance_path) / "uploads" / letterhead.logo_path
        logo.write_bytes(png_bytes(colour=(0, 0, 0)) + b"\0")

    def change_stylesheets_or_renderer(coaching_session, letterhead):
        monkeypatch.setattr(rendering, "stylesheets_fingerprint", lambda paths: "another")

    changes = [change_summary, tick_a_step_done, add_a_step, change_accent, change_paper,
               add_logo, redraw_logo, change_stylesheets_or_renderer]
    with app.app_context():
        coaching_session = db.session.get(CoachingSession, session_id)
        letterhead = db.session.scalar(select(Letterhead))
        session_pdf(coaching_session)
        db.session.commit()
        for number, change in enumerate(changes, start=2):
            change(coaching_session, letterhead)
            db.session.commit()
            session_pdf(coaching_session)
            db.session.commit()
            assert len(renders) == number, change.__name__
            assert cached_session_rows(session_id) == 1  # the session's older PDF is gone
    assert "We agreed on a calmer drop-off." in renders[1] and SESSION_SUMMARY not in renders[1]


def test_private_notes_are_not_in_a_session_pdf_nor_in_what_its_cache_is_keyed_by(
    app, session_id, renders
):
    with app.app_context():
        coaching_session = db.session.get(CoachingSession, session_id)
        key = content_hash(session_document(coaching_session))
        session_pdf(coaching_session)
        db.session.commit()
        coaching_session.private_notes = "PRIVATE: something new she said"
        db.session.commit()

        assert content_hash(session_document(coaching_session)) == key
        session_pdf(coaching_session)
    assert len(renders) == 1
    assert "PRIVATE" not in renders[0]


def test_deleting_a_session_or_a_client_deletes_their_cached_pdfs(
    app, client, coach_id, session_id, renders
):
    with app.app_context():
        sofia = db.session.get(CoachingSession, session_id).client
        other_id = make_coaching_session(sofia, days_ago=3, summary="Another talk.").id
        letter = make_letter(sofia)
        for coaching_session_id in (session_id, other_id):
            session_pdf(db.session.get(CoachingSession, coaching_session_id))
        letter_pdf(letter)
        db.session.commit()
        client_id = sofia.id
        assert db.session.scalar(select(func.count()).select_from(RenderedPdf)) == 3

    assert client.post(f"/sessions/{session_id}/delete").status_code == 302
    with app.app_context():
        assert cached_session_rows(session_id) == 0
        assert cached_session_rows(other_id) == 1

    assert client.post(f"/clients/{client_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Client, client_id) is None
        assert db.session.scalar(select(func.count()).select_from(RenderedPdf)) == 0


# --- Downloading ----------------------------------------------------------------------------


def test_coach_downloads_the_letter_as_an_attachment_without_the_clients_name(
    app, client, letter_id
):
    response = client.get(f"/letters/{letter_id}/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=letter-{letter_id}.pdf"
    assert "Sofia" not in disposition and "Marin" not in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert "Dear Sofia," in pdf_text(response.data)


def test_another_coachs_letter_pdf_is_not_found(app, client, browser, letter_id, renders):
    with app.app_context():
        make_coach("other@example.com", "Other Coach")
    browser.logout()
    browser.login("other@example.com", PASSWORD)

    assert client.get(f"/letters/{letter_id}/pdf").status_code == 404
    assert client.get("/letters/999999/pdf").status_code == 404
    assert renders == []


def test_a_client_cannot_download_letters_from_the_coach_pages(app, client, browser, letter_id):
    from tests.factories import make_client_login

    with app.app_context():
        make_client_login(db.session.get(Letter, letter_id).client)
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)

    assert client.get(f"/letters/{letter_id}/pdf").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, client, browser, letter_id):
    browser.logout()
    response = client.get(f"/letters/{letter_id}/pdf")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_render_that_runs_out_of_time_shows_a_friendly_page(app, client, letter_id):
    app.config["PDF_RENDER_TIMEOUT_SECONDS"] = 0.001

    response = client.get(f"/letters/{letter_id}/pdf")

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "The PDF could not be made" in page
    assert "longer than 0.001 seconds" in page
    with app.app_context():
        assert cached_rows(letter_id) == 0


def test_the_print_stylesheet_ships_its_fonts_with_their_licences():
    fonts = STATIC_FOLDER / "fonts"
    css = (STATIC_FOLDER / "css" / "letter-print.css").read_text()
    for family in ("lora", "source-sans-3"):
        assert (fonts / family / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") == 1
    font_urls = re.findall(r"url\((\.\./fonts/[^)]+)\)", css)
    assert len(font_urls) == 16
    for url in font_urls:
        assert (STATIC_FOLDER / "css" / url).resolve().is_file(), url


def test_renderer_process_is_replaced_after_it_is_stopped(tmp_path):
    render_pdf("<p>One.</p>", base_url=tmp_path.as_uri() + "/", allowed_roots=[tmp_path])
    first = pdf_module._renderer.pid
    pdf_module._renderer.stop()

    render_pdf("<p>Two.</p>", base_url=tmp_path.as_uri() + "/", allowed_roots=[tmp_path])
    assert pdf_module._renderer.pid not in (None, first)


def test_the_renderer_holds_none_of_the_app_processs_pipes(tmp_path):
    # A pipe the app process had open when its renderer started (a worker's line to its
    # supervisor, say) must still reach its end of file when the app closes its side:
    # the renderer, which lives on, lets go of its copy.
    pdf_module._renderer.stop()
    read_end, write_end = os.pipe()
    try:
        assert render_pdf("<p>Hello</p>", base_url=tmp_path.as_uri() + "/",
                          allowed_roots=[tmp_path]).startswith(b"%PDF")  # fmt: skip
        assert pdf_module._renderer.pid is not None
        os.close(write_end)
        ready, _, _ = wait_until_readable([read_end], [], [], 5)
        assert ready and os.read(read_end, 1) == b""  # end of file, not a reader left waiting
    finally:
        os.close(read_end)
        pdf_module._renderer.stop()
