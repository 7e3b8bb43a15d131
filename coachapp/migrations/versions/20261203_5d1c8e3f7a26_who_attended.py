"""who attended: sessions record their attendees, and action items whose step they are

Two new tables name the adults who came to a session and those with whom the coach also
shares its summary; every existing session gets its family's first adult as its attendee,
who until now was the only adult to see it. An action item may belong to one adult
(adult_id), or to the whole family (NULL, as every existing item is).

Revision ID: 5d1c8e3f7a26
Revises: b7e2d4a91c30
Create Date: 2026-12-03 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '5d1c8e3f7a26'
down_revision = 'b7e2d4a91c30'
branch_labels = None
depends_on = None

ADULT_TABLES = ('session_attendees', 'session_shared_with')


def upgrade():
    for table in ADULT_TABLES:
        op.create_table(
            table,
            sa.Column('coaching_session_id', sa.Integer(), nullable=False),
            sa.Column('adult_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['coaching_session_id'], ['coaching_sessions.id'], name=f'fk_{table}_session', ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['adult_id'], ['adults.id'], name=f'fk_{table}_adult', ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('coaching_session_id', 'adult_id', name=op.f(f'pk_{table}')),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_adult_id'), ['adult_id'], unique=False)

    # The first adult saw every session until now: they stay its attendee.
    op.execute(
        "INSERT INTO session_attendees (coaching_session_id, adult_id) "
        "SELECT coaching_sessions.id, adults.id FROM coaching_sessions "
        "JOIN adults ON adults.client_id = coaching_sessions.client_id "
        "AND adults.position = 0"
    )

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adult_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_action_items_adult_id'), ['adult_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_action_items_adult_id_adults'), 'adults', ['adult_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_items_adult_id_adults'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_action_items_adult_id'))
        batch_op.drop_column('adult_id')

    for table in reversed(ADULT_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_adult_id'))
        op.drop_table(table)
