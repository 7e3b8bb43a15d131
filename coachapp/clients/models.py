"""A coach's clients, their children, the tags a coach files them under, and their consents."""

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db
from coachapp.timeutil import UTCDateTime, utcnow

# How a client likes to be reached: the stored value and what the coach reads.
CONTACT_METHODS = {"email": "E-mail", "phone": "Phone call", "text": "Text message"}

client_tags = Table(
    "client_tags",
    db.metadata,
    Column("client_id", ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Client(db.Model):
    """A family a coach works with: one or more adults (parents, partners, grandparents)
    and their children. A family of one adult is what most coaches call a client."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    situation: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Other words that would identify the family in a published letter, one per line
    # (a town, a school, a workplace); the anonymiser removes them as it removes names.
    identifying_words: Mapped[str] = mapped_column(Text, default="")
    # Separated parents in conflict, or a safety concern: the adults never see each
    # other's contact details, individual sessions, letters or activity.
    keep_apart: Mapped[bool] = mapped_column(default=False, server_default=false())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    coach = relationship("User", foreign_keys=[coach_id])
    adults: Mapped[list["Adult"]] = relationship(
        back_populates="client",
        cascade="all, delete-orphan",
        order_by="(Adult.position, Adult.id)",
        lazy="selectin",
    )
    children: Mapped[list["Child"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Child.birth_year"
    )
    tags: Mapped[list["Tag"]] = relationship(
        secondary=client_tags, back_populates="clients", order_by="Tag.name", passive_deletes=True
    )

    @property
    def first_adult(self) -> "Adult":
        """The adult the coach added first: who a one-adult family's letters go to."""
        return self.adults[0]

    @property
    def display_name(self) -> str:
        """How the coach names the family: "Sofia Marin", "Sofia Marin and Marc Duval",
        or "Amira and Karim Haddad" when they share a last name."""
        return self._names(lambda adult: adult.preferred_name or adult.first_name)

    @property
    def full_name(self) -> str:
        """Each adult's first and last name as written on paper."""
        return self._names(lambda adult: adult.first_name)

    def _names(self, first) -> str:
        last_names = {adult.last_name for adult in self.adults}
        if len(self.adults) > 1 and len(last_names) == 1 and "" not in last_names:
            return f"{and_list([first(adult) for adult in self.adults])} {last_names.pop()}"
        return and_list([f"{first(adult)} {adult.last_name}".strip() for adult in self.adults])

    @property
    def first_names(self) -> str:
        """The adults' first names as a letter greets them: "Sofia" or "Sofia and Marc"."""
        return and_list([adult.preferred_name or adult.first_name for adult in self.adults])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def and_list(names: list[str]) -> str:
    """"Sofia", "Sofia and Marc", "Sofia, Marc and Ana"."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


class Adult(db.Model):
    """One adult of a family: a parent, a partner, a grandparent. Each has their own
    contact details and, once invited, their own sign-in to the portal."""

    __tablename__ = "adults"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    # The order the coach added them in; the first is the family's first adult.
    position: Mapped[int] = mapped_column(default=0)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80), default="")
    preferred_name: Mapped[str] = mapped_column(String(80), default="")
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    preferred_contact: Mapped[str] = mapped_column(String(20), default="email")
    # What they are to the children, in the coach's words: "Mother", "Grandfather".
    relation_to_children: Mapped[str] = mapped_column(String(80), default="")
    # Their own sign-in to the portal, once invited.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    # The adult's own choice, made in the portal: an e-mail before each session they attend.
    wants_session_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship(back_populates="adults")
    user = relationship("User", foreign_keys=[user_id])

    @property
    def display_name(self) -> str:
        """Preferred name first, then first and last."""
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()

    @property
    def full_name(self) -> str:
        """First and last name as written on paper."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def preferred_contact_label(self) -> str:
        return CONTACT_METHODS.get(self.preferred_contact, self.preferred_contact)


class Child(db.Model):
    """A client's child, known to the coach by first name and year of birth."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    birth_year: Mapped[int | None]

    client: Mapped[Client] = relationship(back_populates="children")

    def age_label(self, today: date) -> str:
        """The child's age as far as a year of birth tells it, e.g. 'about 7'."""
        if self.birth_year is None:
            return ""
        age = today.year - self.birth_year
        if age < 0:
            return "expected"
        if age == 0:
            return "born this year"
        return f"about {age}"


class Tag(db.Model):
    """A word a coach files clients under (e.g. 'return to work'); each coach has their own."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("coach_id", "name", name="uq_tags_coach_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))

    clients: Mapped[list[Client]] = relationship(
        secondary=client_tags, back_populates="tags", passive_deletes=True
    )
