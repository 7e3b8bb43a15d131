"""An older schema filled by hand, for the tests of the migrations that follow it."""

from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import text

from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER

# A practice, its coach, and a family of two adults (Sofia, id 1, and Marc, id 2): rows
# every schema since families (b7e2d4a91c30) can hold.
FAMILY_OF_TWO = [
    "INSERT INTO practices (id, name, created_at, require_two_factor) "
    "VALUES (1, 'Practice', :now, false)",
    "INSERT INTO users (id, practice_id, email, name, password_hash, role, is_owner, "
    "active, bio, timezone, session_token, created_at) VALUES (1, 1, "
    "'coach@example.com', 'Maya', 'x', 'coach', true, true, '', 'Europe/London', "
    "'token', :now)",
    "INSERT INTO clients (id, coach_id, situation, goals, notes, identifying_words, "
    "created_at, updated_at) VALUES (1, 1, '', '', '', '', :now, :now)",
    "INSERT INTO adults (id, client_id, position, first_name, last_name, preferred_name,"
    " pronouns, email, phone, preferred_contact, relation_to_children, created_at) "
    "VALUES (1, 1, 0, 'Sofia', '', '', '', '', '', 'email', '', :now), "
    "(2, 1, 1, 'Marc', '', '', '', '', '', 'email', '', :now)",
]


def upgrade_family_from(app, revision: str, rows: list[str]) -> None:
    """Build the schema at ``revision``, fill it with FAMILY_OF_TWO and ``rows`` (SQL that
    may use :now), then upgrade it to the newest. Runs in ``app``'s context."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    init_migrations(app)
    upgrade(directory=str(MIGRATIONS_FOLDER), revision=revision)
    for statement in [*FAMILY_OF_TWO, *rows]:
        db.session.execute(text(statement), {"now": now})
    db.session.commit()
    upgrade(directory=str(MIGRATIONS_FOLDER))
