"""Every main page of coachapp, as a coach, a client and an anonymous reader meet it, checked
in a real Chromium: axe finds no serious or critical accessibility problem, every form field
has a name a screen reader can announce, nothing scrolls sideways on a 360 px phone, and
the browser reports no Content-Security-Policy violation.

One practice is seeded per test. A walk opens every page of every role once (about 0.5 s a
page on this server), so the laptop checks share one walk and the phone has its own; each
test reports every offender in one assertion message, so a failure lists all there is to fix.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe

from coachapp.blog.consents import give_consent
from coachapp.blog.models import Category, Comment, CommentStatus, ConsentMethod, Series
from coachapp.blog.publishing import tags_named
from coachapp.extensions import db
from coachapp.letters.sending import send_letter
from coachapp.letters.services import approve_letter
from tests.browser.conftest import LAPTOP, PHONE, sign_in
from tests.factories import (
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
    make_post,
)

BLOCKING_IMPACTS = ("serious", "critical")

# What a form field needs to be announced: a <label for>, a wrapping <label>, aria-label or
# aria-labelledby. Hidden inputs and buttons are not fields a person fills in.
UNLABELLED_FIELDS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
  .filter(el => !(el.labels && el.labels.length)
    && !(el.getAttribute('aria-label') || '').trim()
    && !(el.getAttribute('aria-labelledby') || '').trim()
    .split(/\\s+/).some(id => id && document.getElementById(id)))
  .map(el => el.outerHTML.slice(0, 160))"""

SIDEWAYS_OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\\s+/).join('.') : ''));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          widest: wide.slice(0, 5)};
}"""


@dataclass
class Practice:
    """The ids of what was seeded, to build the pages' addresses."""

    client: int
    second_adult: int
    session: int
    draft_letter: int
    sent_letter: int
    joint_letter: int
    post: int
    post_slug: str
    category_slug: str
    series_slug: str
    author: int


def seed_practice() -> Practice:
    """A coach with a bio, a client with a portal sign-in, a session, a draft and a sent
    letter (with consent), a joint letter to her and Marc (with her consent only), and a
    published post with a tag, in a category and a series, with an approved comment and the
    author's reply, and one waiting for moderation. Call inside ``prepare()``."""
    coach = make_coach(bio="I am a parent coach and a mother of two.")
    client = make_client(coach, "Sofia", children=[("Lena", 2024)])
    make_client_login(client)
    coaching_session = make_coaching_session(client, action_items=["Visit the nursery together"])
    # One ahead, for the portal's "Your next sessions".
    make_coaching_session(
        client, days_ago=-7, summary="", location="https://meet.example.com/sofia-and-maya"
    )
    marc = add_family_adult(client, relation_to_children="Father")
    draft = make_letter(client, subject="Following up on our next steps")
    sent = make_letter(client, subject="After our first session")
    approve_letter(sent, coach, based_on=sent.version)
    send_letter(sent, coach, "With warmth.")
    give_consent(sent, coach, ConsentMethod.EMAIL, "E-mail of 3 March: happy to share.")
    # A joint letter Sofia agreed to share and Marc has not yet.
    joint = make_letter(client, subject="For both of you", addressees=[client.first_adult, marc])
    approve_letter(joint, coach, based_on=joint.version)
    send_letter(joint, coach, "With warmth.")
    give_consent(joint, coach, ConsentMethod.EMAIL, "Said yes.", adult=client.first_adult)
    category = Category(
        practice_id=coach.practice_id, name="Personal development", slug="personal-development"
    )
    series = Series(
        practice_id=coach.practice_id,
        title="30 day challenge",
        slug="30-day-challenge",
        planned_parts=30,
    )
    db.session.add_all([category, series])
    db.session.commit()
    make_post(coach, "Day one: notice", category_id=category.id, series_id=series.id,
              series_position=1)  # fmt: skip
    post = make_post(
        coach, "Day two: breathe", category_id=category.id, series_id=series.id, series_position=2
    )
    post.tags = tags_named(coach.practice_id, ["guilt"])
    approved = Comment(
        post_id=post.id, author_name="Rosa", body="This helped me.", status=CommentStatus.APPROVED
    )
    db.session.add(approved)
    db.session.flush()
    reply = Comment(
        post_id=post.id,
        parent_id=approved.id,
        user_id=coach.id,
        author_name=coach.name,
        body="Thank you, Rosa.",
        status=CommentStatus.APPROVED,
    )
    waiting = Comment(post_id=post.id, author_name="Ines", body="Day two was hard for me.")
    db.session.add_all([reply, waiting])
    db.session.commit()
    return Practice(
        client=client.id,
        second_adult=marc.id,
        session=coaching_session.id,
        draft_letter=draft.id,
        sent_letter=sent.id,
        joint_letter=joint.id,
        post=post.id,
        post_slug=post.slug,
        category_slug=category.slug,
        series_slug=series.slug,
        author=coach.id,
    )


