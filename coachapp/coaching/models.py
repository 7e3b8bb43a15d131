"""Coaching sessions, their topics, the action items agreed in them, and note templates."""

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult, Client, and_list
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


coaching_session_topics = Table(
    "coaching_session_topics",
    db.metadata,
    Column(
        "coaching_session_id",
        # Named by hand: the conventional name is longer than PostgreSQL allows.
        ForeignKey(
            "coaching_sessions.id", ondelete="CASCADE", name="fk_coaching_session_topics_session"
        ),
        primary_key=True,
    ),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


# Who came to a session: they read its summary and action items in the portal.
session_attendees = Table(
    "session_attendees",
    db.metadata,
    Column(
        "coaching_session_id",
        ForeignKey("coaching_sessions.id", ondelete="CASCADE", name="fk_session_attendees_session"),
        primary_key=True,
    ),
    Column(
        "adult_id",
        ForeignKey("adults.id", ondelete="CASCADE", name="fk_session_attendees_adult"),
        primary_key=True,
        index=True,
    ),
)

# Adults who did not come but with whom the coach shares the session's summary too.
session_shared_with = Table(
    "session_shared_with",
    db.metadata,
    Column(
        "coaching_session_id",
        ForeignKey(
            "coaching_sessions.id", ondelete="CASCADE", name="fk_session_shared_with_session"
        ),
        primary_key=True,
    ),
    Column(
        "adult_id",
        ForeignKey("adults.id", ondelete="CASCADE", name="fk_session_shared_with_adult"),
        primary_key=True,
        index=True,
    ),
)


class Topic(db.Model):
    """A theme on the coach's own list (guilt, return to work, self-care, …)."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("coach_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))


class NoteTemplate(db.Model):
    """A coach's own structure for a session's private notes."""

    __tablename__ = "note_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CoachingSession(db.Model):
    """One meeting between a coach and a client."""

    __tablename__ = "coaching_sessions"
    # The dashboard asks "this coach's sessions in this time window / follow-ups due".
    __table_args__ = (
        Index("ix_coaching_sessions_coach_starts", "coach_id", "starts_at"),
        Index("ix_coaching_sessions_coach_follow_up", "coach_id", "follow_up_on"),
    )

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

    # Deleting a client deletes their sessions through the database's ON DELETE CASCADE.
    client: Mapped[Client] = relationship()
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="coaching_session",
        cascade="all, delete-orphan",
        order_by="ActionItem.position",
    )
    topics: Mapped[list[Topic]] = relationship(
        secondary=coaching_session_topics, order_by=Topic.name, passive_deletes=True
    )
    attendees: Mapped[list[Adult]] = relationship(
        secondary=session_attendees, order_by=(Adult.position, Adult.id), passive_deletes=True
    )
    shared_with: Mapped[list[Adult]] = relationship(
        secondary=session_shared_with, order_by=(Adult.position, Adult.id), passive_deletes=True
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def attendance(self) -> str:
        """Who came, as the coach reads it: "Sofia and Marc", "Sofia alone"."""
        names = _first_names(self.attendees)
        if len(names) == 1:
            return f"{names[0]} alone"
        return and_list(names)

    @property
    def shared_with_names(self) -> str:
        """Who else reads the summary: "Marc", "Marc and Ana"."""
        return and_list(_first_names(self.shared_with))


def _first_names(adults: list[Adult]) -> list[str]:
    return [adult.preferred_name or adult.first_name for adult in adults]


class ActionItem(db.Model):
    """A small next step agreed in a session."""

    __tablename__ = "action_items"
    # Open steps soonest due first, and undated open steps newest first, without a sort.
    __table_args__ = (Index("ix_action_items_due_done", "due_on", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coaching_session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Whose step it is: NULL for the whole family, else one adult's own.
    adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL"), index=True
    )

    coaching_session: Mapped[CoachingSession] = relationship(back_populates="action_items")
    adult: Mapped[Adult | None] = relationship()
