"""Reminders of planned sessions: queued by the outbox worker, each exactly once per time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.clients.models import Adult
from coachapp.coaching.models import CoachingSession, SessionFormat
from coachapp.coaching.scheduling import cancel, reschedule
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage, OutboxStatus
from tests.conftest import csrf_token_from, page_text
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
)

# Thursday 10 December 2026, 14:00 UTC: 15:00 in Paris, 09:00 in New York.
STARTS = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def smtp(app, mail_server):
    app.config.update(mail_server.settings())
    return mail_server


@pytest.fixture
def planned(app):
    """A coach in Paris, Sofia (portal sign-in in New York) and a session she will attend."""
    with time_machine.travel(STARTS - timedelta(days=7), tick=False), app.app_context():
        coach = coach_in_paris()
        family = make_client(coach)
        login = make_client_login(family)
        login.timezone = "America/New_York"
        db.session.commit()
        coaching_session = make_coaching_session(
            family, starts_at=STARTS, format=SessionFormat.VIDEO, duration_minutes=50
        )
        return coaching_session.id


def coach_in_paris() -> User:
    coach = make_coach()
    coach.timezone = "Europe/Paris"
    db.session.commit()
    return coach


def run_worker(runner, at: datetime):
    """`flask outbox send` as the clock reads ``at``."""
    with time_machine.travel(at, tick=False):
        result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    return result


def test_one_reminder_arrives_a_day_before_in_the_adults_own_time_zone_and_never_again(
    app, smtp, runner, planned
):
    run_worker(runner, STARTS - timedelta(hours=25))
    assert smtp.received == []

    run_worker(runner, STARTS - timedelta(hours=23, minutes=50))
    [(recipients, message)] = smtp.received
    assert recipients == ["sofia@example.com"]
    assert message["To"] == "sofia@example.com"
    assert message["Reply-To"] == "coach@example.com"
    assert message["Subject"] == (
        "Reminder: your session with Maya Lindqvist, Thursday 10 December 2026 at 09:00 (EST)"
    )
    text = message.get_body(("plain",)).get_content()
    assert "Video, 50 minutes" in text
    assert "/portal/settings" in text

    run_worker(runner, STARTS - timedelta(hours=2))
    run_worker(runner, STARTS - timedelta(minutes=1))
    assert len(smtp.received) == 1


def test_without_a_portal_sign_in_the_time_is_in_the_coachs_zone(app, smtp, runner):
    with time_machine.travel(STARTS - timedelta(days=7), tick=False), app.app_context():
        coach = coach_in_paris()
        make_coaching_session(make_client(coach), starts_at=STARTS)

    run_worker(runner, STARTS - timedelta(hours=3))

    [message] = smtp.messages
    assert "Thursday 10 December 2026 at 15:00 (CET)" in message["Subject"]
    assert "/portal/settings" not in message.get_body(("plain",)).get_content()


def test_a_moved_session_gets_a_new_reminder_for_its_new_time(app, smtp, runner, planned):
    run_worker(runner, STARTS - timedelta(hours=20))
    assert len(smtp.received) == 1

    new_start = STARTS + timedelta(days=1)
    with time_machine.travel(STARTS - timedelta(hours=19), tick=False), app.app_context():
        coaching_session = db.session.get(CoachingSession, planned)
        reschedule(coaching_session, new_start, 50, coaching_session.coach)
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=18))
    assert len(smtp.received) == 1  # the new time is more than a day away
    run_worker(runner, new_start - timedelta(hours=23))
    assert len(smtp.received) == 2
    assert "Friday 11 December 2026 at 09:00" in smtp.messages[-1]["Subject"]
    run_worker(runner, new_start - timedelta(hours=1))
    assert len(smtp.received) == 2


def test_a_cancelled_session_gets_no_reminder(app, smtp, runner, planned):
    with time_machine.travel(STARTS - timedelta(days=2), tick=False), app.app_context():
        coaching_session = db.session.get(CoachingSession, planned)
        cancel(coaching_session, "Ill", coaching_session.coach)
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=12))
    assert smtp.received == []


def test_a_reminder_waiting_for_the_mail_server_is_withdrawn_when_the_session_is_cancelled(
    app, smtp, runner, planned
):
    app.config["OUTBOX_RETRY_SECONDS"] = 0  # due again at once
    smtp.stop()
    run_worker(runner, STARTS - timedelta(hours=20))
    with app.app_context():
        [waiting] = db.session.scalars(select(OutboxMessage)).all()
        assert waiting.kind == "reminder" and waiting.status is OutboxStatus.RETRYING
    with time_machine.travel(STARTS - timedelta(hours=19), tick=False), app.app_context():
        coaching_session = db.session.get(CoachingSession, planned)
        cancel(coaching_session, "Ill", coaching_session.coach)
        db.session.commit()

    smtp.start()
    result = run_worker(runner, STARTS - timedelta(hours=18))

    assert "Nothing to send." in result.output
    assert smtp.received == []
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_reminder_missed_while_nothing_ran_still_goes_before_the_session_but_not_after(
    app, smtp, runner, planned
):
    with time_machine.travel(STARTS - timedelta(days=7), tick=False), app.app_context():
        family = db.session.get(CoachingSession, planned).client
        make_coaching_session(family, starts_at=STARTS + timedelta(hours=3))

    # Nothing ran for a day: the first session has begun, the second is still ahead.
    run_worker(runner, STARTS + timedelta(hours=1))

    [message] = smtp.messages
    assert "Thursday 10 December 2026 at 12:00 (EST)" in message["Subject"]


def test_an_adult_who_turned_reminders_off_gets_none_and_the_others_still_do(
    app, smtp, runner, planned
):
    with time_machine.travel(STARTS - timedelta(days=7), tick=False), app.app_context():
        coaching_session = db.session.get(CoachingSession, planned)
        sofia = coaching_session.attendees[0]
        marc = add_family_adult(coaching_session.client)
        coaching_session.attendees.append(marc)
        sofia.wants_session_reminders = False
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=10))

    assert [recipients for recipients, _ in smtp.received] == [["marc@example.com"]]


def test_a_coach_who_turned_reminders_off_sends_none(app, smtp, runner, planned):
    with app.app_context():
        db.session.get(CoachingSession, planned).coach.session_reminder_hours = 0
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=1))
    assert smtp.received == []


def test_the_coachs_notice_decides_when_the_reminder_goes(app, smtp, runner, planned):
    with app.app_context():
        db.session.get(CoachingSession, planned).coach.session_reminder_hours = 2
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=3))
    assert smtp.received == []
    run_worker(runner, STARTS - timedelta(hours=1, minutes=59))
    assert len(smtp.received) == 1


def test_in_a_family_kept_apart_each_adult_gets_their_own_reminder_naming_nobody_else(
    app, smtp, runner, planned
):
    with time_machine.travel(STARTS - timedelta(days=7), tick=False), app.app_context():
        coaching_session = db.session.get(CoachingSession, planned)
        coaching_session.client.keep_apart = True
        marc = add_family_adult(coaching_session.client)
        coaching_session.attendees.append(marc)
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=5))

    by_recipient = {tuple(recipients): message for recipients, message in smtp.received}
    assert set(by_recipient) == {("sofia@example.com",), ("marc@example.com",)}
    to_marc = by_recipient[("marc@example.com",)]
    assert to_marc["To"] == "marc@example.com" and to_marc["Cc"] is None
    marc_text = to_marc.get_body(("plain",)).get_content()
    assert "Hello Marc" in marc_text
    assert "Sofia" not in marc_text and "sofia@" not in marc_text
    assert "Marc" not in by_recipient[("sofia@example.com",)].get_body(("plain",)).get_content()


def test_an_adult_without_an_address_is_skipped(app, smtp, runner, planned):
    with app.app_context():
        db.session.get(CoachingSession, planned).attendees[0].email = ""
        db.session.commit()

    result = run_worker(runner, STARTS - timedelta(hours=5))
    assert "Nothing to send." in result.output
    assert smtp.received == []


def test_the_session_location_travels_with_the_reminder_when_there_is_one(
    app, smtp, runner, planned
):
    with app.app_context():
        db.session.get(CoachingSession, planned).location = "12 Rue des Lilas, Paris"
        db.session.commit()

    run_worker(runner, STARTS - timedelta(hours=5))

    [message] = smtp.messages
    assert "12 Rue des Lilas, Paris" in message.get_body(("plain",)).get_content()
    assert "12 Rue des Lilas, Paris" in message.get_body(("html",)).get_content()


# The client's choice in the portal


def sign_in_sofia(app, browser):
    with app.app_context():
        make_client_login(make_client(make_coach()))
    browser.login("sofia@example.com", PASSWORD)


def test_a_client_turns_reminders_off_and_on_in_the_portal(app, client, browser):
    sign_in_sofia(app, browser)
    app.config["WTF_CSRF_ENABLED"] = True  # an unticked box sends only the token, as here
    page = page_text(client.get("/portal/settings"))
    assert "24 hours before a session you attend" in page
    assert 'name="wants_session_reminders"' in page and "checked" in page

    token = {"csrf_token": csrf_token_from(page)}
    response = client.post("/portal/settings", data=token, follow_redirects=True)
    assert "you will get no more reminders" in page_text(response)
    assert "checked" not in page_text(client.get("/portal/settings"))
    with app.app_context():
        sofia = db.session.scalars(select(Adult).where(Adult.first_name == "Sofia")).one()
        assert sofia.wants_session_reminders is False

    assert client.post("/portal/settings", data={}).status_code == 400  # no token: unchanged
    client.post("/portal/settings", data={**token, "wants_session_reminders": "y"})
    with app.app_context():
        assert db.session.get(Adult, sofia.id).wants_session_reminders is True


def test_the_portal_settings_are_not_a_coachs_page(app, client, coach_id):
    assert client.get("/portal/settings").status_code == 404


def test_a_coach_sets_how_long_before_reminders_go_or_turns_them_off(app, client, coach_id):
    form = {"name": "Maya Lindqvist", "timezone": "Europe/Paris", "bio": ""}
    client.post("/account/edit", data={**form, "session_reminder_hours": "48"})
    assert "48 hours before, by e-mail" in page_text(client.get("/account"))

    client.post("/account/edit", data={**form, "session_reminder_hours": "0"})
    with app.app_context():
        assert db.session.get(User, coach_id).session_reminder_hours == 0

    response = client.post("/account/edit", data={**form, "session_reminder_hours": "5"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, coach_id).session_reminder_hours == 0
