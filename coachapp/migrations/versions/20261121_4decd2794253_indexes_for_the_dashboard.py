"""indexes for the dashboard

Revision ID: 4decd2794253
Revises: 5b2d7c1e9a40
Create Date: 2026-11-21 22:58:23.158359
"""

from alembic import op

revision = '4decd2794253'
down_revision = '5b2d7c1e9a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.create_index('ix_action_items_due_done', ['due_on', 'done_at', 'id'], unique=False)

    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_coaching_sessions_coach_follow_up', ['coach_id', 'follow_up_on'], unique=False)
        batch_op.create_index('ix_coaching_sessions_coach_starts', ['coach_id', 'starts_at'], unique=False)



def downgrade():
    with op.batch_alter_table('coaching_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_coaching_sessions_coach_starts')
        batch_op.drop_index('ix_coaching_sessions_coach_follow_up')

    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_index('ix_action_items_due_done')

