"""Merge fields: what a template may say, what it prints, and what it is refused."""

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from jinja2 import TemplateError

from coachapp.letters import merge
from coachapp.letters.merge import (
    MergeError,
    check_template,
    english_list,
    example_context,
    letter_context,
    nearest_field,
    remaining_markers,
    render_text,
    tidy,
)
from coachapp.letters.starters import STARTER_TEMPLATES

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 3, 10)


def a_client(first_name="Sofia", children=(("Lena", 2022), ("Tom", 2019)), **kwargs):
    """A family of one adult, as the merge reads it."""
    adult = SimpleNamespace(
        first_name=first_name,
        last_name=kwargs.get("last_name", "Marin"),
        preferred_name=kwargs.get("preferred_name", ""),
    )
    return SimpleNamespace(
        adults=[adult],
        first_adult=adult,
        children=[SimpleNamespace(first_name=name, birth_year=year) for name, year in children],
    )


COACH = SimpleNamespace(name="Maya Lindqvist", practice=SimpleNamespace(name="Harbour Coaching"))


def a_session(summary="We spoke about the nursery.", steps=("Visit the nursery", "Rest")):
    return SimpleNamespace(
        # Late evening in UTC is already the next day in Berlin.
        starts_at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        summary=summary,
        action_items=[SimpleNamespace(text=text) for text in steps],
    )


def context(client=None, coaching_session=None):
    return letter_context(
        client=client or a_client(),
        coach=COACH,
        coaching_session=coaching_session,
        zone=BERLIN,
        today=TODAY,
    )


# What the fields print


def test_fields_print_the_clients_family_the_session_and_the_coach():
    values = context(a_client(preferred_name="Sofi"), a_session())
    template = (
        "{{ client.preferred_name }} {{ client.first_name }} {{ client.last_name }}|"
        "{{ client.children_names }}|"
        "{% for child in client.children %}{{ child.first_name }} {{ child.age }}"
        "{% if not loop.last %}, {% endif %}{% endfor %}|"
        "{{ coach.name }}, {{ coach.practice_name }}|{{ session.date }}|{{ session.summary }}|"
        "{{ session.action_items|join('; ') }}|{{ today }}"
    )
    assert render_text(template, values) == (
        "Sofi Sofia Marin|Lena and Tom|Lena 4, Tom 7|Maya Lindqvist, Harbour Coaching|"
        "3 March 2026|We spoke about the nursery.|Visit the nursery; Rest|10 March 2026"
    )
    assert render_text("{{ session.action_items_list }}", values) == "- Visit the nursery\n- Rest"
    assert render_text("{{ session.action_items }}", values) == "- Visit the nursery\n- Rest"


def test_the_preferred_name_falls_back_to_the_first_name():
    assert render_text("{{ client.preferred_name }}", context()) == "Sofia"


@pytest.mark.parametrize(
    ("names", "expected"),
    [([], ""), (["Lena"], "Lena"), (["Lena", "Tom"], "Lena and Tom"),
     (["Lena", "Tom", "Mia"], "Lena, Tom and Mia")],
)
def test_childrens_names_read_as_english(names, expected):
    assert english_list(names) == expected


def test_an_empty_field_prints_a_marker_yet_is_false_in_a_condition():
    values = context(a_client(children=(), last_name=""), None)
    assert render_text("Dear {{ client.children_names }}", values) == "Dear [[children's names]]"
    assert render_text("{{ session.date }} {{ session.action_items_list }}", values) == (
        "[[session date]] [[action items]]"
    )
    assert render_text("{{ session.action_items }}", values) == "[[action items]]"
    assert render_text("{% if session.summary %}yes{% else %}no{% endif %}", values) == "no"
    assert render_text("{{ client.last_name|default('friend') }}", values) == "friend"
    assert remaining_markers(render_text("{{ client.last_name }}", values)) == ["last name"]


def test_a_child_without_a_year_of_birth_has_an_age_to_fill_in():
    values = context(a_client(children=(("Lena", None),)))
    text = render_text("{% for c in client.children %}{{ c.age }}{% endfor %}", values)
    assert text == "[[Lena's age]]"


def test_markers_are_found_once_each_in_order():
    text = "Dear [[name]],\n[[story]] and [[name]] [not one] [[]]"
    assert remaining_markers("[[subject]]", text) == ["subject", "name", "story"]


def test_tidy_leaves_one_blank_line_where_blocks_left_nothing():
    assert tidy("Dear Sofia,\n\n\n\n  \n\nWith warmth,\n") == "Dear Sofia,\n\nWith warmth,\n"
    assert tidy("  \n") == ""


# What is refused, with a message a coach understands


