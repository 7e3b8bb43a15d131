"""Which reminders are due, and queuing each one exactly once per session time.

The outbox worker announces each round of deliveries; the reminders due by then are queued
with a key made of the session, its start and the adult. Moving a session gives its start,
and so its reminders, a new key; the same time never gets a second one.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from coachapp.auth.models import REMINDER_HOURS, User
from coachapp.clients.models import Adult
from coachapp.coaching.models import CoachingSession, SessionStatus
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage, OutboxStatus
from coachapp.outbox.services import Email, enqueue_each, message_by_key
from coachapp.outbox.signals import delivery_round_starting
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

REMINDER_KIND = "reminder"
LONGEST_NOTICE = timedelta(hours=max(REMINDER_HOURS))


@dataclass(frozen=True)
class Reminder:
    """One adult to remind of one session."""

    coaching_session: CoachingSession
    adult: Adult

    @property
    def idempotency_key(self) -> str:
        start = self.coaching_session.starts_at.strftime("%Y%m%dT%H%MZ")
        return f"reminder:{self.coaching_session.id}:{start}:{self.adult.id}"


def is_reminded(adult: Adult) -> bool:
    """Whether the adult can and wants to hear of their sessions by e-mail."""
    return bool(adult.email) and adult.wants_session_reminders


def due_reminders(now: datetime) -> list[Reminder]:
    """Every reminder whose time has come for a planned session that has not started."""
    statement = (
        select(CoachingSession)
        .join(User, User.id == CoachingSession.coach_id)
        .options(
            joinedload(CoachingSession.coach),
            selectinload(CoachingSession.attendees).joinedload(Adult.user),
        )
        .where(
            CoachingSession.status == SessionStatus.PLANNED,
            CoachingSession.starts_at > now,
            CoachingSession.starts_at <= now + LONGEST_NOTICE,
            User.session_reminder_hours > 0,
        )
        .order_by(CoachingSession.starts_at, CoachingSession.id)
    )
    return [
        Reminder(coaching_session, adult)
        for coaching_session in db.session.scalars(statement)
        if _reminder_time(coaching_session) <= now
        for adult in coaching_session.attendees
        if is_reminded(adult)
    ]


def _reminder_time(coaching_session: CoachingSession) -> datetime:
    notice = timedelta(hours=coaching_session.coach.session_reminder_hours)
    return coaching_session.starts_at - notice


def queue_due_reminders(now: datetime) -> int:
    """Queue every due reminder not queued before; returns how many are new. Flushes."""
    due = due_reminders(now)
    withdraw_stale_reminders({reminder.idempotency_key for reminder in due})
    return enqueue_each(
        (reminder_email(reminder) for reminder in due
         if message_by_key(reminder.idempotency_key) is None),
        "reminder",
    )


def withdraw_stale_reminders(due_keys: set[str]) -> int:
    """Delete unsent reminders no longer due: a mail server that was down must not deliver,
    once it is back, a reminder of a session since moved, cancelled or begun. Flushes."""
    unsent = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == REMINDER_KIND,
            OutboxMessage.status.in_(
                [OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.FAILED]
            ),
        )
    )
    stale = [message for message in unsent if message.idempotency_key not in due_keys]
    for message in stale:
        db.session.delete(message)
    db.session.flush()
    return len(stale)


def reminder_email(reminder: Reminder) -> Email:
    """The reminder to one adult alone, the time in their own time zone."""
    coaching_session, adult = reminder.coaching_session, reminder.adult
    coach = coaching_session.coach
    zone = recipient_zone(adult, coach)
    context = {
        "adult": adult,
        "coach": coach,
        "coaching_session": coaching_session,
        "when": spoken_time(coaching_session.starts_at, zone),
        "location": coaching_session.location or "",
        "settings_link": _settings_link(adult),
    }
    return Email(
        kind=REMINDER_KIND,
        recipient=adult.email,
        subject=f"Reminder: your session with {coach.name}, {context['when']}",
        text=render_template("email/reminder.txt", **context),
        html=render_template("email/reminder.html", **context),
        idempotency_key=reminder.idempotency_key,
        coach_id=coach.id,
        reply_to=coach.email,
    )


def recipient_zone(adult: Adult, coach: User) -> ZoneInfo:
    """The adult's own time zone when they sign in to the portal, else their coach's."""
    return user_zone(adult.user if adult.user is not None else coach)


def spoken_time(moment: datetime, zone: ZoneInfo) -> str:
    """"Tuesday 8 December 2026 at 14:00 (GMT)"."""
    local = moment.astimezone(zone)
    return f"{local:%A %-d %B %Y at %H:%M} ({local.tzname()})"


def _settings_link(adult: Adult) -> str:
    if adult.user is None:
        return ""
    return current_app.config["CANONICAL_URL"].rstrip("/") + "/portal/settings"


@delivery_round_starting.connect
def _queue_before_delivering(_app, **_extra) -> None:
    queued = queue_due_reminders(utcnow())
    if queued:
        log.info("Queued %s session reminders", queued)
