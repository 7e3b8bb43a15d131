"""Two-step secrets encrypted at rest with the TWO_FACTOR_KEYS setting, which is kept
outside the database: a copy of the database alone cannot make anyone's codes.

MultiFernet (AES with an HMAC): the first key encrypts, any of the keys decrypts. To
rotate, put a new key first, then `flask two-step rotate-key` encrypts every secret with
it again, after which the older keys can be retired. cryptography is imported on first
use, not when coachapp starts.
"""

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select, update

from coachapp.auth.models import User
from coachapp.extensions import db

CIPHER = "coachapp.two_factor_cipher"


class SecretUnreadable(Exception):
    """A stored two-step secret that none of TWO_FACTOR_KEYS opens."""


def _cipher():
    """The MultiFernet for the configured keys, built once per app and set of keys."""
    keys = tuple(current_app.config["TWO_FACTOR_KEYS"])
    built = current_app.extensions.get(CIPHER)
    if built is None or built[0] != keys:
        from cryptography.fernet import Fernet, MultiFernet

        built = (keys, MultiFernet([Fernet(key) for key in keys]))
        current_app.extensions[CIPHER] = built
    return built[1]


def encrypt_secret(secret: str) -> str:
    """What is stored for a two-step secret: a Fernet token made with the first key."""
    return _cipher().encrypt(secret.encode("ascii")).decode("ascii")


def decrypt_secret(stored: str) -> str:
    """The secret inside ``stored``; SecretUnreadable if no configured key opens it."""
    from cryptography.fernet import InvalidToken

    try:
        return _cipher().decrypt(stored.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise SecretUnreadable() from error


@dataclass
class Rotation:
    """What re-encrypting the secrets did: how many, and whose no key opens."""

    reencrypted: int = 0
    unreadable: list[int] = field(default_factory=list)  # user ids


def reencrypt_secrets() -> Rotation:
    """Encrypt every stored secret again with the first key. Flushes; does not commit.

    A secret no key opens is left as it is. Each row is rewritten only if it still holds
    what was read, so a set-up finished meanwhile is never overwritten.
    """
    from cryptography.fernet import InvalidToken

    cipher = _cipher()
    rotation = Rotation()
    rows = db.session.execute(
        select(User.id, User.totp_secret_encrypted)
        .where(User.totp_secret_encrypted.is_not(None))
        .order_by(User.id)
    ).all()
    for user_id, stored in rows:
        try:
            fresh = cipher.rotate(stored.encode("ascii")).decode("ascii")
        except InvalidToken:
            rotation.unreadable.append(user_id)
            continue
        rotation.reencrypted += db.session.execute(
            update(User)
            .where(User.id == user_id, User.totp_secret_encrypted == stored)
            .values(totp_secret_encrypted=fresh)
            .execution_options(synchronize_session=False)
        ).rowcount
    return rotation


def unreadable_secrets() -> list[int]:
    """The users whose stored secret none of TWO_FACTOR_KEYS opens (e.g. after a restore)."""
    unreadable = []
    rows = db.session.execute(
        select(User.id, User.totp_secret_encrypted).where(User.totp_secret_encrypted.is_not(None))
    ).all()
    for user_id, stored in rows:
        try:
            decrypt_secret(stored)
        except SecretUnreadable:
            unreadable.append(user_id)
    return unreadable
