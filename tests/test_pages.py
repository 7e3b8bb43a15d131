"""The shell every page shares: health check, error pages, dashboard, portal, front page."""

import pytest
from sqlalchemy import func, select

from coachapp.auth.models import Practice
from coachapp.extensions import db
from tests.conftest import make_test_app
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
)


def test_healthz_reports_a_working_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "schema": "current"}


def test_healthz_reports_a_database_that_needs_init_db(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["schema"] == "needs init-db"
    with app.app_context():
        db.engine.dispose()


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = make_test_app(tmp_path, f"sqlite:///{tmp_path}/missing-folder/x.sqlite3")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_a_crash_shows_a_calm_500_page_and_keeps_nothing_half_saved(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, TESTING=False)

    @app.get("/crash-for-test")
    def crash():
        db.session.add(Practice(name="Half-saved practice"))
        db.session.flush()
        raise RuntimeError("boom")

    app.view_functions["crash"].is_public = True
    response = app.test_client().get("/crash-for-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "boom" not in page and "Traceback" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Practice)) == 0
        db.engine.dispose()


@pytest.fixture
def signed_in_coach(coach_id):
    return coach_id


def test_a_new_coach_sees_what_to_do_first(client, signed_in_coach):
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your practice is ready" in page
    assert "adding your first client" in page
    assert "No sessions in the next two weeks" in page


def test_dashboard_shows_upcoming_sessions_follow_ups_and_open_steps(app, client, signed_in_coach):
    from datetime import date, timedelta

    from coachapp.auth.models import User

    with app.app_context():
        coach = db.session.get(User, signed_in_coach)
        sofia = make_client(coach)
        make_coaching_session(sofia, days_ago=-2, summary="")
        make_coaching_session(
            sofia, days_ago=10, action_items=["Visit the nursery together"],
            follow_up_on=date.today() - timedelta(days=1),
        )
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your practice is ready" not in page
    assert page.count("Sofia Marin") >= 3
    assert "Visit the nursery together" in page
    assert "overdue since" in page


def test_dashboard_shows_only_the_coachs_own_clients(app, client, signed_in_coach):
    with app.app_context():
        other = make_coach(email="other@example.com", name="Other Coach")
        make_coaching_session(make_client(other, first_name="Zelda"), days_ago=-1)
    assert "Zelda" not in client.get("/dashboard").get_data(as_text=True)


def test_user_text_is_shown_as_text_never_run(app, client, signed_in_coach):
    from coachapp.auth.models import User

    with app.app_context():
        coach = db.session.get(User, signed_in_coach)
        make_client(coach, first_name="<script>alert(1)</script>")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_portal_shows_the_clients_summary_but_never_private_notes(app, client, browser):
    with app.app_context():
        sofia = make_client(make_coach())
        make_coaching_session(
            sofia, private_notes="PRIVATE: fear of judgement", summary="We planned a nursery visit",
            action_items=["Visit the nursery"],
        )
        make_client_login(sofia)
    browser.login("sofia@example.com", PASSWORD)
    page = client.get("/portal/").get_data(as_text=True)
    assert "We planned a nursery visit" in page
    assert "Visit the nursery" in page
    assert "PRIVATE" not in page


def test_front_page_introduces_the_practice_and_its_coaches(app, client):
    with app.app_context():
        make_coach(practice_name="Harbour Parent Coaching", bio="I was a midwife for 12 years.")
    page = client.get("/").get_data(as_text=True)
    assert "Harbour Parent Coaching" in page
    assert "I was a midwife for 12 years." in page
    assert "Sign in" in page


def test_front_page_of_a_new_installation_explains_how_to_start(client):
    assert "create-coach" in client.get("/").get_data(as_text=True)
