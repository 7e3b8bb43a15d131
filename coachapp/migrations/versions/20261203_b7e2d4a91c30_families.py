"""families: a client is a family of one or more adults

Each client's own name, pronouns, contact details, preferred contact and portal sign-in
move to a new table, adults, as the family's first adult; the family keeps its children,
tags, situation, goals, notes and identifying words. Nothing is lost: going down moves the
first adult back, and refuses while any family has a second adult (whose details have no
place in the older schema).

Revision ID: b7e2d4a91c30
Revises: 0c1fcda7df87
Create Date: 2026-12-03 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'b7e2d4a91c30'
down_revision = '0c1fcda7df87'
branch_labels = None
depends_on = None

PERSON_COLUMNS = (
    "first_name", "last_name", "preferred_name", "pronouns", "email", "phone",
    "preferred_contact", "user_id",
)


def upgrade():
    op.create_table(
        'adults',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('first_name', sa.String(length=80), nullable=False),
        sa.Column('last_name', sa.String(length=80), nullable=False),
        sa.Column('preferred_name', sa.String(length=80), nullable=False),
        sa.Column('pronouns', sa.String(length=40), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('preferred_contact', sa.String(length=20), nullable=False),
        sa.Column('relation_to_children', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_adults_client_id_clients'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_adults_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adults')),
        sa.UniqueConstraint('user_id', name=op.f('uq_adults_user_id')),
    )
    with op.batch_alter_table('adults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adults_client_id'), ['client_id'], unique=False)

    op.execute(
        "INSERT INTO adults (client_id, position, first_name, last_name, preferred_name, "
        "pronouns, email, phone, preferred_contact, relation_to_children, user_id, created_at) "
        "SELECT id, 0, first_name, last_name, preferred_name, pronouns, email, phone, "
        "preferred_contact, '', user_id, created_at FROM clients ORDER BY id"
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clients_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_clients_user_id'), type_='unique')
        for column in PERSON_COLUMNS:
            batch_op.drop_column(column)


def downgrade():
    bind = op.get_bind()
    crowded = bind.execute(sa.text(
        "SELECT client_id FROM adults GROUP BY client_id HAVING COUNT(*) > 1 LIMIT 1"
    )).first()
    if crowded is not None:
        raise RuntimeError(
            "Some families have more than one adult, and the older schema has room for one: "
            "remove the other adults (or keep this version) before going down."
        )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('preferred_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('pronouns', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('preferred_contact', sa.String(length=20), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
    for column in PERSON_COLUMNS:
        op.execute(
            f"UPDATE clients SET {column} = (SELECT adults.{column} FROM adults "  # noqa: S608  (fixed column names)
            "WHERE adults.client_id = clients.id)"
        )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        for column in PERSON_COLUMNS[:-1]:
            batch_op.alter_column(column, server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_clients_user_id'), ['user_id'])
        batch_op.create_foreign_key(batch_op.f('fk_clients_user_id_users'), 'users', ['user_id'], ['id'])
    with op.batch_alter_table('adults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adults_client_id'))
    op.drop_table('adults')
