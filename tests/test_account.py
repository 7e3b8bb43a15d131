"""A person's own details: name, time zone, and the bio a coach's readers see."""

from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.extensions import db
from tests.factories import PASSWORD, make_coach


def _sign_in(app, browser):
    with app.app_context():
        make_coach()
    browser.login("coach@example.com", PASSWORD)


def test_coach_sees_their_own_details(app, client, browser):
    _sign_in(app, browser)
    page = client.get("/account").get_data(as_text=True)
    assert "coach@example.com" in page and "Europe/London" in page


def test_coach_changes_name_time_zone_and_bio(app, client, browser):
    _sign_in(app, browser)
    response = client.post(
        "/account/edit",
        data={"name": "Maya L.", "timezone": "America/New_York", "bio": "Mother of two."},
    )
    assert response.headers["Location"] == "/account"
    with app.app_context():
        coach = db.session.execute(select(User)).scalar_one()
        assert (coach.name, coach.timezone, coach.bio) == ("Maya L.", "America/New_York",
                                                           "Mother of two.")


def test_unknown_time_zone_is_refused_and_the_form_keeps_what_was_typed(app, client, browser):
    _sign_in(app, browser)
    response = client.post(
        "/account/edit", data={"name": "Maya L.", "timezone": "Mars/Olympus", "bio": "Long bio"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a time zone from the list" in page
    assert 'value="Mars/Olympus"' in page and "Long bio" in page
    with app.app_context():
        assert db.session.execute(select(User)).scalar_one().timezone == "Europe/London"
