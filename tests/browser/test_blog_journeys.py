"""The blog's journeys in a real browser: a coach publishing a client's letter (and the
checker catching a name the coach typed back in), and a reader on a phone following a series
and leaving a comment that the coach approves.

Only the starting point is put in the database (the coach, the client, the sent letter and
the consent, or the published series); everything after goes through the pages as a person
would: links and buttons by their visible names, fields by their labels, CSRF on.
"""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from coachapp.blog.consents import give_consent
from coachapp.blog.models import ConsentMethod, Series
from coachapp.extensions import db
from coachapp.letters.sending import send_letter
from coachapp.letters.services import approve_letter
from tests.browser.conftest import PHONE, screenshot, sign_in
from tests.factories import make_client, make_coach, make_letter, make_post

COACH_EMAIL = "coach@example.com"
BIO = "I am a parent coach and a mother of two. I write for parents who feel they fall short."

LETTER = """Dear Anna,

Thank you for Tuesday. You told me about Leo's first week at nursery and the guilt that
came with every drop-off. Many parents feel exactly this, and it says how much you care.

Anna, you do not have to be calm every morning to be a good mother.

With warmth,

Maya"""


def test_the_coach_publishes_a_letter_and_the_checker_catches_a_name_left_in(prepare, new_page):
    with prepare():
        coach = make_coach()
        anna = make_client(
            coach, "Anna", last_name="Berg", email="anna.berg@example.com", children=[("Leo", 2021)]
        )
        letter = make_letter(anna, body=LETTER, subject="After our talk about nursery")
        approve_letter(letter, coach, based_on=letter.version)
        send_letter(letter, coach, "")
        give_consent(letter, coach, ConsentMethod.EMAIL, "E-mail of 3 March: happy to share.")
        db.session.commit()
        letter_id = letter.id

    page = new_page()
    sign_in(page, COACH_EMAIL)
    page.goto(f"/letters/{letter_id}")
    expect(page.get_by_text("Consent given")).to_be_visible()
    page.get_by_role("link", name="Publish as a post…").click()

    # The coach sees what will be replaced, keeps the suggested words and makes the draft.
    expect(page.get_by_role("heading", name="Publish a letter as a post")).to_be_visible()
    expect(page.get_by_text("Children's names: Leo")).to_be_visible()
    page.get_by_role("button", name="Make the draft post").click()
    expect(page).to_have_url(re.compile(r"/posts/\d+/edit$"))

    text = page.get_by_label("Text", exact=True)
    draft = text.input_value()
    assert "Dear friend," in draft and "your little one's first week" in draft
    assert not re.search(r"\b(Anna|Berg|Leo)\b", draft), draft

    # By mistake the coach types the child's name back in, saves and presses Publish.
    page.get_by_label("Title", exact=True).fill("The guilt at the nursery door")
    text.fill(draft + "\n\nGive Leo's teddy a squeeze from me.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Post saved.")).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()

    checker = page.get_by_role("alert").filter(has_text="Identifying words found")
    expect(checker).to_be_visible()
    expect(checker).to_contain_text("Leo")
    marked = checker.locator("mark")
    expect(marked).to_have_text(["Leo"])
    expect(page.get_by_role("link", name="read it on the blog")).to_have_count(0)
    screenshot(page, "blog-checker-refuses-a-name")

    # The coach takes the name out again; now the post publishes.
    text = page.get_by_label("Text", exact=True)
    text.fill(text.input_value().replace("Give Leo's teddy", "Give the teddy"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("No names, e-mail addresses or phone numbers found.")).to_be_visible()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_text("Published. The post is on the blog now.")).to_be_visible()
    expect(page.get_by_text("Readers can see it now.")).to_be_visible()
    public_link = page.get_by_role("link", name="read it on the blog")
    post_path = public_link.get_attribute("href")

    # A reader who never signed in finds it at its address, without a single name in it.
    reader = new_page()
    response = reader.goto(post_path)
    assert response.status == 200
    expect(reader.get_by_role("heading", level=1)).to_have_text("The guilt at the nursery door")
    article = reader.locator("article.post")
    expect(article).to_contain_text("Give the teddy a squeeze from me.")
    expect(article).to_contain_text("Dear friend,")
    body = article.inner_text()
    assert not re.search(r"\b(Anna|Berg|Leo)\b", body), body
    assert "anna.berg@example.com" not in reader.content()


