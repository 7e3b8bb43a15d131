"""From journal to blog, with consent: a client agrees to share one version of an answer,
the coach makes an anonymised post from exactly that version, and it is listed among its
series' readers' answers until the client takes their agreement back."""

import html
import io
import json
import re
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.blog.journal_consents import withdraw_journal_consent
from coachapp.blog.models import JournalConsent, Post, PostStatus, Series
from coachapp.clients.models import Adult, Client
from coachapp.data_rights.leaving import leave_family
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.programmes.models import Enrolment, Programme, Prompt
from tests.conftest import Browser, csrf_token_from, statements_for
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_post,
)
from tests.test_standards import VNU_JAR, why_checker_unavailable

COACH_PART = "journal/_coach_publishing.html"
ANSWER = """Today I noticed how much I hold. Leo woke at five and I was already tired.

Marc made breakfast so I could write this. Anna, you are allowed to rest, I told myself."""


def text(response) -> str:
    """The page as a reader reads it (entities such as &#39; turned back into characters)."""
    return html.unescape(response.get_data(as_text=True))


def days_ago(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def signed_in(app, email: str):
    """A browser of its own, signed in as ``email``."""
    browser = app.test_client()
    assert Browser(browser).login(email, PASSWORD).status_code == 302
    return browser


def post_button(browser, path: str, page: str = "/", **data):
    """Press a button: a POST with the CSRF token of a signed-in page."""
    token = csrf_token_from(text(browser.get(page, follow_redirects=True)))
    return browser.post(path, data={"csrf_token": token, **data})


def make_entry(client: Client, adult=None, prompt: Prompt | None = None, **kwargs) -> JournalEntry:
    adult = adult or client.first_adult
    entry = JournalEntry(
        client_id=client.id,
        adult_id=adult.id,
        prompt_id=prompt.id if prompt else None,
        title=kwargs.pop("title", ""),
        body=kwargs.pop("body", ANSWER),
        shared_at=kwargs.pop("shared_at", datetime.now(UTC)),
        **kwargs,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


@pytest.fixture
def family(app) -> dict:
    """Maya's "30 day challenge" (days 1 and 2 on the blog, and a programme made from it);
    Anna Berg, enrolled, with her partner Marc and son Leo, both adults signed up to the
    portal; Anna's answer to day 1, shared with Maya."""
    with app.app_context():
        coach = make_coach()
        series = Series(
            practice_id=coach.practice_id, title="30 day challenge", slug="30-day-challenge",
            planned_parts=30,
        )
        db.session.add(series)
        db.session.commit()
        day_posts = [
            make_post(
                coach, f"Day {day}: where you are", series_id=series.id, series_position=day,
                publish_at=days_ago(10 - day),
            )
            for day in (1, 2)
        ]
        programme = Programme(coach_id=coach.id, title="30 day challenge", series_id=series.id)
        programme.prompts = [
            Prompt(day=day, title=f"Where you are, day {day}", body="What do you carry?",
                   post_id=post.id)
            for day, post in ((1, day_posts[0]), (2, day_posts[1]))
        ]
        db.session.add(programme)
        anna_family = make_client(
            coach, "Anna", last_name="Berg", email="anna.berg@example.com",
            children=[("Leo", 2021)],
        )
        marc = add_family_adult(anna_family, "Marc", last_name="Berg")
        make_client_login(anna_family)
        make_client_login(anna_family, adult=marc)
        anna = anna_family.first_adult
        enrolment = Enrolment(
            programme_id=programme.id, client_id=anna_family.id, adult_id=anna.id,
            start_date=date.today() - timedelta(days=3), counting_from=date.today(),
        )
        db.session.add(enrolment)
        db.session.commit()
        entry = make_entry(
            anna_family, prompt=programme.prompts[0], enrolment_id=enrolment.id,
            title="Anna's first morning",
        )
        return {
            "coach": coach.id, "client": anna_family.id, "anna": anna.id, "marc": marc.id,
            "entry": entry.id, "series": series.id, "day_one": day_posts[0].slug,
        }


@pytest.fixture
def maya(app, family):
    return signed_in(app, "coach@example.com")


@pytest.fixture
def anna(app, family):
    return signed_in(app, "anna.berg@example.com")


def agree(browser, entry_id: int):
    return post_button(browser, f"/portal/journal/{entry_id}/public-consent", "/portal/")


def withdraw(browser, entry_id: int):
    return post_button(browser, f"/portal/journal/{entry_id}/public-consent/withdraw", "/portal/")


def make_post_from(browser, entry_id: int):
    return post_button(browser, f"/posts/from-journal/{entry_id}", "/posts/")


def post_id_from(response) -> int:
    assert response.status_code == 302
    return int(re.search(r"/posts/(\d+)/edit", response.location).group(1))


def publish(browser, post_id: int):
    return post_button(
        browser, f"/posts/{post_id}/publish", f"/posts/{post_id}/edit", when="now"
    )


def save_post(browser, post_id: int, **changes):
    page = text(browser.get(f"/posts/{post_id}/edit"))
    with browser.application.app_context():
        post = db.session.get(Post, post_id)
        data = {
            "title": post.title, "slug": post.slug, "excerpt": post.excerpt, "body": post.body,
            "category_id": "0", "series_id": str(post.series_id or 0), "tags": "",
            "cover_image_alt": "",
        }
    data.update(changes)
    return browser.post(
        f"/posts/{post_id}/edit", data={"csrf_token": csrf_token_from(page), **data}
    )


def consents(app, entry_id: int) -> list[JournalConsent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(JournalConsent)
                .where(JournalConsent.journal_entry_id == entry_id)
                .order_by(JournalConsent.id)
            )
        )


def edit_entry(app, entry_id: int, body: str) -> None:
    """The writer changes the entry, as the journal's editor saves it."""
    with app.app_context():
        entry = db.session.get(JournalEntry, entry_id)
        entry.body = body
        entry.version += 1
        db.session.commit()


def partial(app, name: str, entry_id: int, user_email: str) -> str:
    """A journal page's part about the blog, as the signed-in person sees it."""
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == user_email))
        login_user(user)
        return render_template(name, entry=db.session.get(JournalEntry, entry_id))


