"""Runs coachapp's Alembic migrations against the database the Flask app is configured for."""

from logging.config import fileConfig

from alembic import context
from flask import current_app

from coachapp.coaching.search import include_in_autogenerate
from coachapp.timeutil import UTCDateTime

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

migrate_extension = current_app.extensions["migrate"]
target_metadata = migrate_extension.db.metadata


def run_migrations_offline() -> None:
    """Print the SQL for a database that is not reachable from here (``flask db upgrade --sql``)."""
    context.configure(
        url=migrate_extension.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        **migrate_extension.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(context_, _revision, directives) -> None:
    """``flask db migrate`` writes no revision when the models did not change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def _render_item(type_, obj, autogen_context):
    """Write coachapp's column types as plain SQLAlchemy types, so revisions stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_online() -> None:
    """Apply migrations over a live connection, one transaction for the whole upgrade."""
    configure_args = {
        "process_revision_directives": _skip_empty_autogenerate,
        "render_item": _render_item,
        "include_name": include_in_autogenerate,
    }
    configure_args.update(migrate_extension.configure_args)
    with migrate_extension.db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table by dropping it, and with foreign keys on,
            # dropping a table first deletes every row that cascades from it (a family's
            # sessions, letters...). So, as SQLite's own procedure for altering a table
            # says: foreign keys off (only possible outside a transaction), migrate, check
            # every reference still holds, and on again.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            # On SQLite, Alembic commits after each revision and Python's sqlite3 commits
            # DDL as it goes; one explicit transaction instead lets a failed revision or a
            # broken reference undo the whole upgrade (Alembic leaves it to us to commit).
            connection.exec_driver_sql("BEGIN")
        context.configure(connection=connection, target_metadata=target_metadata, **configure_args)
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"The migration left broken references: {broken[:5]}")
            if sqlite:
                connection.commit()
        finally:
            if sqlite:
                connection.rollback()  # after a failure; nothing to undo after the commit
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
