"""Backups: made while coachapp runs, restored into a fresh instance, refused when unsafe."""

import io
import os
import subprocess
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet
from PIL import Image
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth import two_factor
from coachapp.auth.models import User
from coachapp.backup.encryption import decrypt_stream, encrypt_stream
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from tests.conftest import Browser, make_test_app
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_letterhead,
    make_post,
)

KEY = Fernet.generate_key().decode()
OTHER_KEY = Fernet.generate_key().decode()
SECRET_IN_CONFIG = "instance-secret-that-must-never-travel-in-a-backup-7f3a"


@pytest.fixture
def app(database_url, tmp_path):
    """The running practice: an app whose configuration holds a backup key."""
    app = make_test_app(tmp_path / "instance", database_url, BACKUP_KEY=KEY)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_app(empty_database_url, tmp_path):
    """A new installation: an empty database and an empty instance folder."""
    apps = []

    def make(key: str = KEY, **config):
        app = make_test_app(
            tmp_path / f"fresh-{len(apps)}", empty_database_url, BACKUP_KEY=key, **config
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def png(colour: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(output, "PNG")
    return output.getvalue()


@pytest.fixture
def practice(app) -> dict:
    """A coach with a client (portal sign-in, sessions, a letter), a letterhead logo, a post
    cover and an audit record: something in every part a backup must carry."""
    uploads = Path(app.instance_path) / "uploads"
    with app.app_context():
        coach = make_coach()
        sofia = make_client(coach, "Sofia", last_name="Marin")
        make_client_login(sofia)
        make_coaching_session(sofia, days_ago=14, private_notes="Talked about the nursery.")
        make_coaching_session(sofia, days_ago=7, action_items=["Rest after drop-off"])
        make_letter(sofia)
        files = {
            f"letterheads/{coach.id}/logo.png": png("#9c4f36"),
            f"covers/{coach.id}/harbour.png": png("#336699"),
        }
        for relative, data in files.items():
            (uploads / relative).parent.mkdir(parents=True, exist_ok=True)
            (uploads / relative).write_bytes(data)
        make_letterhead(coach, logo_path=f"letterheads/{coach.id}/logo.png")
        make_post(coach, cover_image_path=f"covers/{coach.id}/harbour.png")
        record_event(AuditAction.CLIENT_VIEWED, client_id=sofia.id, actor=coach)
        db.session.commit()
        return {"coach": coach.id, "client": sofia.id, "files": files}


def row_counts(app) -> dict[str, int]:
    with app.app_context():
        counts = {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in sorted(db.metadata.tables.items())
        }
        db.session.remove()
        return counts


def backup_contents(path: Path, key: str = KEY) -> dict[str, bytes]:
    """Every file inside a backup, decrypted."""
    plain = io.BytesIO()
    with path.open("rb") as source:
        decrypt_stream(source, plain, Fernet(key))
    with zipfile.ZipFile(plain) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def create(app, *args: str):
    return app.test_cli_runner().invoke(args=["backup", "create", *args])


def restore(app, path: Path):
    return app.test_cli_runner().invoke(args=["backup", "restore", str(path)])


def assert_untouched(app) -> None:
    """The fresh instance still holds nothing: no rows and no uploaded files."""
    assert not any(row_counts_if_tables(app).values())
    assert not list((Path(app.instance_path) / "uploads").rglob("*"))


def row_counts_if_tables(app) -> dict[str, int]:
    from coachapp.backup.database import current_contents

    with app.app_context():
        return current_contents()[1]


def test_a_backup_restores_into_a_fresh_instance_with_every_row_and_file(
    app, practice, fresh_app, tmp_path
):
    backup = tmp_path / "practice.backup"
    made = create(app, "--output", str(backup))
    assert made.exit_code == 0, made.output
    assert f"Backup written to {backup}" in made.output and "2 uploaded files" in made.output

    fresh = fresh_app()
    restored = restore(fresh, backup)
    assert restored.exit_code == 0, restored.output
    assert "2 uploaded files, every checksum checked" in restored.output
    assert "clients" in restored.output and "coaching_sessions" in restored.output

    before = row_counts(app)
    assert before["clients"] == 1 and before["coaching_sessions"] == 2
    assert before["audit_events"] >= 1 and before["letters"] == 1
    assert row_counts(fresh) == before
    uploads = Path(fresh.instance_path) / "uploads"
    for relative, data in practice["files"].items():
        assert (uploads / relative).read_bytes() == data

    visitor = fresh.test_client()
    Browser(visitor).login("coach@example.com", PASSWORD)
    page = visitor.get(f"/clients/{practice['client']}")
    assert page.status_code == 200 and "Sofia Marin" in page.get_data(as_text=True)
    Browser(visitor).logout()
    assert Browser(visitor).login("sofia@example.com", PASSWORD).status_code == 302

    # The audit log is still append-only in the restored database.
    with fresh.app_context(), pytest.raises(DBAPIError):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.commit()


def test_a_backup_made_while_the_app_keeps_writing_is_one_consistent_moment(
    app, practice, fresh_app
):
    stop, written, errors = threading.Event(), [], []

    def keep_writing():
        try:
            with app.app_context():
                sofia = db.session.get(Client, practice["client"])
                while not stop.is_set():
                    make_coaching_session(sofia, days_ago=1, private_notes=f"Note {len(written)}")
                    written.append(1)
                db.session.remove()
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(written) < 5 and writer.is_alive():
            stop.wait(0.01)
        made = create(app)  # into instance/backups, under a dated name
        written_during = len(written)
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert made.exit_code == 0, made.output
    (backup,) = (Path(app.instance_path) / "backups").glob("coachapp-*.backup")

    import json

    manifest = json.loads(backup_contents(backup)["manifest.json"])
    in_backup = manifest["row_counts"]["coaching_sessions"]
    assert 2 + 5 <= in_backup <= 2 + written_during
    assert row_counts(app)["coaching_sessions"] > in_backup  # writing went on meanwhile

    fresh = fresh_app()
    restored = restore(fresh, backup)
    assert restored.exit_code == 0, restored.output
    assert row_counts(fresh) == manifest["row_counts"]
    with fresh.app_context():
        sessions = db.session.scalars(select(CoachingSession.private_notes)).all()
        assert len(sessions) == in_backup


def test_the_manifest_describes_the_backup(app, practice, tmp_path, backend):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    contents = backup_contents(backup)
    import hashlib
    import json

    manifest = json.loads(contents.pop("manifest.json"))
    assert manifest["database"] == backend
    assert manifest["coachapp_version"] == "0.1.0"
    with app.app_context():
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert manifest["schema_revision"] == revision
    assert datetime.fromisoformat(manifest["created_at"]) > datetime.now(UTC) - timedelta(minutes=5)
    assert manifest["row_counts"] == row_counts(app)
    assert manifest["files"] == {
        name: hashlib.sha256(data).hexdigest() for name, data in contents.items()
    }
    assert {f"uploads/{relative}" for relative in practice["files"]} < set(contents)


def test_a_backup_never_holds_the_instance_configuration_or_its_secrets(app, practice, tmp_path):
    config = Path(app.instance_path) / "config.py"
    config.write_text(f"SECRET_KEY = {SECRET_IN_CONFIG!r}\nBACKUP_KEY = {KEY!r}\n")
    backup = tmp_path / "practice.backup"
    assert create(app, "--output", str(backup)).exit_code == 0
    contents = backup_contents(backup)
    assert not [name for name in contents if name.endswith("config.py")]
    for name, data in contents.items():
        assert SECRET_IN_CONFIG.encode() not in data, name
        assert KEY.encode() not in data, name
    raw = backup.read_bytes()
    assert b"Sofia" not in raw and KEY.encode() not in raw  # encrypted, and no key inside


def test_a_backup_opened_with_another_key_is_refused(app, practice, fresh_app, tmp_path):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    fresh = fresh_app(key=OTHER_KEY)
    refused = restore(fresh, backup)
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "cannot be opened with the configured BACKUP_KEY" in refused.output
    assert_untouched(fresh)


@pytest.mark.parametrize("damage", ["changed byte", "cut short"])
def test_a_tampered_or_truncated_backup_is_refused(app, practice, fresh_app, tmp_path, damage):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    data = bytearray(backup.read_bytes())
    if damage == "changed byte":
        data[len(data) // 2] ^= 0x01
        expected = "the file has been changed or damaged"
    else:
        del data[len(data) - 100 :]
        expected = "incomplete"
    backup.write_bytes(bytes(data))
    fresh = fresh_app()
    refused = restore(fresh, backup)
    assert refused.exit_code == 1 and expected in refused.output
    assert_untouched(fresh)


def test_a_file_that_differs_from_its_checksum_is_refused_before_anything_is_restored(
    app, practice, fresh_app, tmp_path
):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    contents = backup_contents(backup)
    logo = next(name for name in contents if name.endswith("logo.png"))
    contents[logo] = png("#000000")  # re-encrypted with the right key: only the checksum tells
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    plain.seek(0)
    with backup.open("wb") as out:
        encrypt_stream(plain, out, Fernet(KEY))

    fresh = fresh_app()
    refused = restore(fresh, backup)
    assert refused.exit_code == 1
    assert f"{logo} in this backup does not match its checksum" in refused.output
    assert_untouched(fresh)


def test_restoring_over_a_database_with_data_is_refused(app, practice, tmp_path):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    before = row_counts(app)
    refused = restore(app, backup)
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "restores only into an empty database" in refused.output
    assert row_counts(app) == before


def test_restoring_into_an_instance_that_has_uploads_is_refused(app, practice, fresh_app, tmp_path):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    fresh = fresh_app()
    stray = Path(fresh.instance_path) / "uploads" / "letterheads" / "9" / "old.png"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(png("#ffffff"))
    refused = restore(fresh, backup)
    assert refused.exit_code == 1 and "already holds files" in refused.output
    assert not any(row_counts_if_tables(fresh).values())


def test_create_without_a_key_says_how_to_make_one(app, practice):
    app.config["BACKUP_KEY"] = None
    refused = create(app)
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "flask --app coachapp backup key" in refused.output
    assert "FLASK_BACKUP_KEY" in refused.output and "instance/config.py" in refused.output
    assert not (Path(app.instance_path) / "backups").exists()


def test_backup_key_prints_a_new_working_key_each_time(app):
    runner = app.test_cli_runner()
    first, second = (runner.invoke(args=["backup", "key"]) for _ in range(2))
    key = first.stdout.strip()
    assert first.exit_code == 0 and key != second.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"ok")) == b"ok"
    assert "keep a copy somewhere safe" in first.stderr


def test_a_full_disk_leaves_earlier_backups_untouched_and_no_partial_file(app, practice, tmp_path):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        app.config["BACKUP_FOLDER"] = str(folder)
        assert create(app).exit_code == 0
        (earlier,) = folder.iterdir()
        earlier_bytes = earlier.read_bytes()
        descriptor = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(descriptor, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(descriptor)

        failed = create(app)
        assert failed.exit_code == 1 and isinstance(failed.exception, SystemExit)
        assert "No space left on device" in failed.output
        assert "earlier backups are untouched" in failed.output
        assert sorted(path.name for path in folder.iterdir()) == sorted([earlier.name, "filler"])
        assert earlier.read_bytes() == earlier_bytes
        assert not list(Path(app.instance_path).glob(".backup-work-*"))
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_backup_restores_into_a_database_where_init_db_already_ran(
    app, practice, fresh_app, tmp_path
):
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    fresh = fresh_app()
    fresh.test_cli_runner().invoke(args=["init-db"])
    restored = restore(fresh, backup)
    assert restored.exit_code == 0, restored.output
    assert row_counts(fresh) == row_counts(app)


def test_two_step_sign_in_comes_back_with_its_key_and_explains_itself_without(
    app, practice, fresh_app, tmp_path
):
    # The two-step key is not in the backup: the server it comes back to needs it too.
    with app.app_context():
        coach = db.session.get(User, practice["coach"])
        secret = two_factor.start_setup(coach)
        two_factor.confirm_setup(coach, pyotp.TOTP(secret).now())
        db.session.commit()
    backup = tmp_path / "practice.backup"
    create(app, "--output", str(backup))
    fresh = fresh_app(TWO_FACTOR_KEYS=[Fernet.generate_key().decode()])  # not its key

    restored = restore(fresh, backup)

    assert restored.exit_code == 0, restored.output
    assert "two-step secrets of 1 person open with none of TWO_FACTOR_KEYS" in restored.stderr
    visitor = Browser(fresh.test_client())
    assert visitor.login("coach@example.com", PASSWORD).headers["Location"] == "/login/two-step"
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    refused = visitor.client.post("/login/two-step", data={"code": next_code})
    assert refused.status_code == 400
    assert "cannot check the codes of your app" in refused.get_data(as_text=True)

    # With the practice's key set (as the README says to keep it), codes work again.
    fresh.config["TWO_FACTOR_KEYS"] = app.config["TWO_FACTOR_KEYS"]
    assert visitor.client.post("/login/two-step", data={"code": next_code}).status_code == 302
    assert visitor.client.get("/dashboard").status_code == 200
