"""Letter templates bounded in memory and time: no value inside a template outgrows a letter.

Whatever a coach writes, a template is refused when saved, or filled in within the time limit
with every text it builds (by a filter or by ``~``) no longer than a letter may be; a refusal
names the line and what to change, and nothing answers 500.
"""

import threading
import time
import tracemalloc
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import func, select

from coachapp.auth.models import Practice, User
from coachapp.clients.forms import MAX_CHILDREN
from coachapp.clients.models import Adult, Child
from coachapp.coaching.models import ActionItem
from coachapp.config import DefaultConfig
from coachapp.extensions import db
from coachapp.letters.merge import (
    ALLOWED_FILTERS,
    FIELDS,
    FILTER_ARGUMENTS,
    LIST_MAX_ITEMS,
    LOOP_FIELDS,
    NESTING_MAX,
    OUTPUT_MAX_CHARS,
    RENDER_MAX_SECONDS,
    MergeError,
    check_template,
    letter_context,
    render_text,
)
from coachapp.letters.models import Letter, LetterTemplate
from tests.factories import PASSWORD, form_fields, make_client, make_coach, make_coaching_session
from tests.live_server import LiveClient, LiveServer, app_on

# The longest values a coach can enter, from the columns the forms are checked against.
FIRST_NAME_MAX = Adult.__table__.c.first_name.type.length  # 80
LAST_NAME_MAX = Adult.__table__.c.last_name.type.length
PREFERRED_NAME_MAX = Adult.__table__.c.preferred_name.type.length
CHILD_NAME_MAX = Child.__table__.c.first_name.type.length
COACH_NAME_MAX = User.__table__.c.name.type.length  # 120
PRACTICE_NAME_MAX = Practice.__table__.c.name.type.length
ACTION_ITEM_MAX = ActionItem.__table__.c.text.type.length  # 500
SUMMARY_MAX = DefaultConfig.NOTE_MAX_CHARS  # 120,000
# The session form takes any number of next steps; a letter reads the first LIST_MAX_ITEMS.
ACTION_ITEMS_MAX = LIST_MAX_ITEMS + 5

BERLIN = ZoneInfo("Europe/Berlin")
# A letter of 100,000 characters takes at most 400 kB: room for dozens, not gigabytes.
MEMORY_MAX_BYTES = 32 * 1024 * 1024
LONG_NAME = "Maximiliana-" * 6 + "Sophia"  # 78 characters: one of the longest first names
assert len(LONG_NAME) <= FIRST_NAME_MAX


def values(first_name="Sofia", summary="We talked about bedtime.", steps=("Rest",), **kwargs):
    """The merge values for one client and session, as letter_context builds them."""
    adult = SimpleNamespace(
        first_name=first_name,
        last_name=kwargs.get("last_name", "Marin"),
        preferred_name=kwargs.get("preferred_name", ""),
    )
    client = SimpleNamespace(
        adults=[adult],
        first_adult=adult,
        children=[SimpleNamespace(first_name=name, birth_year=year)
                  for name, year in kwargs.get("children", [("Lena", 2020)])],
    )
    coach = SimpleNamespace(
        name=kwargs.get("coach_name", "Maya Lindqvist"),
        practice=SimpleNamespace(name=kwargs.get("practice_name", "Harbour Coaching")),
    )
    coaching_session = SimpleNamespace(
        starts_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
        summary=summary,
        action_items=[SimpleNamespace(text=text) for text in steps],
    )
    return letter_context(
        client=client, coach=coach, coaching_session=coaching_session, zone=BERLIN,
        today=datetime(2026, 3, 10, tzinfo=UTC).date(),
    )


def refusal(source: str, merge_values: dict) -> str:
    with pytest.raises(MergeError) as refused:
        render_text(source, merge_values)
    return str(refused.value)


# Refused when saved: what no letter needs


@pytest.mark.parametrize(
    "expression",
    [
        "client.first_name|join(client.first_name|join(client.first_name))",
        "session.summary|join(session.summary)",
        "session.action_items|join(client.first_name)",
        "client.first_name|trim(session.summary)",
    ],
)
def test_a_separator_made_of_a_field_or_a_filter_is_refused_with_the_line(expression):
    with pytest.raises(MergeError) as refused:
        check_template(f"Dear {{{{ client.first_name }}}},\n\n{{{{ {expression} }}}}\n")
    assert str(refused.value).startswith("Line 3: Write what goes in the brackets of")
    assert "as text in quotes" in str(refused.value)