def test_the_writer_agrees_to_the_entry_as_it_reads_and_the_ledger_keeps_each_agreement(
    app, family, anna
):
    assert "Agree to share this answer publicly" in partial(
        app, "journal/_public_sharing.html", family["entry"], "anna.berg@example.com"
    )
    assert agree(anna, family["entry"]).status_code == 302
    [given] = consents(app, family["entry"])
    assert (given.entry_version, given.title, given.body) == (1, "Anna's first morning", ANSWER)
    assert given.adult_id == family["anna"] and given.is_active

    again = agree(anna, family["entry"])
    assert "already agreed to share this version" in text(anna.get(again.location))
    assert len(consents(app, family["entry"])) == 1

    withdraw(anna, family["entry"])
    agree(anna, family["entry"])
    first, second = consents(app, family["entry"])
    assert first.withdrawn_at is not None and second.is_active
    page = partial(app, "journal/_public_sharing.html", family["entry"], "anna.berg@example.com")
    assert "Withdraw my agreement" in page


def test_the_agreement_covers_the_version_agreed_to_and_the_post_is_made_from_it(
    app, family, anna, maya
):
    agree(anna, family["entry"])
    edit_entry(app, family["entry"], "A newer, longer text that Anna never agreed to share.")
    page = partial(app, "journal/_public_sharing.html", family["entry"], "anna.berg@example.com")
    assert "Your agreement is for the version of" in page
    assert "you have changed it since" in page
    coach_page = partial(app, COACH_PART, family["entry"], "coach@example.com")
    assert "they have changed it since" in coach_page

    post_id = post_id_from(make_post_from(maya, family["entry"]))
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert "never agreed" not in post.body
        assert "I noticed how much I hold" in post.body
        assert post.title == "Readers' answers to day 1: Where you are, day 1"
        assert (post.series_id, post.answer_day) == (family["series"], 1)
        assert post.series_position is None
        assert post.from_journal and post.status is PostStatus.DRAFT


