"""Invitation and password-reset links: single-use, expiring, stored only as a hash.

A link's token follows the "#" (``/invitation#<token>``): browsers never send that part
to a server, so no request log records it (coachapp's, gunicorn's or a proxy's). The
page's script hands it over in a form post; coachapp keeps it in the signed session and
the pages' addresses never carry it.
"""

import hashlib
import logging
import re
import secrets
from datetime import timedelta

from flask import current_app, render_template, session
from sqlalchemy import delete, select, update

from coachapp.auth.models import AccessToken, Role, TokenPurpose, User
from coachapp.auth.services import get_user_by_email, set_password
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

# The page where the link's holder chooses a password.
ENDPOINTS = {
    TokenPurpose.INVITE: "auth.accept_invitation",
    TokenPurpose.RESET: "auth.reset_password",
}
# The session's key for the tokens of the links opened in this browser, one per purpose.
OPENED_LINKS = "opened_links"
# What secrets.token_urlsafe(32) gives (43 characters), with room for older links.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
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
    """The absolute link, on the configured CANONICAL_URL (never the request's Host), with
    the token after the "#", where no request carries it."""
    path = current_app.url_map.bind("localhost").build(ENDPOINTS[purpose])
    return f"{current_app.config['CANONICAL_URL'].rstrip('/')}{path}#{token}"


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


# The link this browser has opened


def token_in(link: str) -> str | None:
    """The token of a link as e-mailed (after the "#"), of an older link (its last part),
    or a token alone; None when ``link`` holds nothing like one."""
    text = (link or "").strip()
    candidate = text.rsplit("#", 1)[1] if "#" in text else text.rstrip("/").rsplit("/", 1)[-1]
    return candidate if _TOKEN.fullmatch(candidate) else None


def remember_opened_link(purpose: TokenPurpose, token: str) -> None:
    """Keep the token in this browser's session; the link opened last wins."""
    opened = dict(session.get(OPENED_LINKS) or {})
    opened[purpose.value] = token
    session[OPENED_LINKS] = opened


def opened_link(purpose: TokenPurpose) -> str | None:
    """The token of the link of this purpose opened last in this browser, if any."""
    token = (session.get(OPENED_LINKS) or {}).get(purpose.value)
    return token if isinstance(token, str) else None


def forget_opened_link(purpose: TokenPurpose) -> None:
    """Drop the token once its link has done its work."""
    opened = dict(session.get(OPENED_LINKS) or {})
    if opened.pop(purpose.value, None) is not None:
        session[OPENED_LINKS] = opened


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
