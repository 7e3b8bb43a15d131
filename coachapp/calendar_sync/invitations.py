"""E-mailing each attending adult the session's event, and each change to it.

Every adult gets their own e-mail, addressed to them alone and naming only them, so a
family whose adults are kept apart learns nothing of each other from it.
"""

from flask import has_request_context, render_template
from sqlalchemy import delete

from coachapp.calendar_sync.ical import Person, invitation
from coachapp.calendar_sync.models import InvitationMethod, SessionInvitation
from coachapp.clients.models import Adult
from coachapp.coaching.models import CoachingSession
from coachapp.coaching.signals import session_calendar_changed
from coachapp.extensions import db
from coachapp.mail import Attachment
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue, send_soon
from coachapp.outbox.signals import attachments_wanted
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

INVITATION_KIND = "calendar"
SUBJECTS = {
    "new": "Invitation: your session with {coach} on {when}",
    "moved": "Updated: your session with {coach} is now on {when}",
    "cancelled": "Cancelled: your session with {coach} on {when}",
}


def attendee_title(coaching_session: CoachingSession) -> str:
    """The event's title in an attendee's calendar."""
    return f"Session with {coaching_session.coach.name}"


def reader_zone(coaching_session: CoachingSession, adult: Adult):
    """The adult's own time zone (from their portal sign-in), else the coach's."""
    return user_zone(adult.user if adult.user is not None else coaching_session.coach)


def invitation_key(coaching_session: CoachingSession, adult: Adult) -> str:
    """One e-mail per session, version and adult: nothing is sent twice. The key ends with
    the adult, as a letter's does, so erasing an adult finds their e-mails."""
    return (
        f"{INVITATION_KIND}-session-{coaching_session.id}-"
        f"{coaching_session.calendar_sequence}-adult-{adult.id}"
    )


def session_key_prefix(coaching_session_id: int) -> str:
    """What the keys of every e-mail about one session begin with."""
    return f"{INVITATION_KIND}-session-{coaching_session_id}-"


@session_calendar_changed.connect
def email_attendees(
    coaching_session: CoachingSession, deleted: bool = False
) -> list[OutboxMessage]:
    """Queue the session's event for each attending adult with an e-mail address, when
    the coach chose to invite them and the session is still ahead; a session about to be
    deleted is cancelled in their calendars."""
    if not coaching_session.invite_attendees or coaching_session.starts_at <= utcnow():
        return []
    db.session.flush()  # a session just planned needs its id for the keys
    messages = [
        _queue(coaching_session, adult, deleted)
        for adult in coaching_session.attendees
        if adult.email.strip()
    ]
    if messages and has_request_context():
        send_soon(*messages)
    return messages


def _queue(coaching_session: CoachingSession, adult: Adult, deleted: bool) -> OutboxMessage:
    coach = coaching_session.coach
    method, calendar = invitation(
        coaching_session,
        attendee_title(coaching_session),
        organizer=Person(coach.name, coach.email),
        attendee=Person(adult.full_name, adult.email.strip()),
        cancelled=deleted,
    )
    context = _email_context(coaching_session, adult, method)
    message = enqueue(
        Email(
            kind=INVITATION_KIND,
            recipient=adult.email.strip(),
            subject=SUBJECTS[context["change"]].format(coach=coach.name, when=context["when"]),
            text=render_template("email/session_invitation.txt", **context),
            html=render_template("email/session_invitation.html", **context),
            idempotency_key=invitation_key(coaching_session, adult),
            coach_id=coaching_session.coach_id,
            reply_to=coach.email,
        )
    )
    if db.session.get(SessionInvitation, message.id) is None:
        db.session.add(
            SessionInvitation(
                outbox_message_id=message.id, method=method, calendar=calendar.decode()
            )
        )
    return message


def _email_context(coaching_session: CoachingSession, adult: Adult, method) -> dict:
    zone = reader_zone(coaching_session, adult)
    start = coaching_session.starts_at.astimezone(zone)
    end = coaching_session.ends_at.astimezone(zone)
    if method is InvitationMethod.CANCEL:
        change = "cancelled"
    else:
        change = "moved" if coaching_session.calendar_sequence > 0 else "new"
    return {
        "change": change,
        "coach": coaching_session.coach,
        "adult": adult,
        "coaching_session": coaching_session,
        "when": start.strftime("%a %-d %b %Y, %H:%M"),
        "until": end.strftime("%H:%M"),
        "zone_name": zone.key,
    }


def delete_session_emails(coaching_session_ids: list[int]) -> None:
    """Forget the invitations queued or sent about these sessions (their family is being
    deleted); their calendars go with the outbox rows."""
    for coaching_session_id in coaching_session_ids:
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.kind == INVITATION_KIND,
                OutboxMessage.idempotency_key.startswith(
                    session_key_prefix(coaching_session_id), autoescape=True
                ),
            )
        )


@attachments_wanted.connect
def invitation_attachment(message: OutboxMessage) -> list[Attachment]:
    """An invitation's e-mail carries its event, made when the change happened."""
    if message.kind != INVITATION_KIND:
        return []
    invitation_row = db.session.get(SessionInvitation, message.id)
    if invitation_row is None:
        return []
    return [
        Attachment(
            "invite.ics",
            invitation_row.calendar.encode(),
            mimetype="text/calendar",
            params={"method": invitation_row.method.value, "charset": "UTF-8"},
        )
    ]