def test_a_reader_on_a_phone_reads_a_post_follows_the_series_and_comments(prepare, new_page):
    paragraph = "Notice one moment today when you stayed calm, and write it down. " * 8
    with prepare():
        coach = make_coach(bio=BIO)
        series = Series(
            practice_id=coach.practice_id, title="3 day reset", slug="3-day-reset", planned_parts=3
        )
        db.session.add(series)
        db.session.commit()
        now = datetime.now(UTC)
        for number, title in enumerate(["Notice", "Breathe", "Begin again"], start=1):
            make_post(
                coach,
                f"Day {number}: {title}",
                # About 300 words (with the introduction): two minutes at 200 words a minute.
                body="\n\n".join([paragraph] * 3) + f"\n\nThat is day {number}.",
                series_id=series.id,
                series_position=number,
                publish_at=now - timedelta(days=4 - number),
            )

    reader = new_page(viewport=PHONE)
    reader.goto("/blog/")
    expect(reader.get_by_role("heading", level=1)).to_be_visible()
    reader.get_by_role("link", name="Day 1: Notice").click()

    expect(reader.get_by_role("heading", level=1)).to_have_text("Day 1: Notice")
    expect(reader.get_by_text("Day 1 of 3", exact=True)).to_be_visible()
    expect(reader.get_by_text("2 min read")).to_be_visible()
    bio = reader.get_by_role("complementary", name="About Maya Lindqvist")
    expect(bio).to_contain_text(BIO)
    assert_fits_the_phone(reader)

    # The series lists its three parts; the reader goes on to the next one.
    series_nav = reader.get_by_role("navigation", name="The series: 3 day reset")
    expect(series_nav.get_by_role("listitem")).to_have_count(3)
    reader.get_by_role("link", name=re.compile(r"Next part.*Day 2: Breathe")).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Day 2: Breathe")
    expect(reader.get_by_text("Day 2 of 3", exact=True)).to_be_visible()
    expect(
        reader.get_by_role("link", name=re.compile(r"Previous part.*Day 1: Notice"))
    ).to_be_visible()
    assert_fits_the_phone(reader)

    # The reader leaves a comment: it is held until the author has read it.
    comment = "Day two was the hardest for me, and this helped."
    reader.get_by_label("Your name").fill("Rosa")
    reader.get_by_label("Comment", exact=True).fill(comment)
    reader.get_by_role("button", name="Send comment").click()
    expect(reader.get_by_text("It will appear here once the author has read it.")).to_be_visible()
    comments = reader.locator("#comments")
    expect(comments).not_to_contain_text(comment)
    assert_fits_the_phone(reader)

    # The coach, on a laptop, approves it from the moderation queue.
    coach_page = new_page()
    sign_in(coach_page, COACH_EMAIL)
    coach_page.get_by_role("link", name="Blog", exact=True).click()
    coach_page.get_by_role("navigation", name="Blog").get_by_role("link", name="Comments").click()
    waiting = coach_page.locator(".comment-queue-item").filter(has_text=comment)
    expect(waiting).to_contain_text("Rosa")
    expect(waiting).to_contain_text("Day 2: Breathe")
    waiting.get_by_role("button", name="Approve").click()
    expect(
        coach_page.get_by_text("Rosa's comment is approved: it shows on the post.")
    ).to_be_visible()

    # The reader reloads the post and sees the comment under it.
    reader.reload()
    expect(comments.get_by_role("heading", name="1 comment")).to_be_visible()
    expect(comments).to_contain_text(comment)
    expect(comments).to_contain_text("Rosa")
    assert_fits_the_phone(reader)


def assert_fits_the_phone(page: Page) -> None:
    """The reader never has to scroll sideways to read."""
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide on a {width[1]} px phone"
