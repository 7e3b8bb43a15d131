"""Messages waiting to be sent, being sent, sent, or given up on."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    """Where a message is on its way out."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """One e-mail, recorded with the change that caused it and delivered by a worker."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "letter", "invite" or "reset": what the message is about.
    kind: Mapped[str] = mapped_column(String(20))
    # The coach whose outbox lists the message (none for a client's password reset).
    coach_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # The letter whose PDF travels with the message, rendered when it is sent.
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    # Where a mailing list's one-click unsubscribe goes (List-Unsubscribe); "" for others.
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # When a worker may next try; while "sending", when a crashed worker's claim lapses.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # One message per key: a double click or a retry never sends the same thing twice.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    letter = relationship("Letter")

    @property
    def is_waiting(self) -> bool:
        """Not sent and not being sent: the coach may ask for another try now."""
        return self.status in (OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.FAILED)
