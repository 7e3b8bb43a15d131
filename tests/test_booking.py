"""Booking from the portal: a coach's availability, free times, and clients booking, moving
and cancelling their own sessions within it."""

import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.booking import services as booking_services
from coachapp.booking.availability import booking_settings, free_slots
from coachapp.booking.models import SessionBooking
from coachapp.booking.services import Availability, SlotTaken, book, save_availability
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession, Party, SessionMove, SessionStatus
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.timeutil import local_moment
from tests.conftest import page_text, ticked
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
MORNINGS = [(time(9), time(12))]
# Long before the days the daylight-saving tests look at: the notice never gets in the way.
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def availability(**changes) -> Availability:
    """Mornings every day, 50-minute sessions, a 10-minute buffer, no notice."""
    values = {
        "enabled": True, "hours": dict.fromkeys(range(7), MORNINGS), "lengths": [50, 90],
        "buffer_minutes": 10, "minimum_notice_hours": 0, "max_sessions_per_day": None,
        "days_off": [],
    }
    return Availability(**{**values, **changes})


def coach_taking_bookings(**changes) -> User:
    coach = db.session.get(User, 1) or make_coach()
    save_availability(coach, availability(**changes))
    db.session.commit()
    return coach


def a_day_ahead(days: int = 8) -> date:
    """A day far enough ahead for any notice the tests use."""
    return datetime.now(LONDON).date() + timedelta(days=days)


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return local_moment(day, time(hour, minute), zone).astimezone(UTC)


