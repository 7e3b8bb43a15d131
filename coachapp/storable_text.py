"""Text from a request as every database can store it: a NUL character becomes U+FFFD.

PostgreSQL refuses NUL in text (SQLite keeps it), so a NUL pasted into a note or put in an
address would fail the whole request, and the note would be lost. Browsers make the same
replacement when they read HTML; nobody can see or type the character.
"""

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import UnicodeConverter

REPLACEMENT = "\ufffd"


def without_nul(value):
    """``value`` with each NUL replaced, if it is text; anything else (an upload) as it is."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", REPLACEMENT)
    return value


class StorableParameters(ImmutableMultiDict):
    """A query string's or a form's fields (names and values) with NUL replaced."""

    def __init__(self, mapping=None) -> None:
        pairs = MultiDict(mapping).items(multi=True)  # from any form MultiDict accepts
        super().__init__((without_nul(key), without_nul(value)) for key, value in pairs)


class CoachappRequest(Request):
    """Flask's request, reading query strings and forms as StorableParameters."""

    parameter_storage_class = StorableParameters


class StorableTextConverter(UnicodeConverter):
    """The default ``<name>`` of a route (a slug, a token), with NUL replaced."""

    def to_python(self, value: str) -> str:
        return without_nul(value)
