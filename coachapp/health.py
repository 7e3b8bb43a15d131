"""Health of the database behind coachapp."""

import logging
from functools import cache

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coachapp.extensions import db
from coachapp.paths import MIGRATIONS_FOLDER

log = logging.getLogger(__name__)


def database_status() -> dict[str, str]:
    """Whether the database answers, and whether its schema is at the latest migration."""
    from alembic.runtime.migration import MigrationContext  # on first check (start-up time)

    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current_heads = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        log.warning("Health check could not reach the database: %s", error.__class__.__name__)
        return {"database": "unreachable", "schema": "unknown"}
    schema = "current" if current_heads == _expected_heads() else "needs init-db"
    return {"database": "ok", "schema": schema}


@cache
def _expected_heads() -> frozenset[str]:
    """The newest migration(s) shipped with this code; read once per process."""
    from alembic.script import ScriptDirectory  # on first check (start-up time)

    return frozenset(ScriptDirectory(str(MIGRATIONS_FOLDER)).get_heads())
