"""What followers of the blog receive, queued when the outbox worker starts a round.

Whole-blog followers get each post that became public after they confirmed, once. Series
followers get the series' days one at a time on their own calendar: day k on the k-th day
from the day they joined, never two on one day, and nothing once the series has run out.
Each message's outbox key is made of the subscription and the post, so nothing is sent twice.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coachapp.blog.models import Post
from coachapp.blog.services import SERIES_ORDER, canonical_url, is_public, series_label
from coachapp.extensions import db
from coachapp.mail import MailError
from coachapp.outbox.models import OutboxMessage
from coachapp.outbox.services import Email, enqueue
from coachapp.outbox.signals import delivery_round_starting
from coachapp.readers.models import ReaderSubscription, SubscriptionStatus
from coachapp.readers.services import (
    confirm,
    delete_unconfirmed,
    followed_name,
    key_prefix,
    unsubscribe_url,
)
from coachapp.richtext import render_markdown
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

POST_KIND = "reader_post"
KEYS_PER_QUERY = 500


def post_key(subscription: ReaderSubscription, post: Post) -> str:
    """The outbox key of one post sent to one subscription."""
    return f"{key_prefix(subscription)}post:{post.id}"


def queue_reader_mail(now: datetime) -> int:
    """Forget stale unconfirmed addresses, then queue what has come due; returns how many
    messages are new. Flushes."""
    forgotten = delete_unconfirmed(now)
    if forgotten:
        log.info("Deleted %s unconfirmed reader addresses", forgotten)
    return queue_series_days(now) + queue_new_posts(now)


# Series, one day at a time


def day_posts(series_ids: set[int], now: datetime) -> dict[int, list[Post]]:
    """Each series' public days in reading order (numbered parts only: readers' answers and
    other unnumbered posts are not days), in one query."""
    if not series_ids:
        return {}
    statement = (
        select(Post)
        .options(joinedload(Post.series))
        .where(Post.series_id.in_(series_ids), Post.series_position.is_not(None), is_public(now))
        .order_by(*SERIES_ORDER)
    )
    days = defaultdict(list)
    for post in db.session.scalars(statement):
        days[post.series_id].append(post)
    return days


def queue_series_days(now: datetime) -> int:
    """Queue the next day of each series follower whose day has come. Flushes."""
    followers = list(
        db.session.scalars(
            select(ReaderSubscription).where(
                ReaderSubscription.status == SubscriptionStatus.CONFIRMED,
                ReaderSubscription.series_id.is_not(None),
            )
        )
    )
    days = day_posts({follower.series_id for follower in followers}, now)
    return sum(
        _queue_next_day(follower, days.get(follower.series_id, []), now) for follower in followers
    )


def _queue_next_day(subscription: ReaderSubscription, days: list[Post], now: datetime) -> int:
    today = now.date()
    day_reached = (today - subscription.joined_on).days + 1
    if subscription.days_sent >= day_reached or subscription.days_sent >= len(days):
        return 0  # not yet their next day, or the series has no further day (yet)
    if subscription.last_sent_on is not None and subscription.last_sent_on >= today:
        return 0  # one day a day, even after a round was missed
    if not _queue_post(subscription, days[subscription.days_sent]):
        return 0
    subscription.days_sent += 1
    subscription.last_sent_on = today
    return 1


def start_following(token: str, now: datetime) -> ReaderSubscription:
    """Confirm the subscription a link belongs to and, for a series, queue its first day
    (or the next one, for a reader who left and came back). Raises LinkInvalid. Flushes."""
    subscription = confirm(token, now)
    # A returning reader carries on where they stopped instead of getting repeats.
    subscription.joined_on = now.date() - timedelta(days=subscription.days_sent)
    if subscription.series_id is not None:
        days = day_posts({subscription.series_id}, now).get(subscription.series_id, [])
        _queue_next_day(subscription, days, now)
    db.session.flush()
    return subscription


# The whole blog, post by post


def queue_new_posts(now: datetime) -> int:
    """Queue each post made public since a whole-blog follower confirmed. Flushes."""
    followers = list(
        db.session.scalars(
            select(ReaderSubscription).where(
                ReaderSubscription.status == SubscriptionStatus.CONFIRMED,
                ReaderSubscription.series_id.is_(None),
            )
        )
    )
    if not followers:
        return 0
    earliest = min(follower.confirmed_at for follower in followers)
    posts = list(
        db.session.scalars(
            select(Post)
            .options(joinedload(Post.series))
            .where(is_public(now), Post.publish_at > earliest)
            .order_by(Post.publish_at, Post.id)
        )
    )
    wanted = [
        (follower, post)
        for follower in followers
        for post in posts
        if post.publish_at > follower.confirmed_at
    ]
    queued_before = _existing_keys([post_key(follower, post) for follower, post in wanted])
    return sum(
        _queue_post(follower, post)
        for follower, post in wanted
        if post_key(follower, post) not in queued_before
    )


def _existing_keys(keys: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(
            db.session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.idempotency_key.in_(chunk)
                )
            )
        )
    return found


# The message


def _queue_post(subscription: ReaderSubscription, post: Post) -> bool:
    try:
        enqueue(post_email(subscription, post))
    except MailError:  # an address with a line break: nothing can be sent to it
        log.warning("No post for reader subscription %s: unusable address", subscription.id)
        return False
    return True


def opening_words(post: Post) -> str:
    """The post's excerpt, or else its first paragraph, as Markdown."""
    if post.excerpt.strip():
        return post.excerpt.strip()
    return post.body.strip().split("\n\n", 1)[0]


def post_email(subscription: ReaderSubscription, post: Post) -> Email:
    """One post to one follower: its title, opening words, a link to read it, and a way out."""
    leave = unsubscribe_url(subscription)
    opening = render_markdown(opening_words(post))
    context = {
        "post": post,
        "label": series_label(post) if subscription.series_id is not None else "",
        "opening_html": opening,
        "opening_text": opening.striptags(),
        "read_url": canonical_url("blog.post", slug=post.slug),
        "unsubscribe_url": leave,
        "what": followed_name(subscription),
    }
    return Email(
        kind=POST_KIND,
        recipient=subscription.email,
        subject=post_subject(context["label"], post.title),
        text=render_template("email/reader_post.txt", **context),
        html=render_template("email/reader_post.html", **context),
        idempotency_key=post_key(subscription, post),
        unsubscribe_url=leave,
    )


def post_subject(label: str, title: str) -> str:
    """"Day 2 of 30: Say it out loud", or the title alone when it already says "Day 2"."""
    title = " ".join(title.split())
    if not label or title.casefold().startswith(label.split(" of ")[0].casefold()):
        return title
    return f"{label}: {title}"


@delivery_round_starting.connect
def _queue_before_delivering(_app, **_extra) -> None:
    queued = queue_reader_mail(utcnow())
    if queued:
        log.info("Queued %s posts for readers", queued)