def slot_value(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


# free_slots


def test_free_slots_keep_the_coachs_clock_time_across_the_spring_change(app):
    with app.app_context():
        coach = coach_taking_bookings()
        saturday, monday = date(2027, 3, 27), date(2027, 3, 29)
        before = free_slots(coach, saturday, saturday, 50, now=LONG_AGO)
        after = free_slots(coach, monday, monday, 50, now=LONG_AGO)
    # 09:00 is 09:00 UTC in winter and 08:00 UTC in summer time.
    assert [slot.strftime("%H:%M") for slot in before] == ["09:00", "10:00", "11:00"]
    assert [slot.strftime("%H:%M") for slot in after] == ["08:00", "09:00", "10:00"]


def test_free_slots_in_the_night_the_clocks_change_are_as_many_as_the_real_hours(app):
    with app.app_context():
        coach = coach_taking_bookings(
            hours={6: [(time(0), time(4))]}, lengths=[60], buffer_minutes=0
        )
        spring = free_slots(coach, date(2027, 3, 28), date(2027, 3, 28), 60, now=LONG_AGO)
        autumn = free_slots(coach, date(2027, 10, 31), date(2027, 10, 31), 60, now=LONG_AGO)
    # Spring: 00:00 to 04:00 on the clock is three hours; 01:00 to 02:00 never happens.
    assert [s.astimezone(LONDON).strftime("%H:%M %Z") for s in spring] == [
        "00:00 GMT", "02:00 BST", "03:00 BST",
    ]
    # Autumn: five hours, 01:00 twice.
    assert [s.astimezone(LONDON).strftime("%H:%M %Z") for s in autumn] == [
        "00:00 BST", "01:00 BST", "01:00 GMT", "02:00 GMT", "03:00 GMT",
    ]


def test_free_slots_keep_the_buffer_around_sessions_and_skip_days_off(app):
    with app.app_context():
        coach = coach_taking_bookings(days_off=[date(2027, 5, 4)])
        family = make_client(coach)
        # 09:30 to 10:30 on Monday 3 May 2027: with the buffer, 08:20 to 10:40 is taken.
        make_coaching_session(family, starts_at=at(date(2027, 5, 3), 9, 30), duration_minutes=60)
        monday = free_slots(coach, date(2027, 5, 3), date(2027, 5, 3), 50, now=LONG_AGO)
        day_off = free_slots(coach, date(2027, 5, 4), date(2027, 5, 4), 50, now=LONG_AGO)
    assert [s.astimezone(LONDON).strftime("%H:%M") for s in monday] == ["10:40"]
    assert day_off == []


def test_free_slots_respect_the_notice_and_the_most_sessions_a_day(app):
    with app.app_context():
        coach = coach_taking_bookings(max_sessions_per_day=1, minimum_notice_hours=48)
        family = make_client(coach)
        wednesday = date(2027, 5, 5)
        make_coaching_session(family, starts_at=at(wednesday, 11), duration_minutes=50)
        full_day = free_slots(coach, wednesday, wednesday, 50, now=LONG_AGO)
        # 48 hours before Thursday 10:00: 09:00 is too soon, 10:00 and 11:00 are not.
        thursday = free_slots(
            coach, date(2027, 5, 6), date(2027, 5, 6), 50, now=at(date(2027, 5, 4), 10)
        )
    assert full_day == []
    assert [s.astimezone(LONDON).strftime("%H:%M") for s in thursday] == ["10:00", "11:00"]


def test_no_free_slots_while_booking_is_off(app):
    with app.app_context():
        coach = coach_taking_bookings(enabled=False)
        assert free_slots(coach, date(2027, 5, 3), date(2027, 5, 9), 50, now=LONG_AGO) == []


# The coach's settings page


def settings_form(**changes) -> dict:
    form = {
        "enabled": "y", "monday": "09:00-12:00, 13:30-17:00", "tuesday": "", "wednesday": "",
        "thursday": "10:00-14:00", "friday": "", "saturday": "", "sunday": "",
        "lengths": "50, 90", "buffer_minutes": "15", "minimum_notice_hours": "24",
        "max_sessions_per_day": "4", "days_off": "2027-12-24\n2027-12-31",
    }
    return {**form, **changes}


def test_the_coach_sets_booking_hours_and_sees_them_again(app, client, coach_id):
    response = client.post("/booking/settings", data=settings_form())
    assert response.status_code == 302
    page = page_text(client.get("/booking/settings"))
    assert 'value="09:00-12:00, 13:30-17:00"' in page
    assert 'value="10:00-14:00"' in page
    assert 'value="50, 90"' in page
    assert "2027-12-24\n2027-12-31" in page
    assert ticked(page, "enabled") == ["y"]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("monday", "12:00-09:00", "12:00-09:00 ends before it starts."),
        ("monday", "09:00-12:00, 11:00-13:00", "09:00-12:00 and 11:00-13:00 overlap"),
        ("monday", "nine to five", "“nine to five” is not a range of hours"),
        ("lengths", "50, 0", "“0” is not a session length"),
        ("buffer_minutes", "-5", "The buffer is 0 to 120 minutes."),
        ("minimum_notice_hours", "a day", "“a day” is not a whole number."),
        ("max_sessions_per_day", "0", "Give 1 to 20 sessions"),
        ("days_off", "24/12/2027", "“24/12/2027” is not a date"),
    ],
)
def test_settings_that_make_no_sense_are_refused_and_shown_again(
    app, client, coach_id, field, typed, message
):
    response = client.post("/booking/settings", data=settings_form(**{field: typed}))
    page = page_text(response)
    assert response.status_code == 400
    assert message in page
    assert typed.split("\n")[0] in page
    with app.app_context():
        assert db.session.get(User, coach_id).id == coach_id
        assert db.session.scalar(select(func.count()).select_from(SessionBooking)) == 0


def test_no_limit_on_sessions_a_day_is_the_coachs_choice(app, client, coach_id):
    response = client.post("/booking/settings", data=settings_form(max_sessions_per_day=""))
    assert response.status_code == 302
    with app.app_context():
        assert booking_settings(db.session.get(User, coach_id)).max_sessions_per_day is None


def test_taking_bookings_needs_hours_on_some_day(client, coach_id):
    empty_week = {day: "" for day in ("monday", "thursday")}
    response = client.post("/booking/settings", data=settings_form(**empty_week))
    assert response.status_code == 400
    assert "Give your hours on at least one day" in page_text(response)


# Booking in the portal


@pytest.fixture
def family(app, browser):
    """Sofia (in New York) signed in to the portal of Maya (in London), who takes bookings;
    Marc, the other adult of the family, can sign in too."""
    with app.app_context():
        coach = coach_taking_bookings(minimum_notice_hours=24)
        family = make_client(coach)
        marc = add_family_adult(family)
        sofia_login = make_client_login(family)
        sofia_login.timezone = "America/New_York"
        make_client_login(family, adult=marc)
        db.session.commit()
        ids = {"coach": coach.id, "client": family.id, "sofia": family.first_adult.id,
               "marc": marc.id}
    browser.login("sofia@example.com", PASSWORD)
    return ids