def test_default_may_fall_back_to_another_field():
    source = "Dear {{ client.preferred_name|default(client.first_name)|upper }},"
    assert render_text(source, values(first_name="Sofia")) == "Dear SOFIA,"
    assert render_text("{{ session.action_items|join(', ') }}", values(steps=["A", "B"])) == (
        "A, B"
    )


HOSTILE_SOURCES = {
    "300 brackets": "{{ " + "(" * 300 + "client.first_name" + ")" * 300 + " }}",
    "3,000 filters in a row": "{{ client.first_name" + "|upper" * 3000 + " }}",
    "200 ifs inside one another": "{% if today %}" * 200 + "x" + "{% endif %}" * 200,
    "3,000 nots": "{{ " + "not " * 3000 + "today }}",
    "a 5,000-digit number": "{{ " + "9" * 5000 + " }}",
    "one more filter than allowed": "{{ today" + "|trim" * NESTING_MAX + " }}",
    "ors in a row": "{{ " + " or ".join(["today"] * 100) + " }}",
}


@pytest.mark.parametrize("source", HOSTILE_SOURCES.values(), ids=HOSTILE_SOURCES)
def test_templates_nested_past_what_python_compiles_are_refused_not_crashed(source):
    source = f"Dear {{{{ client.first_name }}}},\n{source}\n"
    with pytest.raises(MergeError, match=r"^Line 2: ") as refused:
        check_template(source)
    assert "nested too deeply" in str(refused.value) or "too long to read" in str(refused.value)


NESTINGS = {
    "filters": "{}|trim",
    "joins": '{}|join("")',
    "defaults": "client.last_name|default({})",
    "concatenation": "({} ~ today)",
    "and": "({} and today)",
    "not": "not {}",
    "inline if": "(today if {} else coach.name)",
    "comparison": "({} == today)",
}


@pytest.mark.parametrize("wrapper", NESTINGS.values(), ids=NESTINGS)
def test_the_deepest_nesting_accepted_still_fills_in(wrapper):
    expression = "client.first_name"
    for _ in range(NESTING_MAX - 3):  # inside a loop and an if
        expression = wrapper.format(expression)
    source = (
        "{% for child in client.children %}{% if child.first_name %}"
        f"{{{{ {expression} }}}}{{% endif %}}{{% endfor %}}"
    )
    assert isinstance(render_text(source, values()), str)
    with pytest.raises(MergeError, match=r"^Line 1: This is nested too deeply"):
        check_template(source.replace("{% if child.first_name %}", "{% if today %}" * 2, 1)
                       .replace("{% endif %}", "{% endif %}" * 2))


# Refused when filled in: texts that would outgrow a letter


def test_a_join_of_a_join_for_a_long_first_name_is_refused_before_it_is_built():
    source = "Dear {{ client.first_name }},\n\n{{ client.first_name" + '|join(", ")' * 8 + " }}"
    check_template(source)  # accepted when saved: each separator is plain text
    assert "Sofia" in render_text(source.replace('|join(", ")' * 8, '|join(", ")'), values())
    message = refusal(source, values(first_name=LONG_NAME))
    assert message.startswith("Line 3: “join” would make a text longer than 100,000 characters")
    assert "Join a list such as session.action_items" in message


def test_three_joins_of_a_long_summary_are_refused():
    source = "{{ session.summary" + '|join(", ")' * 3 + " }}"
    assert refusal(source, values(summary="x" * 40_000)).startswith("Line 1: “join” would")


def test_a_separator_longer_than_a_letter_is_refused_before_it_is_built():
    source = "{{ session.action_items|join('" + "-" * 2000 + "') }}"
    message = refusal(source, values(steps=["Rest"] * LIST_MAX_ITEMS))
    assert message.startswith("Line 1: “join” would make a text longer")


def test_a_long_first_name_joined_to_itself_with_tildes_is_refused():
    source = "{{ " + " ~ ".join(["client.first_name"] * 1300) + " }}"
    message = refusal(f"Dear Sofia,\n{source}", values(first_name=LONG_NAME))
    assert message == (
        "Line 2: Joining texts with ~ would make a text longer than 100,000 characters here; "
        "join fewer or shorter texts."
    )


