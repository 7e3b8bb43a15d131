"""Faults a real coachapp server meets: killed mid-save, many saves at once, a full disk,
a form far too large. The server is `flask run` (tests/live_server.py) on SQLite and on
PostgreSQL.
"""

import errno
import html
import http.client
import random
import re
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from coachapp.coaching.models import CoachingSession
from coachapp.config import DefaultConfig
from coachapp.extensions import db
from coachapp.letters.forms import LETTER_MAX_CHARS
from coachapp.letters.models import Letter, LetterRevision
from tests.conftest import make_test_app
from tests.factories import (
    PASSWORD,
    form_fields,
    make_client,
    make_coach,
    make_coaching_session,
    make_letter,
)
from tests.live_server import LiveClient, LiveServer, app_on

WORDS = (
    "bedtime", "nursery", "guilt", "morning", "tired", "evening", "patience", "small", "steps",
    "walk", "listen", "calm", "tears", "breakfast", "school", "shoes", "laughter", "story",
    "grandmother", "weekend", "routine", "boundaries", "screen", "homework", "sister",
    "brother", "worry", "sleep", "ready", "gentle", "proud", "voice", "hug", "play", "garden",
    "kitchen", "bath", "dinner", "promise", "choice", "trust",
)  # fmt: skip
PARAGRAPH_WORDS = 100


