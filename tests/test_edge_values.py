"""No address, query string or form makes a page fail: numbers the database cannot hold,
negative numbers, words where a number goes, NUL characters and very long text get a 404
or a 400 (or are read as left out), for readers, coaches and clients alike."""

import re
from collections.abc import Iterator

import pytest
from werkzeug.routing import Rule

from coachapp.ids import DATABASE_ID_MAX, id_arg, id_choice, page_number
from tests.conftest import Browser
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_post,
    make_sent_letter,
    session_form,
)

EDGE_NUMBERS = ("0", "-1", str(2**31), str(2**63), "9" * 25, "abc", "1.5", "%00", "7" * 5000)
EDGE_TEXTS = (*EDGE_NUMBERS[:-1], "x" * 5000, "..%2F..%2Fconfig.py", "%C0%AF", "%F0%9F%98%80")
# In query strings and forms, where every name gets the same value at once.
EDGE_VALUES = ("0", "-1", str(2**31), str(2**63), "abc", "%00", "x" * 5000)
# Every number the views read from a query string, and the filters beside them.
QUERY_NAMES = (
    "page", "client", "client_id", "session_id", "template", "person", "action",
    "date_from", "date_to", "q", "tag", "status", "sort",
)  # fmt: skip
# Every number a form posts to choose something, and the hidden numbers forms carry.
FORM_NAMES = (
    "client_id", "coaching_session_id", "template", "topics", "category_id", "series_id",
    "series_position", "planned_parts", "version", "kept_work_id", "action_items-0-item_id",
    "action_items-0-text", "children-0-birth_year", "number", "next",
)  # fmt: skip
ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
# Done last, in this order: each takes away what the pages after it would show.
ENDING_ACTIONS = ("delete", "archive", "withdraw", "disable", "discard", "logout")


@pytest.fixture
def practice(app) -> dict:
    """A coach with a client who signs in to the portal, a session with a step, a draft
    letter and a sent one, and a public post; the ids every address can use."""
    with app.app_context():
        coach = make_coach()
        sofia = make_client(coach)
        make_client_login(sofia)
        coaching_session = make_coaching_session(sofia, action_items=["Visit the nursery"])
        return {
            "author_id": coach.id,
            "client_id": sofia.id,
            "coaching_session_id": coaching_session.id,
            "action_item_id": coaching_session.action_items[0].id,
            "letter_id": make_letter(sofia).id,
            "sent_letter_id": make_sent_letter(sofia).id,
            "slug": make_post(coach).slug,
        }


@pytest.fixture
def people(app, practice) -> dict:
    """A test client for a reader, a signed-in coach and a signed-in client."""
    coach, portal = app.test_client(), app.test_client()
    assert Browser(coach).login("coach@example.com", PASSWORD).status_code == 302
    assert Browser(portal).login("sofia@example.com", PASSWORD).status_code == 302
    return {"reader": app.test_client(), "coach": coach, "client": portal}


def address(rule: Rule, values: dict) -> str:
    """The rule's path with ``values`` put in as they are, unchecked by its converters."""
    return ARGUMENT.sub(lambda match: str(values[match.group(2)]), rule.rule)


def valid_values(rule: Rule, practice: dict) -> dict:
    """Ids of the practice's own things for the rule's arguments (1 where it has none)."""
    return {name: practice.get(name, 1) for name in rule.arguments}


def walk_order(rule: Rule) -> tuple:
    endings = [word in rule.endpoint for word in ENDING_ACTIONS]
    return (any(endings), endings[::-1], rule.rule)


def edge_addresses(rule: Rule, practice: dict) -> Iterator[str]:
    """The rule's path with each argument in turn set to each edge value."""
    for name in sorted(rule.arguments):
        is_number = type(rule._converters[name]).__name__ != "UnicodeConverter"
        for value in EDGE_NUMBERS if is_number else EDGE_TEXTS:
            yield address(rule, dict(valid_values(rule, practice), **{name: value}))


class Walk:
    """Requests made one after another, and every one the server failed on."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    def status(self, client, method: str, url: str, who: str, **options) -> int:
        """The answer's status; a crash or a 5xx is noted with its URL (and counts as 500)."""
        try:
            status = client.open(url, method=method, **options).status_code
        except Exception as error:
            self.failures.append(f"{method} {url[:120]} as {who}: {error!r}"[:400])
            return 500
        if status >= 500:
            self.failures.append(f"{method} {url[:120]} as {who}: HTTP {status}")
        return status

    def report(self) -> str:
        return f"{len(self.failures)} requests failed:\n" + "\n".join(self.failures)


def test_no_address_with_an_odd_number_or_text_fails(app, practice, people, renders):
    walk = Walk()
    rules = sorted(app.url_map.iter_rules(), key=walk_order)
    for who, client in people.items():
        for rule in (rule for rule in rules if rule.arguments):
            method = "GET" if "GET" in rule.methods else "POST"
            for url in edge_addresses(rule, practice):
                walk.status(client, method, url, who)
    assert not walk.failures, walk.report()


