"""topics and note templates; every existing coach gets the starting topic list

Revision ID: e6fff16d7137
Revises: 8417d8e813b3
Create Date: 2026-11-21 22:52:22.912976
"""

import sqlalchemy as sa
from alembic import op

revision = 'e6fff16d7137'
down_revision = '8417d8e813b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_note_templates_coach_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_templates'))
    )
    with op.batch_alter_table('note_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_templates_coach_id'), ['coach_id'], unique=False)

    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_topics_coach_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('coach_id', 'name', name=op.f('uq_topics_coach_id'))
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topics_coach_id'), ['coach_id'], unique=False)

    op.create_table('coaching_session_topics',
    sa.Column('coaching_session_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coaching_session_id'], ['coaching_sessions.id'], name='fk_coaching_session_topics_session', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_coaching_session_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('coaching_session_id', 'topic_id', name=op.f('pk_coaching_session_topics'))
    )
    with op.batch_alter_table('coaching_session_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_session_topics_topic_id'), ['topic_id'], unique=False)

    _give_existing_coaches_the_starting_topics()


# The list as it stood when topics arrived; new coaches get coachapp's current list.
STARTING_TOPICS = (
    "Guilt", "Return to work", "Staying at home", "Co-parenting", "Separation and custody",
    "Self-care", "Sleep", "Boundaries", "Relapse and recovery", "Confidence as a parent",
)


def _give_existing_coaches_the_starting_topics():
    connection = op.get_bind()
    coach_ids = connection.execute(sa.text("SELECT id FROM users WHERE role = 'coach'")).scalars()
    rows = [{"coach_id": coach_id, "name": name} for coach_id in coach_ids for name in STARTING_TOPICS]
    if rows:
        connection.execute(sa.text("INSERT INTO topics (coach_id, name) VALUES (:coach_id, :name)"), rows)


def downgrade():
    with op.batch_alter_table('coaching_session_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coaching_session_topics_topic_id'))

    op.drop_table('coaching_session_topics')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topics_coach_id'))

    op.drop_table('topics')
    with op.batch_alter_table('note_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_templates_coach_id'))

    op.drop_table('note_templates')
