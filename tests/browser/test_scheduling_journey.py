"""Booking, reminding and moving a session, in a real browser, as the coach and a client do it.

One journey: the coach sets the hours clients may book on the Booking settings page; Sofia
books one of the free times in her portal and receives the session for her calendar; the
outbox worker, run as the clock reads a day before the session, sends her exactly one
reminder; Sofia moves the session; the coach's subscribed calendar shows the new time, and
Sofia's calendar receives the update of the same event. Only the coach's account, Sofia's
family and her portal sign-in are put in the database by hand.
"""

import time
import urllib.request
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import time_machine
from playwright.sync_api import expect

from coachapp.extensions import db
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_coach_and_client_journeys import csp_violations, watch_console
from tests.factories import PASSWORD, make_client, make_client_login, make_coach

SOFIA_EMAIL = "sofia@example.com"
SOFIA_ZONE = ZoneInfo("Europe/Paris")  # her own; the coach works in London
HOURS = "09:00-17:00"
MAIL_WAIT_SECONDS = 30


def wait_for_mail(mail_server, subject_start: str, count: int) -> list:
    """The messages whose subject begins so, once ``count`` of them have arrived (a long
    subject is folded straight after "Subject:", so it reads back with a space first)."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline:
        found = [m for m in mail_server.messages if m["Subject"].strip().startswith(subject_start)]
        if len(found) >= count:
            break
        time.sleep(0.1)
    assert len(found) == count, [m["Subject"] for m in mail_server.messages]
    return found


def invitation_of(message) -> tuple[str, icalendar.Event]:
    """The METHOD and the event of the calendar attached to an e-mail."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def slot_moment(value: str) -> datetime:
    """The moment a free time's radio button names."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)


def choose_first_time_on(page, day: datetime) -> datetime:
    """Tick the first free time on ``day`` (in Sofia's zone); the moment it names."""
    group = page.get_by_role("group", name=f"{day:%A} {day.day} {day:%B}")
    radio = group.get_by_role("radio").first
    radio.check()
    return slot_moment(radio.get_attribute("value"))


def run_outbox_worker(app, at: datetime) -> None:
    """`flask --app coachapp outbox send`, in this process, as the clock reads ``at``."""
    with time_machine.travel(at, tick=False):
        result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output


def test_a_client_books_is_reminded_once_and_moves_and_every_calendar_follows(
    prepare, new_page, live_server, mail_server
):
    with prepare():
        coach = make_coach()
        sofia = make_client_login(make_client(coach, email=SOFIA_EMAIL))
        sofia.timezone = SOFIA_ZONE.key
        db.session.commit()

    # The coach opens the portal to bookings, every day of the week.
    coach_page = new_page()
    coach_errors = watch_console(coach_page)
    sign_in(coach_page)
    coach_page.goto("/booking/settings")
    coach_page.get_by_label("Clients may book sessions in the portal").check()
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        coach_page.get_by_label(day, exact=True).fill(HOURS)
    coach_page.get_by_label("Session lengths offered (minutes)").fill("50")
    coach_page.get_by_role("button", name="Save booking settings").click()
    expect(coach_page.get_by_role("status")).to_contain_text("Booking settings saved.")
    expect(coach_page.get_by_label("Monday", exact=True)).to_have_value(HOURS)

    # Sofia books the first free time three days from now, in her own time zone.
    client_page = new_page()
    client_errors = watch_console(client_page)
    sign_in(client_page, SOFIA_EMAIL, PASSWORD)
    client_page.goto("/portal/book")
    expect(client_page.get_by_role("heading", level=1)).to_have_text(
        "Book a session with Maya Lindqvist"
    )
    booked_day = datetime.now(SOFIA_ZONE) + timedelta(days=3)
    booked_start = choose_first_time_on(client_page, booked_day)
    assert booked_start.astimezone(SOFIA_ZONE).date() == booked_day.date()
    client_page.get_by_role("button", name="Book this time").click()
    expect(client_page.get_by_role("status")).to_contain_text("Booked.")
    booked = client_page.get_by_role("region", name="Your booked sessions")
    expect(booked.get_by_role("listitem")).to_have_count(1)

    [invited] = wait_for_mail(mail_server, "Invitation:", 1)
    assert invited["To"] == SOFIA_EMAIL
    method, event = invitation_of(invited)
    assert method == "REQUEST"
    assert event.decoded("dtstart") == booked_start
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])

    # The worker, run as the clock reads 23 hours before the session and again an hour
    # later, sends Sofia her reminder once.
    with prepare() as app:
        app.config.update(mail_server.settings())
        run_outbox_worker(app, booked_start - timedelta(hours=23))
        run_outbox_worker(app, booked_start - timedelta(hours=22))
    [reminder] = wait_for_mail(mail_server, "Reminder:", 1)
    assert reminder["To"] == SOFIA_EMAIL
    local_start = booked_start.astimezone(SOFIA_ZONE)
    assert f"at {local_start:%H:%M} ({local_start:%Z})" in reminder["Subject"]

    # Sofia moves the session a day later.
    client_page.goto("/portal/book")
    booked.get_by_role("link", name="Move").click()
    expect(client_page.get_by_role("heading", level=1)).to_contain_text("Move your session")
    moved_start = choose_first_time_on(client_page, booked_day + timedelta(days=1))
    client_page.get_by_role("button", name="Move it to this time").click()
    expect(client_page.get_by_role("status")).to_contain_text("Moved.")

    # The coach's subscribed calendar shows the session at its new time.
    coach_page.goto("/calendar/settings")
    coach_page.get_by_role("button", name="Make my calendar address").click()
    address = coach_page.locator("code.secret-address").inner_text()
    assert address.startswith(live_server.url)
    # Fetched as a calendar app does: no cookies, only the secret address.
    with urllib.request.urlopen(address, timeout=10) as response:
        feed = icalendar.Calendar.from_ical(response.read())
    starts = [each.decoded("dtstart") for each in feed.walk("VEVENT")]
    assert starts == [moved_start]

    # Sofia's calendar receives the update of the same event.
    [updated] = wait_for_mail(mail_server, "Updated:", 1)
    method, event = invitation_of(updated)
    assert method == "REQUEST"
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) > sequence
    assert event.decoded("dtstart") == moved_start

    screenshot(client_page, "scheduling-journey-moved")
    assert csp_violations(coach_errors + client_errors) == []
