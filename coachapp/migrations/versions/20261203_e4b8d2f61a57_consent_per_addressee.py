"""consent per addressee: each publication consent is one adult's

A joint letter is published only with the consent of everyone it is written to, so each
consent names its adult. Existing consents are given the letter's first addressee (or the
family's first adult), who gave them until now. An adult removed from the family leaves
their consents on record without a name.

Revision ID: e4b8d2f61a57
Revises: c3e9a7d25f14
Create Date: 2026-12-03 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'e4b8d2f61a57'
down_revision = 'c3e9a7d25f14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('publication_consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adult_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_publication_consents_adult_id'), ['adult_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_publication_consents_adult_id_adults'),
            'adults', ['adult_id'], ['id'], ondelete='SET NULL',
        )

    # The letter's first addressee gave it; a letter without addressees went to the
    # family's first adult.
    op.execute(
        "UPDATE publication_consents SET adult_id = COALESCE("
        "(SELECT adults.id FROM letter_addressees "
        "JOIN adults ON adults.id = letter_addressees.adult_id "
        "WHERE letter_addressees.letter_id = publication_consents.letter_id "
        "ORDER BY adults.position, adults.id LIMIT 1), "
        "(SELECT adults.id FROM adults "
        "WHERE adults.client_id = publication_consents.client_id "
        "ORDER BY adults.position, adults.id LIMIT 1))"
    )


def downgrade():
    with op.batch_alter_table('publication_consents', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_publication_consents_adult_id_adults'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_publication_consents_adult_id'))
        batch_op.drop_column('adult_id')