def test_a_client_sees_free_times_in_their_own_time_zone(app, client, family):
    day = a_day_ahead()
    page = page_text(client.get(f"/portal/book/{family['coach']}"))
    nine_in_london = at(day, 9)
    assert f'value="{slot_value(nine_in_london)}"' in page
    assert nine_in_london.astimezone(NEW_YORK).strftime("%H:%M") in page
    assert "America/New_York" in page


def test_a_client_books_a_free_time_and_the_coach_is_told(app, client, family):
    start = at(a_day_ahead(), 9)
    response = client.post(
        f"/portal/book/{family['coach']}", data={"start": slot_value(start), "length": "90"}
    )
    assert response.status_code == 302
    with app.app_context():
        booked = db.session.scalars(select(CoachingSession)).one()
        assert (booked.starts_at, booked.duration_minutes) == (start, 90)
        assert booked.status is SessionStatus.PLANNED
        assert [adult.id for adult in booked.attendees] == [family["sofia"]]
        assert db.session.get(SessionBooking, booked.id).adult_id == family["sofia"]
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == "coach@example.com")
        ).one()
        assert "Sofia booked a session" in message.subject
        # The coach reads the time in their own time zone.
        assert start.astimezone(LONDON).strftime("%H:%M") in message.text
    page = page_text(client.get(f"/portal/book/{family['coach']}"))
    assert "Your booked sessions" in page
    assert f'value="{slot_value(start)}"' not in page


def test_the_coachs_dashboard_shows_who_booked(app, client, browser, family):
    client.post(f"/portal/book/{family['coach']}",
                data={"start": slot_value(at(a_day_ahead(), 9)), "length": "50"})
    browser.logout()
    browser.login("coach@example.com", PASSWORD)
    assert "Booked by Sofia" in page_text(client.get("/dashboard"))


def test_the_coach_hears_of_a_booking_by_e_mail(app, client, runner, family, mail_server):
    app.config.update(mail_server.settings())
    client.post(f"/portal/book/{family['coach']}",
                data={"start": slot_value(at(a_day_ahead(), 9)), "length": "50"})
    runner.invoke(args=["outbox", "send"])
    deadline = clock.monotonic() + 10
    while len(mail_server.received) < 2 and clock.monotonic() < deadline:
        clock.sleep(0.05)
    # Sofia's calendar invitation goes out too; the coach's note is the one to the coach.
    [message] = [m for to, m in mail_server.received if to == ["coach@example.com"]]
    assert "Sofia booked a session" in message["Subject"]


