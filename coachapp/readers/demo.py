"""The demo's reader: a confirmed address following the "30 day challenge" by e-mail."""

import secrets
from datetime import timedelta

from sqlalchemy import select

from coachapp.blog.models import Series
from coachapp.extensions import db
from coachapp.readers.models import ReaderSubscription, SubscriptionStatus
from coachapp.readers.services import subscription_for
from coachapp.timeutil import utcnow

DEMO_READER_EMAIL = "reader@example.com"
DEMO_SERIES_TITLE = "30 day challenge"
# The reader joined a few days ago and has had the first days; today's is next.
DEMO_DAYS_RECEIVED = 3


def seed_demo_reader() -> ReaderSubscription | None:
    """A reader following the demo's challenge (or, without it, any series) since a few
    days ago; once. None when the blog has no series. Flushes."""
    series = db.session.scalars(
        select(Series)
        .order_by(Series.title.startswith(DEMO_SERIES_TITLE).desc(), Series.id)
        .limit(1)
    ).first()
    if series is None:
        return None
    existing = subscription_for(DEMO_READER_EMAIL, series)
    if existing is not None:
        return existing
    now = utcnow()
    joined = now - timedelta(days=DEMO_DAYS_RECEIVED)
    subscription = ReaderSubscription(
        email=DEMO_READER_EMAIL,
        series_id=series.id,
        status=SubscriptionStatus.CONFIRMED,
        link_salt=secrets.token_hex(16),
        created_at=joined,
        confirm_sent_at=joined,
        confirmed_at=joined,
        joined_on=joined.date(),
        days_sent=DEMO_DAYS_RECEIVED,
        last_sent_on=(now - timedelta(days=1)).date(),
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription
