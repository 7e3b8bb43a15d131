"""Subscribing with double opt-in, confirming, leaving, and what the coach may count.

A confirmation link carries a random token stored only as its SHA-256. An unsubscribe link
carries a signature of the subscription made with the app's secret key, so every message
can carry it without the token being kept anywhere: a forged or altered link matches no
subscription.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import delete, func, select

from coachapp.auth.tokens import LinkInvalid, hash_token
from coachapp.blog.models import Series
from coachapp.blog.services import canonical_url
from coachapp.extensions import db
from coachapp.outbox.models import OutboxMessage, OutboxStatus
from coachapp.outbox.services import Email, enqueue
from coachapp.readers.models import ReaderSubscription, SubscriptionStatus

log = logging.getLogger(__name__)

CONFIRM_KIND = "reader_confirm"
# A confirmation link works this long; unconfirmed addresses are deleted after it.
CONFIRM_LIFETIME = timedelta(days=7)
# Asking again for a pending address sends a new link at most this often (no mail bombing).
RESEND_PAUSE = timedelta(minutes=10)


def normalised_email(email: str) -> str:
    """The address as stored and compared: trimmed, lower case."""
    return email.strip().lower()


def subscription_for(email: str, series: Series | None) -> ReaderSubscription | None:
    """The subscription of this address to this series (or to the whole blog), if any."""
    scope = (
        ReaderSubscription.series_id.is_(None)
        if series is None
        else ReaderSubscription.series_id == series.id
    )
    return db.session.scalars(
        select(ReaderSubscription).where(
            ReaderSubscription.email == normalised_email(email), scope
        ).limit(1)
    ).first()


def subscribe(email: str, series: Series | None, now: datetime) -> OutboxMessage | None:
    """Ask the address to confirm, unless it already follows this or was asked just now.

    Returns the confirmation queued, or None; the reader is told the same either way, so
    the page never reveals who subscribes. Raises MailError for an unusable address. Flushes.
    """
    subscription = subscription_for(email, series)
    if subscription is None:
        subscription = ReaderSubscription(
            email=normalised_email(email),
            series_id=series.id if series else None,
            status=SubscriptionStatus.PENDING,
            link_salt=secrets.token_hex(16),
            days_sent=0,
            created_at=now,
        )
        db.session.add(subscription)
    elif _nothing_to_send(subscription, now):
        return None
    elif subscription.status is SubscriptionStatus.UNSUBSCRIBED:
        subscription.link_salt = secrets.token_hex(16)  # links from before stay ended
    subscription.status = SubscriptionStatus.PENDING
    db.session.flush()
    return _send_confirmation(subscription, now)


def _nothing_to_send(subscription: ReaderSubscription, now: datetime) -> bool:
    """Already following, or sent a link a few minutes ago."""
    if subscription.status is SubscriptionStatus.CONFIRMED:
        return True
    sent = subscription.confirm_sent_at
    pending = subscription.status is SubscriptionStatus.PENDING
    return pending and sent is not None and sent > now - RESEND_PAUSE


def _send_confirmation(subscription: ReaderSubscription, now: datetime) -> OutboxMessage:
    """A new confirmation link (earlier ones stop working), queued to the address."""
    token = secrets.token_urlsafe(32)
    subscription.confirm_token_hash = hash_token(token)
    subscription.confirm_sent_at = now
    context = {
        "subscription": subscription,
        "what": followed_name(subscription),
        "link": canonical_url("readers.confirm", token=token),
        "days": CONFIRM_LIFETIME.days,
    }
    log.info("Confirmation link for reader subscription %s", subscription.id)
    return enqueue(
        Email(
            kind=CONFIRM_KIND,
            recipient=subscription.email,
            subject=f"Please confirm: receive {context['what']} by e-mail",
            text=render_template("email/reader_confirm.txt", **context),
            html=render_template("email/reader_confirm.html", **context),
            idempotency_key=f"{key_prefix(subscription)}confirm:{subscription.confirm_token_hash[:16]}",
        )
    )


def followed_name(subscription: ReaderSubscription) -> str:
    """What the reader follows, as a phrase: "the series “…”" or "the blog"."""
    if subscription.series is not None:
        return f"the series “{subscription.series.title}”"
    return "the blog"


def key_prefix(subscription: ReaderSubscription) -> str:
    """What begins the outbox key of every message to this subscription."""
    return f"reader:{subscription.id}:"


# Confirming


def pending_subscription(token: str, now: datetime) -> ReaderSubscription:
    """The subscription a confirmation link confirms, else LinkInvalid: "unknown" (never
    issued, or replaced by a newer link), "used" (already confirmed or since left) or
    "expired"."""
    subscription = db.session.scalars(
        select(ReaderSubscription).where(
            ReaderSubscription.confirm_token_hash == hash_token(token)
        )
    ).first()
    if subscription is None:
        raise LinkInvalid("unknown")
    if subscription.status is not SubscriptionStatus.PENDING:
        raise LinkInvalid("used")
    if subscription.confirm_sent_at + CONFIRM_LIFETIME <= now:
        raise LinkInvalid("expired")
    return subscription


def confirm(token: str, now: datetime) -> ReaderSubscription:
    """Start the subscription the link belongs to, from today. Raises LinkInvalid. Flushes."""
    subscription = pending_subscription(token, now)
    subscription.status = SubscriptionStatus.CONFIRMED
    subscription.confirmed_at = now
    subscription.joined_on = now.date()
    subscription.days_sent = 0
    subscription.last_sent_on = None
    db.session.flush()
    log.info("Reader subscription %s confirmed", subscription.id)
    return subscription


# Leaving


def unsubscribe_token(subscription: ReaderSubscription) -> str:
    """The signature an unsubscribe link carries: only this app can make it."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"reader-unsubscribe:{subscription.id}:{subscription.link_salt}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def unsubscribe_url(subscription: ReaderSubscription) -> str:
    """The absolute one-click unsubscribe address of this subscription."""
    return canonical_url(
        "readers.unsubscribe",
        subscription_id=subscription.id,
        token=unsubscribe_token(subscription),
    )


