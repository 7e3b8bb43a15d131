"""Accounts: creating coaches, checking passwords, safe redirects after sign-in."""

from functools import cache
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import session
from flask_login import login_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from coachapp.auth.models import Practice, Role, User, new_session_token
from coachapp.extensions import db
from coachapp.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024


class AccountError(ValueError):
    """An account could not be created or changed; the message says why."""


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without surrounding spaces and case."""
    return email.strip().lower()


def check_new_password(password: str) -> None:
    """Refuse passwords that are too short (or absurdly long) with a reason."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters.")


def get_user_by_email(email: str) -> User | None:
    """The account with this e-mail address, if any."""
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def set_password(user: User, password: str) -> None:
    """Store a new password hash and sign the user out of every other browser."""
    check_new_password(password)
    user.password_hash = generate_password_hash(password)
    user.session_token = new_session_token()


def create_coach(
    email: str,
    name: str,
    password: str,
    *,
    practice: Practice | None = None,
    practice_name: str | None = None,
    is_owner: bool | None = None,
    bio: str = "",
) -> User:
    """Add a coach; the first coach of a new practice is its owner. Flushes, does not commit."""
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"That e-mail address is not valid: {error}") from error
    if not name.strip():
        raise AccountError("A coach needs a name.")
    if get_user_by_email(email) is not None:
        raise AccountError(f"There is already an account for {email}.")
    if practice is None:
        practice = Practice(name=(practice_name or f"{name.strip()} Coaching").strip())
        db.session.add(practice)
        is_owner = True if is_owner is None else is_owner
    coach = User(
        email=email,
        name=name.strip(),
        role=Role.COACH,
        practice=practice,
        is_owner=bool(is_owner),
        bio=bio,
    )
    set_password(coach, password)
    db.session.add(coach)
    db.session.flush()
    from coachapp.coaching.services import add_default_topics  # coaching builds on accounts

    add_default_topics(coach)
    return coach


@cache
def _stand_in_hash() -> str:
    return generate_password_hash("coachapp: no such account")


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (taking as long either way)."""
    user = get_user_by_email(email)
    if user is None or not user.password_hash:
        # Checking a stand-in hash keeps unknown addresses from answering faster.
        check_password_hash(_stand_in_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def record_sign_in(user: User) -> None:
    """Note when the user last signed in."""
    user.last_login_at = utcnow()


def begin_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing from before sign-in carries over.

    The session's start and last activity are kept for the idle and absolute timeouts.
    Does not commit.
    """
    session.clear()
    login_user(user)
    moment = int(utcnow().timestamp())
    session["signed_in_at"] = moment
    session["seen_at"] = moment
    record_sign_in(user)


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/"):
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target
