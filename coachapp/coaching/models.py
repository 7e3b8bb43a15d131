"""Coaching sessions, their topics, the action items agreed in them, and note templates."""

import enum
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, false
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


class SessionStatus(enum.StrEnum):
    """Where a session stands. A planned session whose end has passed counts as held."""

    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {
            "planned": "Planned",
            "held": "Held",
            "cancelled": "Cancelled",
            "no_show": "No-show",
        }[self.value]


class Party(enum.StrEnum):
    """Who did something to a session: the coach, or an adult of the family."""

    COACH = "coach"
    CLIENT = "client"


class Repeat(enum.StrEnum):
    """How often the sessions of a series come."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"

    @property
    def label(self) -> str:
        return {
            "weekly": "Every week",
            "fortnightly": "Every two weeks",
            "monthly": "Every month",
        }[self.value]


class SessionSeries(db.Model):
    """Sessions planned together at a regular interval; each stays a session of its own."""

    __tablename__ = "session_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    repeat: Mapped[Repeat] = mapped_column(value_enum(Repeat))
    # What the coach asked for: until a day, or a number of sessions.
    until_on: Mapped[date | None]
    occurrence_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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


def new_calendar_uid() -> str:
    """A UID no other calendar event shares, wherever the family's calendars live."""
    return f"{uuid.uuid4()}@coachapp"


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
    # Stored as planned for a session ahead; see shown_status for one whose time has passed.
    status: Mapped[SessionStatus] = mapped_column(
        value_enum(SessionStatus), default=SessionStatus.PLANNED
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[Party | None] = mapped_column(value_enum(Party))
    # Which adult of the family cancelled, when the client did.
    cancelled_by_adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL", name="fk_coaching_sessions_cancelled_by_adult")
    )
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")
    # The series it was planned in, if any; deleting a session leaves the rest of it.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL"), index=True
    )
    # Cancelled within the coach's notice period.
    late_cancellation: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Where the session takes place: an address, or the link of a video call.
    location: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The session's event in calendars: its UID never changes, and its sequence grows
    # with every move or cancellation, so a calendar knows which version is newest.
    calendar_uid: Mapped[str | None] = mapped_column(String(80), default=new_calendar_uid)
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # The coach chose to e-mail its attendees an invitation (and so its later changes).
    invite_attendees: Mapped[bool] = mapped_column(default=False, server_default=false())
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
    coach = relationship("User", foreign_keys=[coach_id])
    series: Mapped[SessionSeries | None] = relationship()
    cancelled_by_adult: Mapped[Adult | None] = relationship(foreign_keys=[cancelled_by_adult_id])
    moves: Mapped[list["SessionMove"]] = relationship(
        back_populates="coaching_session",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="SessionMove.moved_at",
    )

    @property
    def shown_status(self) -> SessionStatus:
        """The status as the coach reads it: a planned session that has ended counts as held
        unless the coach marked it otherwise."""
        if self.status is SessionStatus.PLANNED and self.ends_at <= utcnow():
            return SessionStatus.HELD
        return self.status

    @property
    def has_started(self) -> bool:
        return self.starts_at <= utcnow()

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def location_is_link(self) -> bool:
        """Whether the place is a web address (a video call), shown as a link."""
        return self.location.strip().lower().startswith(("https://", "http://"))

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


class SessionMove(db.Model):
    """One time a session was moved: from when, by whom, and when it was done."""

    __tablename__ = "session_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    coaching_session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    old_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    old_duration_minutes: Mapped[int]
    new_starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_duration_minutes: Mapped[int]
    moved_by: Mapped[Party] = mapped_column(value_enum(Party))
    # The adult of the family who moved it, when the client did.
    moved_by_adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL"), index=True
    )
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coaching_session: Mapped[CoachingSession] = relationship(back_populates="moves")
    moved_by_adult: Mapped[Adult | None] = relationship()

    @property
    def mover_name(self) -> str:
        """Who moved it, as the coach reads it: "You", or the adult's first name."""
        if self.moved_by is Party.COACH:
            return "You"
        adult = self.moved_by_adult
        return (adult.preferred_name or adult.first_name) if adult else "The client"