def test_the_post_has_the_writers_partners_and_childs_names_replaced(app, family, anna, maya):
    agree(anna, family["entry"])
    post_id = post_id_from(make_post_from(maya, family["entry"]))
    with app.app_context():
        body = db.session.get(Post, post_id).body
    for name in ("Anna", "Marc", "Leo"):
        assert not re.search(rf"\b{name}\b", body), body
    assert "Your little one woke at five" in body
    assert "My dear friend, you are allowed to rest" in body


def test_no_post_without_the_writers_agreement(app, family, maya):
    coach_page = partial(app, COACH_PART, family["entry"], "coach@example.com")
    assert "has not agreed to this entry being shared" in coach_page
    assert "Make a post" not in coach_page
    refused = make_post_from(maya, family["entry"])
    assert "has not agreed to share this entry publicly" in text(maya.get(refused.location))
    with app.app_context():
        assert db.session.scalars(select(Post).where(Post.from_journal)).all() == []


def test_an_entry_not_shared_with_the_coach_can_be_neither_agreed_to_nor_made_a_post(
    app, family, anna, maya
):
    with app.app_context():
        db.session.get(JournalEntry, family["entry"]).shared_at = None
        db.session.commit()
    refused = agree(anna, family["entry"])
    assert "Share the entry with your coach first" in text(anna.get(refused.location))
    assert consents(app, family["entry"]) == []
    assert make_post_from(maya, family["entry"]).status_code == 404


def test_the_checker_catches_a_name_the_coach_typed_and_publishes_once_it_is_gone(
    app, family, anna, maya
):
    agree(anna, family["entry"])
    post_id = post_id_from(make_post_from(maya, family["entry"]))
    with app.app_context():
        body = db.session.get(Post, post_id).body
    assert save_post(maya, post_id, body=body + "\n\nThank you, Leo's mother.").status_code == 302
    refused = publish(maya, post_id)
    assert refused.status_code == 409
    assert "“Leo”" in text(refused)

    assert save_post(maya, post_id, body=body).status_code == 302
    assert publish(maya, post_id).status_code == 302
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    assert app.test_client().get(f"/blog/{slug}").status_code == 200


def published_answer(app, family, anna, maya) -> tuple[int, str]:
    agree(anna, family["entry"])
    post_id = post_id_from(make_post_from(maya, family["entry"]))
    assert publish(maya, post_id).status_code == 302
    with app.app_context():
        return post_id, db.session.get(Post, post_id).slug


def test_withdrawing_takes_the_answer_off_the_blog_at_once_and_it_cannot_be_published_again(
    app, family, anna, maya
):
    post_id, slug = published_answer(app, family, anna, maya)
    reader = app.test_client()
    assert reader.get(f"/blog/{slug}").status_code == 200

    withdrawn = withdraw(anna, family["entry"])
    assert "taken off the blog" in text(anna.get(withdrawn.location))
    assert reader.get(f"/blog/{slug}").status_code == 404
    assert "Readers' answers" not in text(reader.get("/blog/series/30-day-challenge"))
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.status is PostStatus.UNPUBLISHED
        assert post.unpublished_reason == "The writer withdrew their agreement to share it."

    refused = publish(maya, post_id)
    assert refused.status_code == 409
    assert "agreement to share this journal entry is not on record" in text(refused)
    assert reader.get(f"/blog/{slug}").status_code == 404


def test_withdrawing_and_unpublishing_happen_together_or_not_at_all(app, family, anna, maya):
    _, slug = published_answer(app, family, anna, maya)
    with app.app_context():
        entry = db.session.get(JournalEntry, family["entry"])
        assert withdraw_journal_consent(entry) == 1
        db.session.rollback()  # e.g. the request failed before committing
    assert consents(app, family["entry"])[0].is_active
    assert app.test_client().get(f"/blog/{slug}").status_code == 200


