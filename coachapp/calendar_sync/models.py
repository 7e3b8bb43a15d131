"""The coach's private calendar address, and the invitations that travel with e-mails."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class ClientNaming(enum.StrEnum):
    """How the coach's calendar names a family: never in full, since a calendar
    provider reads every event."""

    FIRST_NAME = "first_name"
    INITIALS = "initials"

    @property
    def label(self) -> str:
        return {"first_name": "First names (Sofia)", "initials": "Initials (S. M.)"}[self.value]


class CalendarFeed(db.Model):
    """A coach's secret calendar address: only a hash of its token is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_naming: Mapped[ClientNaming] = mapped_column(
        value_enum(ClientNaming), default=ClientNaming.FIRST_NAME
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InvitationMethod(enum.StrEnum):
    """What an e-mailed event asks of the calendar (RFC 5546)."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


class SessionInvitation(db.Model):
    """The iCalendar object an outbox e-mail carries, made when the change happened so
    that a late delivery still says what was true then."""

    __tablename__ = "session_invitations"

    outbox_message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[InvitationMethod] = mapped_column(value_enum(InvitationMethod))
    calendar: Mapped[str] = mapped_column(Text)
