"""calendars: a session's place, its calendar event, invitations and the coach's feed

Existing sessions get a calendar UID of their own and no invitations.

Revision ID: f5c1a8e3d902
Revises: f1a6c3e8d924
Create Date: 2026-12-03 17:00:00.000000
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = 'f5c1a8e3d902'
down_revision = 'f1a6c3e8d924'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('invite_attendees', sa.Boolean(), server_default=sa.false(), nullable=False))
    sessions = sa.table('coaching_sessions', sa.column('id', sa.Integer), sa.column('calendar_uid', sa.String))
    connection = op.get_bind()
    for (session_id,) in connection.execute(sa.select(sessions.c.id)).all():
        connection.execute(
            sessions.update().where(sessions.c.id == session_id).values(calendar_uid=f"{uuid.uuid4()}@coachapp")
        )
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('coach_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column(
            'client_naming',
            sa.Enum('first_name', 'initials', name='clientnaming', native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['coach_id'], ['users.id'], name=op.f('fk_calendar_feeds_coach_id_users'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('coach_id', name=op.f('uq_calendar_feeds_coach_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    )
    op.create_table(
        'session_invitations',
        sa.Column('outbox_message_id', sa.Integer(), nullable=False),
        sa.Column(
            'method',
            sa.Enum('REQUEST', 'CANCEL', name='invitationmethod', native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column('calendar', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['outbox_message_id'], ['outbox_messages.id'],
            name=op.f('fk_session_invitations_outbox_message_id_outbox_messages'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('outbox_message_id', name=op.f('pk_session_invitations')),
    )


def downgrade():
    op.drop_table('session_invitations')
    op.drop_table('calendar_feeds')
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.drop_column('invite_attendees')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('calendar_uid')
        batch_op.drop_column('location')
