"""booking: a coach's availability, and the sessions clients booked in the portal

Revision ID: 68bc7e14f93f
Revises: d2b8f5a3c617
Create Date: 2026-12-03 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '68bc7e14f93f'
down_revision = 'd2b8f5a3c617'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'booking_settings',
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('session_lengths', sa.String(length=60), nullable=False),
        sa.Column('buffer_minutes', sa.Integer(), nullable=False),
        sa.Column('minimum_notice_hours', sa.Integer(), nullable=False),
        sa.Column('max_sessions_per_day', sa.Integer(), nullable=True),
        sa.Column('calendar_changes', sa.Integer(), server_default='0', nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['users.id'], name=op.f('fk_booking_settings_coach_id_users'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('coach_id', name=op.f('pk_booking_settings')),
    )
    op.create_table(
        'booking_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.Time(), nullable=False),
        sa.Column('ends_at', sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['booking_settings.coach_id'],
            name=op.f('fk_booking_hours_coach_id_booking_settings'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_hours')),
    )
    with op.batch_alter_table('booking_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_hours_coach_id'), ['coach_id'], unique=False)
    op.create_table(
        'booking_days_off',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['booking_settings.coach_id'],
            name=op.f('fk_booking_days_off_coach_id_booking_settings'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_days_off')),
        sa.UniqueConstraint('coach_id', 'day', name=op.f('uq_booking_days_off_coach_id')),
    )
    with op.batch_alter_table('booking_days_off', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_booking_days_off_coach_id'), ['coach_id'], unique=False
        )
    op.create_table(
        'session_bookings',
        sa.Column('coaching_session_id', sa.Integer(), nullable=False),
        sa.Column('adult_id', sa.Integer(), nullable=True),
        sa.Column('booked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['adult_id'], ['adults.id'], name=op.f('fk_session_bookings_adult_id_adults'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['coaching_session_id'], ['coaching_sessions.id'],
            name=op.f('fk_session_bookings_coaching_session_id_coaching_sessions'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('coaching_session_id', name=op.f('pk_session_bookings')),
    )
    with op.batch_alter_table('session_bookings', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_session_bookings_adult_id'), ['adult_id'], unique=False
        )


def downgrade():
    op.drop_table('session_bookings')
    op.drop_table('booking_days_off')
    op.drop_table('booking_hours')
    op.drop_table('booking_settings')
