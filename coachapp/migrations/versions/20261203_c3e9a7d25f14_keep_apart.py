"""keep apart: a family's adults may be kept from seeing each other's records

A flag on the family; every existing family starts with it off, as before.

Revision ID: c3e9a7d25f14
Revises: 8a4f2c6e1b93
Create Date: 2026-12-03 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'c3e9a7d25f14'
down_revision = '8a4f2c6e1b93'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('keep_apart', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('keep_apart')