def test_no_query_string_with_an_odd_number_or_text_fails(app, practice, people, renders):
    walk = Walk()
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    for who, client in people.items():
        for rule in sorted(rules, key=walk_order):
            path = address(rule, valid_values(rule, practice))
            plain = walk.status(client, "GET", path, who)
            if 300 <= plain < 400:
                continue  # sent elsewhere (to sign in, say) before the page reads anything
            refused = False
            for value in EDGE_VALUES:
                everything = "&".join(f"{name}={value}" for name in QUERY_NAMES)
                refused |= walk.status(client, "GET", f"{path}?{everything}", who) >= 400
            if refused and plain == 200:
                # Refused for one name, the page may not have read the next: each on its own.
                for name in QUERY_NAMES:
                    for value in EDGE_VALUES:
                        walk.status(client, "GET", f"{path}?{name}={value}", who)
    assert not walk.failures, walk.report()


def test_no_form_with_an_odd_number_or_text_fails(app, practice, people, renders):
    walk = Walk()
    rules = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    for who in ("reader", "client", "coach"):  # the coach's deletions come last
        for rule in sorted(rules, key=walk_order):
            path = address(rule, valid_values(rule, practice))
            for value in EDGE_VALUES:
                form = dict.fromkeys(FORM_NAMES, value.replace("%00", "\x00"))
                walk.status(people[who], "POST", path, who, data=form)
    assert not walk.failures, walk.report()


def test_an_id_the_database_cannot_hold_is_a_404_not_a_crash(practice, people):
    coach = people["coach"]
    for path in (
        f"/blog/authors/{'9' * 25}",
        f"/clients/{2**63}",
        f"/sessions/{2**31}",
        f"/letters/{DATABASE_ID_MAX + 1}/edit",
        "/clients/0",
        "/clients/-1",
    ):
        assert coach.get(path).status_code == 404, path
    client_id = practice["client_id"]
    assert coach.get(f"/clients/{client_id}").status_code == 200
    assert coach.get(f"/clients/{client_id:05d}").status_code == 200  # leading zeros are fine


def test_a_page_number_past_any_listing_shows_an_empty_page_or_a_404(practice, people):
    coach, reader = people["coach"], people["reader"]
    assert reader.get(f"/blog/?page={'9' * 25}").status_code == 404
    assert reader.get("/blog/?page=-3").status_code == 404
    assert reader.get("/blog/?page=1.5").status_code == 200  # not a number: the first page
    for path in ("/letters/", "/audit/", "/clients/", "/outbox/", "/comments/"):
        assert coach.get(f"{path}?page={'9' * 25}").status_code == 200, path
    letters = coach.get(f"/letters/?client={2**63}&page=abc").get_data(as_text=True)
    assert "After our first session" in letters  # an id no client has filters nothing
    choose = coach.get(f"/letters/new?client_id={2**63}").get_data(as_text=True)
    assert "Sofia" in choose  # asked which client, as with no client at all


def test_a_session_form_choosing_a_client_the_database_cannot_hold_is_refused(
    app, practice, people
):
    coach = people["coach"]
    for value in (str(2**63), "9" * 25, "-1", "abc"):
        response = coach.post("/sessions/new", data=session_form(value))
        assert response.status_code == 400, value
        assert "Some fields need another look" in response.get_data(as_text=True)
    odd_step = session_form(practice["client_id"], **{"action_items-0-item_id": str(2**63)})
    response = coach.post(f"/sessions/{practice['coaching_session_id']}/edit", data=odd_step)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "not one of the session" in page
    assert "Visit the nursery together" in page  # what was typed is still there


def test_a_nul_character_in_a_note_is_saved_as_a_replacement_character(app, practice, people):
    coach = people["coach"]
    notes = "Talked about bedtime.\x00 Pasted from another program."
    form = session_form(practice["client_id"], private_notes=notes)
    response = coach.post("/sessions/new", data=form)
    assert response.status_code == 302
    page = coach.get(response.headers["Location"]).get_data(as_text=True)
    assert "Talked about bedtime.\ufffd Pasted from another program." in page
    assert coach.get("/blog/%00").status_code == 404
    assert coach.get("/clients/?q=So%00fia").status_code == 200


def test_numbers_in_query_strings_are_read_within_the_database_range():
    assert page_number({}) == 1
    assert page_number({"page": "3"}) == page_number({"page": "003"}) == 3
    for odd in ("abc", "1.5", "", " 2", "+2", "٣"):
        assert page_number({"page": odd}) == 1, odd
    for below_one in ("0", "-2", "-" + "9" * 25):
        assert page_number({"page": below_one}) == 0, below_one
    assert page_number({"page": "9" * 25}) == page_number({"page": "100001"}) == 100_000
    assert id_arg({"client": "42"}, "client") == 42
    assert id_arg({"client": str(DATABASE_ID_MAX)}, "client") == DATABASE_ID_MAX
    for odd in (str(DATABASE_ID_MAX + 1), "9" * 25, "0", "-1", "1_000", "abc", "٣"):
        assert id_arg({"client": odd}, "client") is None, odd
    assert id_arg({}, "client") is None
    assert id_choice("0") == id_choice(0) == 0 and id_choice("17") == 17
    for odd in (str(2**31), "-1", "abc", None, True):
        with pytest.raises(ValueError):
            id_choice(odd)
