"""Accounts: creating coaches, passwords and e-mail addresses, signing in and out, safe
redirects after sign-in."""

import re
from collections.abc import Iterable
from functools import cache
from urllib.parse import urlsplit

from flask import current_app, session
from flask_login import login_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import Practice, Role, User, new_session_token
from coachapp.auth.signals import client_record_wanted, coach_created, signed_in
from coachapp.extensions import db
from coachapp.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's score runs from 0 (guessed at once) to 4; below 3 is too easy to guess online.
MIN_PASSWORD_SCORE = 3
# zxcvbn slows down sharply on long input; the first 100 characters say enough.
PASSWORD_CHECK_PREFIX = 100
GUESSABLE_ADVICE = "Add a few more words, ideally ones that do not usually go together."


class AccountError(ValueError):
    """An account could not be created or changed; the message says why."""


class WrongPassword(AccountError):
    """The current password typed to confirm a change is not the right one."""

    def __init__(self):
        super().__init__("That is not your current password.")


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without surrounding spaces and case."""
    return email.strip().lower()


def valid_email(address: str) -> str:
    """``address`` as an account stores it (normalised, lower case); AccountError if invalid."""
    # Its import compiles many patterns: only once an address is given (start-up time).
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise AccountError(f"That e-mail address is not valid: {error}") from error


def check_new_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Refuse passwords that are too short, absurdly long or easily guessed, with a reason.

    ``user_inputs`` are words an attacker would try first: the person's e-mail and name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Choose a password of at most {MAX_PASSWORD_LENGTH} characters.")
    from zxcvbn import zxcvbn  # its word lists take a while to load: only when needed

    result = zxcvbn(
        password[:PASSWORD_CHECK_PREFIX],
        user_inputs=_guessing_words(user_inputs),
        max_length=PASSWORD_CHECK_PREFIX,
    )
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"]["warning"] or "This password would be easy to guess."
        if not warning.endswith("."):
            warning += "."
        raise AccountError(f"{warning} {GUESSABLE_ADVICE}")


def _guessing_words(user_inputs: Iterable[str]) -> list[str]:
    """Each input, its parts run together, and each part: "Maya Lindqvist" gives
    "maya lindqvist", "mayalindqvist", "maya" and "lindqvist"."""
    words = []
    for text in user_inputs:
        if not text:
            continue
        lowered = text.lower()
        parts = [part for part in re.split(r"\W+", lowered) if len(part) > 2]
        words.extend([lowered, "".join(parts), *parts])
    return words


def password_inputs_for(user: User) -> tuple[str, ...]:
    """What a guesser knows about this person: their e-mail address and name."""
    return tuple(text for text in (user.email, user.name) if text)


def get_user_by_email(email: str) -> User | None:
    """The account with this e-mail address, if any."""
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def set_password(user: User, password: str) -> None:
    """Store a new password hash and sign the user out of every other browser."""
    check_new_password(password, password_inputs_for(user))
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def hash_password(password: str) -> str:
    """A salted hash of ``password`` with the configured PASSWORD_HASH_METHOD."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than the configured ones."""
    return not password_hash.startswith(current_app.config["PASSWORD_HASH_METHOD"] + "$")


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
    email = valid_email(email)
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
    coach_created.send(coach)
    return coach


@cache
def _stand_in_hash(method: str) -> str:
    return generate_password_hash("coachapp: no such account", method=method)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (taking as long either way)."""
    user = get_user_by_email(email)
    if user is None or not user.password_hash:
        # Checking a stand-in hash keeps unknown addresses from answering faster.
        check_password_hash(_stand_in_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        # The password is at hand only now: store it with today's parameters.
        user.password_hash = hash_password(password)
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
    signed_in.send(user)


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


# Signing in and out, and changing one's own password and e-mail address


def client_id_of(user: User) -> int | None:
    """The client record behind a portal sign-in, so their own sign-ins can be shown to them."""
    if not user.is_client:
        return None
    answers = [answer for _, answer in client_record_wanted.send(user) if answer is not None]
    return answers[0] if answers else None


def sign_in(user: User) -> None:
    """Sign ``user`` in on a fresh session and note it in the audit log. Does not commit."""
    begin_session(user)
    record_event(AuditAction.SIGN_IN, actor=user, client_id=client_id_of(user))


def record_failed_sign_in(email: str) -> None:
    """Note a refused sign-in under the address typed (never the password). Does not commit."""
    user = get_user_by_email(email)
    if user is None:
        detail = "no account with this address"
    elif not user.active:
        detail = "the account is switched off"
    else:
        detail = "wrong password"
    record_event(
        AuditAction.SIGN_IN_FAILED,
        detail=detail,
        actor_label=email.strip(),
        practice_id=user.practice_id if user is not None else None,
        client_id=client_id_of(user) if user is not None else None,
    )


def record_failed_second_step(user: User, detail: str) -> None:
    """Note a wrong two-step code for someone whose password was right. Does not commit."""
    record_event(
        AuditAction.SIGN_IN_FAILED, actor=user, detail=detail, client_id=client_id_of(user)
    )


def sign_out(user: User) -> None:
    """End every session of ``user``: a copy of the old cookie no longer works. Does not commit."""
    record_event(AuditAction.SIGN_OUT, actor=user, client_id=client_id_of(user))
    user.session_token = new_session_token()


def check_current_password(user: User, password: str) -> None:
    """Raise WrongPassword unless ``password`` is the user's password."""
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise WrongPassword()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other browsers are signed out.

    Raises WrongPassword, or AccountError for a new password that is refused. Flushes
    nothing; the caller signs this browser in again and commits.
    """
    check_current_password(user, current_password)
    set_password(user, new_password)
    record_event(AuditAction.PASSWORD_CHANGED, actor=user, client_id=client_id_of(user))


def change_email(user: User, password: str, new_email: str) -> None:
    """Move the account to a new sign-in address; other browsers are signed out.

    Raises WrongPassword, or AccountError for an address that is invalid or taken.
    Flushes nothing; the caller signs this browser in again and commits.
    """
    check_current_password(user, password)
    email = valid_email(new_email.strip())
    if email == user.email:
        raise AccountError("That is already the address you sign in with.")
    if get_user_by_email(email) is not None:
        raise AccountError("That address belongs to another account. Choose a different one.")
    old_email = user.email
    user.email = email
    user.session_token = new_session_token()
    record_event(
        AuditAction.EMAIL_CHANGED,
        actor=user,
        client_id=client_id_of(user),
        detail=f"was {old_email}",
    )
