"""readers' answers from journals: consent to one version of an entry, and posts from it

The consent ledger is a new table. Posts get four columns; SQLite rebuilds the posts table
for them, which drops the blog revision triggers on it, so they are created again (without
them cached blog pages would miss every change to a post).

Revision ID: 9b3e5f2a7c41
Revises: 1fd2a65efded
Create Date: 2026-12-03 18:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '9b3e5f2a7c41'
down_revision = '1fd2a65efded'
branch_labels = None
depends_on = None

# As the migration "blog revision" defines them.
EVENTS = ("insert", "update", "delete")
BUMP = (
    "INSERT INTO blog_revision (id, revision) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET revision = blog_revision.revision + 1"
)


def upgrade():
    op.create_table('journal_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journal_entry_id', sa.Integer(), nullable=False),
    sa.Column('adult_id', sa.Integer(), nullable=True),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['adult_id'], ['adults.id'], name=op.f('fk_journal_consents_adult_id_adults'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['journal_entry_id'], ['journal_entries.id'], name=op.f('fk_journal_consents_journal_entry_id_journal_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_consents'))
    )
    op.create_index(op.f('ix_journal_consents_adult_id'), 'journal_consents', ['adult_id'], unique=False)
    op.create_index(op.f('ix_journal_consents_journal_entry_id'), 'journal_consents', ['journal_entry_id'], unique=False)

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_journal', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('journal_entry_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('journal_consent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answer_day', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_posts_journal_entry_id'), ['journal_entry_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_posts_journal_entry_id_journal_entries'), 'journal_entries', ['journal_entry_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_posts_journal_consent_id_journal_consents'), 'journal_consents', ['journal_consent_id'], ['id'], ondelete='SET NULL')
    _recreate_sqlite_blog_triggers()


def _recreate_sqlite_blog_triggers():
    """SQLite rebuilt posts above and dropped its blog revision triggers with the old table."""
    if op.get_bind().dialect.name != 'sqlite':
        return  # PostgreSQL altered the table in place; its trigger stays
    for event in EVENTS:
        op.execute(
            f'CREATE TRIGGER blog_revision_after_{event}_posts AFTER {event.upper()} ON posts '
            f'BEGIN {BUMP}; END'
        )


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_journal_consent_id_journal_consents'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_posts_journal_entry_id_journal_entries'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_posts_journal_entry_id'))
        batch_op.drop_column('answer_day')
        batch_op.drop_column('journal_consent_id')
        batch_op.drop_column('journal_entry_id')
        batch_op.drop_column('from_journal')
    _recreate_sqlite_blog_triggers()
    op.drop_index(op.f('ix_journal_consents_journal_entry_id'), table_name='journal_consents')
    op.drop_index(op.f('ix_journal_consents_adult_id'), table_name='journal_consents')
    op.drop_table('journal_consents')
