"""client tags: each coach's tags, and which clients carry them

Revision ID: 8417d8e813b3
Revises: 8f34cdc4c5a7
Create Date: 2026-11-21 22:41:47.019620
"""

import sqlalchemy as sa
from alembic import op

revision = '8417d8e813b3'
down_revision = '8f34cdc4c5a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_tags_coach_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('coach_id', 'name', name=op.f('uq_tags_coach_id_name'))
    )
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tags_coach_id'), ['coach_id'], unique=False)

    op.create_table('client_tags',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_tags_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_client_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'tag_id', name=op.f('pk_client_tags'))
    )
    with op.batch_alter_table('client_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_tags_tag_id'), ['tag_id'], unique=False)



def downgrade():
    with op.batch_alter_table('client_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_tags_tag_id'))

    op.drop_table('client_tags')
    with op.batch_alter_table('tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tags_coach_id'))

    op.drop_table('tags')
