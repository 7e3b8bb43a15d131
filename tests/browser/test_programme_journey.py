"""Programmes, journals and readers, in a real browser, as the coach, Sofia and a reader do it.

One journey: the coach makes a programme of a blog series and enrols Sofia; Sofia answers
day 1 in her journal and shares it; the coach replies; Sofia agrees to it being shared on
the blog without her name; the checker stops a post that still names her son, and the coach
publishes it once fixed, among the series' readers' answers. A reader follows the series by
e-mail on a real SMTP server: confirms, receives day 1 and, a day later, day 2, then leaves
with one click and receives nothing more. Only the coach's account, Sofia's family with her
portal sign-in and the series' published days are put in the database by hand.
"""

import re
import urllib.request
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from coachapp.blog.models import Series
from coachapp.extensions import db
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_coach_and_client_journeys import csp_violations, watch_console
from tests.browser.test_scheduling_journey import run_outbox_worker, wait_for_mail
from tests.factories import PASSWORD, make_client, make_client_login, make_coach, make_post

SOFIA_EMAIL = "sofia@example.com"
READER_EMAIL = "reader@example.com"
SERIES_TITLE = "30 day challenge"
DAY_TITLES = ("Notice one kind thing", "Say it out loud", "Rest without earning it")
ANSWER = "Leo brought me a drawing before school, and I stopped to look at it properly."
PUBLISHED_ANSWER = ANSWER.replace("Leo", "My son")
REPLY = "What a lovely moment to notice. What helped you stop?"
REPLACED_BY = "your little one"  # the anonymiser's word for a child, as a new blog profile has it
REFUSED_PUBLISHING = "Failed to load resource: the server responded with a status of 409 (CONFLICT)"


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, base_url: str, path: str) -> str:
    """The address of the e-mailed link that starts with ``path`` on this server."""
    match = re.search(rf"{re.escape(base_url)}{re.escape(path)}[\w/.-]+", plain(message))
    assert match, plain(message)
    return match.group(0)