def draft(version: int, words: int = 5_000) -> str:
    """A letter of ``words`` words; every paragraph says which version it belongs to.

    The words are shuffled (not one sentence repeated), so the database stores the text
    at about its full size, as it would a real letter.
    """
    rng = random.Random(version)
    paragraphs = [f"Dear Sofia, this is version {version}."]
    for number in range(1, words // PARAGRAPH_WORDS + 1):
        text = " ".join(rng.choice(WORDS) for _ in range(PARAGRAPH_WORDS - 3))
        paragraphs.append(f"{text.capitalize()}. (v{version} p{number})")
    paragraphs.append(f"With warmth, Maya. End of version {version}.")
    return "\n\n".join(paragraphs) + "\n"


def describe(text: str) -> str:
    """A short account of a letter body, for assertion messages."""
    versions = sorted({int(v) for v in re.findall(r"\(v(\d+) p\d+\)", text)})
    return f"{len(text):,} characters, paragraphs from versions {versions}"


def integrity_check(database_url: str) -> str:
    """SQLite's own verdict on the database file ("ok"), read by a separate connection."""
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
        return "\n".join(row[0] for row in connection.execute("PRAGMA integrity_check"))


def signed_in(server: LiveServer) -> LiveClient:
    coach = LiveClient(server.url)
    reply = coach.sign_in("coach@example.com", PASSWORD)
    assert reply.status == 302 and reply.location == "/dashboard", reply.text
    return coach


def letter_fields(coach: LiveClient, letter_id: int) -> dict:
    return coach.form(f"/letters/{letter_id}/edit", "letter-form")


def session_fields(coach: LiveClient, session_id: int) -> dict:
    return coach.form(f"/sessions/{session_id}/edit", "session-form")


def post_and_record(coach: LiveClient, path: str, fields: dict, outcome: dict) -> None:
    """Post in a thread; note the status, or the error when the server died first."""
    try:
        outcome["status"] = coach.post(path, fields).status
    except (OSError, http.client.HTTPException) as error:
        outcome["error"] = error


# Killed in the middle of a save


def test_kill_9_during_a_save_leaves_the_saved_letter_or_the_new_one_whole(
    database_url, backend, tmp_path
):
    with app_on(database_url, tmp_path):
        letter_id = make_letter(make_client(make_coach()), body=draft(0)).id
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = signed_in(server)
        path = f"/letters/{letter_id}/edit"
        timings = []
        for version in (1, 2):
            fields = dict(letter_fields(coach, letter_id), body=draft(version), save="Save")
            started = time.monotonic()
            assert coach.post(path, fields).status == 302
            timings.append(time.monotonic() - started)
        saved = draft(2)
        typical_save = statistics.median(timings)

        # Kill the server early in a save, midway, and as it usually finishes.
        for version, moment in zip((3, 4, 5), (0.3, 0.8, 0.95), strict=True):
            in_flight = draft(version)
            fields = dict(letter_fields(coach, letter_id), body=in_flight, save="Save")
            outcome: dict = {}
            saver = threading.Thread(
                target=post_and_record, args=(coach.copy(), path, fields, outcome)
            )
            saver.start()
            time.sleep(typical_save * moment)
            server.kill()
            saver.join()
            server.start()

            shown = letter_fields(coach, letter_id)["body"]
            if outcome.get("status") == 302:  # acknowledged before the kill: it must be there
                assert shown == in_flight, describe(shown)
            else:
                assert shown in (saved, in_flight), describe(shown)
            saved = shown
            if backend == "sqlite":
                assert integrity_check(database_url) == "ok"

    with app_on(database_url, tmp_path):
        letter = db.session.get(Letter, letter_id)
        newest = db.session.scalars(
            select(LetterRevision)
            .where(LetterRevision.letter_id == letter_id)
            .order_by(LetterRevision.number.desc())
        ).first()
        assert letter.body == saved and newest.body == saved  # the history agrees


# Many saves at once


def test_twenty_saves_at_once_are_all_kept(database_url, tmp_path):
    with app_on(database_url, tmp_path):
        sofia = make_client(make_coach())
        letter_ids = [make_letter(sofia, body=f"Draft {n}").id for n in range(10)]
        session_ids = [make_coaching_session(sofia, days_ago=n).id for n in range(10)]
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = signed_in(server)
        saves = [
            (f"/letters/{letter_id}/edit",
             dict(letter_fields(coach, letter_id), body=draft(n), save="Save"))
            for n, letter_id in enumerate(letter_ids)
        ] + [
            (f"/sessions/{session_id}/edit",
             dict(session_fields(coach, session_id), private_notes=draft(100 + n)))
            for n, session_id in enumerate(session_ids)
        ]  # fmt: skip
        start_together = threading.Barrier(len(saves))
        replies: list = [None] * len(saves)

        def save(index: int, path: str, fields: dict) -> None:
            browser = coach.copy()
            start_together.wait()
            replies[index] = browser.post(path, fields)

        threads = [
            threading.Thread(target=save, args=(index, path, fields))
            for index, (path, fields) in enumerate(saves)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        for (path, _fields), reply in zip(saves, replies, strict=True):
            assert reply.status == 302, f"{path}: {reply.status}"
            assert "database is locked" not in reply.text
        for n, letter_id in enumerate(letter_ids):
            assert letter_fields(coach, letter_id)["body"] == draft(n)
        for n, session_id in enumerate(session_ids):
            assert session_fields(coach, session_id)["private_notes"] == draft(100 + n)
        assert "Traceback" not in server.log_text()


SIMULTANEOUS_ROUNDS = 25


def post_together(posts: list) -> list:
    """Call each of ``posts`` in its own thread, all released at the same instant."""
    start_together = threading.Barrier(len(posts))
    replies: list = [None] * len(posts)

    def send(index: int) -> None:
        start_together.wait()
        replies[index] = posts[index]()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return replies


def save_from_two_tabs(coach: LiveClient, letter_id: int, texts: list[str]) -> list:
    """Both tabs opened the same revision; both press Save at the same instant."""
    opened = letter_fields(coach, letter_id)
    path = f"/letters/{letter_id}/edit"
    return post_together([
        partial(coach.copy().post, path, dict(opened, body=text, save="Save")) for text in texts
    ])  # fmt: skip


def autosave_from_two_tabs(coach: LiveClient, letter_id: int, texts: list[str]) -> list:
    """Both editors opened the same revision; both autosave at the same instant, as the
    editor's script posts (FormData, asking for JSON)."""
    opened = letter_fields(coach, letter_id)
    fields = {name: opened[name] for name in ("csrf_token", "subject", "version")}
    path = f"/letters/{letter_id}/autosave"
    return post_together([
        partial(coach.copy().post_multipart, path, dict(fields, body=text),
                Accept="application/json")
        for text in texts
    ])  # fmt: skip


def winner_and_loser(replies: list, won: int, texts: list[str]) -> tuple[str, object]:
    """The text that was saved and the reply the other tab got; exactly one tab won."""
    statuses = [reply.status for reply in replies]
    assert sorted(statuses) == sorted([won, 409]), [(r.status, r.text[-400:]) for r in replies]
    winner = statuses.index(won)
    return texts[winner], replies[1 - winner]


@pytest.mark.parametrize("way", ["save", "autosave"])
def test_two_tabs_saving_at_the_same_instant_one_wins_the_other_sees_both_texts(
    database_url, tmp_path, way
):
    with app_on(database_url, tmp_path):
        letter_id = make_letter(make_client(make_coach()), body="Dear Sofia,\n").id
    winners = []
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = signed_in(server)
        for round_number in range(1, SIMULTANEOUS_ROUNDS + 1):
            texts = [f"Dear Sofia,\n\nRound {round_number}, from tab {tab}.\n" for tab in "AB"]
            if way == "save":
                replies = save_from_two_tabs(coach, letter_id, texts)
                saved, loser = winner_and_loser(replies, 302, texts)
                page = loser.text
                assert "This letter was changed while you were writing" in page
                assert saved in html.unescape(page)  # theirs, as saved
                assert form_fields(page, "letter-form")["body"] == next(
                    text for text in texts if text != saved
                )  # yours, still in a form to save
            else:
                replies = autosave_from_two_tabs(coach, letter_id, texts)
                saved, loser = winner_and_loser(replies, 200, texts)
                assert loser.json()["conflict"] is True
                assert loser.json()["version"] == round_number + 1
            winners.append(saved)
        assert "Traceback" not in server.log_text()

    with app_on(database_url, tmp_path):
        letter = db.session.get(Letter, letter_id)
        revisions = db.session.scalars(
            select(LetterRevision)
            .where(LetterRevision.letter_id == letter_id)
            .order_by(LetterRevision.number)
        ).all()
        assert letter.body == winners[-1]
        assert letter.version == 1 + SIMULTANEOUS_ROUNDS  # one step for each round's winner
        if way == "save":
            assert [r.number for r in revisions] == list(range(1, SIMULTANEOUS_ROUNDS + 1))
            assert [r.body for r in revisions] == winners
        else:  # autosaves by one coach fold into one revision
            assert [(r.number, r.body) for r in revisions] == [(1, winners[-1])]


# A full disk


class SmallDisk:
    """A tmpfs of a few megabytes that a test fills to the last byte and frees again."""

    def __init__(self, path: Path, size: str, owner: str | None = None) -> None:
        self.path = path
        self.filler = path / "filler"
        options = f"size={size},mode=0700"
        if owner:  # PostgreSQL writes its tablespace as its own user
            options += f",uid={owner},gid={owner}"
        path.mkdir(parents=True, exist_ok=True)
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if mounted.returncode != 0:
            pytest.skip(
                "a small full disk is made with `mount -t tmpfs`, which needs root and the "
                f"right to mount here: {mounted.stderr.strip() or mounted.returncode}"
            )

    def fill(self) -> None:
        """Write zeros until the disk refuses another byte (unbuffered: short writes count)."""
        chunk = bytes(64 * 1024)
        with self.filler.open("wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(chunk)
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        if subprocess.run(["umount", str(self.path)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(self.path)], check=False)


# PostgreSQL keeps these tables on the small disk (with their TOAST tables, where long
# text and PDFs go); the audit log and everything else stay where they were.
TABLES_ON_SMALL_DISK = ("coaching_sessions", "letters", "letter_revisions", "rendered_pdfs")


@pytest.fixture
def small_disk_database(request, backend, tmp_path):
    """A database whose writes land on a small disk: (database URL, the disk, fill it)."""
    if backend == "sqlite":
        disk = SmallDisk(tmp_path / "disk", "4m")
        try:
            path = disk.path / "coachapp.sqlite3"
            path.write_bytes(request.getfixturevalue("sqlite_template").read_bytes())
            url = f"sqlite:///{path}"

            def fill() -> None:
                # Fold the write-ahead log back into the database and empty it, so the next
                # commit needs new space; then take all of it.
                with sqlite3.connect(path) as connection:
                    busy, *_ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                assert busy == 0
                disk.fill()

            yield url, disk, fill
        finally:
            disk.unmount()
        return

    cluster = request.getfixturevalue("postgres_cluster")
    url = request.getfixturevalue("database_url")
    # Not under tmp_path: the postgres user must be able to reach the folder.
    disk = SmallDisk(Path(tempfile.mkdtemp(prefix="coachapp-disk-")), "2m", owner="postgres")
    database = url.rsplit("/", 1)[1]

    def run(sql: str, dbname: str = database) -> None:
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", dbname=dbname, autocommit=True
        ) as connection:
            connection.execute(sql)

    def move_tables(tablespace: str) -> None:
        for table in TABLES_ON_SMALL_DISK:
            run(f"ALTER TABLE {table} SET TABLESPACE {tablespace}")

    tablespace = f"small_{database}"
    try:
        run(f"CREATE TABLESPACE {tablespace} LOCATION '{disk.path}'", "postgres")
        move_tables(tablespace)
        yield url, disk, disk.fill
        disk.free()
        move_tables("pg_default")
        run(f"DROP TABLESPACE {tablespace}", "postgres")
    finally:
        disk.unmount()
        disk.path.rmdir()


def test_a_full_disk_gives_calm_pages_and_keeps_everything_saved_before(
    small_disk_database, backend, tmp_path
):
    database_url, disk, fill_disk = small_disk_database
    with app_on(database_url, tmp_path):
        sofia = make_client(make_coach())
        letter = make_letter(sofia, body=draft(1, words=1_500))
        letter_id, letter_body = letter.id, letter.body
        session_id = make_coaching_session(sofia, private_notes=draft(2)).id
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = signed_in(server)
        notes_form = session_fields(coach, session_id)
        fill_disk()

        # The letter's PDF, never made before: its cache cannot be written.
        download = coach.get(f"/letters/{letter_id}/pdf")
        if download.status == 200:
            assert download.headers["content-type"] == "application/pdf"
            assert download.body.startswith(b"%PDF")
            assert "was not cached: the disk is full" in server.log_text()
        else:
            assert download.status == 507, download.text
            assert "The server's disk is full" in download.text
        if backend == "postgresql":  # the cache is refused at once, so the coach gets the PDF
            assert download.status == 200

        # New notes for the session: nothing can be saved, and the coach is told so.
        typed = draft(3)
        reply = coach.post(f"/sessions/{session_id}/edit", dict(notes_form, private_notes=typed))
        assert reply.status == 507, reply.text
        assert "nothing was saved" in reply.text
        assert "Your text is still in the form" in reply.text
        assert session_fields(coach, session_id)["private_notes"] == draft(2)
        # The letter editor's autosave gets a message it shows beside the text.
        autosave = coach.post(
            f"/letters/{letter_id}/autosave",
            dict(letter_fields(coach, letter_id), body=draft(4)),
            Accept="application/json",
        )
        assert autosave.status == 507
        assert autosave.json()["ok"] is False
        assert autosave.json()["message"].startswith("Not saved: the server's disk is full.")

        # Room again: the same form saves, without a restart.
        disk.free()
        reply = coach.post(f"/sessions/{session_id}/edit", dict(notes_form, private_notes=typed))
        assert reply.status == 302
        assert session_fields(coach, session_id)["private_notes"] == typed
        assert coach.get(f"/letters/{letter_id}/pdf").status == 200
        assert "Traceback" not in server.log_text()
        assert "The disk is full: POST /sessions/" in server.log_text()

    if backend == "sqlite":
        assert integrity_check(database_url) == "ok"
    with app_on(database_url, tmp_path):
        assert db.session.get(Letter, letter_id).body == letter_body
        assert db.session.get(CoachingSession, session_id).private_notes == typed


# A form far too large


def test_600_kb_of_text_gets_a_clear_answer_and_the_saved_draft_stays(database_url, tmp_path):
    with app_on(database_url, tmp_path):
        sofia = make_client(make_coach())
        letter_id = make_letter(sofia).id
        session_id = make_coaching_session(sofia).id
    pasted = ("A whole book pasted by mistake. " * 20_000)[:600_000]
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = signed_in(server)
        saved = draft(1)
        fields = dict(letter_fields(coach, letter_id), body=saved, save="Save")
        assert coach.post(f"/letters/{letter_id}/edit", fields).status == 302
        fields = letter_fields(coach, letter_id)

        # The editor's autosave sends the form as FormData: the 413 page, or its JSON.
        autosave = f"/letters/{letter_id}/autosave"
        page = coach.post_multipart(autosave, dict(fields, body=pasted))
        assert page.status == 413
        assert "nothing was saved" in page.text and "Your text is still in the form" in page.text
        reply = coach.post_multipart(autosave, dict(fields, body=pasted), Accept="application/json")
        assert reply.status == 413 and reply.json()["ok"] is False
        assert "Your text is still here" in reply.json()["message"]
        # Save, posted as an ordinary form: refused with the text still in the editor.
        page = coach.post(f"/letters/{letter_id}/edit", dict(fields, body=pasted, save="Save"))
        assert page.status == 400 and form_fields(page.text, "letter-form")["body"] == pasted
        kept = letter_fields(coach, letter_id)
        assert (kept["body"], kept["version"]) == (saved, fields["version"])

        # The longest letter and notes coachapp accepts still fit, at 4 bytes a character.
        longest_letter = "🙂" * LETTER_MAX_CHARS
        reply = coach.post_multipart(
            autosave, dict(fields, body=longest_letter), Accept="application/json"
        )
        assert reply.status == 200 and reply.json()["ok"] is True
        longest_note = "🙂" * DefaultConfig.NOTE_MAX_CHARS
        notes = dict(
            session_fields(coach, session_id), private_notes=longest_note, summary=longest_note
        )
        assert coach.post_multipart(f"/sessions/{session_id}/edit", notes).status == 302
    with app_on(database_url, tmp_path):
        assert db.session.get(Letter, letter_id).body == longest_letter
        assert db.session.get(CoachingSession, session_id).summary == longest_note


def test_only_a_full_disk_gets_the_disk_full_page_other_failures_stay_crashes(
    database_url, tmp_path
):
    app = make_test_app(tmp_path / "instance", database_url, TESTING=False)
    failures = {
        "/disk-full-upload": OSError(errno.ENOSPC, "No space left on device"),
        "/disk-full-database": OperationalError(
            "INSERT", {}, _sqlite_error("database or disk is full", sqlite3.SQLITE_FULL)
        ),
        "/locked": OperationalError(
            "INSERT", {}, _sqlite_error("database is locked", sqlite3.SQLITE_BUSY)
        ),
        "/permission": OSError(errno.EACCES, "Permission denied"),
    }
    for path, failure in failures.items():
        app.add_url_rule(path, path, _raiser(failure))
        app.view_functions[path].is_public = True
    client = app.test_client()
    for path in ("/disk-full-upload", "/disk-full-database"):
        reply = client.get(path)
        assert reply.status_code == 507 and "nothing was saved" in reply.get_data(as_text=True)
    for path in ("/locked", "/permission"):
        reply = client.get(path)
        assert reply.status_code == 500
        assert "Something went wrong on our side" in reply.get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def _sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


def _raiser(failure: Exception):
    def view():
        raise failure

    return view
