"""Sessions as iCalendar events (RFC 5545), and the messages that invite to them (RFC 5546).

Times are written in UTC: every calendar shows them in its reader's own zone, and a
session's moment never depends on which zone database the reader has.
"""

from dataclasses import dataclass

from icalendar import Calendar, Event, vCalAddress, vText

from coachapp.calendar_sync.models import InvitationMethod
from coachapp.coaching.models import CoachingSession
from coachapp.timeutil import utcnow

PRODID = "-//coachapp//Coaching sessions//EN"


@dataclass(frozen=True)
class Person:
    """Someone named in an event: the coach who organises it, or the adult invited."""

    name: str
    email: str

    def address(self) -> vCalAddress:
        address = vCalAddress(f"mailto:{self.email}")
        address.params["CN"] = vText(self.name)
        return address


def new_calendar(method: InvitationMethod | None = None, name: str = "") -> Calendar:
    """An empty calendar; a method makes it an invitation or a cancellation."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method.value)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def session_event(
    coaching_session: CoachingSession,
    title: str,
    organizer: Person | None = None,
    attendee: Person | None = None,
    cancelled: bool = False,
) -> Event:
    """The session as an event: its stable UID, its sequence, its time and place, and
    never a word of its notes or summary."""
    event = Event()
    event.add("uid", coaching_session.calendar_uid)
    event.add("dtstamp", utcnow())
    event.add("sequence", coaching_session.calendar_sequence)
    event.add("dtstart", coaching_session.starts_at)
    event.add("dtend", coaching_session.ends_at)
    event.add("summary", title)
    if coaching_session.location:
        event.add("location", coaching_session.location)
    if coaching_session.location_is_link:
        event.add("url", coaching_session.location.strip())
    cancelled = cancelled or coaching_session.is_cancelled
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer is not None:
        event["organizer"] = organizer.address()
    if attendee is not None:
        invited = attendee.address()
        invited.params["ROLE"] = vText("REQ-PARTICIPANT")
        invited.params["PARTSTAT"] = vText("NEEDS-ACTION")
        event.add("attendee", invited)
    return event


def invitation(
    coaching_session: CoachingSession,
    title: str,
    organizer: Person,
    attendee: Person,
    cancelled: bool = False,
) -> tuple[InvitationMethod, bytes]:
    """What one adult's e-mail carries: a request to add or update the event, or, for a
    cancelled (or deleted) session, a cancellation."""
    cancelled = cancelled or coaching_session.is_cancelled
    method = InvitationMethod.CANCEL if cancelled else InvitationMethod.REQUEST
    calendar = new_calendar(method)
    calendar.add_component(
        session_event(coaching_session, title, organizer, attendee, cancelled=cancelled)
    )
    return method, calendar.to_ical()


def single_event(coaching_session: CoachingSession, title: str, organizer: Person) -> bytes:
    """One session as a file to open in any calendar ("Add to calendar")."""
    calendar = new_calendar()
    calendar.add_component(session_event(coaching_session, title, organizer))
    return calendar.to_ical()


def feed(sessions: list[tuple[CoachingSession, str]], name: str) -> bytes:
    """A subscribed calendar of sessions, each with its title."""
    calendar = new_calendar(name=name)
    for coaching_session, title in sessions:
        calendar.add_component(session_event(coaching_session, title))
    return calendar.to_ical()
