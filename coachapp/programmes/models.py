"""Programmes: a coach's prompts for day 1..N (a "30 day challenge"), and the adults
enrolled in them, each on their own rhythm from their own start date."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult, Client
from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class Programme(db.Model):
    """A coach's series of daily prompts, written privately or made from a blog series."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    # Markdown: what the programme is for, shown to the client when they are enrolled.
    description: Mapped[str] = mapped_column(Text, default="")
    # The blog series it was made from, whose public answers a shared entry can join.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_series.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    coach = relationship("User")
    prompts: Mapped[list["Prompt"]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="Prompt.day"
    )


class Prompt(db.Model):
    """The text for one day of a programme: a short Markdown text ending in a question."""

    __tablename__ = "programme_prompts"
    __table_args__ = (UniqueConstraint("programme_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"))
    day: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # The blog post this day was made from, when the programme came from a series.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))

    programme: Mapped[Programme] = relationship(back_populates="prompts")


class Rhythm(enum.StrEnum):
    """Which days bring the next prompt."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    CHOSEN_DAYS = "chosen_days"


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"


class PromptNotice(enum.StrEnum):
    """How the adult hears of new prompts: their own choice, made in the portal."""

    DAILY_EMAIL = "daily_email"
    WEEKLY_DIGEST = "weekly_digest"
    PORTAL_ONLY = "portal_only"


class Enrolment(db.Model):
    """One adult following one programme, from a start date, on a rhythm.

    The day reached is ``counted_days`` plus the rhythm's days from ``counting_from`` up
    to today in the adult's time zone: pausing freezes the count, resuming counts on from
    the next day, so no prompt is skipped or shown twice.
    """

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    adult_id: Mapped[int] = mapped_column(ForeignKey("adults.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    rhythm: Mapped[Rhythm] = mapped_column(value_enum(Rhythm), default=Rhythm.DAILY)
    # For CHOSEN_DAYS: ISO weekday numbers, Monday 1 .. Sunday 7, comma-separated ("1,3,5").
    weekdays: Mapped[str] = mapped_column(String(20), default="")
    counting_from: Mapped[date] = mapped_column(Date)
    counted_days: Mapped[int] = mapped_column(default=0)
    status: Mapped[EnrolmentStatus] = mapped_column(
        value_enum(EnrolmentStatus), default=EnrolmentStatus.ACTIVE
    )
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice: Mapped[PromptNotice] = mapped_column(
        value_enum(PromptNotice), default=PromptNotice.DAILY_EMAIL
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    programme: Mapped[Programme] = relationship()
    client: Mapped[Client] = relationship()
    adult: Mapped[Adult] = relationship()
