"""Taking a family out of a letter before it is published, and checking nothing is left.

The anonymiser replaces a client's names, their children's names, contact details and
the extra words the coach listed with neutral words. The checker finds every identifying
term still present (case-insensitive, whole words, also in possessives like "Anna's")
so publishing can be refused while any remains. Knows nothing of Flask or the database.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

# Which kind of term each replacement word stands in for.
CLIENT_NAME = "client name"
CHILD_NAME = "child's name"
CONTACT = "contact detail"
OTHER = "identifying word"

# Any e-mail address, and any run of seven or more digits written like a phone number:
# a published post should carry neither, whoever they belong to.
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
ANY_PHONE = re.compile(r"(?<![\w])\+?\d(?:[\s().\-/]*\d){6,}(?![\w])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class IdentifyingTerm:
    """A word or phrase that could identify a family, and what kind of term it is."""

    text: str
    kind: str


@dataclass(frozen=True)
class Hit:
    """One place where an identifying term still appears."""

    field: str
    start: int
    end: int
    found: str
    kind: str


def identifying_terms(client) -> list[IdentifyingTerm]:
    """Everything about this family that must not appear in a published post: every
    adult's names and contact details, the children's names, the coach's other words."""
    terms = []
    for adult in client.adults:
        terms += [
            IdentifyingTerm(name, CLIENT_NAME)
            for name in (adult.first_name, adult.last_name, adult.preferred_name)
        ]
        for first in (adult.first_name, adult.preferred_name):
            if first and adult.last_name:
                terms.append(IdentifyingTerm(f"{first} {adult.last_name}", CLIENT_NAME))
    terms += [IdentifyingTerm(child.first_name, CHILD_NAME) for child in client.children]
    for adult in client.adults:
        terms += [IdentifyingTerm(adult.email, CONTACT), IdentifyingTerm(adult.phone, CONTACT)]
    terms += [IdentifyingTerm(word, OTHER) for word in client.identifying_words.splitlines()]
    return _distinct(terms)


def _distinct(terms: Iterable[IdentifyingTerm]) -> list[IdentifyingTerm]:
    seen, distinct = set(), []
    for term in terms:
        text = " ".join(term.text.split())
        if len(text) >= 2 and text.casefold() not in seen:
            seen.add(text.casefold())
            distinct.append(IdentifyingTerm(text, term.kind))
    return distinct


def _term_pattern(term: IdentifyingTerm) -> str:
    digits = re.sub(r"\D", "", term.text)
    if term.kind == CONTACT and "@" not in term.text and len(digits) >= 5:
        # A phone number matches however it is spaced or punctuated.
        return r"(?<!\d)" + r"[\s().\-/]*".join(digits) + r"(?!\d)"
    words = [re.escape(word) for word in term.text.split()]
    # Whole words only: "Ann" is not found inside "Annual", but is in "Ann's".
    return r"(?<![\w@.])" + r"\s+".join(words) + r"(?![\w@])"


@dataclass(frozen=True)
class _Matcher:
    """One pattern for all terms, and the term each of its numbered groups stands for."""

    pattern: re.Pattern
    terms: list[IdentifyingTerm]

    def finditer(self, text: str) -> Iterable[tuple[re.Match, IdentifyingTerm]]:
        for match in self.pattern.finditer(text):
            yield match, self.terms[int(match.lastgroup[1:])]


def _matcher(terms: list[IdentifyingTerm]) -> _Matcher | None:
    """Longest terms first, so 'Anna Berg' is found as one name rather than two."""
    ordered = sorted(terms, key=lambda term: len(term.text), reverse=True)
    if not ordered:
        return None
    parts = [f"(?P<t{index}>{_term_pattern(term)})" for index, term in enumerate(ordered)]
    return _Matcher(re.compile("|".join(parts), re.IGNORECASE), ordered)


def anonymise(text: str, terms: list[IdentifyingTerm], replacements: dict[str, str]) -> str:
    """The text with every term replaced by the neutral word chosen for its kind."""
    matcher = _matcher(terms)
    if matcher is not None:
        pieces, position = [], 0
        for match, term in matcher.finditer(text):
            pieces.append(text[position : match.start()])
            pieces.append(_fitted(replacements.get(term.kind, "[removed]"), match, text))
            position = match.end()
        text = "".join(pieces) + text[position:]
    contact = replacements.get(CONTACT, "[removed]")
    text = ANY_EMAIL.sub(contact, text)
    return ANY_PHONE.sub(lambda match: _phone_or_date(match, contact), text)


def _phone_or_date(match: re.Match, replacement: str) -> str:
    return match.group() if ISO_DATE.fullmatch(match.group()) else replacement


def _fitted(replacement: str, match: re.Match, text: str) -> str:
    """Capitalise the replacement where it starts a sentence, as the name did.

    After a greeting's "Dear", a replacement such as "my dear friend" drops its own
    "my dear", so the letter opens "Dear friend," rather than "Dear my dear friend,".
    """
    before = text[: match.start()].rstrip(" \t")
    if before.lower().endswith("dear"):
        replacement = re.sub(r"^(my\s+)?dear\s+", "", replacement, flags=re.IGNORECASE)
    starts_sentence = not before or before[-1] in ".!?\n"
    if starts_sentence and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def find_hits(fields: dict[str, str], terms: list[IdentifyingTerm]) -> list[Hit]:
    """Every identifying term, e-mail address or phone number left in the given fields."""
    matcher = _matcher(terms)
    hits = []
    for field, text in fields.items():
        found = []
        if matcher is not None:
            for match, term in matcher.finditer(text):
                found.append(Hit(field, match.start(), match.end(), match.group(), term.kind))
        for pattern in (ANY_EMAIL, ANY_PHONE):
            for match in pattern.finditer(text):
                if ISO_DATE.fullmatch(match.group()):
                    continue
                if not any(hit.start <= match.start() < hit.end for hit in found):
                    found.append(Hit(field, match.start(), match.end(), match.group(), CONTACT))
        hits += sorted(found, key=lambda hit: hit.start)
    return hits


def highlighted(text: str, hits: list[Hit]) -> Markup:
    """The text, escaped, with each hit wrapped in <mark> so the coach sees where it is."""
    pieces, position = [], 0
    for hit in sorted(hits, key=lambda hit: hit.start):
        if hit.start < position:
            continue
        pieces += [escape(text[position : hit.start]), Markup("<mark>"), escape(hit.found)]
        pieces.append(Markup("</mark>"))
        position = hit.end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
