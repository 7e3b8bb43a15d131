"""Readers who follow the blog by e-mail: double opt-in, a series a day at a time, every new
post of the whole blog once, one-click leaving, deleting the address, and bad links."""

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.blog.models import Series
from coachapp.demo import seed_demo_practice
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.readers.demo import DEMO_READER_EMAIL, seed_demo_reader
from coachapp.readers.models import ReaderSubscription, SubscriptionStatus
from tests.conftest import Browser, csrf_token_from, make_test_app, page_text
from tests.factories import PASSWORD, make_coach, make_post
from tests.test_standards import VNU_JAR, why_checker_unavailable

# Thursday 10 December 2026, nine in the morning.
JOINED = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
READER = "reader@example.com"
CANONICAL = "http://127.0.0.1:5000"  # the default CANONICAL_URL the links are built on
DAY_TITLES = ("Notice one kind thing", "Say it out loud", "Rest without earning it")


@pytest.fixture
def smtp(app, mail_server):
    app.config.update(mail_server.settings())
    return mail_server


@pytest.fixture
def series_slug(app) -> str:
    """A three-day series published before the reader arrives, and a post outside it."""
    with time_machine.travel(JOINED - timedelta(days=3), tick=False), app.app_context():
        coach = make_coach()
        series = Series(
            practice_id=coach.practice_id, title="30 day challenge", slug="30-day-challenge"
        )
        db.session.add(series)
        db.session.commit()
        for day, title in enumerate(DAY_TITLES, start=1):
            make_post(coach, title, series_id=series.id, series_position=day,
                      excerpt=f"The prompt of day {day}.")  # fmt: skip
        make_post(coach, "An older article")
        return series.slug


def run_worker(runner, at: datetime) -> None:
    """`flask outbox send` as the clock reads ``at``."""
    with time_machine.travel(at, tick=False):
        result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output


def subscribe(client, at: datetime, email: str = READER, series: str = "", scope: str = "series"):
    """The form at the foot of a blog page, as a reader sends it."""
    with time_machine.travel(at, tick=False):
        return client.post(
            "/blog/by-email/",
            data={"reader-email": email, "reader-series": series, "reader-scope": scope},
        )


