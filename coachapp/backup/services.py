"""Making a backup and restoring one: the database, the uploaded files and a manifest.

A backup file is a ZIP archive, encrypted (see encryption.py), holding:

- ``manifest.json``: coachapp's version, the schema revision, the kind of database, when
  the backup was made, the rows in each table and the SHA-256 of every other file;
- ``database/coachapp.sqlite3`` or ``database/coachapp.pgdump`` (pg_dump's custom format);
- ``uploads/...``: every file under instance/uploads (letterheads, covers, photos).

instance/config.py, which holds the secret key (and perhaps the backup key), is never
included. Everything in plain text is worked on in a private folder inside the instance
folder, next to the database it came from, and deleted afterwards.
"""

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from coachapp.backup.database import (
    DATABASE_FILES,
    current_contents,
    database_kind,
    restore_database,
    snapshot_database,
)
from coachapp.backup.encryption import decrypt_stream, encrypt_stream, fernet_for
from coachapp.backup.errors import BackupError
from coachapp.paths import MIGRATIONS_FOLDER
from coachapp.timeutil import utcnow

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
UPLOADS_PREFIX = "uploads/"
BACKUP_SUFFIX = ".backup"


@dataclass(frozen=True)
class CreatedBackup:
    """A backup just written, and its manifest."""

    path: Path
    manifest: dict


@dataclass(frozen=True)
class RestoredBackup:
    """What a restore put back: the manifest, and the rows counted afterwards."""

    manifest: dict
    row_counts: dict[str, int]
    upload_count: int
    needs_upgrade: bool


def coachapp_version() -> str:
    try:
        return version("coachapp")
    except PackageNotFoundError:
        return "unknown"


def uploads_root() -> Path:
    return Path(current_app.instance_path) / "uploads"


def backups_folder() -> Path:
    """BACKUP_FOLDER, or instance/backups."""
    configured = current_app.config.get("BACKUP_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _private_work_folder() -> Iterator[Path]:
    """A folder only this user can read, beside the database, removed afterwards."""
    try:
        folder = Path(tempfile.mkdtemp(prefix=".backup-work-", dir=current_app.instance_path))
    except OSError as error:
        raise BackupError(
            f"coachapp could not make a working folder in {current_app.instance_path}: "
            f"{error.strerror}."
        ) from error
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload_files() -> list[tuple[Path, str]]:
    """Every uploaded file and its name in the archive; links and half-written files skipped."""
    root = uploads_root()
    found = []
    for folder, _subfolders, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file() or name.endswith(".part"):
                continue
            found.append((path, UPLOADS_PREFIX + path.relative_to(root).as_posix()))
    return sorted(found, key=lambda item: item[1])


# --- making a backup -------------------------------------------------------------------


def create_backup(output: Path | None = None) -> CreatedBackup:
    """Back up the database and the uploads to ``output`` (default: a new file in the
    backups folder). Nothing is left behind if it fails: no half-written file, and
    earlier backups are never touched."""
    fernet = fernet_for(current_app.config.get("BACKUP_KEY"))
    target = _target_path(output)
    with _private_work_folder() as work:
        snapshot = snapshot_database(work)
        uploads = upload_files()
        files = [(snapshot.path, DATABASE_FILES[snapshot.kind]), *uploads]
        manifest = {
            "format": FORMAT_VERSION,
            "coachapp_version": coachapp_version(),
            "schema_revision": snapshot.schema_revision,
            "database": snapshot.kind,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "row_counts": snapshot.row_counts,
            "files": {},
        }
        archive_path = work / "backup.zip"
        try:
            with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
                for path, name in files:
                    manifest["files"][name] = sha256_of(path)
                    archive.write(path, name)
                archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2))
        except OSError as error:
            raise BackupError(
                f"The backup could not be put together in {work.parent}: {error.strerror}."
            ) from error
        _write_encrypted(archive_path, target, fernet)
    return CreatedBackup(target, manifest)


def _target_path(output: Path | None) -> Path:
    if output is not None:
        target = output.expanduser().resolve()
        if target.exists():
            raise BackupError(f"{target} already exists; coachapp will not overwrite it.")
        if not target.parent.is_dir():
            raise BackupError(f"The folder {target.parent} does not exist.")
        return target
    folder = backups_folder()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"coachapp could not create {folder}: {error.strerror}.") from error
    stem = f"coachapp-{utcnow():%Y%m%d-%H%M%S}"
    target, number = folder / f"{stem}{BACKUP_SUFFIX}", 2
    while target.exists():
        target, number = folder / f"{stem}-{number}{BACKUP_SUFFIX}", number + 1
    return target.resolve()


