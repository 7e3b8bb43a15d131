"""The journal: what an adult writes in the portal, private to them unless they share an
entry with their coach, and the coach's replies to shared entries."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult, Client
from coachapp.extensions import db
from coachapp.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:  # a runtime import would load the programmes package, which reads entries
    from coachapp.programmes.models import Enrolment, Prompt


class JournalEntry(db.Model):
    """One entry: an answer to a programme's prompt, or written freely.

    ``version`` goes up with every save, so a save from an older tab is a conflict, as
    for letters. ``shared_at`` is set while the writer shares it with the coach; without
    it the coach sees nothing of the entry anywhere.
    """

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_client_id_shared_at", "client_id", "shared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    # The writer: the only adult who ever sees the entry.
    adult_id: Mapped[int] = mapped_column(ForeignKey("adults.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL"), index=True
    )
    prompt_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_prompts.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the coach last opened it since it was shared; None while it is new to them.
    coach_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    adult: Mapped[Adult] = relationship()
    enrolment: Mapped["Enrolment | None"] = relationship()
    prompt: Mapped["Prompt | None"] = relationship()
    replies: Mapped[list["JournalReply"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="JournalReply.created_at"
    )

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None


class JournalReply(db.Model):
    """The coach's answer to a shared entry, shown under it in the writer's portal."""

    __tablename__ = "journal_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True
    )
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    entry: Mapped[JournalEntry] = relationship(back_populates="replies")
    coach = relationship("User")
