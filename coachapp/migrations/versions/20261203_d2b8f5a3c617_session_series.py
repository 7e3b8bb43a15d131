"""session series: sessions planned every week, two weeks or month

Existing sessions belong to no series.

Revision ID: d2b8f5a3c617
Revises: a7c4e1f09b32
Create Date: 2026-12-03 18:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'd2b8f5a3c617'
down_revision = 'a7c4e1f09b32'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'session_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column(
            'repeat',
            sa.Enum('weekly', 'fortnightly', 'monthly', name='repeat', native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column('until_on', sa.Date(), nullable=True),
        sa.Column('occurrence_count', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['client_id'], ['clients.id'], name=op.f('fk_session_series_client_id_clients'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['users.id'], name=op.f('fk_session_series_coach_id_users')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_session_series')),
    )
    with op.batch_alter_table('session_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_series_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_series_coach_id'), ['coach_id'], unique=False)
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_coaching_sessions_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_coaching_sessions_series_id_session_series'), 'session_series',
            ['series_id'], ['id'], ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_coaching_sessions_series_id_session_series'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_coaching_sessions_series_id'))
        batch_op.drop_column('series_id')
    with op.batch_alter_table('session_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_series_coach_id'))
        batch_op.drop_index(batch_op.f('ix_session_series_client_id'))
    op.drop_table('session_series')