def main_pages(seeded: Practice) -> dict[str, list[str]]:
    """Every main page, by who sees it: nobody signed in, the coach, the client."""
    return {
        "reader": [
            "/login",
            "/forgot-password",
            "/blog/",
            f"/blog/{seeded.post_slug}",
            f"/blog/category/{seeded.category_slug}",
            f"/blog/series/{seeded.series_slug}",
            f"/blog/authors/{seeded.author}",
            f"/blog/by-email/?series={seeded.series_slug}",
            "/blog/by-email/check-your-inbox",
            "/blog/no-such-post",
        ],
        "coach": [
            "/dashboard",
            "/clients/",
            f"/clients/{seeded.client}",
            "/clients/new",
            f"/clients/{seeded.client}/adults/new",
            f"/clients/{seeded.client}/adults/{seeded.second_adult}/edit",
            f"/clients/{seeded.client}/adults/{seeded.second_adult}/remove",
            f"/sessions/new?client_id={seeded.client}",
            f"/sessions/{seeded.session}",
            f"/sessions/{seeded.session}/move",
            f"/sessions/{seeded.session}/cancel",
            "/calendar/",
            "/calendar/month",
            "/sessions/new",
            "/letters/",
            f"/letters/{seeded.sent_letter}",
            f"/letters/{seeded.joint_letter}",
            f"/letters/{seeded.draft_letter}/edit",
            f"/letters/{seeded.draft_letter}/delete",
            "/letters/templates",
            "/letters/letterhead",
            "/outbox/",
            "/posts/",
            f"/posts/{seeded.post}/edit",
            "/comments/",
            "/posts/groups",
            "/posts/profile",
            "/account",
            "/account/two-step",
            "/calendar/settings",
            "/audit/",
            "/search?q=nursery",
            "/booking/settings",
        ],
        "client": [
            "/portal/",
            f"/portal/letters/{seeded.sent_letter}",
            f"/portal/letters/{seeded.joint_letter}",
            "/portal/activity",
            "/portal/book",
            "/portal/settings",
        ],
    }


SIGN_IN = {"coach": "coach@example.com", "client": "sofia@example.com"}


@pytest.fixture
def walk(prepare, new_page):
    """``walk(check, viewport)`` opens every main page as its role would and calls
    ``check(page, path)``; it returns each page's complaints (``{"who path": [...]}``)."""
    with prepare():
        seeded = seed_practice()

    def visit_all(check: Callable, viewport=LAPTOP, on_page: Callable | None = None):
        complaints = {}
        for who, paths in main_pages(seeded).items():
            page = new_page(viewport=viewport)
            if on_page:
                on_page(page)
            if who in SIGN_IN:
                sign_in(page, SIGN_IN[who])
            for path in paths:
                response = page.goto(path)
                expected = 404 if path == "/blog/no-such-post" else 200
                assert response.status == expected, f"{who} {path} answered {response.status}"
                found = check(page, f"{who} {path}")
                if found:
                    complaints[f"{who} {path}"] = found
        return complaints

    return visit_all


def report(complaints: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{where}:\n" + "\n".join(f"  - {line}" for line in lines)
        for where, lines in complaints.items()
    )


def test_the_main_pages_pass_axe_label_every_field_and_keep_to_the_security_policy(walk):
    axe = Axe()
    csp_errors: list[str] = []

    def listen(page):
        # Attached before the page's first load, so no violation is missed.
        page.on(
            "console",
            lambda message: (
                csp_errors.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )

    findings = {"axe": {}, "labels": {}, "csp": {}}
    blocking = set()

    def check(page, where):
        violations = axe.run(page).response["violations"]
        if any(violation["impact"] in BLOCKING_IMPACTS for violation in violations):
            blocking.add(where)
        # Every violation is reported, the lesser ones too, as context for the fix.
        found_by_axe = [
            f"{violation['impact']} {violation['id']}: {violation['help']} "
            f"at {[node['target'] for node in violation['nodes']][:6]}"
            for violation in violations
        ]
        for kind, found in (
            ("axe", found_by_axe),
            ("labels", page.evaluate(UNLABELLED_FIELDS)),
            ("csp", list(csp_errors)),
        ):
            if found:
                findings[kind][where] = found
        csp_errors.clear()
        return []

    walk(check, on_page=listen)
    assert not blocking, (
        f"axe found serious or critical violations on {sorted(blocking)}; all it found:\n"
        + report(findings["axe"])
    )
    assert not findings["labels"], "form fields without a label:\n" + report(findings["labels"])
    assert not findings["csp"], "Content-Security-Policy violations:\n" + report(findings["csp"])


def test_the_main_pages_fit_a_360px_phone_without_sideways_scrolling(walk):
    def overflow(page, _where):
        sizes = page.evaluate(SIDEWAYS_OVERFLOW)
        if sizes["scrollWidth"] <= sizes["innerWidth"] + 1:
            return []
        return [
            f"{sizes['scrollWidth']} px wide in a {sizes['innerWidth']} px window; "
            f"too wide: {sizes['widest']}"
        ]

    complaints = walk(overflow, viewport=PHONE)
    assert not complaints, "pages that scroll sideways at 360 px:\n" + report(complaints)
