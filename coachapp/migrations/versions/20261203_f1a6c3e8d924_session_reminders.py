"""session reminders: how long before a session a coach's clients hear of it, and who opts out

Every coach starts with reminders the day before (24 hours); every adult receives them.

Revision ID: f1a6c3e8d924
Revises: 68bc7e14f93f
Create Date: 2026-12-03 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'f1a6c3e8d924'
down_revision = '68bc7e14f93f'
branch_labels = None
depends_on = None


def upgrade():
    # Added in place: rebuilding the users table would drop the blog's triggers on it.
    op.add_column(
        'users',
        sa.Column('session_reminder_hours', sa.Integer(), server_default='24', nullable=False),
    )
    with op.batch_alter_table('adults') as batch_op:
        batch_op.add_column(
            sa.Column(
                'wants_session_reminders', sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table('adults') as batch_op:
        batch_op.drop_column('wants_session_reminders')
    op.drop_column('users', 'session_reminder_hours')