def test_tildes_in_nested_brackets_are_refused():
    forty_names = "(" + " ~ ".join(["client.first_name"] * 40) + ")"
    expression = "(" + " ~ ".join([forty_names] * 40) + ")"
    check_template("{{ " + expression + " }}")
    assert refusal("\n\n{{ " + expression + " }}", values(first_name=LONG_NAME)).startswith(
        "Line 3: Joining texts with ~ would make a text longer"
    )


@pytest.mark.parametrize(("letter", "grows"), [("ß", "SS"), ("ﬃ", "FFI")])
def test_upper_case_that_grows_a_text_past_a_letter_is_refused(letter, grows):
    summary = letter * (OUTPUT_MAX_CHARS // 2 + 1)
    assert render_text("{{ session.summary|upper|length }}", values(summary=letter * 10)) == (
        str(10 * len(grows))
    )
    message = refusal("{{ session.summary|upper|length }}", values(summary=summary))
    assert message.startswith("Line 1: “upper” would make a text longer than 100,000 characters")


def test_a_long_summary_passed_through_unchanged_is_not_refused_for_its_length():
    summary = "x" * (OUTPUT_MAX_CHARS + 1)  # a summary may be longer than a letter
    source = "{% if 'bedtime' in session.summary|default('')|trim %}yes{% else %}no{% endif %}"
    assert render_text(source, values(summary=summary)) == "no"


def slow_template() -> str:
    """A loop with no output whose conditions take far longer than the time limit."""
    return (
        "Dear {{ client.first_name }},\n\n"
        + "{% for step in session.action_items %}\n"
        + "{% if 'never' in session.summary|title %}{% endif %}" * 100
        + "\n{% endfor %}\n"
    )


SLOW_VALUES = {"summary": "Bedtime was hard. " * 5000, "steps": ["Rest"] * LIST_MAX_ITEMS}


def test_filters_that_print_nothing_still_stop_at_the_time_limit_naming_the_line():
    # Ten thousand title-casings of a 90,000-character summary: it could only stop early.
    message = refusal(slow_template(), values(**SLOW_VALUES))
    assert message == (
        "Line 4: Filling in the template took too long; simplify its loops and filters."
    )


# Anything the checker accepts is filled in within the limits


QUOTE_FREE = "abc XYZ,.-!ßﬃİΐ😀\n"
FIELD_PATHS = [field.path for field in FIELDS]
LOOPS = {
    "client.children": ["child", "child.first_name", "child.age"],
    "session.action_items": ["step"],
}
LOOP_NAMES = [f"loop.{name}" for name in LOOP_FIELDS]
COMPARISONS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]

literals = st.one_of(
    st.text(QUOTE_FREE, max_size=12).map(lambda text: f'"{text}"'),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.sampled_from(['", "', '"' + "x" * 1000 + '"', "''"]),
)


def filtered(value: str, name: str, argument: str | None) -> str:
    if argument is None or not FILTER_ARGUMENTS.get(name):
        return f"{value}|{name}"
    return f"{value}|{name}({argument})"


def expressions(names: list[str]) -> st.SearchStrategy[str]:
    """Expressions over fields and literals: filters (with arguments that are fields,
    literals or other expressions), ~, comparisons, and, or, not and inline ifs, nested."""

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        argument = st.one_of(st.none(), literals, inner)
        return st.one_of(
            st.builds(filtered, inner, st.sampled_from(ALLOWED_FILTERS), argument),
            # What makes texts grow: joins of joins, and a text joined to itself with ~.
            st.builds(lambda e, k: e + '|join(", ")' * k, inner, st.integers(1, 12)),
            st.builds(lambda e, k: "(" + " ~ ".join([e] * k) + ")", inner, st.integers(2, 30)),
            st.lists(inner, min_size=2, max_size=5).map(lambda parts: f"({' ~ '.join(parts)})"),
            st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(COMPARISONS),
                      inner),
            st.builds(lambda a, op, b: f"({a} {op} {b})", inner, st.sampled_from(["and", "or"]),
                      inner),
            inner.map(lambda e: f"(not {e})"),
            st.builds(lambda a, c, b: f"({a} if {c} else {b})", inner, inner, inner),
            st.builds(lambda a, c: f"({a} if {c})", inner, inner),
        )

    return st.recursive(st.one_of(st.sampled_from(names), literals), extend, max_leaves=12)


