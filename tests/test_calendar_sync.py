"""Calendars: invitations e-mailed to attendees, "Add to calendar" in the portal, and the
coach's private calendar address. Everything coachapp writes is read back twice: with
icalendar, and with recurring-ical-events as a calendar app reads it."""

import re
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.calendar_sync.invitations import email_attendees
from coachapp.calendar_sync.models import SessionInvitation
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession, SessionStatus
from coachapp.data_rights.deletion import delete_client
from coachapp.data_rights.leaving import leave_family
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from tests.conftest import page_text, ticked
from tests.factories import (
    PASSWORD,
    add_family_adult,
    form_fields,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    session_form,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Ahead of the tests' own time: a Tuesday in December 2027, 10:00 in London (GMT).
DAY = "2027-12-14"
STARTS = datetime(2027, 12, 14, 10, 0, tzinfo=UTC)
VIDEO_LINK = "https://meet.example.com/sofia-and-maya"
PRIVATE = "Private: carries guilt about the nursery."


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia (signed up, living in New York) and Marc (no portal sign-in)."""
    with app.app_context():
        family = make_client(db.session.get(User, coach_id))
        marc = add_family_adult(family)
        sofia_user = make_client_login(family)
        sofia_user.timezone = "America/New_York"
        db.session.commit()
        return {"client": family.id, "sofia": family.first_adult.id, "marc": marc.id}


def keep_apart(app, family: dict) -> None:
    with app.app_context():
        db.session.get(Client, family["client"]).keep_apart = True
        db.session.commit()


def plan(client, family: dict, attendees: list[str], **overrides) -> int:
    """Plan a session through the coach's form; returns its id."""
    typed = {
        "date": DAY, "start_time": "10:00", "end_time": "11:00",
        "attendance_family": str(family["client"]),
        "attendees": [str(family[name]) for name in attendees],
        "location": VIDEO_LINK, "email_invitation": "y",
        "private_notes": PRIVATE, "summary": "", "follow_up_on": "",
    }
    data = session_form(family["client"], **{**typed, **overrides})
    data.pop("action_items-0-text")
    data.pop("action_items-0-due_on")
    response = client.post("/sessions/new", data=data)
    response.close()  # delivery follows the response
    assert response.status_code == 302, page_text(response)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def received(mail_server, count: int) -> list:
    """What the SMTP server received once ``count`` messages arrived."""
    deadline = time.monotonic() + 10
    while len(mail_server.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # nothing more may follow
    return list(mail_server.received)


def invitation_in(message):
    """The calendar attached to an e-mail, and its Content-Type's method."""
    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "text/calendar"
    return icalendar.Calendar.from_ical(attachment.get_content()), attachment.get_param("method")


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    [event] = calendar.walk("VEVENT")
    return event


def local_starts(ics: bytes, zone: ZoneInfo, start: date, end: date) -> list[str]:
    """Event starts as a calendar app in ``zone`` lists them, read by the second reader."""
    calendar = icalendar.Calendar.from_ical(ics)
    events = recurring_ical_events.of(calendar).between(start, end)
    return sorted(
        e["DTSTART"].dt.astimezone(zone).strftime("%Y-%m-%d %H:%M") for e in events
    )


def session(app, session_id: int) -> CoachingSession:
    return db.session.get(CoachingSession, session_id)


# Invitations by e-mail


def test_each_attendee_gets_their_own_invitation_in_their_own_time_zone(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    session_id = plan(client, family, ["sofia", "marc"])

    arrived = sorted(received(mail_server, 2), key=lambda pair: pair[0])
    assert [recipients for recipients, _ in arrived] == [
        ["marc@example.com"], ["sofia@example.com"]
    ]
    with app.app_context():
        uid = session(app, session_id).calendar_uid
    for recipients, message in arrived:
        assert message["To"] == recipients[0]
        assert message["Cc"] is None
        calendar, method = invitation_in(message)
        assert method == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        event = only_event(calendar)
        assert str(event["UID"]) == uid
        assert event["SEQUENCE"] == 0
        assert event["DTSTART"].dt == STARTS
        assert event["DTEND"].dt == STARTS + timedelta(hours=1)
        assert str(event["LOCATION"]) == VIDEO_LINK
        # Each invitation names its own recipient and nobody else of the family.
        attendees = event.get("ATTENDEE")
        assert str(attendees) == f"mailto:{recipients[0]}"
        assert str(event["ORGANIZER"]) == "mailto:coach@example.com"
        assert PRIVATE not in message.as_string()
        assert local_starts(
            calendar.to_ical(), LONDON, date(2027, 12, 1), date(2027, 12, 31)
        ) == ["2027-12-14 10:00"]

    marc_mail, sofia_mail = (message for _, message in arrived)
    # Sofia lives in New York (her portal says so); Marc has no sign-in: the coach's zone.
    sofia_text = sofia_mail.get_body(("plain",)).get_content()
    assert "Tue 14 Dec 2027, 05:00 to 06:00 (America/New_York time)" in sofia_text
    assert VIDEO_LINK in sofia_text
    assert "Tue 14 Dec 2027, 10:00 to 11:00 (Europe/London time)" in (
        marc_mail.get_body(("plain",)).get_content()
    )
    assert "Marc" not in sofia_text


def test_moving_and_cancelling_update_the_same_event_with_a_growing_sequence(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    session_id = plan(client, family, ["sofia"])
    client.post(
        f"/sessions/{session_id}/move",
        data={"moved_by": "coach", "scope": "this", "date": "2027-12-16",
              "start_time": "15:00", "end_time": "16:30"},
    ).close()
    client.post(
        f"/sessions/{session_id}/cancel", data={"cancelled_by": "coach", "reason": "I am ill."}
    ).close()

    arrived = received(mail_server, 3)
    assert len(arrived) == 3
    by_sequence = {}
    for recipients, message in arrived:
        assert recipients == ["sofia@example.com"]
        calendar, method = invitation_in(message)
        event = only_event(calendar)
        by_sequence[int(event["SEQUENCE"])] = (method, event, message)
    assert sorted(by_sequence) == [0, 1, 2]
    assert len({str(event["UID"]) for _, event, _ in by_sequence.values()}) == 1

    method, moved, message = by_sequence[1]
    assert method == "REQUEST"
    assert moved["DTSTART"].dt == datetime(2027, 12, 16, 15, 0, tzinfo=UTC)
    assert moved["DTEND"].dt == datetime(2027, 12, 16, 16, 30, tzinfo=UTC)
    assert "Updated: your session with Maya Lindqvist" in str(message["Subject"])
    method, cancelled, message = by_sequence[2]
    assert method == "CANCEL"
    assert cancelled["STATUS"] == "CANCELLED"
    assert "Cancelled: your session with Maya Lindqvist" in str(message["Subject"])
    assert "Thu 16 Dec 2027, 10:00 (America/New_York time) is cancelled" in (
        message.get_body(("plain",)).get_content()
    )

    # Announcing the same version again sends nothing twice.
    with app.app_context():
        email_attendees(session(app, session_id))
        db.session.commit()
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 3


def test_a_kept_apart_adult_hears_nothing_of_a_session_without_them(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    keep_apart(app, family)
    plan(client, family, ["marc"], location="Studio 2, 14 Mill Lane")
    arrived = received(mail_server, 1)
    assert [recipients for recipients, _ in arrived] == [["marc@example.com"]]
    assert "sofia" not in arrived[0][1].as_string().lower()
    with app.app_context():
        assert {m.recipient for m in db.session.scalars(select(OutboxMessage))} == {
            "marc@example.com"
        }


def test_no_invitation_unless_the_box_is_ticked_and_the_box_starts_ticked(
    app, client, family
):
    page = page_text(client.get(f"/sessions/new?client_id={family['client']}"))
    assert ticked(page, "email_invitation") == ["y"]
    data = {"email_invitation": ""}
    session_id = plan(client, family, ["sofia"], **data)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert session(app, session_id).location == VIDEO_LINK
    page = page_text(client.get(f"/sessions/{session_id}"))
    assert f'<a href="{VIDEO_LINK}"' in page


# The portal


def test_the_portal_lists_my_next_sessions_with_a_calendar_file_of_each(
    app, client, browser, family
):
    keep_apart(app, family)
    mine = plan(client, family, ["sofia"], email_invitation="")
    marcs = plan(client, family, ["marc"], email_invitation="", date="2027-12-15")
    with app.app_context():
        other_coach = make_coach("other@example.com", "Ines Okafor")
        others = make_coaching_session(
            make_client(other_coach, "Ana", email="ana@example.com"),
            starts_at=STARTS + timedelta(days=2),
        ).id
        uid = session(app, mine).calendar_uid
        past = make_coaching_session(db.session.get(Client, family["client"])).id
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)

    page = page_text(client.get("/portal/"))
    assert "Your next sessions" in page
    assert "Tue 14 Dec 2027, 05:00" in page  # her own zone
    assert f'<a href="{VIDEO_LINK}"' in page
    assert "Wed 15 Dec" not in page  # Marc's session, without her

    download = client.get(f"/portal/sessions/{mine}/calendar.ics")
    assert download.status_code == 200
    assert download.mimetype == "text/calendar"
    assert download.headers["Cache-Control"] == "no-store"
    event = only_event(icalendar.Calendar.from_ical(download.data))
    assert str(event["UID"]) == uid
    assert "METHOD" not in icalendar.Calendar.from_ical(download.data)
    assert local_starts(download.data, NEW_YORK, date(2027, 12, 1), date(2028, 1, 1)) == [
        "2027-12-14 05:00"
    ]
    assert b"nursery" not in download.data
    for not_hers in (marcs, others, past, 999999):
        assert client.get(f"/portal/sessions/{not_hers}/calendar.ics").status_code == 404
    assert client.get("/calendar/settings").status_code == 404  # the coach's alone


# The coach's calendar address


def new_address(client, naming: str = "initials") -> str:
    response = client.post("/calendar/settings/address", data={"client_naming": naming})
    assert response.status_code == 200
    [address] = re.findall(r"http://localhost(/calendar/feed/[^<\s]+\.ics)", page_text(response))
    return address


def test_the_coachs_calendar_address_names_families_discreetly_and_can_be_revoked(
    app, client, family
):
    kept = plan(client, family, ["sofia", "marc"], email_invitation="")
    cancelled = plan(client, family, ["sofia"], email_invitation="", date="2027-12-21")
    client.post(
        f"/sessions/{cancelled}/cancel", data={"cancelled_by": "coach", "reason": "Holiday."}
    )
    with app.app_context():
        family_record = db.session.get(Client, family["client"])
        make_coaching_session(family_record, days_ago=200, summary="Long ago")
        recent = make_coaching_session(family_record, days_ago=10).id
        other_coach = make_coach("other@example.com", "Ines Okafor")
        make_coaching_session(
            make_client(other_coach, "Ana", email="ana@example.com"), days_ago=3
        )

    address = new_address(client, "initials")
    assert address not in page_text(client.get("/calendar/settings"))  # shown only once
    calendar_app = app.test_client()  # signed in as nobody, as a calendar app
    feed = calendar_app.get(address)
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(feed.data)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    with app.app_context():
        uids = {i: session(app, i).calendar_uid for i in (kept, cancelled, recent)}
    assert set(events) == set(uids.values())  # not 200 days ago, not another coach's
    assert str(events[uids[kept]]["SUMMARY"]) == "Session: S. M. and M. D."
    assert events[uids[cancelled]]["STATUS"] == "CANCELLED"
    assert events[uids[kept]]["STATUS"] == "CONFIRMED"
    for leak in (b"Marin", b"Duval", b"nursery", b"Private", b"DESCRIPTION"):
        assert leak not in feed.data
    # The second reader lists what a calendar shows: the cancelled session aside.
    shown = recurring_ical_events.of(calendar).between(date(2027, 12, 1), date(2028, 1, 1))
    assert [str(e["UID"]) for e in shown if e["STATUS"] != "CANCELLED"] == [uids[kept]]

    client.post("/calendar/settings", data={"client_naming": "first_name"})
    renamed = icalendar.Calendar.from_ical(calendar_app.get(address).data)
    assert "Session: Sofia and Marc" in [str(e["SUMMARY"]) for e in renamed.walk("VEVENT")]

    replacement = new_address(client, "first_name")
    assert calendar_app.get(address).status_code == 404
    assert calendar_app.get(replacement).status_code == 200
    client.post("/calendar/settings/revoke")
    assert calendar_app.get(replacement).status_code == 404
    assert calendar_app.get("/calendar/feed/not-a-token.ics").status_code == 404


def test_a_weekly_series_keeps_its_london_time_across_the_clock_change(app, client, family):
    """Clocks go back in London on 31 October 2027 and in New York a week later."""
    first = plan(
        client, family, ["sofia"], date="2027-10-26", repeat="weekly", repeat_count="3",
        location="Studio 2, 14 Mill Lane",
    )
    address = new_address(client, "first_name")
    feed = app.test_client().get(address).data
    window = (date(2027, 10, 1), date(2027, 12, 1))
    assert local_starts(feed, LONDON, *window) == [
        "2027-10-26 10:00", "2027-11-02 10:00", "2027-11-09 10:00"
    ]
    assert local_starts(feed, NEW_YORK, *window) == [
        "2027-10-26 05:00", "2027-11-02 06:00", "2027-11-09 05:00"
    ]
    with app.app_context():
        planned = db.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.series_id == session(app, first).series_id)
            .order_by(CoachingSession.starts_at)
        ).all()
        assert [s.status for s in planned] == [SessionStatus.PLANNED] * 3
        assert len({s.calendar_uid for s in planned}) == 3
        # Each session of the series is its own event, invited on its own.
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert len(messages) == 3
        assert {m.recipient for m in messages} == {"sofia@example.com"}
        assert any("Tue 2 Nov 2027, 06:00" in m.text for m in messages)


def test_deleting_an_invited_session_cancels_it_in_the_attendees_calendars(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    session_id = plan(client, family, ["sofia"])
    with app.app_context():
        uid = session(app, session_id).calendar_uid
    client.post(f"/sessions/{session_id}/delete").close()
    arrived = received(mail_server, 2)
    methods = {}
    for _, message in arrived:
        calendar, method = invitation_in(message)
        event = only_event(calendar)
        assert str(event["UID"]) == uid
        methods[int(event["SEQUENCE"])] = (method, str(event["STATUS"]))
    assert methods == {0: ("REQUEST", "CONFIRMED"), 1: ("CANCEL", "CANCELLED")}


def test_erasing_an_adult_or_deleting_the_family_forgets_their_invitations(
    app, client, family
):
    plan(client, family, ["sofia", "marc"])
    with app.app_context():
        family_record = db.session.get(Client, family["client"])
        leave_family(db.session.get(Adult, family["marc"]), erase=True)
        db.session.commit()
        assert [m.recipient for m in db.session.scalars(select(OutboxMessage))] == [
            "sofia@example.com"
        ]
        delete_client(family_record)
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert db.session.scalars(select(SessionInvitation)).all() == []


def test_a_new_place_and_time_in_the_edit_form_is_one_update(app, client, family):
    session_id = plan(client, family, ["sofia"])
    edit_page = page_text(client.get(f"/sessions/{session_id}/edit"))
    data = form_fields(edit_page)
    assert data["location"] == VIDEO_LINK
    data.update(location="Studio 2, 14 Mill Lane", start_time="11:00", end_time="12:00")
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    response.close()  # delivery follows the response
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        assert session(app, session_id).calendar_sequence == 1
        messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert len(messages) == 2
        update = db.session.get(SessionInvitation, messages[1].id)
        event = only_event(icalendar.Calendar.from_ical(update.calendar))
        assert event["SEQUENCE"] == 1
        assert str(event["LOCATION"]) == "Studio 2, 14 Mill Lane"
        assert event["DTSTART"].dt == STARTS + timedelta(hours=1)
        assert "Place: Studio 2, 14 Mill Lane" in messages[1].text
