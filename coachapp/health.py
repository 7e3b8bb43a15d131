"""Health of the database behind coachapp, as /healthz reports it to load balancers.

A check is one query, on Alembic's table of applied revisions: it shows that the database
answers and whether `init-db` has run for this code, and nothing is remembered between
checks, so a deploy that migrates shows at once. The code's own newest revision is read
from the migration files once per process, without importing Alembic: that import alone
takes a quarter of a second, and made each worker's first check that slow.
"""

import ast
import logging
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from coachapp.extensions import db
from coachapp.paths import MIGRATIONS_FOLDER

log = logging.getLogger(__name__)
# Alembic's own table (env.py keeps its default name); a database without it is empty.
APPLIED_REVISIONS = text("SELECT version_num FROM alembic_version")


def database_status() -> dict[str, str]:
    """Whether the database answers, and whether its schema is at the latest migration."""
    try:
        connection = db.engine.connect()
    except SQLAlchemyError as error:
        log.warning("Health check could not reach the database: %s", error.__class__.__name__)
        return {"database": "unreachable", "schema": "unknown"}
    with connection:
        try:
            applied = frozenset(connection.execute(APPLIED_REVISIONS).scalars())
        except SQLAlchemyError:
            applied = frozenset()  # it answers, but has no revisions table: init-db never ran
    schema = "current" if applied == expected_heads() else "needs init-db"
    return {"database": "ok", "schema": schema}


@cache
def expected_heads() -> frozenset[str]:
    """The newest migration(s) shipped with this code: the revisions no other one revises."""
    revisions, revised = set(), set()
    for path in sorted((MIGRATIONS_FOLDER / "versions").glob("*.py")):
        constants = _revision_constants(path)
        if "revision" not in constants:
            continue  # not a migration
        revisions.add(constants["revision"])
        down = constants.get("down_revision") or ()
        revised.update(down if isinstance(down, tuple | list) else (down,))
    return frozenset(revisions - revised)


def _revision_constants(path: Path) -> dict:
    """A migration file's ``revision`` and ``down_revision``, read without running it."""
    constants = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value  # revision: str = '...'
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            constants[target.id] = ast.literal_eval(value)
    return constants
