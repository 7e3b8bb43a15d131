"""Invitation and password-reset links: single-use, expiring, stored only as a hash."""

import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select, update

from coachapp.auth.models import AccessToken, Role, TokenPurpose, User
from coachapp.auth.services import get_user_by_email, set_password
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

ENDPOINTS = {
    TokenPurpose.INVITE: "auth.accept_invitation",
    TokenPurpose.RESET: "auth.reset_password",
}
# A second "forgot password" within this time sends nothing new (no mail bombing).
RESET_REQUEST_PAUSE = timedelta(minutes=2)


class LinkInvalid(Exception):
    """A link that cannot be used; ``reason`` is "unknown", "used" or "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    """What is stored for a token: its SHA-256, so a database copy opens no accounts."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A new link token for the user; earlier unused ones of this purpose stop working."""
    db.session.execute(
        delete(AccessToken).where(
            AccessToken.user_id == user.id,
            AccessToken.purpose == purpose,
            AccessToken.used_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccessToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=utcnow() + lifetime,
        )
    )
    db.session.flush()
    return token


def link_for(purpose: TokenPurpose, token: str) -> str:
    """The absolute link, on the configured CANONICAL_URL (never the request's Host)."""
    path = current_app.url_map.bind("localhost").build(ENDPOINTS[purpose], {"token": token})
    return current_app.config["CANONICAL_URL"].rstrip("/") + path


def check_token(token: str, purpose: TokenPurpose) -> AccessToken:
    """The token's row if the link can still be used, else LinkInvalid."""
    row = db.session.execute(
        select(AccessToken).where(
            AccessToken.token_hash == hash_token(token), AccessToken.purpose == purpose
        )
    ).scalar_one_or_none()
    if row is None or not row.user.active:
        raise LinkInvalid("unknown")
    if row.used_at is not None:
        raise LinkInvalid("used")
    if row.expires_at <= utcnow():
        raise LinkInvalid("expired")
    return row


def redeem_token(token: str, purpose: TokenPurpose, password: str) -> User:
    """Set the password through the link and use the link up. Flushes.

    Raises LinkInvalid, or AccountError for a password that is refused.
    """
    row = check_token(token, purpose)
    set_password(row.user, password)
    used = db.session.execute(
        update(AccessToken)
        .where(AccessToken.id == row.id, AccessToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:  # used in another tab at this very moment
        raise LinkInvalid("used")
    log.info("User %s set a password through a %s link", row.user_id, purpose.value)
    return row.user


# Password reset


def request_password_reset(email: str) -> OutboxMessage | None:
    """E-mail a reset link if an active account has this address. Flushes.

    Returns None (and sends nothing) for an unknown address or a repeat within
    RESET_REQUEST_PAUSE; the page answers the same either way.
    """
    user = get_user_by_email(email)
    if user is None or not user.active or _asked_just_now(user):
        return None
    minutes = current_app.config["RESET_TTL_MINUTES"]
    token = issue_token(user, TokenPurpose.RESET, timedelta(minutes=minutes))
    context = {"user": user, "link": link_for(TokenPurpose.RESET, token), "minutes": minutes}
    log.info("Password reset link for user %s", user.id)
    return enqueue(
        Email(
            kind="reset",
            recipient=user.email,
            subject="Set a new coachapp password",
            text=render_template("email/reset.txt", **context),
            html=render_template("email/reset.html", **context),
            idempotency_key=f"reset-{user.id}-{hash_token(token)[:16]}",
            coach_id=user.id if user.role is Role.COACH else None,
        )
    )


def _asked_just_now(user: User) -> bool:
    return db.session.execute(
        select(AccessToken.id).where(
            AccessToken.user_id == user.id,
            AccessToken.purpose == TokenPurpose.RESET,
            AccessToken.used_at.is_(None),
            AccessToken.created_at > utcnow() - RESET_REQUEST_PAUSE,
        ).limit(1)
    ).scalar_one_or_none() is not None
