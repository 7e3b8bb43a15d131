"""Letter templates bounded in memory and time: no value inside a template outgrows a letter.

Whatever a coach writes, a template is refused when saved, or filled in within the time limit
with every text it builds (by a filter or by ``~``) no longer than a letter may be; a refusal
names the line and what to change, and nothing answers 500.
"""

import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.letters.merge import (
    LIST_MAX_ITEMS,
    NESTING_MAX,
    OUTPUT_MAX_CHARS,
    MergeError,
    check_template,
    letter_context,
    render_text,
)
from coachapp.letters.models import Letter, LetterTemplate
from tests.factories import PASSWORD, form_fields, make_client, make_coach, make_coaching_session
from tests.live_server import LiveClient, LiveServer, app_on

FIRST_NAME_MAX = Client.__table__.c.first_name.type.length  # 80, as the client form allows
BERLIN = ZoneInfo("Europe/Berlin")
LONG_NAME = "Maximiliana-" * 6 + "Sophia"  # 78 characters: one of the longest first names
assert len(LONG_NAME) <= FIRST_NAME_MAX


def values(first_name="Sofia", summary="We talked about bedtime.", steps=("Rest",), **kwargs):
    """The merge values for one client and session, as letter_context builds them."""
    client = SimpleNamespace(
        first_name=first_name,
        last_name=kwargs.get("last_name", "Marin"),
        preferred_name=kwargs.get("preferred_name", ""),
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
