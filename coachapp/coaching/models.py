"""Coaching sessions and the action items agreed in them."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class SessionFormat(enum.StrEnum):
    """How the coach and the client met."""

    IN_PERSON = "in_person"
    VIDEO = "video"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "video": "Video", "phone": "Phone"}[self.value]


class CoachingSession(db.Model):
    """One meeting between a coach and a client."""

    __tablename__ = "coaching_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    format: Mapped[SessionFormat] = mapped_column(
        value_enum(SessionFormat), default=SessionFormat.IN_PERSON
    )
    # Never shown to the client.
    private_notes: Mapped[str] = mapped_column(Text, default="")
    # Written for the client; shown in their portal.
    summary: Mapped[str] = mapped_column(Text, default="")
    follow_up_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    client = relationship("Client")
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="coaching_session",
        cascade="all, delete-orphan",
        order_by="ActionItem.position",
    )


class ActionItem(db.Model):
    """A small next step agreed in a session."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    coaching_session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coaching_session: Mapped[CoachingSession] = relationship(back_populates="action_items")
