"""Letter templates bounded: what no letter needs, and nesting deeper than Python compiles,
is refused when saved, naming the line and what to change, and never crashes the check.
"""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from coachapp.letters.merge import (
    NESTING_MAX,
    MergeError,
    check_template,
    letter_context,
    render_text,
)

BERLIN = ZoneInfo("Europe/Berlin")


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
