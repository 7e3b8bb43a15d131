"""two-step secrets encrypted

users.totp_secret held each authenticator secret in plain text. It becomes
users.totp_secret_encrypted: a Fernet token made with the first of TWO_FACTOR_KEYS, a
setting kept outside the database (the app's configuration is at hand: migrations run
inside `flask init-db`). Every secret is encrypted (or, going down, decrypted) before the
schema changes, so a missing or wrong key stops the migration with nothing changed.

The columns are added and dropped in place: rebuilding users (batch mode on SQLite) would
drop the table its foreign keys cascade from.

Revision ID: 0c1fcda7df87
Revises: f4a383fd592d
Create Date: 2026-12-03 10:20:00.000000
"""

import sqlalchemy as sa
from alembic import context, op
from flask import current_app

revision = '0c1fcda7df87'
down_revision = 'f4a383fd592d'
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("totp_secret", sa.String),
    sa.column("totp_secret_encrypted", sa.String),
)


def _cipher():
    from cryptography.fernet import Fernet, MultiFernet

    keys = current_app.config.get("TWO_FACTOR_KEYS") or []
    if not keys:
        raise RuntimeError(
            "Two-step secrets are encrypted with TWO_FACTOR_KEYS, and none is set: set it, "
            "then run the migration again."
        )
    return MultiFernet([Fernet(key) for key in keys])


def _rows(column) -> list:
    if context.is_offline_mode():
        raise RuntimeError(
            "Encrypting two-step secrets needs the database itself: run "
            "'flask --app coachapp init-db' rather than printing the SQL."
        )
    return op.get_bind().execute(
        sa.select(users.c.id, column).where(column.is_not(None))
    ).all()


def _write(column_name: str, values: dict[int, str]) -> None:
    for user_id, value in values.items():
        op.get_bind().execute(
            users.update().where(users.c.id == user_id).values({column_name: value})
        )


def upgrade():
    rows = _rows(users.c.totp_secret)
    cipher = _cipher() if rows else None
    encrypted = {
        user_id: cipher.encrypt(secret.encode("ascii")).decode("ascii") for user_id, secret in rows
    }
    op.add_column('users', sa.Column('totp_secret_encrypted', sa.String(length=255), nullable=True))
    _write("totp_secret_encrypted", encrypted)
    op.drop_column('users', 'totp_secret')


def downgrade():
    from cryptography.fernet import InvalidToken

    rows = _rows(users.c.totp_secret_encrypted)
    cipher = _cipher() if rows else None
    try:
        plain = {
            user_id: cipher.decrypt(stored.encode("ascii")).decode("ascii")
            for user_id, stored in rows
        }
    except InvalidToken as error:
        raise RuntimeError(
            "A two-step secret opens with none of TWO_FACTOR_KEYS: set the keys they were "
            "encrypted with, then run the migration again."
        ) from error
    op.add_column('users', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    _write("totp_secret", plain)
    op.drop_column('users', 'totp_secret_encrypted')
