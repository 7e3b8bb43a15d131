"""letter addressees: a letter is written to one adult of its family, or to several jointly

A new table names each letter's addressees; every existing letter gets its family's first
adult, to whom letters went until now.

Revision ID: 8a4f2c6e1b93
Revises: 5d1c8e3f7a26
Create Date: 2026-12-03 16:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '8a4f2c6e1b93'
down_revision = '5d1c8e3f7a26'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'letter_addressees',
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('adult_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name='fk_letter_addressees_letter', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['adult_id'], ['adults.id'], name='fk_letter_addressees_adult', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('letter_id', 'adult_id', name=op.f('pk_letter_addressees')),
    )
    with op.batch_alter_table('letter_addressees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_addressees_adult_id'), ['adult_id'], unique=False)

    # Letters went to the family's first adult until now: they stay its addressee.
    op.execute(
        "INSERT INTO letter_addressees (letter_id, adult_id) "
        "SELECT letters.id, adults.id FROM letters "
        "JOIN adults ON adults.client_id = letters.client_id AND adults.position = 0"
    )


def downgrade():
    with op.batch_alter_table('letter_addressees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_addressees_adult_id'))
    op.drop_table('letter_addressees')
