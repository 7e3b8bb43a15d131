"""The anonymiser and checker on their own: what they replace, what they find, what they leave."""

from types import SimpleNamespace

from coachapp.blog.anonymiser import (
    CHILD_NAME,
    CLIENT_NAME,
    CONTACT,
    OTHER,
    anonymise,
    find_hits,
    highlighted,
    identifying_terms,
)

WORDS = {
    CLIENT_NAME: "my dear friend",
    CHILD_NAME: "your little one",
    CONTACT: "[removed]",
    OTHER: "[a place]",
}


def family(**changes):
    values = dict(
        first_name="Anna",
        last_name="Berg",
        preferred_name="Annie",
        email="anna.berg@example.com",
        phone="07700 900 123",
        identifying_words="Riverside Primary\nBrighton",
        children=[SimpleNamespace(first_name="Leo"), SimpleNamespace(first_name="Mia")],
    )
    values.update(changes)
    person = {key: values.pop(key) for key in
              ("first_name", "last_name", "preferred_name", "email", "phone")}
    return SimpleNamespace(adults=[SimpleNamespace(**person)], **values)


def test_names_children_contacts_and_listed_words_are_replaced_with_the_chosen_words():
    text = (
        "Anna, I keep thinking of Leo and Mia. Annie Berg wrote from anna.berg@example.com "
        "and 07700900123 about Riverside  Primary in Brighton."
    )
    result = anonymise(text, identifying_terms(family()), WORDS)
    assert result == (
        "My dear friend, I keep thinking of your little one and your little one. My dear friend "
        "wrote from [removed] and [removed] about [a place] in [a place]."
    )


def test_full_name_is_replaced_once_not_word_by_word():
    result = anonymise("Thank you, Anna Berg.", identifying_terms(family()), WORDS)
    assert result == "Thank you, my dear friend."


def test_possessives_and_any_case_are_caught_but_not_parts_of_other_words():
    terms = identifying_terms(family(children=[SimpleNamespace(first_name="Ann")]))
    text = "ANNA's worry. ann\u2019s bedtime. The Annual review with Leonard."
    hits = find_hits({"body": text}, terms)
    assert [hit.found for hit in hits] == ["ANNA", "ann"]
    assert "Annual" in anonymise(text, terms, WORDS) and "Leonard" in anonymise(text, terms, WORDS)


def test_any_email_or_phone_number_is_found_even_when_not_the_clients():
    hits = find_hits({"body": "Write to help@example.org or call +44 1234 567 890."}, [])
    assert [hit.found for hit in hits] == ["help@example.org", "+44 1234 567 890"]


def test_dates_and_short_numbers_are_not_mistaken_for_phone_numbers():
    assert find_hits({"body": "On 2026-03-14 we met for 45 minutes, 3 times."}, []) == []


def test_hits_are_marked_in_escaped_text():
    text = "<b>Dear</b> Anna's"
    marked = highlighted(text, find_hits({"body": text}, identifying_terms(family())))
    assert str(marked) == "&lt;b&gt;Dear&lt;/b&gt; <mark>Anna</mark>&#39;s"


def test_empty_and_one_letter_values_are_not_terms():
    terms = identifying_terms(family(preferred_name="", phone="", identifying_words="\nA\n"))
    assert {term.text for term in terms} == {
        "Anna",
        "Berg",
        "Anna Berg",
        "Leo",
        "Mia",
        "anna.berg@example.com",
    }


def test_a_greeting_does_not_say_dear_twice():
    result = anonymise("Dear Anna,\n\nDear Leo too.", identifying_terms(family()), WORDS)
    assert result == "Dear friend,\n\nDear your little one too."
