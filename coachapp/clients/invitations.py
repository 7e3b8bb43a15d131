"""Inviting a client to the portal: a sign-in of their own and a link to choose a password."""

import logging
from datetime import timedelta

from flask import current_app, render_template

from coachapp.auth.models import Role, TokenPurpose, User
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
    if get_user_by_email(email) is not None:
        raise AccountError(
            f"There is already an account for {email}: give {adult.display_name} "
            "another e-mail address to invite them."
        )
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
