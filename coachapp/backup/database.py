"""Copying the database while coachapp runs, and putting a copy back.

SQLite: the online backup API copies a consistent snapshot while other connections keep
writing (WAL mode). PostgreSQL: pg_dump reads a snapshot exported from an open
transaction, and the row counts come from that same transaction, so they describe
exactly what was dumped.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from coachapp.backup.errors import BackupError
from coachapp.extensions import db

SUPPORTED_KINDS = ("sqlite", "postgresql")
PG_ROOT = Path("/usr/lib/postgresql")
DATABASE_FILES = {"sqlite": "database/coachapp.sqlite3", "postgresql": "database/coachapp.pgdump"}


@dataclass(frozen=True)
class Snapshot:
    """A copy of the database in a file, with what it holds."""

    kind: str
    path: Path
    row_counts: dict[str, int]
    schema_revision: str | None


def database_kind() -> str:
    """'sqlite' or 'postgresql': the database coachapp is configured to use."""
    kind = db.engine.dialect.name
    if kind not in SUPPORTED_KINDS:
        raise BackupError(f"coachapp can back up SQLite and PostgreSQL databases, not {kind}.")
    return kind


def coachapp_tables() -> list[str]:
    """Every table coachapp's models define (the search index is rebuilt from them)."""
    return sorted(db.metadata.tables)


def _quoted(table: str) -> str:
    # Only names from coachapp's own metadata reach SQL; quoting keeps them exact.
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise BackupError(f"Unexpected table name {table!r}.")
    return f'"{table}"'


def _count_rows(run_scalar, tables: list[str]) -> dict[str, int]:
    return {
        table: int(run_scalar(f"SELECT count(*) FROM {_quoted(table)}"))  # noqa: S608  (own table names)
        for table in tables
    }


# --- taking a snapshot -----------------------------------------------------------------


def snapshot_database(folder: Path) -> Snapshot:
    """Copy the configured database into ``folder`` while the app keeps running."""
    if database_kind() == "sqlite":
        return _sqlite_snapshot(folder)
    return _postgres_snapshot(folder)


def sqlite_path() -> Path:
    """The configured SQLite database file."""
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("coachapp can only back up a SQLite database kept in a file.")
    return Path(name).resolve()


def _sqlite_snapshot(folder: Path) -> Snapshot:
    source_path = sqlite_path()
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path} to back up.")
    target = folder / "coachapp.sqlite3"
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_SECONDS"]
    source = sqlite3.connect(source_path, timeout=timeout)
    try:
        copy = sqlite3.connect(target)
        try:
            # One step: a single read transaction, so the copy is one moment in time;
            # writers carry on meanwhile (WAL).
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            existing = {
                row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            tables = [table for table in coachapp_tables() if table in existing]
            counts = _count_rows(lambda sql: copy.execute(sql).fetchone()[0], tables)
            revision = None
            if "alembic_version" in existing:
                row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"The database could not be copied: {error}.") from error
    finally:
        source.close()
    return Snapshot("sqlite", target, counts, revision)


def find_postgres_tool(name: str) -> str:
    """pg_dump or pg_restore: on PATH, else in the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which(name)
    if on_path:
        return on_path
    candidates = sorted(
        (path for path in PG_ROOT.glob(f"*/bin/{name}") if path.is_file()),
        key=lambda path: [int(part) for part in re.findall(r"\d+", path.parent.parent.name)],
    )
    if not candidates:
        raise BackupError(
            f"{name} was not found on PATH or in {PG_ROOT}/*/bin. Install the PostgreSQL "
            "client tools (on Debian or Ubuntu: apt install postgresql-client)."
        )
    return str(candidates[-1])


def _libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The database address for pg_dump/pg_restore, and an environment with the password.

    The password travels in PGPASSWORD, never on the command line, where any user of the
    machine could read it.
    """
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    address = url.set(drivername="postgresql", password=None)
    return address.render_as_string(hide_password=False), environment


def _run_tool(command: list[str], environment: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            command, env=environment, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"{what} could not start: {error.strerror}.") from error
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {reason}")


def _postgres_snapshot(folder: Path) -> Snapshot:
    target = folder / "coachapp.pgdump"
    address, environment = _libpq_target(db.engine.url)
    pg_dump = find_postgres_tool("pg_dump")
    try:
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                command = [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    "--lock-wait-timeout=60s",
                    f"--file={target}",
                    f"--dbname={address}",
                ]
                _run_tool(command, environment, "pg_dump")
                counts, revision = _postgres_contents(connection)
    except SQLAlchemyError as error:
        raise BackupError(f"coachapp could not read the database: {error.orig or error}") from error
    return Snapshot("postgresql", target, counts, revision)


def _postgres_contents(connection: Connection) -> tuple[dict[str, int], str | None]:
    existing = set(inspect(connection).get_table_names())
    tables = [table for table in coachapp_tables() if table in existing]
    counts = _count_rows(lambda sql: connection.execute(text(sql)).scalar_one(), tables)
    revision = None
    if "alembic_version" in existing:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return counts, revision


# --- restoring -------------------------------------------------------------------------


def current_contents() -> tuple[bool, dict[str, int]]:
    """Whether the configured database has coachapp's tables, and their row counts."""
    try:
        with db.engine.connect() as connection:
            existing = set(inspect(connection).get_table_names())
            tables = [table for table in coachapp_tables() if table in existing]
            counts = _count_rows(lambda sql: connection.execute(text(sql)).scalar_one(), tables)
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise BackupError(f"coachapp cannot reach the database: {reason}") from error
    finally:
        db.engine.dispose()
    return bool(tables), counts


def restore_database(kind: str, copy: Path, has_tables: bool) -> None:
    """Put the database copy in place of the configured (empty) database."""
    db.engine.dispose()  # no connection may hold the old file or tables open
    if kind == "sqlite":
        _restore_sqlite(copy)
    else:
        _restore_postgres(copy, clean=has_tables)
    db.engine.dispose()


def _restore_sqlite(copy: Path) -> None:
    check = sqlite3.connect(copy)
    try:
        verdict = check.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        raise BackupError(f"The database in the backup cannot be read: {error}.") from error
    finally:
        check.close()
    if verdict != "ok":
        raise BackupError(f"The database in the backup is damaged: {verdict}.")
    path = sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".restoring"
    )
    try:
        with os.fdopen(descriptor, "wb") as target, copy.open("rb") as source:
            shutil.copyfileobj(source, target)
            target.flush()
            os.fsync(target.fileno())
        # The empty database's journal files must not be applied to the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise BackupError(
            f"The database could not be written to {path}: {error.strerror}."
        ) from error


def _restore_postgres(dump: Path, clean: bool) -> None:
    address, environment = _libpq_target(db.engine.url)
    command = [
        find_postgres_tool("pg_restore"),
        # Owned by whoever restores, whatever role made the backup.
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={address}",
    ]
    if clean:  # the tables exist (init-db ran) but are empty: replace them
        command += ["--clean", "--if-exists"]
    _run_tool([*command, str(dump)], environment, "pg_restore")
