"""Making a programme from a blog series: each post a day, in the series' order.

It lives with the blog, which may build on programmes (the other way round is not allowed).
"""

import re

from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.blog.models import Post, Series
from coachapp.extensions import db
from coachapp.programmes.models import Programme, Prompt

# A post titled "Day 3: Would you say it to a friend?" gives the day the title "Would you
# say it to a friend?": pages already say "Day 3:" before a prompt's title.
DAY_PREFIX = re.compile(r"^\s*day\s+\d+\s*[:.\-\u2013\u2014]\s*", re.IGNORECASE)


def prompt_title(post_title: str) -> str:
    """The post's title without a leading "Day N:" (kept whole if nothing else is left)."""
    return DAY_PREFIX.sub("", post_title).strip() or post_title


def programme_of_series(series: Series, coach: User) -> Programme | None:
    """The programme the coach already made from this series, if any."""
    return db.session.scalar(
        select(Programme)
        .where(Programme.series_id == series.id, Programme.coach_id == coach.id)
        .order_by(Programme.id)
        .limit(1)
    )


def programme_from_series(series: Series, coach: User) -> Programme:
    """A new programme of the coach whose days are the series' posts. Flushes.

    A post's part number is its day; a post without one (or sharing one) follows the last.
    """
    posts = db.session.scalars(
        select(Post)
        .where(Post.series_id == series.id)
        .order_by(Post.series_position.is_(None), Post.series_position, Post.id)
    )
    programme = Programme(
        coach_id=coach.id, title=series.title[:120], description=series.description,
        series_id=series.id,
    )
    taken: set[int] = set()
    for post in posts:
        day = post.series_position
        if day is None or day < 1 or day in taken:
            day = max(taken, default=0) + 1
        taken.add(day)
        programme.prompts.append(
            Prompt(day=day, title=prompt_title(post.title)[:200], body=post.body, post_id=post.id)
        )
    db.session.add(programme)
    db.session.flush()
    return programme
