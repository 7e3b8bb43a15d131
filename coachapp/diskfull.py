"""Recognising a full disk, which coachapp answers with a calm page instead of a crash."""

import errno
import sqlite3

from werkzeug.exceptions import HTTPException

# PostgreSQL's SQLSTATE for "disk full" (psycopg raises it as errors.DiskFull).
POSTGRES_DISK_FULL = "53100"


class InsufficientStorage(HTTPException):
    """HTTP 507: the server had no room to store what was sent, so nothing was saved."""

    code = 507
    description = "The server's disk is full, so nothing was saved."


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (a database error, or one from the file system) means no space is left.

    SQLAlchemy wraps the driver's error; the original is in ``error.orig``.
    """
    original = getattr(error, "orig", None) or error
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        return code is not None and code & 0xFF == sqlite3.SQLITE_FULL
    if getattr(original, "sqlstate", None) == POSTGRES_DISK_FULL:
        return True
    return isinstance(original, OSError) and original.errno in (errno.ENOSPC, errno.EDQUOT)
