"""The flask commands a coach or administrator runs: create-coach and demo."""

from datetime import timedelta

from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession, SessionSeries, SessionStatus
from coachapp.demo import (
    DEMO_CLIENT_EMAIL,
    DEMO_CLIENT_PASSWORD,
    DEMO_COACH_EMAIL,
    DEMO_COACH_PASSWORD,
)
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.timeutil import utcnow
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_coach


def test_create_coach_makes_an_owner_who_can_sign_in(app, runner, browser):
    result = runner.invoke(
        args=["create-coach", "--email", "Ruth@Example.com", "--name", "Ruth Adeyemi",
              "--password", PASSWORD, "--practice", "Small Steps Coaching"]
    )
    assert result.exit_code == 0, result.output
    assert "Ruth Adeyemi <ruth@example.com> can now sign in" in result.output
    with app.app_context():
        coach = db.session.execute(select(User)).scalar_one()
        assert coach.is_coach and coach.is_owner
        assert coach.practice.name == "Small Steps Coaching"
    assert browser.login("ruth@example.com", PASSWORD).headers["Location"] == "/dashboard"


def test_create_coach_asks_for_the_password_when_none_is_given(app, runner, browser):
    result = runner.invoke(
        args=["create-coach", "--email", "ruth@example.com", "--name", "Ruth Adeyemi"],
        input=f"short\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "at least 12 characters" in result.output  # the short one was refused
    assert PASSWORD not in result.output  # typed input is hidden
    assert browser.login("ruth@example.com", PASSWORD).status_code == 302


def test_create_coach_refuses_a_short_password(app, runner):
    result = runner.invoke(
        args=["create-coach", "--email", "r@example.com", "--name", "R", "--password", "abc"]
    )
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output


def test_create_coach_refuses_an_address_already_in_use(app, runner):
    with app.app_context():
        make_coach(email="ruth@example.com")
    result = runner.invoke(
        args=["create-coach", "--email", "RUTH@example.com", "--name", "Ruth", "--password",
              PASSWORD]
    )
    assert result.exit_code != 0
    assert "already an account for ruth@example.com" in result.output


def test_create_coach_refuses_an_invalid_address(app, runner):
    result = runner.invoke(
        args=["create-coach", "--email", "ruth-at-example", "--name", "Ruth", "--password",
              PASSWORD]
    )
    assert result.exit_code != 0
    assert "not valid" in result.output


def _demo_counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Client, CoachingSession)
        )


def test_demo_creates_a_practice_and_prints_its_sign_in(app, runner, client, browser):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_COACH_EMAIL in result.output and DEMO_COACH_PASSWORD in result.output
    _users, clients, sessions = _demo_counts(app)
    assert clients == 6 and sessions >= 18
    with app.app_context():
        coach = db.session.execute(select(User).where(User.email == DEMO_COACH_EMAIL)).scalar_one()
        assert coach.bio
        assert all(c.children for c in db.session.scalars(select(Client)))
    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Sofia Marin" in dashboard and "Daniel Okafor" in dashboard


def test_demo_can_run_again_without_duplicating_anything(app, runner, browser):
    runner.invoke(args=["demo"])
    before = _demo_counts(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert _demo_counts(app) == before
    assert browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD).status_code == 302


def _queued_reminders(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.kind == "reminder")
        ))


def test_demo_plans_the_coming_weeks_takes_bookings_and_has_a_reminder_waiting(
    app, runner, client, browser
):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        now = utcnow()
        planned = list(db.session.scalars(
            select(CoachingSession).where(
                CoachingSession.status == SessionStatus.PLANNED,
                CoachingSession.starts_at > now,
                CoachingSession.starts_at < now + timedelta(days=14),
            )
        ))
        assert len(planned) >= 5
        assert any(s.location_is_link for s in planned)
        assert any(s.location and not s.location_is_link for s in planned)
        series = db.session.scalars(select(SessionSeries)).one()
        in_series = [s for s in planned if s.series_id == series.id]
        assert len(in_series) == 2  # weekly: two of its four within the fortnight
    assert _queued_reminders(app) == ["helen.brooks@example.com"]

    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _queued_reminders(app) == ["helen.brooks@example.com"]  # not queued twice
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionSeries)) == 1

    browser.login(DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD)
    settings = client.get("/booking/settings").get_data(as_text=True)
    assert "09:00-12:30, 13:30-17:00" in settings
    browser.logout()
    browser.login(DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD)
    book = client.get("/portal/book", follow_redirects=True)
    assert book.status_code == 200
    page = book.get_data(as_text=True)
    assert 'name="start"' in page  # free times to choose from
    assert "Your booked sessions" in page and ">Move</a>" in page  # the one she booked


def test_demo_on_an_empty_database_says_to_run_init_db(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "run 'flask --app coachapp init-db' first" in result.output
    with app.app_context():
        db.engine.dispose()