def bodies(names: list[str]) -> st.SearchStrategy[str]:
    """Text, {{ }} and {% if %}/{% elif %}/{% else %} blocks, inside one another."""
    text = st.text("abc ,.\n", max_size=10)
    printed = expressions(names).map(lambda e: "{{ " + e + " }}")
    conditions = expressions(names)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.builds(
            lambda test, body, elifs, otherwise: (
                f"{{% if {test} %}}{body}"
                + "".join(f"{{% elif {c} %}}{b}" for c, b in elifs)
                + (f"{{% else %}}{otherwise}" if otherwise is not None else "")
                + "{% endif %}"
            ),
            conditions, inner, st.lists(st.tuples(conditions, inner), max_size=2),
            st.one_of(st.none(), inner),
        )

    pieces = st.recursive(st.one_of(text, printed), extend, max_leaves=6)
    return st.lists(pieces, max_size=4).map("\n".join)


def loops(path: str) -> st.SearchStrategy[str]:
    """{% for %} over a list, with its item and loop.* in reach, and perhaps {% else %}."""
    item = LOOPS[path][0]
    return st.builds(
        lambda body, otherwise: (
            f"{{% for {item} in {path} %}}{body}"
            + (f"{{% else %}}{otherwise}" if otherwise is not None else "")
            + "{% endfor %}"
        ),
        bodies(FIELD_PATHS + LOOPS[path] + LOOP_NAMES),
        st.one_of(st.none(), bodies(FIELD_PATHS)),
    )


# Built once: strategies are costly to build, cheap to draw from.
templates = st.lists(
    st.one_of(bodies(FIELD_PATHS), *(loops(path) for path in LOOPS)), min_size=1, max_size=4
).map("\n".join)


def texts(longest: int, shortest: int = 0) -> st.SearchStrategy[str]:
    """Empty, short, or as long as the form allows, in letters that change length in upper case."""
    return st.builds(
        lambda unit, length: (unit * length)[:length],
        st.text(QUOTE_FREE, min_size=1, max_size=6),
        st.sampled_from([length for length in (0, 1, 9, longest) if length >= shortest]),
    )


merge_values = st.builds(
    lambda first, last, preferred, children, coach, practice, summary, steps: values(
        first, summary, steps, last_name=last, preferred_name=preferred, children=children,
        coach_name=coach, practice_name=practice,
    ),
    texts(FIRST_NAME_MAX),
    texts(LAST_NAME_MAX),
    texts(PREFERRED_NAME_MAX),
    st.lists(st.tuples(texts(CHILD_NAME_MAX, shortest=1), st.sampled_from([None, 2019, 2030])),
             max_size=MAX_CHILDREN)
    | st.just([("C" * CHILD_NAME_MAX, 2019)] * MAX_CHILDREN),
    texts(COACH_NAME_MAX),
    texts(PRACTICE_NAME_MAX),
    texts(SUMMARY_MAX),
    st.lists(texts(ACTION_ITEM_MAX), max_size=8)
    | st.just(["S" * ACTION_ITEM_MAX] * ACTION_ITEMS_MAX),
)

# Reproducible in CI (the same examples every run, nothing stored between runs) and quick.
BOUNDED_RENDERING = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fill_in(source: str, merge_values: dict) -> str | MergeError:
    try:
        text = render_text(source, merge_values)
    except MergeError as error:
        return error
    assert len(text) <= OUTPUT_MAX_CHARS
    return text


@BOUNDED_RENDERING
@given(source=templates, merge_values=merge_values)
def test_any_template_is_refused_or_filled_in_within_the_time_and_memory_limits(
    source, merge_values
):
    try:
        check_template(source)
    except MergeError:
        event("refused when saved")
        return
    started = time.monotonic()
    outcome = fill_in(source, merge_values)
    assert time.monotonic() - started < 2.5 * RENDER_MAX_SECONDS
    event("refused when filled in" if isinstance(outcome, MergeError) else "filled in")

    tracemalloc.start()
    try:
        fill_in(source, merge_values)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_MAX_BYTES


# Through the app: a clear message, the template kept, other requests served


def new_letter(client, client_id: int, template_id: int):
    return client.post(
        f"/letters/new?client_id={client_id}",
        data={"coaching_session_id": "0", "template": str(template_id)},
    )


def add_template(coach: User, body: str, name: str = "Growing") -> int:
    template = LetterTemplate(coach_id=coach.id, name=name, subject="Hello", body=body)
    db.session.add(template)
    db.session.commit()
    return template.id


