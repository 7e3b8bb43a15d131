"""Readers who follow the blog, or one series of it, by e-mail."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class SubscriptionStatus(enum.StrEnum):
    """A subscription waits for its address to be confirmed, is live, or has been left."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class ReaderSubscription(db.Model):
    """One address following the whole blog (no series) or one series, day by day.

    The address is used for sending these messages and nothing else; deleting the row on
    the reader's request removes it, and the messages sent to it, for good.
    """

    __tablename__ = "reader_subscriptions"
    __table_args__ = (Index("ix_reader_subscriptions_email_series", "email", "series_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # None: every new post of the blog. A deleted series takes its subscriptions with it.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_series.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SubscriptionStatus] = mapped_column(
        value_enum(SubscriptionStatus), default=SubscriptionStatus.PENDING, index=True
    )
    # SHA-256 of the confirmation link's token: a copy of the database confirms nobody.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A random value mixed into the unsubscribe link's signature, so that a row made later
    # with the same id never answers to an older row's link.
    link_salt: Mapped[str] = mapped_column(String(32))
    # A series is sent one day at a time from this date: day k on joined_on + (k - 1).
    joined_on: Mapped[date | None]
    days_sent: Mapped[int] = mapped_column(default=0)
    last_sent_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    series = relationship("Series")
