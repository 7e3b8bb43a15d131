"""The coach's calendar: a week and a month of sessions, in the coach's time zone."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession, SessionStatus
from coachapp.extensions import db
from tests.conftest import page_text, statements_for
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

# Wednesday 9 December 2026, 10:00 in Tokyo (UTC+9).
NOW = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def tokyo_coach(app, clock, coach_id):
    """The signed-in coach works in Tokyo; Sofia is their client."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        coach.timezone = "Asia/Tokyo"
        family = make_client(coach)
        return coach_id, family.id


def plan(app, client_id: int, starts_at: datetime, **kwargs) -> int:
    with app.app_context():
        family = db.session.get(Client, client_id)
        coaching_session = CoachingSession(
            coach_id=family.coach_id,
            client_id=family.id,
            starts_at=starts_at,
            attendees=[family.first_adult],
            **kwargs,
        )
        db.session.add(coaching_session)
        db.session.commit()
        return coaching_session.id


def day_section(page: str, iso_day: str) -> str:
    """The week page's panel for one day."""
    match = re.search(rf'<section[^>]*aria-labelledby="day-{iso_day}".*?</section>', page, re.S)
    assert match, iso_day
    return match.group(0)


def test_the_week_shows_each_session_on_its_day_in_the_coachs_time_zone(app, client, tokyo_coach):
    _, client_id = tokyo_coach
    # 16:00 UTC on Wednesday is 01:00 on Thursday in Tokyo.
    late = plan(app, client_id, datetime(2026, 12, 9, 16, 0, tzinfo=UTC), duration_minutes=45)
    cancelled = plan(
        app, client_id, datetime(2026, 12, 7, 1, 0, tzinfo=UTC), status=SessionStatus.CANCELLED
    )

    page = page_text(client.get("/calendar/"))

    assert "<h1>Week of 7 Dec 2026</h1>" in page
    thursday = day_section(page, "2026-12-10")
    assert f'href="/sessions/{late}"' in thursday
    assert "01:00</time>\u201301:45 Sofia Marin" in thursday
    assert "Planned" in thursday
    monday = day_section(page, "2026-12-07")
    assert f'href="/sessions/{cancelled}"' in monday
    assert "<s><time" in monday and "Cancelled" in monday
    assert "No sessions." in day_section(page, "2026-12-09")


def test_today_is_marked_for_screen_readers_in_both_views(app, client, tokyo_coach):
    week = page_text(client.get("/calendar/"))
    assert week.count('aria-current="date"') == 1
    assert re.search(r'id="day-2026-12-09" aria-current="date"', week)

    month = page_text(client.get("/calendar/month"))
    assert month.count('aria-current="date"') == 1
    assert re.search(r'<td class=" is-today" aria-current="date">\s*<span class="calendar-date">'
                     r'<time datetime="2026-12-09">', month)
    assert "<caption>Sessions in December 2026</caption>" in month
    assert month.count('<th scope="col">') == 7
    assert '<abbr title="Monday">Mon</abbr>' in month


def test_another_week_and_month_have_no_today_and_link_back_and_forth(app, client, tokyo_coach):
    page = page_text(client.get("/calendar/?week=2027-01-01"))
    assert "<h1>Week of 28 Dec 2026</h1>" in page
    assert 'aria-current="date"' not in page
    assert 'href="/calendar/?week=2026-12-21" rel="prev"' in page
    assert 'href="/calendar/?week=2027-01-04" rel="next"' in page
    assert '<a href="/calendar/">This week</a>' in page

    page = page_text(client.get("/calendar/month?month=2027-01"))
    assert "<h1>January 2027</h1>" in page
    assert 'href="/calendar/month?month=2026-12" rel="prev"' in page
    assert 'href="/calendar/month?month=2027-02" rel="next"' in page
    assert 'aria-current="date"' not in page


def test_the_month_lists_sessions_on_their_days(app, client, tokyo_coach):
    _, client_id = tokyo_coach
    held = plan(app, client_id, datetime(2026, 12, 2, 0, 30, tzinfo=UTC))
    next_month = plan(app, client_id, datetime(2027, 1, 20, 0, 30, tzinfo=UTC))

    page = page_text(client.get("/calendar/month?month=2026-12"))

    cell = re.search(r'<time datetime="2026-12-02">.*?</td>', page, re.S).group(0)
    assert f'href="/sessions/{held}"' in cell and "09:30" in cell and "Held" in cell
    assert f"/sessions/{next_month}" not in page


def test_another_coachs_sessions_never_appear(app, client, tokyo_coach):
    with app.app_context():
        other = make_client(make_coach("other@example.com", "Other Coach"), "Nadia")
        other_id = other.id
    theirs = plan(app, other_id, NOW + timedelta(hours=2))

    for path in ("/calendar/", "/calendar/month"):
        page = page_text(client.get(path))
        assert f"/sessions/{theirs}" not in page and "Nadia" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/?week=abc",
        "/calendar/?week=2026-02-30",
        "/calendar/?week=0001-01-01",
        "/calendar/?week=9999-12-31",
        "/calendar/month?month=2026-13",
        "/calendar/month?month=2026-00",
        "/calendar/month?month=abc",
        "/calendar/month?month=2026-1",
        "/calendar/month?month=10000-01",
    ],
)
def test_a_period_that_does_not_exist_is_not_found(app, client, tokyo_coach, path):
    assert client.get(path).status_code == 404


def test_the_calendar_is_the_coachs_alone(app, client, browser, clock):
    with app.app_context():
        make_client_login(make_client(make_coach()))
    browser.login("sofia@example.com", PASSWORD)
    assert client.get("/calendar/").status_code == 404
    assert client.get("/calendar/month").status_code == 404


def test_the_calendar_is_in_the_main_navigation(app, client, tokyo_coach):
    page = page_text(client.get("/dashboard"))
    assert '<a href="/calendar/" >Calendar</a>' in page
    assert 'href="/calendar/" aria-current="page"' in page_text(client.get("/calendar/month"))


def test_the_same_queries_for_three_sessions_or_three_hundred(app, client, tokyo_coach):
    _, client_id = tokyo_coach
    start = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)  # Monday 7 December, 00:00 in Tokyo

    def add_sessions(count: int) -> None:
        with app.app_context():
            family = db.session.get(Client, client_id)
            step = timedelta(days=7) / count
            db.session.add_all(
                CoachingSession(
                    coach_id=family.coach_id,
                    client_id=family.id,
                    starts_at=start + i * step,
                    attendees=[family.first_adult],
                )
                for i in range(count)
            )
            db.session.commit()

    add_sessions(3)
    week_with_few = len(statements_for(app, client, "/calendar/?week=2026-12-07"))
    month_with_few = len(statements_for(app, client, "/calendar/month?month=2026-12"))
    add_sessions(297)
    week_page = client.get("/calendar/?week=2026-12-07")
    assert page_text(week_page).count('class="calendar-session') == 300
    assert len(statements_for(app, client, "/calendar/?week=2026-12-07")) == week_with_few
    assert len(statements_for(app, client, "/calendar/month?month=2026-12")) == month_with_few