BAD_TEMPLATES = [
    ("{{ ''.__class__.__mro__ }}", "“.__class__” cannot be used here"),
    ("{{ config }}", "“config” is not a merge field"),
    ("{{ self }}", "“self” is not a merge field"),
    ("{% for x in range(10**9) %}x{% endfor %}", "Calling functions (such as range())"),
    ("{{ frist_name }}", "“frist_name” is not a merge field. Did you mean {{ client.first_name }}"),
    ("{{ client.frist_name }}", "Did you mean {{ client.first_name }}?"),
    ("{{ client.first_name|safe }}", "The filter “safe” is not allowed"),
    ("{{ client.first_name|attr('__class__') }}", "The filter “attr” is not allowed"),
    ("{{ client.first_name.__class__ }}", "is not a merge field"),
    ("{{ request.environ }}", "“request.environ” is not a merge field"),
    ("{{ lipsum(1) }}", "Calling functions"),
    ("{{ cycler }}", "“cycler” is not a merge field"),
    ("{{ namespace() }}", "Calling functions"),
    ("{{ client['first_name'] }}", "Square brackets are not allowed"),
    ("{% set x = client.first_name %}", "{% set %} is not allowed"),
    ("{% macro m() %}{% endmacro %}", "Macros are not allowed"),
    ("{% include 'base.html' %}", "cannot include, import or extend"),
    ("{% extends 'base.html' %}", "cannot include, import or extend"),
    ("{% import 'base.html' as b %}", "cannot include, import or extend"),
    ("{{ 9 ** 999999 }}", "Arithmetic is not allowed"),
    ("{{ client.first_name is defined }}", "“is” tests are not allowed"),
    ("{{ client.children }}", "client.children is a list"),
    (
        "{% for a in client.children %}{% for b in session.action_items %}{% endfor %}{% endfor %}",
        "A loop inside another loop",
    ),
    ("{% for a in client.first_name %}{% endfor %}", "A loop can only go through"),
    ("{% for c in client.children %}{{ c.birth_year }}{% endfor %}", "use c.first_name and c.age"),
    ("{% with a = 1 %}{% endwith %}", "only fields, filters"),
    ("{{ client.first_name }", "Unexpected '}'"),
    ("{% shell %}", "Only {% if %}, {% elif %}, {% else %} and {% for %}"),
]


@pytest.mark.parametrize(("source", "message"), BAD_TEMPLATES)
def test_a_template_beyond_fields_filters_if_and_for_is_refused(source, message):
    with pytest.raises(MergeError) as refused:
        check_template(source)
    assert message in str(refused.value)
    assert str(refused.value).startswith("Line 1: ")


def test_the_refusal_names_the_line():
    with pytest.raises(MergeError, match=r"^Line 3: “frist_name”"):
        check_template("Dear {{ client.first_name }},\n\nHello {{ frist_name }}\n")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("frist_name", "client.first_name"), ("childrens_names", "client.children_names"),
     ("session.actionitems", "session.action_items"), ("todya", "today"), ("xyzzy", None)],
)
def test_a_misspelt_field_is_matched_to_the_nearest_one(typed, meant):
    assert nearest_field(typed) == meant


def test_an_overlong_template_is_refused():
    with pytest.raises(MergeError, match="the limit is 50,000"):
        check_template("x" * (merge.TEMPLATE_MAX_CHARS + 1))


def test_a_letter_past_the_size_limit_stops_with_a_message():
    values = context(a_client(children=[("L" * 5000, 2020)] * 30))
    template = "{% for c in client.children %}{{ c.first_name }}{% endfor %}"
    with pytest.raises(MergeError, match="would be longer than 100,000 characters"):
        render_text(template, values)


def test_only_plain_values_reach_a_template():
    with pytest.raises(TypeError, match="not a plain merge value"):
        render_text("{{ today }}", {"today": COACH})


def test_the_sandbox_itself_has_no_globals_and_no_unsafe_attributes():
    environment = merge._environment()
    assert environment.globals == {}
    assert sorted(environment.filters) == sorted(merge.ALLOWED_FILTERS)
    # Even a template that skipped the checks gets nothing out of the sandbox.
    for source in ("{{ ''.__class__.__mro__ }}", "{{ range(3) }}", "{{ config }}"):
        with pytest.raises(TemplateError):
            environment.from_string(source).render(example_context())


# Starter templates


@pytest.mark.parametrize("starter", STARTER_TEMPLATES, ids=lambda starter: starter.key)
def test_starter_templates_are_accepted_and_read_as_one_or_two_pages(starter):
    check_template(starter.subject)
    check_template(starter.body)
    body = tidy(render_text(starter.body, context(a_client(), a_session())))
    assert body.startswith("Dear Sofia,\n")
    assert body.rstrip().endswith("With warmth,\n\nMaya Lindqvist")
    assert "Lena and Tom" in body and "{{" not in body and "{%" not in body
    assert 250 <= len(body.split()) <= 900  # a page of a letter is about 350 words


def test_starters_for_a_client_without_children_or_session_still_read_well():
    values = context(a_client(children=()), None)
    for starter in STARTER_TEMPLATES:
        body = tidy(render_text(starter.body, values))
        markers = remaining_markers(body)
        # Only prompts for the coach's own words, and the steps a next-steps letter needs.
        assert all(m.startswith("a few") or m == "action items" for m in markers), markers
        assert "children's names" not in body and " on ," not in body
    assert render_text(STARTER_TEMPLATES[1].subject, values) == (
        "You are the parent your child needs"
    )
