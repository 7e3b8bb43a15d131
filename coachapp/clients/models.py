"""A coach's clients and their children."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db
from coachapp.timeutil import UTCDateTime, utcnow


class Client(db.Model):
    """A parent who works with one coach."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The client's own sign-in to the portal, once invited.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), default="")
    preferred_name: Mapped[str] = mapped_column(String(80), default="")
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    situation: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    preferred_contact: Mapped[str] = mapped_column(String(20), default="email")
    notes: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    coach = relationship("User", foreign_keys=[coach_id])
    user = relationship("User", foreign_keys=[user_id])
    children: Mapped[list["Child"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Child.birth_year"
    )

    @property
    def display_name(self) -> str:
        """How the coach addresses the client: preferred name first, then first and last."""
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()


class Child(db.Model):
    """A client's child, known to the coach by first name and year of birth."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    birth_year: Mapped[int | None]

    client: Mapped[Client] = relationship(back_populates="children")