def test_the_client_s_calendar_gets_the_booking_then_each_move_and_the_cancellation(
    app, client, runner, family, mail_server
):
    app.config.update(mail_server.settings())
    first, later = at(a_day_ahead(), 9), at(a_day_ahead(9), 11)
    client.post(f"/portal/book/{family['coach']}",
                data={"start": slot_value(first), "length": "50"})
    with app.app_context():
        session_id = db.session.scalars(select(CoachingSession.id)).one()
    client.post(f"/portal/bookings/{session_id}/move", data={"start": slot_value(later)})
    client.post(f"/portal/bookings/{session_id}/cancel", data={"reason": "Ill"})
    runner.invoke(args=["outbox", "send"])
    deadline = clock.monotonic() + 30
    while len(mail_server.received) < 6 and clock.monotonic() < deadline:
        clock.sleep(0.05)

    events = []
    for recipients, message in mail_server.received:
        if recipients != ["sofia@example.com"]:
            continue
        [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        [event] = calendar.walk("VEVENT")
        events.append((int(event["SEQUENCE"]), str(calendar["METHOD"]), event))
    events.sort(key=lambda found: found[0])
    assert [(sequence, method) for sequence, method, _ in events] == [
        (0, "REQUEST"), (1, "REQUEST"), (2, "CANCEL"),
    ]
    assert len({str(event["UID"]) for _, _, event in events}) == 1
    assert events[0][2]["DTSTART"].dt == first and events[1][2]["DTSTART"].dt == later


def book_directly(app, family, start: datetime, length: int = 50) -> int:
    with app.app_context():
        booked = book(db.session.get(Adult, family["sofia"]), start, length)
        db.session.commit()
        return booked.id


def test_a_client_moves_their_booking_and_its_history_names_them(app, client, family):
    first, later = at(a_day_ahead(), 9), at(a_day_ahead(9), 11)
    session_id = book_directly(app, family, first)
    page = page_text(client.get(f"/portal/bookings/{session_id}/move"))
    assert f'value="{slot_value(later)}"' in page
    response = client.post(f"/portal/bookings/{session_id}/move",
                           data={"start": slot_value(later)})
    assert response.status_code == 302
    with app.app_context():
        moved = db.session.get(CoachingSession, session_id)
        assert moved.starts_at == later
        (move,) = moved.moves
        assert (move.old_starts_at, move.moved_by, move.moved_by_adult_id) == (
            first, Party.CLIENT, family["sofia"],
        )
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        assert any("Sofia moved a session" in subject for subject in subjects)


def test_a_client_cancels_their_booking_and_the_coach_is_told(app, client, family):
    session_id = book_directly(app, family, at(a_day_ahead(), 9))
    confirm = page_text(client.get(f"/portal/bookings/{session_id}/cancel"))
    assert "not a late cancellation" in confirm
    response = client.post(f"/portal/bookings/{session_id}/cancel", data={"reason": "Ill"})
    assert response.status_code == 302
    with app.app_context():
        cancelled = db.session.get(CoachingSession, session_id)
        assert cancelled.is_cancelled
        assert not cancelled.late_cancellation
        assert cancelled.cancelled_by_adult_id == family["sofia"]
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        assert any("Sofia cancelled a session" in subject for subject in subjects)


def test_cancelling_inside_the_notice_is_late_and_moving_is_refused(app, client, family):
    with app.app_context():
        coach_taking_bookings(minimum_notice_hours=0)
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=3)
        sofia = db.session.get(Adult, family["sofia"])
        booked = CoachingSession(coach_id=family["coach"], client_id=family["client"],
                                 starts_at=soon, duration_minutes=50, attendees=[sofia])
        db.session.add(SessionBooking(coaching_session=booked, adult=sofia))
        db.session.commit()
        session_id = booked.id
    response = client.post(f"/portal/bookings/{session_id}/move",
                           data={"start": slot_value(at(a_day_ahead(), 9))})
    assert response.status_code == 400
    assert "can no longer be moved" in page_text(response)
    assert "a late cancellation" in page_text(client.get(f"/portal/bookings/{session_id}/cancel"))
    client.post(f"/portal/bookings/{session_id}/cancel", data={"reason": ""})
    with app.app_context():
        assert db.session.get(CoachingSession, session_id).late_cancellation


# Refusals


def test_another_coachs_booking_page_is_not_found(app, client, family):
    with app.app_context():
        other = make_coach("other@example.com", "Ana Other")
        save_availability(other, availability())
        db.session.commit()
        other_id = other.id
    assert client.get(f"/portal/book/{other_id}").status_code == 404
    start = slot_value(at(a_day_ahead(), 9))
    assert client.post(f"/portal/book/{other_id}", data={"start": start, "length": "50"}
                       ).status_code == 404


def test_a_time_not_offered_is_refused(app, client, family):
    tampered = at(a_day_ahead(), 9, 17)
    response = client.post(f"/portal/book/{family['coach']}",
                           data={"start": slot_value(tampered), "length": "50"})
    assert response.status_code == 400
    assert "not one of the free times" in page_text(response)
    response = client.post(f"/portal/book/{family['coach']}",
                           data={"start": slot_value(at(a_day_ahead(), 9)), "length": "45"})
    assert "That session length is not offered" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoachingSession)) == 0


def test_the_portal_says_when_the_coach_takes_no_bookings(app, client, family):
    with app.app_context():
        coach_taking_bookings(enabled=False)
    page = page_text(client.get("/portal/book", follow_redirects=True))
    assert "Maya Lindqvist is not taking bookings in the portal at the moment." in page
    response = client.post(f"/portal/book/{family['coach']}",
                           data={"start": slot_value(at(a_day_ahead(), 9)), "length": "50"})
    assert "not taking bookings" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoachingSession)) == 0


