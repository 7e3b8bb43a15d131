"""The backup file: the archive in Fernet-encrypted chunks, each one numbered.

Fernet (AES with an HMAC) authenticates every chunk. Each chunk's plaintext starts with
the backup's random id, its number and whether it is the last one, so a chunk cannot be
changed, dropped, reordered, cut off or taken from another backup without the whole file
being refused. Chunks keep memory use flat however large the uploads folder grows.
"""

import base64
import os
import struct
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken

from coachapp.backup.errors import BackupError

MAGIC = b"coachapp-backup/1\n"
CHUNK_SIZE = 1024 * 1024
# Fernet adds a version byte, a timestamp, an IV, padding and a MAC to every chunk.
MAX_TOKEN_SIZE = CHUNK_SIZE + 1024
_CHUNK_HEADER = struct.Struct(">16sQ?")  # backup id, chunk number, last chunk
_TOKEN_LENGTH = struct.Struct(">I")

NO_KEY = (
    "Backups are encrypted, and no backup key is set. Make one with "
    "'flask --app coachapp backup key', then set it as FLASK_BACKUP_KEY in the environment "
    "or as BACKUP_KEY in instance/config.py. Keep a copy of the key somewhere safe other "
    "than this server: without it, no backup can be opened."
)
BAD_KEY = (
    "BACKUP_KEY is not a valid backup key. Make a new one with 'flask --app coachapp backup key'."
)
CANNOT_OPEN = (
    "This backup cannot be opened with the configured BACKUP_KEY: either it was made with "
    "another key, or the file has been changed or damaged since it was made."
)
NO_KEY_TO_RESTORE = (
    "No backup key is set. Set FLASK_BACKUP_KEY in the environment (or BACKUP_KEY in "
    "instance/config.py) to the key the backup was made with."
)
INCOMPLETE = "This backup file is incomplete: it ends before the backup does."


def new_key() -> str:
    """A new random backup key (a Fernet key: 32 random bytes, base64)."""
    return Fernet.generate_key().decode("ascii")


def fernet_for(key: str | None, restoring: bool = False) -> Fernet:
    """The cipher for the configured key; a clear error when it is missing or malformed."""
    if not key or not key.strip():
        raise BackupError(NO_KEY_TO_RESTORE if restoring else NO_KEY)
    try:
        return Fernet(key.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise BackupError(BAD_KEY) from error


def encrypt_stream(source: BinaryIO, target: BinaryIO, fernet: Fernet) -> None:
    """Write ``source`` to ``target`` as an encrypted backup file."""
    backup_id = os.urandom(16)
    target.write(MAGIC)
    number, chunk = 0, source.read(CHUNK_SIZE)
    while True:
        following = source.read(CHUNK_SIZE)
        last = not following
        token = fernet.encrypt(_CHUNK_HEADER.pack(backup_id, number, last) + chunk)
        raw = base64.urlsafe_b64decode(token)  # stored as bytes: a third smaller
        target.write(_TOKEN_LENGTH.pack(len(raw)) + raw)
        if last:
            return
        number, chunk = number + 1, following


def decrypt_stream(source: BinaryIO, target: BinaryIO, fernet: Fernet) -> None:
    """Write the archive inside an encrypted backup file to ``target``, or refuse the file."""
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("This file is not a coachapp backup.")
    backup_id, expected = None, 0
    while True:
        length_bytes = source.read(_TOKEN_LENGTH.size)
        if len(length_bytes) < _TOKEN_LENGTH.size:
            raise BackupError(INCOMPLETE)
        (length,) = _TOKEN_LENGTH.unpack(length_bytes)
        if length > MAX_TOKEN_SIZE:
            raise BackupError(CANNOT_OPEN)
        raw = source.read(length)
        if len(raw) < length:
            raise BackupError(INCOMPLETE)
        try:
            plain = fernet.decrypt(base64.urlsafe_b64encode(raw))
        except InvalidToken as error:
            raise BackupError(CANNOT_OPEN) from error
        chunk_id, number, last = _CHUNK_HEADER.unpack_from(plain)
        backup_id = backup_id or chunk_id
        if chunk_id != backup_id or number != expected:
            raise BackupError(CANNOT_OPEN)
        target.write(plain[_CHUNK_HEADER.size :])
        if last:
            if source.read(1):
                raise BackupError(CANNOT_OPEN)
            return
        expected += 1
