"""Between sessions: a session's status, cancelling it, moving it, and times that clash."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from coachapp.auth.models import User
from coachapp.coaching.models import CoachingSession, Party, Repeat, SessionStatus
from coachapp.coaching.scheduling import (
    SchedulingRefused,
    cancel,
    occurrence_days,
    overlapping,
    reschedule,
)
from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER
from coachapp.timeutil import AmbiguousLocalTime, NonexistentLocalTime, local_moment
from tests.conftest import csrf_token_from, make_test_app
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    session_form,
)

LONDON = ZoneInfo("Europe/London")
BEFORE_SCHEDULING = "e4b8d2f61a57"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def hours_from_now(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


@pytest.fixture
def sofia_id(app, coach_id) -> int:
    with app.app_context():
        return make_client(db.session.get(User, coach_id), "Sofia").id


def add_session(app, client_id: int, starts_at: datetime, minutes: int = 60) -> int:
    with app.app_context():
        from coachapp.clients.models import Client

        family = db.session.get(Client, client_id)
        return make_coaching_session(
            family, starts_at=starts_at, duration_minutes=minutes
        ).id


def load(app, coaching_session_id: int) -> CoachingSession:
    with app.app_context():
        coaching_session = db.session.get(CoachingSession, coaching_session_id)
        # Read what the tests look at before the context closes.
        _ = coaching_session.moves, coaching_session.cancelled_by_adult
        return coaching_session


# Status


def test_a_session_logged_ahead_is_planned_and_one_logged_afterwards_held(
    app, client, sofia_id
):
    ahead = (datetime.now(LONDON) + timedelta(days=10)).date().isoformat()
    client.post("/sessions/new", data=session_form(sofia_id, date=ahead))
    client.post("/sessions/new", data=session_form(sofia_id, date="2026-03-02"))
    with app.app_context():
        statuses = db.session.scalars(
            select(CoachingSession.status).order_by(CoachingSession.starts_at)
        ).all()
    assert statuses == [SessionStatus.HELD, SessionStatus.PLANNED]


def test_a_planned_session_whose_time_has_passed_counts_as_held(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(-3))
    assert load(app, session_id).status is SessionStatus.PLANNED
    page = page_text(client.get(f"/sessions/{session_id}"))
    assert 'class="badge status-held">Held</span>' in page


def test_the_coach_marks_a_past_session_a_no_show_and_then_held_again(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(-3))
    response = client.post(f"/sessions/{session_id}/status", data={"status": "no_show"})
    assert response.status_code == 302
    page = page_text(client.get(f"/sessions/{session_id}"))
    assert "Session marked no-show." in page
    assert "status-no_show" in page
    client.post(f"/sessions/{session_id}/status", data={"status": "held"})
    assert load(app, session_id).status is SessionStatus.HELD


def test_a_session_still_ahead_cannot_be_marked_held_or_a_no_show(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(48))
    page = page_text(client.get(f"/sessions/{session_id}"))
    assert "Mark held" not in page and "no-show" not in page
    response = client.post(
        f"/sessions/{session_id}/status", data={"status": "no_show"}, follow_redirects=True
    )
    assert "has not started yet, so it cannot be a no-show" in page_text(response)
    assert load(app, session_id).status is SessionStatus.PLANNED


def test_the_coach_cancels_for_the_client_with_a_reason_and_a_late_mark(app, client, sofia_id):
    with app.app_context():
        from coachapp.clients.models import Client

        sofia_adult_id = db.session.get(Client, sofia_id).first_adult.id
    session_id = add_session(app, sofia_id, hours_from_now(5))
    form = page_text(client.get(f"/sessions/{session_id}/cancel"))
    assert "Your notice period is 24 hours" in form
    response = client.post(
        f"/sessions/{session_id}/cancel",
        data={"cancelled_by": str(sofia_adult_id), "reason": "Lena has a fever."},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "marked as a late cancellation" in page
    assert "by Sofia Marin: a late cancellation, within your notice period" in page
    assert "Reason: Lena has a fever." in page
    cancelled = load(app, session_id)
    assert cancelled.status is SessionStatus.CANCELLED
    assert cancelled.cancelled_by is Party.CLIENT
    assert cancelled.cancelled_at is not None and cancelled.late_cancellation


def test_cancelling_asks_for_a_reason_and_keeps_the_session_until_given(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(72))
    response = client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "  "}
    )
    assert response.status_code == 400
    assert "Write why the session is cancelled." in page_text(response)
    assert load(app, session_id).status is SessionStatus.PLANNED


def test_cancelling_before_the_notice_period_is_not_late(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(72))
    client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "I am ill."}
    )
    cancelled = load(app, session_id)
    assert cancelled.status is SessionStatus.CANCELLED and not cancelled.late_cancellation
    assert cancelled.cancelled_by is Party.COACH


def test_the_notice_period_is_the_coachs_own_setting(app, client, coach_id, sofia_id):
    response = client.post(
        "/account/edit",
        data={"name": "Maya Lindqvist", "timezone": "Europe/London", "bio": "",
              "cancellation_notice_hours": "48"},
    )
    assert response.status_code == 302
    assert "48 hours" in page_text(client.get("/account"))
    session_id = add_session(app, sofia_id, hours_from_now(30))
    client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "Away."}
    )
    assert load(app, session_id).late_cancellation


def test_a_notice_period_that_is_not_a_number_of_hours_is_refused(app, client, coach_id):
    response = client.post(
        "/account/edit",
        data={"name": "Maya", "timezone": "Europe/London", "cancellation_notice_hours": "-3"},
    )
    assert response.status_code == 400
    assert "from 0 to 336" in page_text(response)
    with app.app_context():
        assert db.session.get(User, coach_id).cancellation_notice_hours == 24
    # Text that is no number at all is shown back as typed, in a text box, with the reason.
    response = client.post(
        "/account/edit",
        data={"name": "Maya", "timezone": "Europe/London", "cancellation_notice_hours": "two"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "“two” is not a whole number." in page
    assert re.search(r'<input[^>]*type="text"[^>]*value="two"', page)


def test_a_cancelled_session_stays_on_the_clients_page_but_never_in_their_portal(
    app, client, browser, sofia_id
):
    session_id = add_session(app, sofia_id, hours_from_now(-50))
    kept_id = add_session(app, sofia_id, hours_from_now(-200))
    client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "Snow."}
    )
    family_page = page_text(client.get(f"/clients/{sofia_id}"))
    assert 'class="badge status-cancelled">Cancelled</span>' in family_page
    with app.app_context():
        from coachapp.clients.models import Client

        make_client_login(db.session.get(Client, sofia_id))
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    portal = page_text(client.get("/portal/"))
    assert f"/portal/sessions/{kept_id}" in portal
    assert f"/portal/sessions/{session_id}" not in portal
    assert client.get(f"/portal/sessions/{session_id}").status_code == 404


def test_another_coachs_session_cannot_be_cancelled_moved_or_marked(app, client, sofia_id):
    with app.app_context():
        other = make_coach("other@example.com", "Other Coach")
        theirs = make_coaching_session(make_client(other, "Ines"), days_ago=2).id
    assert client.post(f"/sessions/{theirs}/status", data={"status": "held"}).status_code == 404
    assert client.get(f"/sessions/{theirs}/cancel").status_code == 404
    assert client.post(
        f"/sessions/{theirs}/cancel", data={"cancelled_by": "coach", "reason": "x"}
    ).status_code == 404
    assert client.get(f"/sessions/{theirs}/move").status_code == 404
    assert load(app, theirs).status is SessionStatus.PLANNED


def test_a_late_cancellation_is_measured_against_the_coachs_notice(app, coach_id, sofia_id):
    starts_at = datetime(2027, 5, 10, 9, 0, tzinfo=UTC)
    session_id = add_session(app, sofia_id, starts_at)
    with app.app_context():
        coaching_session = db.session.get(CoachingSession, session_id)
        cancel(coaching_session, "Moving house.", coaching_session.coach,
               when=starts_at - timedelta(hours=24, minutes=1))
        assert not coaching_session.late_cancellation
        with pytest.raises(SchedulingRefused, match="This session is cancelled"):
            cancel(coaching_session, "Again.", coaching_session.coach)



def test_status_cancel_and_move_forms_are_refused_without_their_csrf_token(
    app, client, sofia_id
):
    app.config["WTF_CSRF_ENABLED"] = True
    session_id = add_session(app, sofia_id, hours_from_now(-3))
    assert client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "Ill"}
    ).status_code == 400
    assert client.post(
        f"/sessions/{session_id}/move",
        data={"moved_by": "coach", "date": "2027-01-01", "start_time": "10:00",
              "end_time": "11:00"},
    ).status_code == 400
    client.post(f"/sessions/{session_id}/status", data={"status": "no_show"})
    assert load(app, session_id).status is SessionStatus.PLANNED

    token = csrf_token_from(page_text(client.get(f"/sessions/{session_id}")))
    client.post(
        f"/sessions/{session_id}/status", data={"status": "no_show", "csrf_token": token}
    )
    assert load(app, session_id).status is SessionStatus.NO_SHOW


# Moving a session


def test_moving_a_session_keeps_its_old_time_and_who_moved_it(app, client, sofia_id):
    session_id = add_session(app, sofia_id, datetime(2027, 1, 12, 10, 0, tzinfo=UTC))
    form = page_text(client.get(f"/sessions/{session_id}/move"))
    assert 'value="2027-01-12"' in form
    response = client.post(
        f"/sessions/{session_id}/move",
        data={"moved_by": "coach", "date": "2027-01-14", "start_time": "15:00",
              "end_time": "16:30"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Session moved." in page
    assert (
        "From Tue 12 Jan 2027, 10:00 (60 minutes) to Thu 14 Jan 2027, 15:00 (90 minutes): you"
        in page
    )
    moved = load(app, session_id)
    assert moved.starts_at == datetime(2027, 1, 14, 15, 0, tzinfo=UTC)
    assert moved.duration_minutes == 90
    assert [(m.old_starts_at, m.moved_by) for m in moved.moves] == [
        (datetime(2027, 1, 12, 10, 0, tzinfo=UTC), Party.COACH)
    ]


def test_a_client_adult_moving_a_session_is_named_in_its_history(app, client, sofia_id):
    session_id = add_session(app, sofia_id, datetime(2027, 2, 2, 9, 0, tzinfo=UTC))
    with app.app_context():
        coaching_session = db.session.get(CoachingSession, session_id)
        marc = add_family_adult(coaching_session.client, "Marc")
        move = reschedule(
            coaching_session, datetime(2027, 2, 3, 9, 0, tzinfo=UTC), 45, moved_by=marc
        )
        db.session.commit()
        assert move.moved_by is Party.CLIENT
        # Someone of another family cannot move it.
        stranger = make_client(coaching_session.coach, "Ines").first_adult
        with pytest.raises(SchedulingRefused):
            reschedule(coaching_session, datetime(2027, 2, 4, 9, 0, tzinfo=UTC), 45, stranger)
    page = page_text(client.get(f"/sessions/{session_id}"))
    assert "to Wed 3 Feb 2027, 09:00 (45 minutes): Marc" in page


def test_changing_the_time_in_the_session_form_is_a_move_but_changing_notes_is_not(
    app, client, sofia_id
):
    client.post("/sessions/new", data=session_form(sofia_id))
    with app.app_context():
        session_id = db.session.scalar(select(CoachingSession.id))
    client.post(f"/sessions/{session_id}/edit", data=session_form(sofia_id, summary="Other."))
    assert load(app, session_id).moves == []
    client.post(f"/sessions/{session_id}/edit", data=session_form(sofia_id, start_time="09:00"))
    moves = load(app, session_id).moves
    assert [(m.old_starts_at, m.new_starts_at) for m in moves] == [
        (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    ]


def test_a_cancelled_session_cannot_be_moved(app, client, sofia_id):
    session_id = add_session(app, sofia_id, hours_from_now(100))
    client.post(f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "Ill"})
    response = client.get(f"/sessions/{session_id}/move", follow_redirects=True)
    assert "This session is cancelled: it cannot be moved." in page_text(response)
    with app.app_context(), pytest.raises(SchedulingRefused):
        coaching_session = db.session.get(CoachingSession, session_id)
        reschedule(coaching_session, hours_from_now(200), 60, coaching_session.coach)


# Overlaps


def test_overlapping_finds_the_coachs_sessions_sharing_time_and_nothing_else(
    app, coach_id, sofia_id
):
    nine = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    first = add_session(app, sofia_id, nine)  # 09:00-10:00
    second = add_session(app, sofia_id, nine + timedelta(hours=2))  # 11:00-12:00
    dropped = add_session(app, sofia_id, nine + timedelta(minutes=30))
    with app.app_context():
        coach = db.session.get(User, coach_id)
        other = make_coach("other@example.com", "Other Coach")
        make_coaching_session(make_client(other, "Ines"), starts_at=nine)
        cancel(db.session.get(CoachingSession, dropped), "Ill.", coach)

        def ids(start, end, **kwargs):
            return [s.id for s in overlapping(coach, start, end, **kwargs)]

        assert ids(nine + timedelta(minutes=45), nine + timedelta(hours=2, minutes=15)) == [
            first, second
        ]
        # Back to back is not an overlap.
        assert ids(nine + timedelta(hours=1), nine + timedelta(hours=2)) == []
        assert ids(nine, nine + timedelta(hours=1), exclude=first) == []
        assert ids(nine, nine + timedelta(hours=3), exclude=[first, second]) == []


def test_an_overlapping_session_is_saved_only_once_the_coach_confirms(app, client, sofia_id):
    client.post("/sessions/new", data=session_form(sofia_id))
    response = client.post(
        "/sessions/new", data=session_form(sofia_id, start_time="10:30", end_time="11:30")
    )
    assert response.status_code == 400
    assert "This overlaps another of your sessions (Mon 2 Mar 2026, 10:00 with Sofia Marin)" in (
        page_text(response)
    )
    assert 'name="confirm_overlap"' in page_text(response)
    response = client.post(
        "/sessions/new",
        data=session_form(sofia_id, start_time="10:30", end_time="11:30", confirm_overlap="y"),
    )
    assert response.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(CoachingSession)).all()) == 2


def test_moving_onto_another_session_warns_first(app, client, sofia_id):
    ten = datetime(2027, 4, 6, 10, 0, tzinfo=UTC)
    add_session(app, sofia_id, ten)
    later = add_session(app, sofia_id, ten + timedelta(hours=3))
    move = {"moved_by": "coach", "date": "2027-04-06", "start_time": "11:30",
            "end_time": "12:30"}  # 10:30 UTC, in summer time
    response = client.post(f"/sessions/{later}/move", data=move)
    assert response.status_code == 400 and "This overlaps another of your sessions" in page_text(
        response
    )
    assert load(app, later).starts_at == ten + timedelta(hours=3)
    client.post(f"/sessions/{later}/move", data={**move, "confirm_overlap": "y"})
    assert load(app, later).starts_at == datetime(2027, 4, 6, 10, 30, tzinfo=UTC)


# Daylight-saving days


def test_local_moment_refuses_a_skipped_time_and_asks_about_a_repeated_one():
    with pytest.raises(NonexistentLocalTime, match="01:30 does not exist on 29 Mar 2026"):
        local_moment(date(2026, 3, 29), time(1, 30), LONDON)
    with pytest.raises(AmbiguousLocalTime) as question:
        local_moment(date(2026, 10, 25), time(1, 30), LONDON)
    assert "the first 01:30 (BST) or the second (GMT)" in str(question.value)
    first = local_moment(date(2026, 10, 25), time(1, 30), LONDON, fold=0)
    second = local_moment(date(2026, 10, 25), time(1, 30), LONDON, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert second.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_moment(date(2026, 10, 25), time(3, 0), LONDON).utcoffset() == timedelta(0)


def test_a_session_at_a_time_the_clocks_skip_is_refused_with_a_reason(app, client, sofia_id):
    response = client.post(
        "/sessions/new",
        data=session_form(sofia_id, date="2026-03-29", start_time="01:30", end_time="02:30"),
    )
    assert response.status_code == 400
    assert "01:30 does not exist on 29 Mar 2026 in Europe/London" in page_text(response)
    with app.app_context():
        assert db.session.scalars(select(CoachingSession)).all() == []


def test_a_session_at_a_time_the_clocks_repeat_asks_which_one(app, client, sofia_id):
    data = session_form(sofia_id, date="2026-10-25", start_time="01:30", end_time="02:30")
    response = client.post("/sessions/new", data=data)
    page = page_text(response)
    assert response.status_code == 400
    assert "The first 01:30 (BST)" in page and "The second 01:30 (GMT)" in page
    with app.app_context():
        assert db.session.scalars(select(CoachingSession)).all() == []
    assert client.post("/sessions/new", data={**data, "fold": "1"}).status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(CoachingSession)).one()
        assert saved.starts_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


# The migration


def test_existing_sessions_become_held_or_planned_with_nothing_lost(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_SCHEDULING)
        statements = [
            "INSERT INTO practices (id, name, created_at, require_two_factor) "
            "VALUES (1, 'Practice', :now, false)",
            "INSERT INTO users (id, practice_id, email, name, password_hash, role, is_owner, "
            "active, bio, timezone, session_token, created_at) VALUES (1, 1, "
            "'coach@example.com', 'Maya', 'x', 'coach', true, true, '', 'Europe/London', "
            "'token', :now)",
            "INSERT INTO clients (id, coach_id, situation, goals, notes, identifying_words, "
            "created_at, updated_at, keep_apart) VALUES (1, 1, '', '', '', '', :now, :now, false)",
            "INSERT INTO coaching_sessions (id, coach_id, client_id, starts_at, "
            "duration_minutes, format, private_notes, summary, created_at, updated_at) "
            "VALUES (1, 1, 1, :past, 60, 'video', 'Notes kept', 'Summary kept', :now, :now), "
            "(2, 1, 1, :ahead, 45, 'phone', '', '', :now, :now)",
        ]
        times = {"now": now, "past": now - timedelta(days=3), "ahead": now + timedelta(days=3)}
        for statement in statements:
            db.session.execute(text(statement), times)
        db.session.commit()

        upgrade(directory=str(MIGRATIONS_FOLDER))

        rows = db.session.execute(text(
            "SELECT id, status, private_notes, summary, duration_minutes, late_cancellation "
            "FROM coaching_sessions ORDER BY id"
        )).all()
        assert [tuple(row) for row in rows] == [
            (1, "held", "Notes kept", "Summary kept", 60, False),
            (2, "planned", "", "", 45, False),
        ]
        notice = db.session.execute(text("SELECT cancellation_notice_hours FROM users"))
        assert notice.scalar() == 24
        db.session.commit()
        db.engine.dispose()


# Recurring sessions


def series_sessions(app) -> list[CoachingSession]:
    with app.app_context():
        return db.session.scalars(
            select(CoachingSession).order_by(CoachingSession.starts_at)
        ).all()


def local_starts(sessions) -> list[str]:
    return [s.starts_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in sessions]


def test_occurrence_days_run_until_a_date_or_a_count_and_stay_bounded():
    first = date(2027, 1, 31)
    assert occurrence_days(first, Repeat.MONTHLY, count=4) == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)
    ]
    assert occurrence_days(first, Repeat.FORTNIGHTLY, until=date(2027, 3, 1)) == [
        date(2027, 1, 31), date(2027, 2, 14), date(2027, 2, 28)
    ]
    assert len(occurrence_days(first, Repeat.WEEKLY, until=date(2028, 1, 29))) == 52
    with pytest.raises(SchedulingRefused, match="at most 52"):
        occurrence_days(first, Repeat.WEEKLY, until=date(2028, 2, 5))
    with pytest.raises(SchedulingRefused, match="until a date, or how many times"):
        occurrence_days(first, Repeat.WEEKLY)


def test_the_coach_plans_a_session_every_two_weeks_at_the_same_local_time(
    app, client, sofia_id
):
    # Across the spring change: 10:00 in London stays 10:00, in GMT and then in BST.
    response = client.post(
        "/sessions/new",
        data=session_form(sofia_id, date="2027-03-15", repeat="fortnightly", repeat_count="3"),
    )
    assert response.status_code == 302
    planned = series_sessions(app)
    assert local_starts(planned) == ["2027-03-15 10:00", "2027-03-29 10:00", "2027-04-12 10:00"]
    assert planned[1].starts_at == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)
    assert len({s.series_id for s in planned}) == 1 and planned[0].series_id is not None
    assert {s.duration_minutes for s in planned} == {60}
    assert all(s.status is SessionStatus.PLANNED for s in planned)
    page = page_text(client.get(f"/sessions/{planned[2].id}"))
    assert "Every two weeks, 3 times." in page


def test_a_series_needs_an_end_and_no_more_than_52_sessions(app, client, sofia_id):
    response = client.post(
        "/sessions/new", data=session_form(sofia_id, date="2027-03-15", repeat="weekly")
    )
    assert response.status_code == 400
    assert "until a date, or how many times" in page_text(response)
    response = client.post(
        "/sessions/new",
        data=session_form(sofia_id, date="2027-03-15", repeat="weekly", repeat_count="60"),
    )
    assert response.status_code == 400 and "from 2 to 52 sessions" in page_text(response)
    assert series_sessions(app) == []


def test_a_series_falling_on_a_skipped_time_is_refused_before_anything_is_planned(
    app, client, sofia_id
):
    response = client.post(
        "/sessions/new",
        data=session_form(sofia_id, date="2027-03-14", start_time="01:30", end_time="02:15",
                          repeat="weekly", repeat_count="3"),
    )
    assert response.status_code == 400
    assert "01:30 does not exist on 28 Mar 2027" in page_text(response)
    assert series_sessions(app) == []


def plan_weekly(app, client, sofia_id, count: int = 4) -> list[CoachingSession]:
    client.post(
        "/sessions/new",
        data=session_form(sofia_id, date="2027-05-03", repeat="weekly", repeat_count=str(count)),
    )
    return series_sessions(app)


def test_moving_one_session_of_a_series_leaves_the_others(app, client, sofia_id):
    planned = plan_weekly(app, client, sofia_id)
    form = page_text(client.get(f"/sessions/{planned[1].id}/move"))
    assert "This session and the following ones of its series" in form
    client.post(
        f"/sessions/{planned[1].id}/move",
        data={"moved_by": "coach", "scope": "this", "date": "2027-05-11",
              "start_time": "14:00", "end_time": "15:00"},
    )
    assert local_starts(series_sessions(app)) == [
        "2027-05-03 10:00", "2027-05-11 14:00", "2027-05-17 10:00", "2027-05-24 10:00"
    ]


def test_moving_this_and_the_following_sessions_keeps_each_ones_history(app, client, sofia_id):
    planned = plan_weekly(app, client, sofia_id)
    response = client.post(
        f"/sessions/{planned[1].id}/move",
        data={"moved_by": "coach", "scope": "following", "date": "2027-05-11",
              "start_time": "14:00", "end_time": "15:00"},
        follow_redirects=True,
    )
    assert "3 sessions moved." in page_text(response)
    after = series_sessions(app)
    assert local_starts(after) == [
        "2027-05-03 10:00", "2027-05-11 14:00", "2027-05-18 14:00", "2027-05-25 14:00"
    ]
    assert [len(load(app, s.id).moves) for s in after] == [0, 1, 1, 1]
    page = page_text(client.get(f"/sessions/{after[3].id}"))
    assert "From Mon 24 May 2027, 10:00 (60 minutes) to Tue 25 May 2027, 14:00" in page


def test_moving_the_following_sessions_onto_another_warns_before_moving_any(
    app, client, sofia_id
):
    planned = plan_weekly(app, client, sofia_id)
    # Another session sits where the last of the series would go.
    other = add_session(app, sofia_id, datetime(2027, 5, 25, 13, 0, tzinfo=UTC))
    move = {"moved_by": "coach", "scope": "following", "date": "2027-05-11",
            "start_time": "14:00", "end_time": "15:00"}
    response = client.post(f"/sessions/{planned[1].id}/move", data=move)
    assert response.status_code == 400
    assert "This overlaps another of your sessions" in page_text(response)
    # Nothing moved: the four of the series, and the other session.
    assert local_starts(series_sessions(app)) == [
        "2027-05-03 10:00", "2027-05-10 10:00", "2027-05-17 10:00", "2027-05-24 10:00",
        "2027-05-25 14:00",
    ]
    assert all(load(app, s.id).moves == [] for s in series_sessions(app))

    response = client.post(
        f"/sessions/{planned[1].id}/move", data={**move, "confirm_overlap": "y"},
        follow_redirects=True,
    )
    assert "3 sessions moved." in page_text(response)
    assert load(app, other).starts_at == datetime(2027, 5, 25, 13, 0, tzinfo=UTC)


def test_cancelling_this_and_the_following_sessions_keeps_them_on_record(app, client, sofia_id):
    planned = plan_weekly(app, client, sofia_id)
    response = client.post(
        f"/sessions/{planned[2].id}/cancel",
        data={"cancelled_by": "coach", "scope": "following", "reason": "Summer break."},
        follow_redirects=True,
    )
    assert "2 sessions cancelled." in page_text(response)
    after = series_sessions(app)
    assert [s.status for s in after] == [
        SessionStatus.PLANNED, SessionStatus.PLANNED, SessionStatus.CANCELLED,
        SessionStatus.CANCELLED,
    ]
    assert {s.cancellation_reason for s in after[2:]} == {"Summer break."}
    # Cancelling just one leaves the rest planned.
    client.post(
        f"/sessions/{planned[0].id}/cancel",
        data={"cancelled_by": "coach", "scope": "this", "reason": "Ill."},
    )
    assert [s.status for s in series_sessions(app)][:2] == [
        SessionStatus.CANCELLED, SessionStatus.PLANNED
    ]
