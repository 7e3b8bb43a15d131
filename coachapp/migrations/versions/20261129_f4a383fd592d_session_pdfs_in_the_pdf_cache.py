"""session PDFs in the PDF cache

A cached PDF now belongs to a letter or to a coaching session, and is deleted with it.

Revision ID: f4a383fd592d
Revises: 8e8427444120
Create Date: 2026-11-29 19:04:29.238277
"""

import sqlalchemy as sa
from alembic import op

revision = 'f4a383fd592d'
down_revision = '8e8427444120'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('coaching_session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_rendered_pdfs_coaching_session_id'), ['coaching_session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_rendered_pdfs_coaching_session_id_coaching_sessions'), 'coaching_sessions', ['coaching_session_id'], ['id'], ondelete='CASCADE')


def downgrade():
    # Without their column, session PDFs would belong to nothing and never be deleted.
    op.execute("DELETE FROM rendered_pdfs WHERE coaching_session_id IS NOT NULL")
    with op.batch_alter_table('rendered_pdfs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_rendered_pdfs_coaching_session_id_coaching_sessions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_rendered_pdfs_coaching_session_id'))
        batch_op.drop_column('coaching_session_id')