def test_stopping_sharing_with_the_coach_withdraws_the_public_agreement(app, family, anna, maya):
    _, slug = published_answer(app, family, anna, maya)
    stopped = post_button(anna, f"/portal/journal/entries/{family['entry']}/unshare")
    assert stopped.status_code == 302
    assert not consents(app, family["entry"])[0].is_active
    assert app.test_client().get(f"/blog/{slug}").status_code == 404


def test_other_people_get_a_404_for_an_entry_that_is_not_theirs(app, family, maya):
    marc = signed_in(app, "marc@example.com")
    assert agree(marc, family["entry"]).status_code == 404
    assert withdraw(marc, family["entry"]).status_code == 404
    with app.app_context():
        coach = db.session.get(User, family["coach"])
        other_family = make_client(coach, "Nora", last_name="Holm", email="nora@example.com")
        make_client_login(other_family)
        other_coach = make_coach("sam@example.com", "Sam Reid")
        assert other_coach.id != coach.id
    nora = signed_in(app, "nora@example.com")
    assert agree(nora, family["entry"]).status_code == 404
    assert agree(maya, family["entry"]).status_code == 404  # a coach is not its writer
    sam = signed_in(app, "sam@example.com")
    assert make_post_from(sam, family["entry"]).status_code == 404
    assert make_post_from(nora, family["entry"]).status_code == 404
    assert consents(app, family["entry"]) == []


def test_the_series_page_lists_the_answer_under_its_day_without_counting_it_as_a_day(
    app, family, anna, maya
):
    _, slug = published_answer(app, family, anna, maya)
    reader = app.test_client()
    series_page = text(reader.get("/blog/series/30-day-challenge"))
    assert "2 of 30 parts published." in series_page
    assert 'id="answers-day-1"' in series_page
    assert "Readers' answers to day 1" in series_page
    assert f'href="/blog/{slug}"' in series_page

    day_one = text(reader.get(f"/blog/{family['day_one']}"))
    assert "/blog/series/30-day-challenge#answers-day-1" in day_one
    assert "Next part" in day_one  # day 2, not the answer

    answer_page = text(reader.get(f"/blog/{slug}"))
    assert "A reader's answer to day 1" in answer_page
    assert "Day 1 of 30" not in answer_page
    assert 'class="series-nav"' not in answer_page


def test_a_free_entry_becomes_an_ordinary_post(app, family, maya):
    with app.app_context():
        free = make_entry(db.session.get(Client, family["client"]), title="A hard evening, Anna")
        entry_id = free.id
    anna = signed_in(app, "anna.berg@example.com")
    agree(anna, entry_id)
    coach_page = partial(app, COACH_PART, entry_id, "coach@example.com")
    assert "will be an ordinary post" in coach_page
    post_id = post_id_from(make_post_from(maya, entry_id))
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert (post.series_id, post.answer_day) == (None, None)
        assert post.title == "A hard evening, my dear friend"


def test_the_pages_and_parts_for_readers_answers_are_valid_html(app, family, anna, maya, tmp_path):
    reason = why_checker_unavailable()
    if reason:
        pytest.skip(reason)
    post_id, slug = published_answer(app, family, anna, maya)
    reader = app.test_client()
    pages = {
        "series": reader.get("/blog/series/30-day-challenge"),
        "answer": reader.get(f"/blog/{slug}"),
        "day-one": reader.get(f"/blog/{family['day_one']}"),
        "editor": maya.get(f"/posts/{post_id}/edit"),
    }
    pages = {name: response.get_data(as_text=True) for name, response in pages.items()}
    edit_entry(app, family["entry"], "A changed answer.")
    parts = {
        "portal-part": partial(
            app, "journal/_public_sharing.html", family["entry"], "anna.berg@example.com"
        ),
        "coach-part": partial(app, COACH_PART, family["entry"], "coach@example.com"),
    }
    for name, part in parts.items():
        pages[name] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Entry</title>'
            f"</head><body><main>{part}</main></body></html>"
        )
    for name, page in pages.items():
        (tmp_path / f"{name}.html").write_text(page)
    checked = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
         "--exit-zero-always", *sorted(str(path) for path in tmp_path.glob("*.html"))],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    errors = [
        f"{message.get('url', '?').rsplit('/', 1)[-1]}: {message['message']}"
        for message in json.loads(checked.stdout)["messages"]
    ]
    assert errors == [], "\n".join(errors)


