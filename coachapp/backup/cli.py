"""flask backup create | restore | key: encrypted backups of the database and uploads.

The work (and cryptography) is imported by each command, not when coachapp starts.
"""

from pathlib import Path

import click
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Make an encrypted backup of coachapp's data, or restore one.")


DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _echo_row_counts(row_counts: dict[str, int]) -> None:
    width = max((len(table) for table in row_counts), default=0)
    for table, rows in row_counts.items():
        click.echo(f"  {table:<{width}}  {rows}")


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    if size < 1024:
        return f"{size:.0f} bytes"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            break
    return f"{size:.1f} {unit}"


@backup_cli.command("create")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the backup (default: a new, dated file in instance/backups).",
)
def create_command(output: Path | None) -> None:
    """Back up the database and the uploaded files while coachapp keeps running."""
    from coachapp.backup.services import create_backup  # only for this command

    created = create_backup(output)
    manifest = created.manifest
    uploads = len(manifest["files"]) - 1
    click.echo(f"Backup written to {created.path} ({_size(created.path)}, encrypted).")
    database = DATABASE_NAMES[manifest["database"]]
    click.echo(
        f"It holds the {database} database (schema {manifest['schema_revision']}) "
        f"and {uploads} uploaded file{'s' if uploads != 1 else ''}. Rows per table:"
    )
    _echo_row_counts(manifest["row_counts"])


@backup_cli.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(backup_file: Path) -> None:
    """Restore a backup into this empty instance and empty database."""
    from coachapp.backup.services import restore_backup

    restored = restore_backup(backup_file)
    manifest = restored.manifest
    click.echo(
        f"Restored the backup of {manifest['created_at']}: the "
        f"{DATABASE_NAMES[manifest['database']]} "
        f"database and {restored.upload_count} uploaded "
        f"file{'s' if restored.upload_count != 1 else ''}, every checksum checked."
    )
    click.echo("Rows per table, counted after the restore and matching the backup:")
    _echo_row_counts(restored.row_counts)
    if restored.needs_upgrade:
        click.echo(
            "The backup was made by an earlier coachapp: run 'flask --app coachapp init-db' "
            "to bring the database up to date before starting coachapp."
        )
        return
    _warn_of_unreadable_two_step_secrets()


def _warn_of_unreadable_two_step_secrets() -> None:
    """Two-step secrets travel encrypted: without the key they were made with, say so now."""
    from coachapp.auth.two_factor_keys import unreadable_secrets

    unreadable = len(unreadable_secrets())
    if unreadable:
        people = "person" if unreadable == 1 else "people"
        click.echo(
            f"Warning: the two-step secrets of {unreadable} {people} open with none of "
            "TWO_FACTOR_KEYS. Set TWO_FACTOR_KEYS to the keys of the server this backup comes "
            "from; until then, two-step sign-in takes a recovery code.",
            err=True,
        )


@backup_cli.command("key")
def key_command() -> None:
    """Print a new backup key."""
    from coachapp.backup.encryption import new_key

    click.echo(new_key())
    click.echo(
        "Set it as FLASK_BACKUP_KEY in the environment, or as BACKUP_KEY = '...' in "
        "instance/config.py, and keep a copy somewhere safe away from this server: "
        "without the key, no backup can be opened.",
        err=True,
    )
