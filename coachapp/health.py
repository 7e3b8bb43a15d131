"""Health of the database behind coachapp."""

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coachapp.extensions import db
from coachapp.paths import MIGRATIONS_FOLDER

log = logging.getLogger(__name__)


def database_status() -> dict[str, str]:
    """Whether the database answers, and whether its schema is at the latest migration."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current_heads = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        log.warning("Health check could not reach the database: %s", error.__class__.__name__)
        return {"database": "unreachable", "schema": "unknown"}
    expected_heads = set(_migration_scripts().get_heads())
    schema = "current" if current_heads == expected_heads else "needs init-db"
    return {"database": "ok", "schema": schema}


def _migration_scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_FOLDER))