def reader_csrf_token(page: str) -> str:
    """The CSRF token of the subscribe form (its fields are named reader-…)."""
    match = re.search(r'name="reader-csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "the page has no subscribe form"
    return match.group(1)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def link_in(message, path: str) -> str:
    """The path of the e-mailed link that starts with ``path``."""
    match = re.search(rf"{re.escape(CANONICAL)}({re.escape(path)}[\w/-]+)", plain(message))
    assert match, plain(message)
    return match.group(1)


def confirm_by_mail(client, runner, smtp, at: datetime) -> str:
    """Deliver the confirmation, open its link and press the button; the link's path."""
    run_worker(runner, at)
    link = link_in(smtp.messages[-1], "/blog/by-email/confirm/")
    with time_machine.travel(at, tick=False):
        assert "Yes, send me" in page_text(client.get(link))
        assert "You are subscribed" in page_text(client.post(link))
    return link


def subscription_row(app, email: str = READER) -> ReaderSubscription | None:
    with app.app_context():
        return db.session.scalars(
            select(ReaderSubscription).where(ReaderSubscription.email == email)
        ).first()


def test_a_series_follower_confirms_by_mail_gets_a_day_a_day_and_leaves_with_one_click(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    answer = subscribe(client, JOINED, "Reader@Example.com ", series=series_slug)
    assert answer.status_code == 303
    assert "Check your inbox" in page_text(client.get(answer.headers["Location"]))

    link = confirm_by_mail(client, runner, smtp, JOINED + timedelta(minutes=1))
    [confirmation] = smtp.messages  # nothing but the confirmation before confirming
    assert confirmation["To"] == READER
    assert "30 day challenge" in confirmation["Subject"]

    run_worker(runner, JOINED + timedelta(minutes=2))
    day_one = smtp.messages[-1]
    assert len(smtp.messages) == 2
    assert day_one["Subject"] == "Day 1: Notice one kind thing"
    assert "The prompt of day 1." in plain(day_one)
    assert "/blog/notice-one-kind-thing" in plain(day_one)
    assert "The prompt of day 1." in day_one.get_body(("html",)).get_content()
    leave = link_in(day_one, "/blog/by-email/unsubscribe/")
    assert day_one["List-Unsubscribe"] == f"<{CANONICAL}{leave}>"
    assert day_one["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    run_worker(runner, JOINED + timedelta(hours=12))
    assert len(smtp.messages) == 2  # day 2 waits for the next day

    run_worker(runner, JOINED + timedelta(days=1))
    assert len(smtp.messages) == 3
    assert smtp.messages[-1]["Subject"] == "Day 2: Say it out loud"
    run_worker(runner, JOINED + timedelta(days=1, hours=1))
    assert len(smtp.messages) == 3

    # What a mail program sends when the reader presses its own "Unsubscribe" button.
    answer = client.post(leave, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert "You are unsubscribed" in page_text(answer)
    assert subscription_row(app).status is SubscriptionStatus.UNSUBSCRIBED

    run_worker(runner, JOINED + timedelta(days=2))
    run_worker(runner, JOINED + timedelta(days=3))
    assert len(smtp.messages) == 3
    assert page_text(client.post(link)).count("already been used") == 1


def test_a_series_that_runs_out_sends_nothing_more(app, smtp, runner, series_slug):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug)
    confirm_by_mail(client, runner, smtp, JOINED)
    for day in range(6):
        run_worker(runner, JOINED + timedelta(days=day, minutes=5))
    subjects = [message["Subject"] for message in smtp.messages[1:]]
    assert subjects == [f"Day {day}: {title}" for day, title in enumerate(DAY_TITLES, start=1)]


def test_the_one_click_post_needs_no_csrf_token_but_the_subscribe_form_does(
    database_url, tmp_path, mail_server
):
    app = make_test_app(tmp_path / "instance", database_url, WTF_CSRF_ENABLED=True,
                        **mail_server.settings())  # fmt: skip
    runner = app.test_cli_runner()
    with app.app_context():
        coach_id = make_coach().id
    client = app.test_client()
    with time_machine.travel(JOINED, tick=False):
        blog = page_text(client.get("/blog/"))
        assert "Follow by e-mail" in blog
        assert client.post("/blog/by-email/", data={"reader-email": READER}).status_code == 400
        answer = client.post(
            "/blog/by-email/",
            data={"reader-email": READER, "reader-csrf_token": reader_csrf_token(blog)},
        )
    assert answer.status_code == 303, page_text(answer)
    run_worker(runner, JOINED)
    link = link_in(mail_server.messages[-1], "/blog/by-email/confirm/")
    with time_machine.travel(JOINED, tick=False):
        page = page_text(client.get(link))
        client.post(link, data={"csrf_token": csrf_token_from(page)})
    with time_machine.travel(JOINED + timedelta(hours=1), tick=False), app.app_context():
        coach = db.session.get(User, coach_id)
        make_post(coach, "A new letter", publish_at=JOINED + timedelta(hours=1))
    run_worker(runner, JOINED + timedelta(hours=2))
    leave = link_in(mail_server.messages[-1], "/blog/by-email/unsubscribe/")

    answer = app.test_client().post(leave, data={"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 200
    assert subscription_row(app).status is SubscriptionStatus.UNSUBSCRIBED


def test_a_whole_blog_follower_gets_each_new_post_once_and_none_from_before(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug, scope="blog")
    confirm_by_mail(client, runner, smtp, JOINED)
    with time_machine.travel(JOINED + timedelta(hours=1), tick=False), app.app_context():
        coach = make_coach("second@example.com", "Ana Costa")
        make_post(coach, "Letting go of the list", publish_at=JOINED + timedelta(hours=1),
                  excerpt="", body="Lists are not love.\n\nThe second paragraph.")  # fmt: skip
        make_post(coach, "Next week's post", publish_at=JOINED + timedelta(days=7))

    run_worker(runner, JOINED + timedelta(hours=2))
    run_worker(runner, JOINED + timedelta(hours=3))

    [_, post] = smtp.messages
    assert post["Subject"] == "Letting go of the list"
    assert "Lists are not love." in plain(post)
    assert "The second paragraph." not in plain(post)
    assert post["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    run_worker(runner, JOINED + timedelta(days=7, minutes=1))
    assert [message["Subject"] for message in smtp.messages[2:]] == ["Next week's post"]


def test_the_inbox_page_is_the_same_for_new_waiting_and_following_addresses(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    first = subscribe(client, JOINED, series=series_slug)
    again = subscribe(client, JOINED + timedelta(minutes=2), series=series_slug)
    assert first.headers["Location"] == again.headers["Location"]
    run_worker(runner, JOINED + timedelta(minutes=3))
    assert len(smtp.messages) == 1  # asking again within minutes sends no second link

    subscribe(client, JOINED + timedelta(minutes=15), series=series_slug)
    run_worker(runner, JOINED + timedelta(minutes=16))
    assert len(smtp.messages) == 2
    older_link = link_in(smtp.messages[0], "/blog/by-email/confirm/")
    assert client.get(older_link).status_code == 404  # replaced by the newer link
    confirm_by_mail(client, runner, smtp, JOINED + timedelta(minutes=17))

    following = subscribe(client, JOINED + timedelta(hours=1), series=series_slug)
    assert following.headers["Location"] == first.headers["Location"]
    run_worker(runner, JOINED + timedelta(hours=1, minutes=1))
    assert [m["Subject"] for m in smtp.messages[2:]] == ["Day 1: Notice one kind thing"]


def test_reused_expired_and_forged_links_show_a_clear_page_and_change_nothing(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug)
    run_worker(runner, JOINED)
    link = link_in(smtp.messages[-1], "/blog/by-email/confirm/")
    with time_machine.travel(JOINED + timedelta(hours=1), tick=False):
        assert client.get(link).status_code == 200  # as a mail scanner opens it
    assert subscription_row(app).status is SubscriptionStatus.PENDING

    with time_machine.travel(JOINED + timedelta(days=7, minutes=1), tick=False):
        expired = client.post(link)
    assert expired.status_code == 400
    assert "This link has expired" in page_text(expired)
    assert subscription_row(app).status is SubscriptionStatus.PENDING

    forged = client.post("/blog/by-email/confirm/" + "A" * 43)
    assert forged.status_code == 404
    assert "This link does not work" in page_text(forged)

    confirm_by_mail(client, runner, smtp, JOINED + timedelta(days=1))
    with time_machine.travel(JOINED + timedelta(days=1, minutes=5), tick=False):
        reused = client.post(link)
    assert reused.status_code == 400
    assert "already been used" in page_text(reused)

    row = subscription_row(app)
    assert row.status is SubscriptionStatus.CONFIRMED
    for address in (
        f"/blog/by-email/unsubscribe/{row.id}/{'0' * 64}",
        f"/blog/by-email/unsubscribe/{row.id + 1}/{'0' * 64}",
        f"/blog/by-email/unsubscribe/{row.id}/not-even-hex",
    ):
        one_click = client.post(address, data={"List-Unsubscribe": "One-Click"})
        for answer in (client.get(address), one_click):
            assert answer.status_code == 404
            assert "This link matches no subscription" in page_text(answer)
    assert subscription_row(app).status is SubscriptionStatus.CONFIRMED


def test_a_reader_can_delete_their_address_with_the_messages_sent_to_it(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug)
    confirm_by_mail(client, runner, smtp, JOINED)
    run_worker(runner, JOINED + timedelta(minutes=1))
    leave = link_in(smtp.messages[-1], "/blog/by-email/unsubscribe/")

    page = page_text(client.get(leave))
    assert "Also delete my e-mail address" in page
    answer = client.post(leave, data={"delete_address": "y"})

    assert "Your address has been deleted" in page_text(answer)
    assert subscription_row(app) is None
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).where(OutboxMessage.recipient == READER)
        ) == 0
    assert client.get(leave).status_code == 404
    run_worker(runner, JOINED + timedelta(days=1))
    assert len(smtp.messages) == 2


def test_unconfirmed_addresses_get_nothing_more_and_are_deleted_after_a_week(
    app, smtp, runner, series_slug
):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug)
    subscribe(client, JOINED, email="whole@example.com")
    run_worker(runner, JOINED + timedelta(days=1))
    with time_machine.travel(JOINED + timedelta(days=2), tick=False), app.app_context():
        make_post(make_coach("second@example.com", "Ana Costa"), "A new letter")
    run_worker(runner, JOINED + timedelta(days=3))
    assert sorted(message["To"] for message in smtp.messages) == [READER, "whole@example.com"]
    assert all("Please confirm" in message["Subject"] for message in smtp.messages)
    assert subscription_row(app) is not None

    run_worker(runner, JOINED + timedelta(days=7, minutes=1))

    assert subscription_row(app) is None and subscription_row(app, "whole@example.com") is None
    assert len(smtp.messages) == 2


def test_a_mistyped_address_is_shown_back_with_the_reason(app, series_slug):
    answer = subscribe(app.test_client(), JOINED, email="reader.example.com", series=series_slug)
    assert answer.status_code == 400
    page = page_text(answer)
    assert "Enter an e-mail address such as name@example.com." in page
    assert 'value="reader.example.com"' in page
    assert "What your address is used for" in page


def test_an_unknown_series_is_a_404(app, series_slug):
    assert subscribe(app.test_client(), JOINED, series="no-such-series").status_code == 404
    assert app.test_client().get("/blog/by-email/?series=no-such-series").status_code == 404


def test_the_form_is_on_the_blog_and_on_each_series_page(app, series_slug):
    client = app.test_client()
    series_page = page_text(client.get(f"/blog/series/{series_slug}"))
    assert "Follow by e-mail" in series_page
    assert "This series, one day at a time" in series_page
    blog = page_text(client.get("/blog/"))
    assert "Follow by e-mail" in blog and "This series, one day at a time" not in blog
    about = page_text(client.get(f"/blog/by-email/?series={series_slug}"))
    assert "What your address is used for" in about and "30 day challenge" in about


def test_a_flood_of_sign_ups_is_refused_with_a_429(database_url, tmp_path):
    app = make_test_app(
        tmp_path / "instance", database_url, RATE_LIMIT_SUBSCRIPTIONS="3 per minute"
    )
    client = app.test_client()
    answers = [
        subscribe(client, datetime.now(UTC), email=f"reader{number}@example.com")
        for number in range(4)
    ]
    assert [answer.status_code for answer in answers] == [303, 303, 303, 429]
    assert "many sign-ups to follow the blog" in page_text(answers[-1])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReaderSubscription)) == 3
        db.engine.dispose()


def test_the_coach_sees_how_many_readers_follow_but_never_who(app, smtp, runner, series_slug):
    client = app.test_client()
    subscribe(client, JOINED, series=series_slug)
    confirm_by_mail(client, runner, smtp, JOINED)
    subscribe(client, JOINED, email="waiting@example.com", series=series_slug)
    coach = app.test_client()
    Browser(coach).login("coach@example.com", PASSWORD)

    page = page_text(coach.get("/posts/groups"))

    assert "1 reader by e-mail" in page
    assert "Following the whole blog by e-mail: 0 readers" in page
    assert READER not in page and "waiting@example.com" not in page
    outbox = page_text(coach.get("/outbox/"))
    assert READER not in outbox


def test_the_demo_has_a_confirmed_reader_following_the_challenge(app, smtp, runner):
    with app.app_context():
        seed_demo_practice()
        db.session.commit()
        assert seed_demo_reader().id == subscription_row(app, DEMO_READER_EMAIL).id  # once
        reader = db.session.scalars(select(ReaderSubscription)).one()
        assert reader.status is SubscriptionStatus.CONFIRMED
        assert reader.series.title.startswith("30 day challenge")

    run_worker(runner, datetime.now(UTC))
    assert DEMO_READER_EMAIL not in [message["To"] for message in smtp.messages]
    run_worker(runner, datetime.now(UTC) + timedelta(days=3, hours=4))  # day 4 is published

    [day_four] = [message for message in smtp.messages if message["To"] == DEMO_READER_EMAIL]
    assert day_four["Subject"] == "Day 4: Rest is not a reward"


def test_the_pages_a_reader_opens_from_mail_are_valid_html(
    app, smtp, runner, series_slug, tmp_path
):
    reason = why_checker_unavailable()
    if reason:
        pytest.skip(reason)
    client = app.test_client()
    pages = {"mistyped": page_text(subscribe(client, JOINED, email="nope", series=series_slug))}
    subscribe(client, JOINED, series=series_slug)
    run_worker(runner, JOINED)
    link = link_in(smtp.messages[-1], "/blog/by-email/confirm/")
    with time_machine.travel(JOINED, tick=False):
        pages["confirm"] = page_text(client.get(link))
        pages["confirmed"] = page_text(client.post(link))
        pages["used"] = page_text(client.post(link))
    run_worker(runner, JOINED + timedelta(minutes=1))
    leave = link_in(smtp.messages[-1], "/blog/by-email/unsubscribe/")
    pages["unsubscribe"] = page_text(client.get(leave))
    pages["unsubscribed"] = page_text(client.post(leave, data={"delete_address": "y"}))
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(html)

    checked = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
         "--exit-zero-always", *(str(tmp_path / f"{name}.html") for name in pages)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert checked.returncode == 0, checked.stderr
    errors = [
        f"{message.get('url', '?').rsplit('/', 1)[-1]}: {message['message']}"
        for message in json.loads(checked.stdout)["messages"]
    ]
    assert errors == []