def subscription_by_link(subscription_id: int, token: str) -> ReaderSubscription | None:
    """The subscription an unsubscribe link names, if its signature is right."""
    subscription = db.session.get(ReaderSubscription, subscription_id)
    if subscription is None:
        return None
    if not hmac.compare_digest(unsubscribe_token(subscription), token):
        return None
    return subscription


def unsubscribe(subscription: ReaderSubscription) -> None:
    """Stop every message to the subscription, including any still waiting. Flushes."""
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    _withdraw_unsent(subscription)
    db.session.flush()
    log.info("Reader subscription %s ended", subscription.id)


def delete_address(subscription: ReaderSubscription) -> None:
    """Forget the address: the subscription and every message sent to it. Flushes."""
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(key_prefix(subscription), autoescape=True)
        )
    )
    db.session.delete(subscription)
    db.session.flush()
    log.info("Reader subscription %s deleted with its address", subscription.id)


def _withdraw_unsent(subscription: ReaderSubscription) -> None:
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.idempotency_key.startswith(key_prefix(subscription), autoescape=True),
            OutboxMessage.status.in_(
                [OutboxStatus.QUEUED, OutboxStatus.RETRYING, OutboxStatus.FAILED]
            ),
        )
    )


def delete_unconfirmed(now: datetime) -> int:
    """Delete the addresses that never confirmed within the link's lifetime. Flushes."""
    stale = list(
        db.session.scalars(
            select(ReaderSubscription).where(
                ReaderSubscription.status == SubscriptionStatus.PENDING,
                ReaderSubscription.confirm_sent_at <= now - CONFIRM_LIFETIME,
            )
        )
    )
    for subscription in stale:
        delete_address(subscription)
    return len(stale)


# What the coach sees: numbers, never addresses


def confirmed_reader_counts() -> dict[int | None, int]:
    """Confirmed subscribers by series id (None: the whole blog), in one query."""
    rows = db.session.execute(
        select(ReaderSubscription.series_id, func.count())
        .where(ReaderSubscription.status == SubscriptionStatus.CONFIRMED)
        .group_by(ReaderSubscription.series_id)
    )
    return {series_id: count for series_id, count in rows}
