"""search index over coaching sessions: FTS5 on SQLite, tsvector with GIN on PostgreSQL

The index holds each session's private notes, summary, topics and action items; the
application rewrites a session's row in the same transaction as any change to it.

Revision ID: 5b2d7c1e9a40
Revises: e6fff16d7137
Create Date: 2026-11-21 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "5b2d7c1e9a40"
down_revision = "e6fff16d7137"
branch_labels = None
depends_on = None

SQLITE_BACKFILL = """
INSERT INTO coaching_session_search (rowid, private_notes, summary, topics, action_items)
SELECT s.id, s.private_notes, s.summary,
       COALESCE((SELECT group_concat(t.name, char(10)) FROM coaching_session_topics st
                 JOIN topics t ON t.id = st.topic_id WHERE st.coaching_session_id = s.id), ''),
       COALESCE((SELECT group_concat(a.text, char(10)) FROM action_items a
                 WHERE a.coaching_session_id = s.id), '')
FROM coaching_sessions s
"""

POSTGRESQL_BACKFILL = """
INSERT INTO coaching_session_search (coaching_session_id, private_notes, summary, topics,
                                     action_items)
SELECT s.id, s.private_notes, s.summary,
       COALESCE((SELECT string_agg(t.name, E'\\n') FROM coaching_session_topics st
                 JOIN topics t ON t.id = st.topic_id WHERE st.coaching_session_id = s.id), ''),
       COALESCE((SELECT string_agg(a.text, E'\\n') FROM action_items a
                 WHERE a.coaching_session_id = s.id), '')
FROM coaching_sessions s
"""


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE coaching_session_search USING fts5("
            "private_notes, summary, topics, action_items, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(SQLITE_BACKFILL)
        return
    op.execute(
        "CREATE TABLE coaching_session_search ("
        "coaching_session_id integer PRIMARY KEY "
        "REFERENCES coaching_sessions (id) ON DELETE CASCADE, "
        "private_notes text NOT NULL DEFAULT '', summary text NOT NULL DEFAULT '', "
        "topics text NOT NULL DEFAULT '', action_items text NOT NULL DEFAULT '', "
        "document tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('english', topics), 'A') || "
        "setweight(to_tsvector('english', summary), 'B') || "
        "setweight(to_tsvector('english', action_items), 'B') || "
        "setweight(to_tsvector('english', private_notes), 'C')) STORED)"
    )
    op.execute(
        "CREATE INDEX ix_coaching_session_search_document "
        "ON coaching_session_search USING gin (document)"
    )
    op.execute(POSTGRESQL_BACKFILL)


def downgrade():
    op.execute(sa.text("DROP TABLE coaching_session_search"))
