"""Hearing of new prompts: an e-mail each day one arrives (one a day however many
programmes), a Monday digest, or nothing; as each adult chooses in their portal."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.clients.models import Adult
from coachapp.extensions import db
from coachapp.programmes.models import (
    Enrolment,
    EnrolmentStatus,
    Programme,
    Prompt,
    PromptNotice,
    Rhythm,
)
from coachapp.programmes.services import enrol, pause_enrolment
from tests.conftest import page_text, ticked
from tests.factories import PASSWORD, add_family_adult, make_client, make_client_login, make_coach

# Monday 7 December 2026: Sofia (London) starts two programmes today.
MONDAY = date(2026, 12, 7)


@pytest.fixture
def smtp(app, mail_server):
    app.config.update(mail_server.settings())
    return mail_server


def make_programme(coach: User, title: str, days: int = 10) -> Programme:
    programme = Programme(coach_id=coach.id, title=title)
    programme.prompts = [
        Prompt(day=day, title=f"{title} day {day}",
               body=f"A few words for day {day}.\n\nSECRET-{title}-{day} What do you notice?")
        for day in range(1, days + 1)
    ]
    db.session.add(programme)
    db.session.commit()
    return programme


@pytest.fixture
def sofia(app):
    """Sofia, signed in to the portal in London, in two daily programmes from Monday."""
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False), app.app_context():
        coach = make_coach()
        family = make_client(coach)
        make_client_login(family)
        adult = family.first_adult
        for title in ("Calm mornings", "Kind words"):
            enrol(make_programme(coach, title), adult, MONDAY, Rhythm.DAILY, [])
        db.session.commit()
        return adult.id


def run_worker(runner, at: datetime):
    """`flask outbox send` as the clock reads ``at``."""
    with time_machine.travel(at, tick=False):
        result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    return result


def local(day: date, hour: int, minute: int = 0, zone_offset: int = 0) -> datetime:
    """A moment given by its local time, in a zone ``zone_offset`` hours from UTC."""
    naive = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return naive - timedelta(hours=zone_offset)


def choose(app, adult_id: int, notice: PromptNotice) -> None:
    with app.app_context():
        enrolments = db.session.scalars(select(Enrolment).where(Enrolment.adult_id == adult_id))
        for enrolment in enrolments:
            enrolment.notice = notice
        db.session.commit()


def test_one_email_a_day_lists_each_new_prompt_of_every_programme(app, smtp, runner, sofia):
    run_worker(runner, local(MONDAY, 6, 59))
    assert smtp.received == []  # nobody is woken at midnight, nor before seven

    run_worker(runner, local(MONDAY, 7, 5))
    run_worker(runner, local(MONDAY, 18, 0))
    [(recipients, message)] = smtp.received
    assert recipients == ["sofia@example.com"]
    assert message["Subject"] == "Today's 2 prompts"
    assert message["Reply-To"] == "coach@example.com"
    text = message.get_body(("plain",)).get_content()
    assert "Calm mornings, day 1: Calm mornings day 1" in text
    assert "Kind words, day 1: Kind words day 1" in text
    assert "/portal/journal" in text or "/journal" in text
    assert "/portal/settings" in text
    assert "day 2" not in text

    run_worker(runner, local(MONDAY + timedelta(days=1), 9, 0))
    assert len(smtp.received) == 2
    assert "Calm mornings, day 2" in smtp.messages[-1].get_body(("plain",)).get_content()


def test_the_email_follows_the_adults_own_time_zone(app, smtp, runner, sofia):
    with app.app_context():
        db.session.get(Adult, sofia).user.timezone = "America/Los_Angeles"
        db.session.commit()
    # 07:00 in London on Monday is still Sunday night in Los Angeles: nothing yet.
    run_worker(runner, local(MONDAY, 7, 0))
    run_worker(runner, local(MONDAY, 6, 59, zone_offset=-8))
    assert smtp.received == []
    run_worker(runner, local(MONDAY, 7, 0, zone_offset=-8))
    assert len(smtp.received) == 1
    assert "day 1" in smtp.messages[0].get_body(("plain",)).get_content()


def test_a_weekly_digest_comes_on_monday_with_the_weeks_prompts(app, smtp, runner, sofia):
    choose(app, sofia, PromptNotice.WEEKLY_DIGEST)
    for day in range(7):
        run_worker(runner, local(MONDAY + timedelta(days=day), 8, 0))
    [first] = smtp.messages  # the first Monday: each programme's day 1
    assert first["Subject"] == "This week's prompts"
    assert "Calm mornings, day 1" in first.get_body(("plain",)).get_content()

    next_monday = MONDAY + timedelta(days=7)
    run_worker(runner, local(next_monday, 6, 0))
    assert len(smtp.received) == 1
    run_worker(runner, local(next_monday, 8, 0))
    run_worker(runner, local(next_monday, 20, 0))
    assert len(smtp.received) == 2
    text = smtp.messages[-1].get_body(("plain",)).get_content()
    for day in range(2, 9):  # Tuesday's day 2 to this Monday's day 8, each programme
        assert f"Calm mornings, day {day}:" in text
        assert f"Kind words, day {day}:" in text
    assert "day 1:" not in text and "day 9:" not in text


def test_portal_only_sends_nothing(app, smtp, runner, sofia):
    choose(app, sofia, PromptNotice.PORTAL_ONLY)
    for day in range(8):
        run_worker(runner, local(MONDAY + timedelta(days=day), 9, 0))
    assert smtp.received == []


def test_nothing_before_the_start_nor_while_paused_finished_or_signed_out(
    app, smtp, runner, sofia
):
    run_worker(runner, local(MONDAY - timedelta(days=1), 9, 0))
    assert smtp.received == []  # the day before the first

    with time_machine.travel(local(MONDAY, 5, 0), tick=False), app.app_context():
        first, second = db.session.scalars(select(Enrolment).order_by(Enrolment.id))
        pause_enrolment(first)
        second.status = EnrolmentStatus.FINISHED
        db.session.commit()
    run_worker(runner, local(MONDAY, 9, 0))
    assert smtp.received == []

    with app.app_context():
        first = db.session.scalars(select(Enrolment).order_by(Enrolment.id)).first()
        first.status = EnrolmentStatus.ACTIVE
        first.adult.user.active = False  # the portal account was closed
        db.session.commit()
    run_worker(runner, local(MONDAY + timedelta(days=1), 9, 0))
    assert smtp.received == []


def test_an_adult_without_a_portal_sign_in_gets_no_email(app, smtp, runner):
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False), app.app_context():
        coach = make_coach()
        marc = add_family_adult(make_client(coach))
        enrol(make_programme(coach, "Calm mornings"), marc, MONDAY, Rhythm.DAILY, [])
        db.session.commit()
    run_worker(runner, local(MONDAY, 9, 0))
    assert smtp.received == []


def test_the_email_tells_the_title_and_opening_never_the_whole_prompt(app, smtp, runner, sofia):
    with app.app_context():
        prompt = db.session.scalars(select(Prompt).where(Prompt.day == 1)).first()
        prompt.body = "Opening line. " + "More words follow here. " * 40 + "The closing question?"
        db.session.commit()
    run_worker(runner, local(MONDAY, 9, 0))
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "Opening line." in text
    assert "The closing question?" not in text


def test_the_adult_chooses_how_to_hear_in_the_portal_settings(app, client, browser, sofia):
    browser.login("sofia@example.com", PASSWORD)
    page = page_text(client.get("/portal/settings"))
    assert "Calm mornings" in page and "Kind words" in page
    with app.app_context():
        first, second = db.session.scalars(
            select(Enrolment.id).where(Enrolment.adult_id == sofia).order_by(Enrolment.id)
        )
    assert ticked(page, f"notice-{first}") == ["daily_email"]

    response = client.post("/portal/settings/programmes", data={
        f"notice-{first}": "weekly_digest", f"notice-{second}": "portal_only",
    }, follow_redirects=True)
    page = page_text(response)
    assert "Saved: you will hear of new prompts as you chose." in page
    assert ticked(page, f"notice-{first}") == ["weekly_digest"]
    assert ticked(page, f"notice-{second}") == ["portal_only"]


def test_an_adult_cannot_change_another_adults_choice_or_send_nonsense(
    app, client, browser, sofia
):
    with app.app_context():
        coach = db.session.scalar(select(User).where(User.email == "coach@example.com"))
        other = make_client(coach, "Hana", email="hana@example.com")
        make_client_login(other)
        theirs = enrol(make_programme(coach, "Theirs"), other.first_adult, MONDAY,
                       Rhythm.DAILY, [])
        db.session.commit()
        theirs_id = theirs.id
        mine = db.session.scalars(select(Enrolment.id).where(Enrolment.adult_id == sofia)).first()
    browser.login("sofia@example.com", PASSWORD)
    response = client.post("/portal/settings/programmes", data={
        f"notice-{theirs_id}": "portal_only", f"notice-{mine}": "hourly", "notice-x": "1",
    })
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Enrolment, theirs_id).notice is PromptNotice.DAILY_EMAIL
        assert db.session.get(Enrolment, mine).notice is PromptNotice.DAILY_EMAIL