def _write_encrypted(archive_path: Path, target: Path, fernet) -> None:
    """Encrypt into a temporary file beside the target, then rename it into place.

    A full disk or any other failure removes the temporary file, so the folder holds
    either the whole new backup or nothing new at all.
    """
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
        with os.fdopen(descriptor, "wb") as out, archive_path.open("rb") as source:
            encrypt_stream(source, out, fernet)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
        temporary = None
        _sync_folder(target.parent)
    except OSError as error:
        raise BackupError(
            f"The backup could not be written to {target.parent}: {error.strerror}. "
            "No backup file was left there, and earlier backups are untouched."
        ) from error
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (where the system allows it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# --- restoring -------------------------------------------------------------------------


def restore_backup(backup_file: Path) -> RestoredBackup:
    """Restore a backup into this empty instance: its database, then its uploads.

    Refuses an instance that already holds data, a backup it cannot decrypt, and any file
    whose checksum differs from the manifest, before anything is written.
    """
    fernet = fernet_for(current_app.config.get("BACKUP_KEY"), restoring=True)
    if not backup_file.is_file():
        raise BackupError(f"There is no backup file at {backup_file}.")
    kind = database_kind()
    has_tables = _refuse_unless_empty()
    with _private_work_folder() as work:
        archive_path = work / "backup.zip"
        with backup_file.open("rb") as source, archive_path.open("wb") as plain:
            decrypt_stream(source, plain, fernet)
        try:
            with zipfile.ZipFile(archive_path) as archive:
                manifest = read_manifest(archive)
                _check_compatible(manifest, kind)
                verify_checksums(archive, manifest)
                database_copy = work / "database"
                with archive.open(DATABASE_FILES[kind]) as source, database_copy.open("wb") as out:
                    shutil.copyfileobj(source, out)
                restore_database(kind, database_copy, has_tables)
                upload_count = _restore_uploads(archive, manifest)
        except zipfile.BadZipFile as error:
            raise BackupError("The archive inside this backup is damaged.") from error
    _has_tables, counts = current_contents()
    expected = manifest["row_counts"]
    differences = [
        f"{table}: {counts.get(table, 0)} rows, the backup had {rows}"
        for table, rows in expected.items()
        if counts.get(table, 0) != rows
    ]
    if differences:
        raise BackupError(
            "The restored database does not match the backup: " + "; ".join(differences)
        )
    heads = ScriptDirectory(str(MIGRATIONS_FOLDER)).get_heads()
    return RestoredBackup(
        manifest,
        {table: counts[table] for table in expected},
        upload_count,
        needs_upgrade=manifest.get("schema_revision") not in heads,
    )


def _refuse_unless_empty() -> bool:
    """Refuse an instance with data; return whether the (empty) tables already exist."""
    has_tables, counts = current_contents()
    filled = sorted(table for table, rows in counts.items() if rows)
    if filled:
        raise BackupError(
            "coachapp restores only into an empty database, and this one already holds data "
            f"(in {', '.join(filled[:5])}{', …' if len(filled) > 5 else ''}). Point coachapp at "
            "a new, empty database and a new instance folder, then restore again."
        )
    if upload_files():
        raise BackupError(
            f"coachapp restores only into an empty instance, and {uploads_root()} already "
            "holds files. Use a new instance folder, then restore again."
        )
    return has_tables


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    except (KeyError, ValueError) as error:
        raise BackupError("This backup has no readable manifest.") from error
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(
            "This backup was made by another version of coachapp in a format this one cannot read."
        )
    return manifest


def _check_compatible(manifest: dict, kind: str) -> None:
    if manifest["database"] != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"This backup holds a {names.get(manifest['database'], manifest['database'])} "
            f"database, but this coachapp is set up for {names[kind]}. Restore it into a "
            f"{names.get(manifest['database'], manifest['database'])} installation."
        )
    revision = manifest.get("schema_revision")
    try:
        known = revision is None or ScriptDirectory(str(MIGRATIONS_FOLDER)).get_revision(revision)
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"This backup was made by a newer coachapp (database schema {revision}). "
            "Install that version of coachapp, then restore."
        )


def verify_checksums(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every file the manifest lists is present and unchanged, and there is nothing else."""
    listed = manifest["files"]
    present = set(archive.namelist()) - {MANIFEST_NAME}
    if present != set(listed):
        raise BackupError("The files in this backup do not match its manifest.")
    for name, expected in listed.items():
        digest = hashlib.sha256()
        with archive.open(name) as member:
            for block in iter(lambda member=member: member.read(1024 * 1024), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise BackupError(f"{name} in this backup does not match its checksum.")


def _restore_uploads(archive: zipfile.ZipFile, manifest: dict) -> int:
    root = uploads_root()
    count = 0
    for name in manifest["files"]:
        if not name.startswith(UPLOADS_PREFIX):
            continue
        relative = PurePosixPath(name[len(UPLOADS_PREFIX) :])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise BackupError(f"This backup holds a file with an unsafe name: {name}")
        target = root.joinpath(*relative.parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(name) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out)
        except OSError as error:
            raise BackupError(
                f"The uploaded files could not be restored to {root}: {error.strerror}. "
                "The database is restored; empty this instance and restore again."
            ) from error
        count += 1
    return count