def test_deleting_the_entry_takes_its_answer_off_the_blog(app, family, anna, maya):
    post_id, slug = published_answer(app, family, anna, maya)
    deleted = post_button(anna, f"/portal/journal/entries/{family['entry']}/delete")
    assert deleted.status_code == 302
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.status is PostStatus.UNPUBLISHED
        assert (post.journal_entry_id, post.journal_consent_id) == (None, None)
    assert app.test_client().get(f"/blog/{slug}").status_code == 404
    editor = text(maya.get(f"/posts/{post_id}/edit"))
    assert "agreement to share this journal entry is not on record" in editor
    refused = publish(maya, post_id)
    assert refused.status_code == 409


def test_the_series_page_reads_its_answers_in_the_same_queries_however_many(app, family):
    def add_answers(count: int, first: int) -> None:
        with app.app_context():
            coach = db.session.get(User, family["coach"])
            for number in range(first, first + count):
                make_post(
                    coach, f"Readers' answers to day {number % 2 + 1}: answer {number}",
                    series_id=family["series"], answer_day=number % 2 + 1, from_journal=True,
                )

    reader = app.test_client()
    add_answers(2, first=0)
    with_two = len(statements_for(app, reader, "/blog/series/30-day-challenge"))
    add_answers(20, first=2)
    # Measured first, before the page cache keeps the new page.
    assert len(statements_for(app, reader, "/blog/series/30-day-challenge")) == with_two
    page = text(reader.get("/blog/series/30-day-challenge"))
    assert page.count("Readers' answers to day 2: answer") == 11


def test_an_adult_who_leaves_the_family_takes_their_answers_off_the_blog(app, family, anna, maya):
    post_id, slug = published_answer(app, family, anna, maya)
    with app.app_context():
        leave_family(db.session.get(Adult, family["anna"]))
        db.session.commit()
        assert db.session.get(JournalEntry, family["entry"]) is None
        assert db.session.get(Post, post_id).status is PostStatus.UNPUBLISHED
    assert app.test_client().get(f"/blog/{slug}").status_code == 404


def test_the_writer_reads_their_agreement_in_their_activity_and_the_other_adult_does_not(
    app, family, anna
):
    agree(anna, family["entry"])
    withdraw(anna, family["entry"])
    activity = text(anna.get("/portal/activity"))
    assert "Agreed to share a journal entry on the blog, without your name" in activity
    assert "Withdrew your agreement to share a journal entry on the blog" in activity
    assert "share a letter" not in activity
    marc = text(signed_in(app, "marc@example.com").get("/portal/activity"))
    assert "journal entry" not in marc


def test_the_writer_reads_when_their_answer_was_published_and_taken_off(app, family, anna, maya):
    published_answer(app, family, anna, maya)
    activity = text(anna.get("/portal/activity"))
    assert "Published a blog post made from your letter or journal, without names" in activity
    withdraw(anna, family["entry"])
    activity = text(anna.get("/portal/activity"))
    assert "Took a blog post made from your letter or journal off the blog" in activity
    marc = text(signed_in(app, "marc@example.com").get("/portal/activity"))
    assert "Published a blog post" not in marc


def test_the_familys_export_holds_the_agreement_and_the_post_made_from_the_entry(
    app, family, anna, maya
):
    post_id, _ = published_answer(app, family, anna, maya)
    family_page = f"/clients/{family['client']}"
    exported = post_button(maya, f"{family_page}/export", family_page)
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        data = json.loads(archive.read("client.json"))
    [entry] = data["journal"]["shared_entries"]
    assert [a["version"] for a in entry["public_agreements"]] == [1]
    assert entry["public_agreements"][0]["withdrawn_at"] is None
    [post] = [post for post in data["posts"] if post["id"] == post_id]
    assert post["journal_entry_id"] == entry["id"] == family["entry"]