def one_click_unsubscribe(message) -> int:
    """POST to the message's List-Unsubscribe address, as a mail program does (RFC 8058)."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    address = re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1)
    request = urllib.request.Request(
        address,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_a_programme_answer_becomes_an_anonymous_post_and_a_reader_follows_the_series(
    prepare, new_page, live_server, mail_server
):
    with prepare():
        coach = make_coach()
        family = make_client(coach, email=SOFIA_EMAIL, children=[("Leo", 2019)])
        make_client_login(family)
        series = Series(practice_id=coach.practice_id, title=SERIES_TITLE, slug="30-day-challenge")
        db.session.add(series)
        db.session.commit()
        for day, title in enumerate(DAY_TITLES, start=1):
            make_post(
                coach,
                f"Day {day}: {title}",
                series_id=series.id,
                series_position=day,
                body=f"Today, {title.lower()}.\n\nWhat did you notice?",
                publish_at=datetime.now(UTC) - timedelta(days=10 - day),
            )

    # 1. The coach makes a programme of the series and enrols Sofia, daily, from today.
    coach_page = new_page()
    coach_errors = watch_console(coach_page)
    sign_in(coach_page)
    coach_page.goto("/posts/groups")
    coach_page.get_by_role("button", name=f"Make a programme from {SERIES_TITLE}").click()
    made = coach_page.get_by_text(f"Programme made from “{SERIES_TITLE}” with 3 days.")
    expect(made).to_be_visible()
    coach_page.get_by_role("link", name="Clients", exact=True).click()
    coach_page.get_by_role("link", name="Sofia Marin").click()
    programmes = coach_page.get_by_role("region", name="Programmes")
    expect(programmes).to_contain_text("Not enrolled in any programme.")
    programmes.get_by_role("link", name="Enrol in a programme").click()
    expect(coach_page.get_by_role("heading", level=1)).to_have_text("Enrol in a programme")
    coach_page.get_by_label("Programme").select_option(label=SERIES_TITLE)
    coach_page.get_by_label("Every day").check()
    coach_page.get_by_role("button", name="Enrol").click()
    expect(coach_page.get_by_text(f"is enrolled in “{SERIES_TITLE}”.")).to_be_visible()

    # 2. Sofia answers day 1 in her journal and shares it with her coach.
    sofia_page = new_page()
    sofia_errors = watch_console(sofia_page)
    sign_in(sofia_page, SOFIA_EMAIL, PASSWORD)
    sofia_page.get_by_role("link", name="Journal").first.click()
    expect(sofia_page.get_by_role("heading", level=1)).to_have_text("My journal")
    sofia_page.get_by_role("link", name="Answer day 1").click()
    expect(sofia_page.get_by_role("heading", level=1)).to_contain_text("Day 1")
    sofia_page.get_by_label("Your entry").fill(ANSWER)
    sofia_page.get_by_role("button", name="Save and close").click()
    expect(sofia_page.get_by_text(ANSWER)).to_be_visible()
    sofia_page.get_by_role("button", name="Share with my coach").click()
    sharing = sofia_page.get_by_role("region", name="Who can read it")
    expect(sharing).to_contain_text("Shared with your coach")

    # 3. The coach sees the new shared entry on the dashboard, reads it and replies.
    coach_page.get_by_role("link", name="Dashboard").click()
    shared = coach_page.get_by_role("region", name="New journal entries shared with you")
    shared.get_by_role("link", name="Sofia Marin: Day 1").click()
    expect(coach_page.get_by_text(ANSWER)).to_be_visible()
    coach_page.get_by_label("Your reply").fill(REPLY)
    coach_page.get_by_role("button", name="Send reply").click()
    expect(coach_page.get_by_role("region", name="Your replies")).to_contain_text(REPLY)

    # 4. Sofia reads the reply under her entry and agrees to its being shared publicly.
    sofia_page.reload()
    expect(sofia_page.get_by_role("region", name="Replies from Maya Lindqvist")).to_contain_text(
        REPLY
    )
    sofia_page.get_by_role(
        "button", name="Agree to share this answer publicly, without my name"
    ).click()
    expect(sofia_page.get_by_role("region", name="Sharing on the blog")).to_contain_text(
        "You agreed on"
    )

    # 5. The coach makes a post of it; the checker catches Leo's name typed back in, and the
    #    post is published once it is gone.
    coach_page.reload()
    publishing = coach_page.get_by_role("region", name="Sharing on the blog")
    expect(publishing).to_contain_text("readers' answers to day 1")
    publishing.get_by_role("button", name="Make a post").click()
    body = coach_page.get_by_label("Text", exact=True)
    expect(body).to_have_value(re.compile(REPLACED_BY, re.IGNORECASE))
    expect(body).not_to_have_value(re.compile("Leo"))
    body.fill(re.sub(REPLACED_BY, "Leo", body.input_value(), flags=re.IGNORECASE))
    coach_page.get_by_role("button", name="Save", exact=True).click()
    checker = coach_page.get_by_role("alert").filter(has_text="Identifying words found")
    expect(checker.locator("mark")).to_have_text(["Leo"])
    coach_page.get_by_role("button", name="Publish", exact=True).click()
    expect(coach_page.get_by_role("complementary", name="Publish")).to_contain_text(
        "The post still contains words that could identify someone: “Leo”."
    )
    expect(checker.locator("mark")).to_have_text(["Leo"])
    body.fill(body.input_value().replace("Leo", "My son"))
    expect(body).to_have_value(PUBLISHED_ANSWER)
    coach_page.get_by_role("button", name="Save", exact=True).click()
    clean = coach_page.get_by_text("No names, e-mail addresses or phone numbers found.")
    expect(clean).to_be_visible()
    coach_page.get_by_role("button", name="Publish", exact=True).click()
    expect(coach_page.get_by_text("Readers can see it now.")).to_be_visible()

    # 6. A reader, not signed in, finds the answer on the series' page and follows the series.
    reader_page = new_page()
    reader_errors = watch_console(reader_page)
    reader_page.goto("/blog/series/30-day-challenge")
    answers = reader_page.get_by_role("region", name="Readers' answers to day 1")
    answers.get_by_role("link", name=re.compile("^Readers' answers to day 1:")).click()
    expect(reader_page.get_by_role("main")).to_contain_text(PUBLISHED_ANSWER)
    expect(reader_page.get_by_role("main")).not_to_contain_text("Leo")
    expect(reader_page.get_by_role("main")).not_to_contain_text("Sofia")
    reader_page.go_back()
    reader_page.get_by_label("Your e-mail address").fill(READER_EMAIL)
    reader_page.get_by_label("This series, one day at a time, from day 1").check()
    reader_page.get_by_role("button", name="Subscribe").click()
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    joined = datetime.now(UTC)
    with prepare() as app:
        app.config.update(mail_server.settings(), CANONICAL_URL=live_server.url)
        run_outbox_worker(app, joined)
    [confirmation] = wait_for_mail(mail_server, "Please confirm:", 1)
    assert confirmation["To"] == READER_EMAIL
    reader_page.goto(link_in(confirmation, live_server.url, "/blog/by-email/confirm/"))
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    reader_page.get_by_role("button", name=re.compile("^Yes, send me")).click()
    expect(reader_page.get_by_role("heading", level=1)).to_contain_text("You are subscribed")

    with prepare() as app:
        app.config.update(mail_server.settings(), CANONICAL_URL=live_server.url)
        run_outbox_worker(app, joined + timedelta(minutes=5))
        [day_one] = wait_for_mail(mail_server, f"Day 1: {DAY_TITLES[0]}", 1)
        run_outbox_worker(app, joined + timedelta(days=1, minutes=5))
        [day_two] = wait_for_mail(mail_server, f"Day 2: {DAY_TITLES[1]}", 1)
    assert day_one["To"] == day_two["To"] == READER_EMAIL
    assert PUBLISHED_ANSWER not in plain(day_one)  # days only, not readers' answers
    coach_page.goto("/posts/groups")
    expect(coach_page.get_by_role("region", name="Series")).to_contain_text("1 reader by e-mail")

    # The reader leaves from their mail program, with one click; the link says they left.
    assert one_click_unsubscribe(day_two) == 200
    reader_page.goto(link_in(day_two, live_server.url, "/blog/by-email/unsubscribe/"))
    expect(reader_page.get_by_role("heading", level=1)).to_have_text("Unsubscribe")
    expect(reader_page.get_by_role("main")).to_contain_text("This address no longer receives")

    with prepare() as app:
        app.config.update(mail_server.settings(), CANONICAL_URL=live_server.url)
        run_outbox_worker(app, joined + timedelta(days=2, minutes=5))
    # Sofia still hears of her own days; the reader who left hears of nothing more.
    to_reader = [m["Subject"] for m in mail_server.messages if m["To"] == READER_EMAIL]
    assert to_reader == [confirmation["Subject"], day_one["Subject"], day_two["Subject"]], [
        (m["To"], m["Subject"]) for m in mail_server.messages
    ]

    screenshot(coach_page, "programme-journey-published")
    errors = coach_errors + sofia_errors + reader_errors
    assert csp_violations(errors) == []
    # The one error expected: publishing refused while Leo's name was in the post.
    assert errors == [REFUSED_PUBLISHING]
