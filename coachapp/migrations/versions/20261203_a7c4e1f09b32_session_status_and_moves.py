"""session status, cancellations, the coach's notice period and the history of moves

Every existing session keeps what it had: one that has already started becomes held,
one still ahead stays planned.

Revision ID: a7c4e1f09b32
Revises: e4b8d2f61a57
Create Date: 2026-12-03 18:00:00.000000
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'a7c4e1f09b32'
down_revision = 'e4b8d2f61a57'
branch_labels = None
depends_on = None

STATUS = sa.Enum('planned', 'held', 'cancelled', 'no_show', name='sessionstatus', native_enum=False, length=16)
PARTY = sa.Enum('coach', 'client', name='party', native_enum=False, length=16)


def upgrade():
    # In place, not batch: rebuilding users on SQLite would drop the blog's triggers on it.
    op.add_column(
        'users',
        sa.Column('cancellation_notice_hours', sa.Integer(), server_default='24', nullable=False),
    )
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', STATUS, server_default='held', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by', PARTY, nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_adult_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('cancellation_reason', sa.Text(), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('late_cancellation', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            'fk_coaching_sessions_cancelled_by_adult', 'adults', ['cancelled_by_adult_id'], ['id'],
            ondelete='SET NULL',
        )
    # Sessions still ahead are planned; the rest took place as far as coachapp knows.
    # Times are stored as naive UTC, so "now" is too (the database's clock has a zone).
    now = datetime.now(UTC).replace(tzinfo=None)
    sessions = sa.table(
        'coaching_sessions', sa.column('status', sa.String()), sa.column('starts_at', sa.DateTime())
    )
    op.execute(sessions.update().where(sessions.c.starts_at > now).values(status='planned'))
    # The server defaults only filled the existing rows; coachapp sets these itself.
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None)
        batch_op.alter_column('cancellation_reason', server_default=None)

    op.create_table(
        'session_moves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coaching_session_id', sa.Integer(), nullable=False),
        sa.Column('old_starts_at', sa.DateTime(), nullable=False),
        sa.Column('old_duration_minutes', sa.Integer(), nullable=False),
        sa.Column('new_starts_at', sa.DateTime(), nullable=False),
        sa.Column('new_duration_minutes', sa.Integer(), nullable=False),
        sa.Column('moved_by', PARTY, nullable=False),
        sa.Column('moved_by_adult_id', sa.Integer(), nullable=True),
        sa.Column('moved_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coaching_session_id'], ['coaching_sessions.id'],
            name=op.f('fk_session_moves_coaching_session_id_coaching_sessions'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['moved_by_adult_id'], ['adults.id'],
            name=op.f('fk_session_moves_moved_by_adult_id_adults'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_moves')),
    )
    with op.batch_alter_table('session_moves', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_session_moves_coaching_session_id'), ['coaching_session_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_session_moves_moved_by_adult_id'), ['moved_by_adult_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('session_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_moves_moved_by_adult_id'))
        batch_op.drop_index(batch_op.f('ix_session_moves_coaching_session_id'))
    op.drop_table('session_moves')
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_coaching_sessions_cancelled_by_adult', type_='foreignkey')
        batch_op.drop_column('late_cancellation')
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_by_adult_id')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('status')
    op.drop_column('users', 'cancellation_notice_hours')
