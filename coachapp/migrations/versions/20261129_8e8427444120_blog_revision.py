"""blog revision: one number that changes with every change a public blog page could show

Cached blog pages are checked against it on every request, by every app process. Triggers
bump it, so that bulk UPDATEs and DELETEs (a withdrawn consent unpublishes posts in one
statement), foreign-key cascades and any other program connected count as well as the ORM.

WATCHED_TABLES are the tables the public blog's pages and feeds read. On SQLite, a later
migration that rebuilds one of them (batch_alter_table in "recreate" mode) drops its
triggers: create them again there. tests/test_blog_page_cache.py checks they are all present.

Revision ID: 8e8427444120
Revises: 834fa9abcaf9
Create Date: 2026-11-29 19:12:13.587762
"""

import sqlalchemy as sa
from alembic import op

revision = '8e8427444120'
down_revision = '834fa9abcaf9'
branch_labels = None
depends_on = None

WATCHED_TABLES = (
    "posts",
    "post_comments",
    "post_categories",
    "post_series",
    "post_tags",
    "post_tag_links",
    "blog_profiles",
    "users",  # authors' names, bios, roles, whether active
    "practices",  # the blog's name
)
EVENTS = ("insert", "update", "delete")
# The row appears with the first change, so that a new database holds no data at all
# (`backup restore` goes only into an empty one); no row reads as revision 0.
BUMP = (
    "INSERT INTO blog_revision (id, revision) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET revision = blog_revision.revision + 1"
)


def _sqlite_trigger(table: str, event: str) -> str:
    # SQLite has row triggers only; a bulk statement bumps once per row, which is fine.
    return (
        f"CREATE TRIGGER blog_revision_after_{event}_{table} AFTER {event.upper()} ON {table} "
        f"BEGIN {BUMP}; END"
    )


POSTGRESQL_FUNCTION = f"""CREATE FUNCTION blog_revision_bump() RETURNS trigger AS $$
    BEGIN {BUMP}; RETURN NULL; END
    $$ LANGUAGE plpgsql"""


def _postgresql_trigger(table: str) -> str:
    # Once per statement, however many rows it touches (TRUNCATE included).
    return (
        f"CREATE TRIGGER blog_revision_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION blog_revision_bump()"
    )


def upgrade():
    op.create_table('blog_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blog_revision'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for table in WATCHED_TABLES:
            op.execute(_postgresql_trigger(table))
    else:
        for table in WATCHED_TABLES:
            for event in EVENTS:
                op.execute(_sqlite_trigger(table, event))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER blog_revision_bump ON {table}")
        op.execute("DROP FUNCTION blog_revision_bump()")
    else:
        for table in WATCHED_TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER blog_revision_after_{event}_{table}")
    op.drop_table('blog_revision')
