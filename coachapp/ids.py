"""Ids and page numbers read from a request: only numbers the database can hold.

Every id is an INTEGER column (on PostgreSQL at most 2**31 - 1), and a larger number, a
negative one or a word would make the query fail instead of finding nothing. So a number
that cannot be an id never reaches the database: in an address it is a 404, in a query
string it is as if it were left out, and in a form it is a choice that is not on the list.
"""

import re
from collections.abc import Mapping

from werkzeug.routing import IntegerConverter, Map

DATABASE_ID_MAX = 2**31 - 1
# Far past any real listing; the OFFSET it makes fits any database.
PAGE_MAX = 100_000
# Digits only (int() would also take "+1", " 1", "1_000" and other scripts' digits), and no
# more of them than DATABASE_ID_MAX has: a very long number is refused before it is parsed.
ID_TEXT = re.compile(r"[0-9]{1,10}")


class DatabaseIdConverter(IntegerConverter):
    """The ``<int:...>`` of every route: a whole number from 1 to DATABASE_ID_MAX, else a 404."""

    regex = r"[0-9]+"  # Werkzeug's \d+ would also match other scripts' digits

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int = 1, max: int = DATABASE_ID_MAX,
        signed: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(text) -> int | None:
    """``text`` as an id from 1 to DATABASE_ID_MAX, or None."""
    if text is None or not ID_TEXT.fullmatch(str(text)):
        return None
    number = int(text)
    return number if 1 <= number <= DATABASE_ID_MAX else None


def id_arg(args: Mapping[str, str], name: str) -> int | None:
    """The id in the query string's ``name``; None when missing or not an id."""
    return parse_id(args.get(name))


def page_number(args: Mapping[str, str]) -> int:
    """The query string's ?page=, at most PAGE_MAX; 1 when it is not a whole number.

    A number below 1 is 0, which the public blog answers with a 404 (that page does not
    exist) and the other listings show as their first page.
    """
    text = args.get("page", "")
    if not re.fullmatch(r"-?[0-9]+", text):
        return 1
    digits = text.lstrip("-0")
    if text.startswith("-") or not digits:
        return 0
    if len(digits) > len(str(PAGE_MAX)):
        return PAGE_MAX  # checked before parsing: a number of any length costs nothing
    return min(int(digits), PAGE_MAX)


def id_choice(value) -> int:
    """Coerce a form's choice of id (0 for "none chosen"); a ValueError for anything else.

    For ``SelectField(coerce=id_choice)``: WTForms shows the ValueError as an invalid
    choice, and the field's data is never a number the database cannot hold.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID_TEXT.fullmatch(value):
        raise ValueError("not an id")
    number = int(value)
    if number > DATABASE_ID_MAX:
        raise ValueError("not an id")
    return number


def id_choice_or_none(value) -> int | None:
    """``id_choice`` for a list that opens with an empty "Choose one" choice: None for it.

    A required ``<select>`` must begin with such an empty choice, so that leaving it as it
    stands is refused (with the field's own message) rather than taken as a choice.
    """
    if value is None or value == "":
        return None
    return id_choice(value)
