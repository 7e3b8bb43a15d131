"""Readers' answers: a journal entry its writer agreed to share becomes an anonymised draft
post, among its series' answers to that day when the programme came from a series."""

import logging
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.blog.anonymiser import anonymise, identifying_terms
from coachapp.blog.journal_consents import standing_journal_consent
from coachapp.blog.models import Post, PostStatus, Series
from coachapp.blog.publishing import PublishRefused
from coachapp.blog.services import posts_with_ids, public_post_ids, unique_slug
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

NO_CONSENT = (
    "The writer has not agreed to share this entry publicly (or took their agreement back), "
    "so no post can be made from it."
)


def get_coach_shared_entry_or_404(entry_id: int, coach: User) -> JournalEntry:
    """A shared entry of one of the coach's families; a private one, or anyone else's, is
    a 404."""
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None or not entry.is_shared or entry.client.coach_id != coach.id:
        abort(404)
    return entry


def get_written_entry_or_404(entry_id: int, user: User) -> JournalEntry:
    """An entry the signed-in adult wrote; another adult's, even in the same family, is a
    404."""
    entry = db.session.get(JournalEntry, entry_id)
    if entry is None or entry.adult is None or entry.adult.user_id != user.id:
        abort(404)
    return entry


def answer_title(entry: JournalEntry, anonymised_title: str) -> str:
    """"Readers' answers to day 7: <the prompt>" for an answer to a series' day; else the
    entry's own (anonymised) title."""
    prompt = entry.prompt
    if prompt is not None and prompt.programme.series_id is not None:
        return f"Readers' answers to day {prompt.day}: {prompt.title}"
    return anonymised_title.strip() or (prompt.title if prompt else "") or "From a journal"


def post_from_journal_entry(
    entry: JournalEntry, author: User, replacements: dict[str, str]
) -> Post:
    """A draft post from the version of the entry its writer agreed to, anonymised with the
    family's names and the coach's words. Flushes.

    An answer to a prompt of a programme made from a blog series joins that series'
    readers' answers for the day; any other entry becomes an ordinary post.
    """
    consent = standing_journal_consent(entry)
    if consent is None:
        raise PublishRefused(NO_CONSENT)
    client = db.session.get(Client, entry.client_id)
    terms = identifying_terms(client)
    title = answer_title(entry, anonymise(consent.title, terms, replacements))
    prompt = entry.prompt
    series_id = prompt.programme.series_id if prompt is not None else None
    post = Post(
        author_id=author.id,
        title=title[:200],
        slug=unique_slug(Post, title),
        excerpt="",
        body=anonymise(consent.body, terms, replacements),
        status=PostStatus.DRAFT,
        series_id=series_id,
        answer_day=prompt.day if series_id is not None else None,
        from_journal=True,
        journal_entry_id=entry.id,
        journal_consent_id=consent.id,
        client_id=entry.client_id,
    )
    db.session.add(post)
    db.session.flush()
    log.info("Coach %s made post %s from journal entry %s", author.id, post.id, entry.id)
    return post


@dataclass(frozen=True)
class DayOfAnswers:
    """The public readers' answers to one day of a series."""

    day: int
    answers: list[Post]

    @property
    def anchor(self) -> str:
        return f"answers-day-{self.day}"


def answers_in_series(series: Series) -> list[DayOfAnswers]:
    """The series' public readers' answers, grouped by day, oldest first within a day."""
    ids = public_post_ids(Post.series_id == series.id, Post.answer_day.is_not(None))
    order = (Post.answer_day, Post.publish_at, Post.id)
    days: dict[int, list[Post]] = {}
    for post in db.session.scalars(posts_with_ids(ids, order), {"now": utcnow()}):
        days.setdefault(post.answer_day, []).append(post)
    return [DayOfAnswers(day, answers) for day, answers in days.items()]


def answer_days_of(series_id: int) -> set[int]:
    """The days of the series that have public readers' answers."""
    statement = select(Post.answer_day).where(
        Post.id.in_(public_post_ids(Post.series_id == series_id, Post.answer_day.is_not(None)))
    )
    return set(db.session.scalars(statement.distinct(), {"now": utcnow()}))
