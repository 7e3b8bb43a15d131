"""Archives are written one document at a time: however many PDFs a download holds, memory
holds one of them at once."""

import gc
import io
import itertools
import random
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from coachapp.clients.models import Client
from coachapp.documents.archive import zip_into_temporary_file
from coachapp.extensions import db
from coachapp.letters import rendering
from coachapp.letters.models import LetterStatus
from tests.conftest import spy_on_archive_files
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
)

# Large beside what a download allocates besides its documents (a few hundred KiB), and as
# random as a PDF's compressed streams, so that the zip cannot shrink it.
DOCUMENT_BYTES = 1024 * 1024
NOISE = random.Random(0).randbytes(DOCUMENT_BYTES)
SESSIONS, LETTERS = 10, 2
# One document, and less than another document's worth of everything else. An archive
# built in memory holds every document at once (twelve here) and then a copy of it.
ONE_DOCUMENT_AT_A_TIME = 2 * DOCUMENT_BYTES


def document(number: int) -> bytes:
    """A new document of DOCUMENT_BYTES, different for each number."""
    return b"".join((number.to_bytes(4), memoryview(NOISE)[4:]))  # one allocation, no copies


def peak_memory_of(call):
    """What ``call`` returns, and the most memory Python held at once while it ran."""
    gc.collect()
    tracemalloc.start()
    try:
        return call(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_holds_one_entry_in_memory_at_a_time():
    entries = [(f"doc-{n}.pdf", lambda n=n: document(n)) for n in range(SESSIONS)]

    spool, peak = peak_memory_of(lambda: zip_into_temporary_file(entries))

    assert peak < ONE_DOCUMENT_AT_A_TIME
    with spool, zipfile.ZipFile(spool) as archive:
        assert archive.namelist() == [name for name, _ in entries]
        assert all(archive.read(f"doc-{n}.pdf") == document(n) for n in range(SESSIONS))


def test_an_entry_that_fails_closes_the_file_and_the_error_goes_on(monkeypatch):
    spools = spy_on_archive_files(monkeypatch)

    def fails():
        raise RuntimeError("the PDF could not be made")

    with pytest.raises(RuntimeError, match="could not be made"):
        zip_into_temporary_file([("one.pdf", lambda: document(1)), ("two.pdf", fails)])
    assert len(spools) == 1 and spools[0].closed


@pytest.fixture
def large_renders(monkeypatch) -> list[str]:
    """A renderer whose every PDF is DOCUMENT_BYTES long."""
    calls: list[str] = []

    def render_pdf(html: str, **_options) -> bytes:
        calls.append(html)
        return document(len(calls))

    monkeypatch.setattr(rendering, "render_pdf", render_pdf)
    return calls


def test_the_portal_archive_holds_one_pdf_in_memory_at_a_time_cold_or_warm(
    app, client, browser, large_renders
):
    numbers = itertools.count(1)

    def add_documents(sessions: int, letters: int) -> None:
        with app.app_context():
            sofia = db.session.get(Client, sofia_id)
            for number in itertools.islice(numbers, sessions):
                make_coaching_session(sofia, days_ago=number, summary=f"Session {number}.")
            moment = datetime.now(UTC) - timedelta(days=1)
            for number in itertools.islice(numbers, letters):
                make_letter(sofia, body=f"Letter {number}.", status=LetterStatus.SENT,
                            approved_at=moment, sent_at=moment, sent_to=sofia.first_adult.email)

    with app.app_context():
        sofia = make_client(make_coach(), "Sofia")
        make_client_login(sofia)
        sofia_id = sofia.id
    browser.login("sofia@example.com", PASSWORD)
    # A first, small archive: what any first download loads and keeps for the next ones
    # (compiled templates and queries) does not count against a document.
    add_documents(1, 1)
    client.get("/portal/download").close()
    add_documents(SESSIONS - 1, LETTERS - 1)

    for state in ("cold", "warm"):
        response, peak = peak_memory_of(lambda: client.get("/portal/download"))
        assert peak < ONE_DOCUMENT_AT_A_TIME, state
        with response, zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            pdfs = [name for name in archive.namelist() if name.endswith(".pdf")]
            assert len(pdfs) == SESSIONS + LETTERS, state
    assert len(large_renders) == SESSIONS + LETTERS  # the warm download rendered nothing