GROWING_BODY = "Dear {{ client.first_name }},\n\n{{ client.first_name" + '|join(", ")' * 8 + " }}\n"


def test_drafting_from_a_template_that_grows_too_long_says_which_line_and_keeps_it(
    app, client, coach_id
):
    saved = client.post("/letters/templates/new", data={
        "name": "Growing", "subject": "Hello", "body": GROWING_BODY, "save": "Save"})
    assert saved.status_code == 302  # its separators are text: it may be saved
    with app.app_context():
        coach = db.session.get(User, coach_id)
        long_named = make_client(coach, LONG_NAME, email="long@example.com").id
        template_id = db.session.scalars(select(LetterTemplate.id)
                                         .where(LetterTemplate.name == "Growing")).one()

    response = new_letter(client, long_named, template_id)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert str(escape("“Growing” could not be filled in: Line 3: “join” would make a text "
                      "longer than 100,000 characters here.")) in page
    assert "Edit the template and try again." in page
    with app.app_context():
        assert db.session.get(LetterTemplate, template_id).body == GROWING_BODY
        assert db.session.scalar(select(func.count(Letter.id))) == 0

    editor = client.get(f"/letters/templates/{template_id}/edit").get_data(as_text=True)
    assert form_fields(editor, "template-form")["body"] == GROWING_BODY


def test_a_template_saved_before_separators_had_to_be_text_is_refused_when_drafting(
    app, client, coach_id
):
    body = "Dear {{ client.first_name }},\n\n{{ session.summary|join(session.summary) }}\n"
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia = make_client(coach, LONG_NAME, email="long@example.com")
        ids = (sofia.id, add_template(coach, body, "From last year"))
    page = new_letter(client, *ids).get_data(as_text=True)
    assert "Line 3: Write what goes in the brackets of “join” as text in quotes" in page
    with app.app_context():
        assert db.session.get(LetterTemplate, ids[1]).body == body


def test_trying_a_growing_template_shows_the_refusal_with_the_typed_text_kept(
    app, client, coach_id
):
    body = "Dear {{ client.first_name }},\n\n\n{{ client.first_name" + '|join(", ")' * 10 + " }}\n"
    tried = client.post("/letters/templates/new", data={
        "name": "Try me", "subject": "Hello", "body": body, "try_example": "Try"})
    page = tried.get_data(as_text=True)
    assert tried.status_code == 400
    assert str(escape("Line 4: “join” would make a text longer than 100,000 characters")) in page
    assert form_fields(page, "template-form")["body"] == body

    refused = client.post("/letters/templates/new", data={
        "name": "Try me", "subject": "Hello", "body": "{{ today|join(today) }}", "save": "Save"})
    assert refused.status_code == 400
    assert form_fields(refused.get_data(as_text=True), "template-form")["body"] == (
        "{{ today|join(today) }}"
    )


def post_draft(browser: LiveClient, path: str, fields: dict, outcome: dict) -> None:
    reply = browser.post(path, fields)
    outcome.update(status=reply.status, text=reply.text)


def test_other_requests_are_served_while_a_slow_template_is_refused(database_url, tmp_path):
    with app_on(database_url, tmp_path):
        coach = make_coach()
        sofia = make_client(coach, "Sofia")
        make_coaching_session(sofia, summary=SLOW_VALUES["summary"],
                              action_items=SLOW_VALUES["steps"])
        ids = {"client": sofia.id, "template": add_template(coach, slow_template(), "Slow")}
    with LiveServer(tmp_path / "server", database_url) as server:
        coach = LiveClient(server.url)
        assert coach.sign_in("coach@example.com", PASSWORD).location == "/dashboard"
        path = f"/letters/new?client_id={ids['client']}"
        fields = {**coach.form(path, "new-letter-form"), "template": str(ids["template"])}
        outcome: dict = {}
        drafting = threading.Thread(target=post_draft, args=(coach.copy(), path, fields, outcome))
        drafting.start()
        answered_meanwhile = []
        while drafting.is_alive():
            health, dashboard = LiveClient(server.url).get("/healthz"), coach.get("/dashboard")
            if drafting.is_alive():
                answered_meanwhile.append((health.status, dashboard.status))
        drafting.join()

        assert outcome["status"] == 400
        assert "Line 4: Filling in the template took too long" in outcome["text"]
        assert answered_meanwhile and set(answered_meanwhile) == {(200, 200)}
        assert coach.get("/healthz").status == 200