def test_a_client_cannot_move_or_cancel_a_session_they_did_not_book(
    app, client, browser, family
):
    sofias = book_directly(app, family, at(a_day_ahead(), 9))
    with app.app_context():
        family_record = db.session.get(Client, family["client"])
        planned_by_coach = make_coaching_session(
            family_record, starts_at=at(a_day_ahead(10), 9), duration_minutes=50
        ).id
    for session_id in (planned_by_coach,):
        assert client.get(f"/portal/bookings/{session_id}/move").status_code == 404
        assert client.post(f"/portal/bookings/{session_id}/cancel").status_code == 404
    # Marc, of the same family, neither booked nor attends Sofia's session.
    browser.logout()
    browser.login("marc@example.com", PASSWORD)
    assert client.get(f"/portal/bookings/{sofias}/move").status_code == 404
    assert client.post(f"/portal/bookings/{sofias}/cancel").status_code == 404
    with app.app_context():
        assert not db.session.get(CoachingSession, sofias).is_cancelled


# Two clients, one time


def test_a_time_taken_a_moment_ago_offers_the_nearest_free_times(app, client, family):
    start = at(a_day_ahead(), 10)
    with app.app_context():
        other = make_client(db.session.get(User, family["coach"]), first_name="Lea")
        book(other.first_adult, start, 50)
        db.session.commit()
    response = client.post(f"/portal/book/{family['coach']}",
                           data={"start": slot_value(start), "length": "50"})
    page = page_text(response)
    assert response.status_code == 409
    assert "That time was just taken; here are the nearest free times" in page
    nearest = page.split("Nearest free times")[1].split("</fieldset>")[0]
    assert f'value="{slot_value(at(a_day_ahead(), 9))}"' in nearest
    assert f'value="{slot_value(at(a_day_ahead(), 11))}"' in nearest


def test_two_clients_booking_the_last_time_at_once_one_gets_it(app, monkeypatch):
    with app.app_context():
        coach = coach_taking_bookings(hours={a_day_ahead().weekday(): [(time(9), time(10))]})
        adult_ids = [make_client(coach, first_name=name).first_adult.id for name in ("Ada", "Bo")]
    last_time = at(a_day_ahead(), 9)
    checking = overlapping_that_lingers(monkeypatch)
    ready = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def try_booking(adult_id: int) -> None:
        with app.app_context():
            adult = db.session.get(Adult, adult_id)
            ready.wait()
            try:
                book(adult, last_time, 50)
                db.session.commit()
                outcomes[adult_id] = "booked"
            except SlotTaken as taken:
                db.session.rollback()
                outcomes[adult_id] = str(taken)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=try_booking, args=(each,)) for each in adult_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == [
        "That time was just taken; here are the nearest free times.", "booked",
    ]
    assert checking, "both bookings checked the calendar"
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(CoachingSession).where(
                CoachingSession.starts_at == last_time
            )
        ) == 1


def overlapping_that_lingers(monkeypatch) -> list:
    """Make each booking pause after looking at the calendar, as a busy server might: without
    a lock, both would find the time free before either saves."""
    real = booking_services.overlapping
    calls = []

    def slow_overlapping(*args, **kwargs):
        found = real(*args, **kwargs)
        calls.append(found)
        clock.sleep(0.3)
        return found

    monkeypatch.setattr(booking_services, "overlapping", slow_overlapping)
    return calls


def test_the_moves_of_a_booking_are_kept_in_order(app, family):
    first, second, third = at(a_day_ahead(), 9), at(a_day_ahead(), 10), at(a_day_ahead(), 11)
    session_id = book_directly(app, family, first)
    with app.app_context():
        sofia = db.session.get(Adult, family["sofia"])
        for start in (second, third):
            booking_services.move_booking(db.session.get(CoachingSession, session_id), sofia, start)
            db.session.commit()
        moves = db.session.scalars(select(SessionMove).order_by(SessionMove.moved_at)).all()
    assert [(m.old_starts_at, m.new_starts_at) for m in moves] == [(first, second), (second, third)]


def test_a_free_time_the_clocks_show_twice_says_which():
    first_one = datetime(2027, 10, 31, 0, 0, tzinfo=UTC)  # 01:00 BST
    second_one = datetime(2027, 10, 31, 1, 0, tzinfo=UTC)  # 01:00 GMT
    two_o_clock = datetime(2027, 10, 31, 2, 0, tzinfo=UTC)
    ((day, slots),) = booking_services.slots_by_day([first_one, second_one, two_o_clock], LONDON)
    assert day == date(2027, 10, 31)
    assert [slot.label for slot in slots] == ["01:00 (BST)", "01:00 (GMT)", "02:00"]
