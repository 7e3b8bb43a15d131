"""A coach's booking rules, and which sessions a client booked themselves."""

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.timeutil import UTCDateTime, utcnow


class BookingSettings(db.Model):
    """Whether and when a coach's clients may book sessions in the portal."""

    __tablename__ = "booking_settings"

    coach_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The lengths offered, in minutes, comma-separated ("50,90").
    session_lengths: Mapped[str] = mapped_column(String(60), default="50")
    buffer_minutes: Mapped[int] = mapped_column(default=10)
    minimum_notice_hours: Mapped[int] = mapped_column(default=24)
    max_sessions_per_day: Mapped[int | None]
    # Every booking, move and cancellation by a client updates this row first: the row lock
    # that makes two clients wanting one time take turns (see services.lock_calendar).
    calendar_changes: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    hours: Mapped[list["BookingHours"]] = relationship(
        cascade="all, delete-orphan",
        order_by="(BookingHours.weekday, BookingHours.starts_at)",
    )
    days_off: Mapped[list["DayOff"]] = relationship(
        cascade="all, delete-orphan", order_by="DayOff.day"
    )

    @property
    def lengths(self) -> list[int]:
        return [int(part) for part in self.session_lengths.split(",") if part]


class BookingHours(db.Model):
    """One range of hours on a weekday, in the coach's time zone (Monday is 0)."""

    __tablename__ = "booking_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("booking_settings.coach_id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    starts_at: Mapped[time]
    ends_at: Mapped[time]


class DayOff(db.Model):
    """A date on which the coach takes no bookings."""

    __tablename__ = "booking_days_off"
    __table_args__ = (UniqueConstraint("coach_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("booking_settings.coach_id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]


class SessionBooking(db.Model):
    """A session a client booked in the portal, and which adult of the family booked it."""

    __tablename__ = "session_bookings"

    coaching_session_id: Mapped[int] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL"), index=True
    )
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coaching_session: Mapped[CoachingSession] = relationship()
    adult: Mapped[Adult | None] = relationship()

    @property
    def booker_name(self) -> str:
        """Who booked it, as the coach reads it."""
        if self.adult is None:
            return "the client"
        return self.adult.preferred_name or self.adult.first_name
