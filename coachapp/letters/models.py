"""Follow-up letters: templates, letters with their revisions, and each coach's letterhead."""

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, LargeBinary, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult
from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class LetterStatus(enum.StrEnum):
    """Where a letter is on its way to the client."""

    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"


class LetterTemplate(db.Model):
    """A reusable letter with merge fields such as {{ client.first_name }}."""

    __tablename__ = "letter_templates"
    __table_args__ = (UniqueConstraint("coach_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Which starter template this began as, so the demo and new coaches get each once.
    starter_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# To whom a letter is written: one adult of its family, or several jointly.
letter_addressees = Table(
    "letter_addressees",
    db.metadata,
    Column(
        "letter_id",
        ForeignKey("letters.id", ondelete="CASCADE", name="fk_letter_addressees_letter"),
        primary_key=True,
    ),
    Column(
        "adult_id",
        ForeignKey("adults.id", ondelete="CASCADE", name="fk_letter_addressees_adult"),
        primary_key=True,
        index=True,
    ),
)


class Letter(db.Model):
    """A letter from a coach to one client, perhaps about one session."""

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    coaching_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="SET NULL"), index=True
    )
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_templates.id", ondelete="SET NULL")
    )
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[LetterStatus] = mapped_column(
        value_enum(LetterStatus), default=LetterStatus.DRAFT
    )
    # Bumped on every save; a save based on an older version is a conflict, never an overwrite.
    version: Mapped[int] = mapped_column(default=1)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_to: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    client = relationship("Client")
    coaching_session = relationship("CoachingSession")
    template = relationship(LetterTemplate)
    addressees: Mapped[list[Adult]] = relationship(
        secondary=letter_addressees, order_by=(Adult.position, Adult.id), passive_deletes=True
    )
    revisions: Mapped[list["LetterRevision"]] = relationship(
        back_populates="letter",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="LetterRevision.number",
    )

    @property
    def first_addressee(self) -> Adult:
        """Whom the letter greets by name; the family's first adult if none is chosen yet."""
        return self.addressees[0] if self.addressees else self.client.first_adult


class LetterRevision(db.Model):
    """The letter as it was saved at one moment, by one person."""

    __tablename__ = "letter_revisions"
    __table_args__ = (UniqueConstraint("letter_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "save", "autosave", "restore" or "approve": what made this revision.
    reason: Mapped[str] = mapped_column(String(20), default="save")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="revisions")
    author = relationship("User")


class Letterhead(db.Model):
    """How a coach's letters look: names, contact details, logo, signature, colour, paper."""

    __tablename__ = "letterheads"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(120), default="")
    practice_name: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    # One link per line, e.g. "Instagram https://instagram.com/..."
    social_links: Mapped[str] = mapped_column(Text, default="")
    # Uploaded images live under instance/uploads/; these are paths relative to it.
    logo_path: Mapped[str | None] = mapped_column(String(200))
    signature_image_path: Mapped[str | None] = mapped_column(String(200))
    signature_text: Mapped[str] = mapped_column(String(120), default="")
    accent_colour: Mapped[str] = mapped_column(String(7), default="#9c4f36")
    paper_size: Mapped[str] = mapped_column(String(10), default="A4")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RenderedPdf(db.Model):
    """A PDF already rendered, found again by the hash of everything that went into it.

    Kept in the database so every app process sharing it shares the cache. Each belongs
    to one letter or one coaching session, and goes when that is deleted.
    """

    __tablename__ = "rendered_pdfs"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id", ondelete="CASCADE"), index=True
    )
    coaching_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_sessions.id", ondelete="CASCADE"), index=True
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
