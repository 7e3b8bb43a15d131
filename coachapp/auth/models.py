"""Practices and the people who sign in to them: coaches and clients."""

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.extensions import db, value_enum
from coachapp.timeutil import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a person can do in coachapp."""

    COACH = "coach"
    CLIENT = "client"


def new_session_token() -> str:
    """A random token naming a user's current sign-ins; rotating it signs them out everywhere."""
    return secrets.token_urlsafe(32)


class Practice(db.Model):
    """A coaching practice: one coach, or a few who share it."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by the owner: every coach of the practice must sign in with a second step.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())

    members: Mapped[list["User"]] = relationship(back_populates="practice")


# The choices a coach has for session reminders, in hours before the session; 0 sends none.
REMINDER_HOURS = (0, 1, 2, 3, 6, 12, 24, 48, 72, 168)


class User(UserMixin, db.Model):
    """Someone who signs in: a coach (perhaps the practice owner) or a client."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(value_enum(Role))
    is_owner: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    # A coach's notice period: a session cancelled later than this before it starts is a
    # late cancellation.
    cancellation_notice_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    # How long before a planned session its attendees get a reminder by e-mail; 0 sends none.
    session_reminder_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-factor sign-in (TOTP): the shared secret, encrypted with TWO_FACTOR_KEYS (see
    # two_factor_keys.py), and the last time step accepted, so that each code works once.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column()
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    practice: Mapped[Practice] = relationship(back_populates="members")

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None and bool(self.totp_secret_encrypted)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to inactive accounts
        return self.active

    @property
    def is_coach(self) -> bool:
        return self.role is Role.COACH

    @property
    def is_client(self) -> bool:
        return self.role is Role.CLIENT

    def get_id(self) -> str:
        """Flask-Login keeps this token in the session cookie, not the numeric id."""
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class TokenPurpose(enum.StrEnum):
    """What a link sent by e-mail lets its holder do."""

    INVITE = "invite"
    RESET = "reset"


class AccessToken(db.Model):
    """A single-use, expiring link to set a password; only the token's hash is stored."""

    __tablename__ = "access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(value_enum(TokenPurpose))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeptWork(db.Model):
    """What someone typed into a form when their session had timed out, kept until they
    sign in again and choose to save or discard it (file uploads are not kept)."""

    __tablename__ = "kept_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(2000))
    fields: Mapped[list] = mapped_column(JSON)  # [[name, value], ...] in the order posted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
