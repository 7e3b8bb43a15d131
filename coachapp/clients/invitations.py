"""Inviting a client to the portal: a sign-in of their own and a link to choose a password."""

import logging
from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select

from coachapp.auth.models import (
    AccessToken,
    KeptWork,
    RecoveryCode,
    Role,
    TokenPurpose,
    User,
    new_session_token,
)
from coachapp.auth.services import AccountError, get_user_by_email, normalise_email
from coachapp.auth.tokens import hash_token, issue_token, link_for
from coachapp.clients.models import Adult
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue

log = logging.getLogger(__name__)


def invite_adult(adult: Adult, coach: User) -> OutboxMessage:
    """Give an adult of a family a portal sign-in of their own (if none yet) and e-mail
    them a link to set a password.

    Flushes; raises AccountError when the adult cannot be invited.
    """
    email = normalise_email(adult.email or "")
    if not email:
        raise AccountError(
            f"{adult.display_name} has no e-mail address yet: add one, then invite them."
        )
    user = adult.user or _new_portal_login(adult, coach, email)
    if user.password_hash:
        raise AccountError(
            f"{adult.display_name} can already sign in to the portal. If they have "
            "forgotten their password, “Forgot your password?” on the sign-in page helps."
        )
    lifetime = timedelta(days=current_app.config["INVITE_TTL_DAYS"])
    token = issue_token(user, TokenPurpose.INVITE, lifetime)
    context = {"adult": adult, "coach": coach, "link": link_for(TokenPurpose.INVITE, token),
               "days": current_app.config["INVITE_TTL_DAYS"]}
    log.info("User %s invited adult %s of client %s to the portal", coach.id, adult.id,
             adult.client_id)
    return enqueue(
        Email(
            kind="invite",
            recipient=user.email,
            subject=f"{coach.name} invites you to your coaching portal",
            text=render_template("email/invite.txt", **context),
            html=render_template("email/invite.html", **context),
            idempotency_key=f"invite-{user.id}-{hash_token(token)[:16]}",
            coach_id=coach.id,
            reply_to=coach.email,
        )
    )


def _new_portal_login(adult: Adult, coach: User, email: str) -> User:
    existing = get_user_by_email(email)
    if existing is not None:
        if not _closed_when_they_left(existing, coach):
            raise AccountError(
                f"There is already an account for {email}: give {adult.display_name} "
                "another e-mail address to invite them."
            )
        return _reopen_for(existing, adult, coach)
    user = User(
        email=email,
        name=adult.full_name,
        role=Role.CLIENT,
        practice_id=coach.practice_id,
        timezone=coach.timezone,
    )
    db.session.add(user)
    db.session.flush()
    adult.user_id = user.id
    adult.user = user
    return user


def _closed_when_they_left(user: User, coach: User) -> bool:
    """Whether ``user`` is the closed portal sign-in of someone who left a family of this
    practice: a client account, closed, and no adult's any more."""
    return (
        user.role is Role.CLIENT
        and not user.active
        and user.practice_id == coach.practice_id
        and db.session.scalar(select(Adult.id).where(Adult.user_id == user.id)) is None
    )


def _reopen_for(user: User, adult: Adult, coach: User) -> User:
    """Give the closed sign-in to the adult as if new: no password, no second step, no
    old links or kept work, so only the invitation opens it."""
    db.session.execute(delete(AccessToken).where(AccessToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(KeptWork).where(KeptWork.user_id == user.id))
    user.active = True
    user.name = adult.full_name
    user.timezone = coach.timezone
    user.password_hash = None
    user.totp_secret_encrypted = user.totp_last_step = user.two_factor_enabled_at = None
    user.session_token = new_session_token()
    adult.user_id = user.id
    adult.user = user
    db.session.flush()
    log.info("Portal sign-in %s reopened for adult %s", user.id, adult.id)
    return user
