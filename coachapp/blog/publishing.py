"""The coach's side of the blog: posts made from letters, the checker, publishing."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from markupsafe import Markup
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import selectinload

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.blog.anonymiser import (
    CHILD_NAME,
    CLIENT_NAME,
    CONTACT,
    OTHER,
    Hit,
    anonymise,
    find_hits,
    highlighted,
    identifying_terms,
)
from coachapp.blog.consent_rules import JointConsent, joint_consent
from coachapp.blog.models import (
    PUBLIC_STATUSES,
    BlogProfile,
    JournalConsent,
    Post,
    PostStatus,
    PostTag,
    PublicationConsent,
)
from coachapp.blog.services import unique_slug
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterRevision, LetterStatus
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

# The parts of a post the checker reads, and how the coach knows them.
CHECKED_FIELDS = {
    "title": "Title",
    "excerpt": "Introduction",
    "body": "Text",
    "cover_image_alt": "Cover description",
    "tags": "Tags",
}


ONE_ADDRESSEE_HAS_NOT_AGREED = (
    "The client has not agreed to this letter being shared. Record their consent first."
)
WRITER_WITHDREW = (
    "The writer's agreement to share this journal entry is not on record (or was withdrawn), "
    "so the post cannot be published."
)
ONE_ADDRESSEE_WITHDREW = (
    "The client's consent to share this letter is not on record (or was withdrawn), so the "
    "post cannot be published."
)


class PublishRefused(ValueError):
    """A post cannot be published; the message says why (and the report shows where)."""


@dataclass
class CheckReport:
    """What the checker found in a post: each identifying term left, field by field."""

    fields: dict[str, str]
    hits: list[Hit] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.hits

    def field_hits(self, name: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.field == name]

    def highlighted(self, name: str) -> Markup:
        """The field's text with every hit marked."""
        return highlighted(self.fields[name], self.field_hits(name))

    @property
    def found(self) -> list[str]:
        """Each distinct term found, as written in the post, in order of appearance."""
        seen: dict[str, str] = {}
        for hit in self.hits:
            seen.setdefault(hit.found.casefold(), hit.found)
        return list(seen.values())

    def summary(self) -> str:
        listed = ", ".join(f"“{found}”" for found in self.found)
        return f"The post still contains words that could identify someone: {listed}."


def get_own_post_or_404(post_id: int, author: User) -> Post:
    """The author's post; anyone else's post is a 404."""
    post = db.session.get(Post, post_id)
    if post is None or post.author_id != author.id:
        abort(404)
    return post


def author_posts(author: User, status: str | None = None) -> list[Post]:
    """The author's posts, newest change first, filtered by status when given."""
    statement = (
        select(Post)
        .where(Post.author_id == author.id)
        .options(selectinload(Post.category), selectinload(Post.series))
        .order_by(Post.updated_at.desc(), Post.id.desc())
    )
    if status in {member.value for member in PostStatus}:
        statement = statement.where(Post.status == PostStatus(status))
    return list(db.session.scalars(statement))


# Where each kind of term's neutral word is kept on a BlogProfile (and its forms).
REPLACEMENT_FIELDS = {
    "client_name_replacement": CLIENT_NAME,
    "child_name_replacement": CHILD_NAME,
    "contact_replacement": CONTACT,
    "other_term_replacement": OTHER,
}


def replacement_words(chosen: dict[str, str]) -> dict[str, str]:
    """The anonymiser's words by kind of term, from values named like REPLACEMENT_FIELDS."""
    return {kind: chosen[name] for name, kind in REPLACEMENT_FIELDS.items()}


def profile_replacement_words(profile: BlogProfile) -> dict[str, str]:
    """The words the coach chose last time (or the defaults)."""
    return replacement_words({name: getattr(profile, name) for name in REPLACEMENT_FIELDS})


def consent_for_post(post: Post) -> list[PublicationConsent] | None:
    """The standing consents, one per addressee of the letter, that cover the revision the
    post was made from; None unless every addressee's consent stands."""
    consent = post_consent(post)
    return (consent.consents or None) if consent is not None else None


def post_from_letter(letter: Letter, author: User, replacements: dict[str, str]) -> Post:
    """A draft post from the revision of the letter everyone it is written to agreed to,
    anonymised. Flushes."""
    if letter.status not in (LetterStatus.APPROVED, LetterStatus.SENT):
        raise PublishRefused("Only an approved or sent letter can become a post.")
    consent = joint_consent(letter)
    if not consent.stands:
        raise PublishRefused(_refusal(consent, ONE_ADDRESSEE_HAS_NOT_AGREED))
    revision = db.session.get(LetterRevision, consent.revision_id)
    terms = identifying_terms(letter.client)
    title = anonymise(revision.subject, terms, replacements).strip() or "A letter to a parent"
    post = Post(
        author_id=author.id,
        title=title[:200],
        slug=unique_slug(Post, title),
        excerpt="",
        body=anonymise(revision.body, terms, replacements),
        status=PostStatus.DRAFT,
        from_letter=True,
        letter_id=letter.id,
        letter_revision_id=revision.id,
        client_id=letter.client_id,
    )
    db.session.add(post)
    db.session.flush()
    log.info("Coach %s made post %s from letter %s", author.id, post.id, letter.id)
    return post


def check_post(post: Post, values: dict[str, str] | None = None) -> CheckReport:
    """Identifying terms left in the post (or in ``values``, the text about to be saved).

    A post from a letter or a journal entry is checked against its family's names,
    children's names, contact details and listed words; every post against any e-mail
    address or phone number.
    """
    fields = {
        "title": post.title,
        "excerpt": post.excerpt,
        "body": post.body,
        "cover_image_alt": post.cover_image_alt,
        "tags": ", ".join(tag.name for tag in post.tags),
    }
    fields.update(values or {})
    client = db.session.get(Client, post.client_id) if post.client_id else None
    terms = identifying_terms(client) if client is not None else []
    return CheckReport(fields, find_hits(fields, terms))


def publish_post(post: Post, when: datetime | None = None) -> None:
    """Publish now, or schedule for ``when``; refused without consent or with hits. Flushes."""
    if not post.title.strip() or not post.body.strip():
        raise PublishRefused("Give the post a title and some text before publishing it.")
    if post.from_letter:
        _check_consent_for(post)
    if post.from_journal and journal_consent_for_post(post) is None:
        raise PublishRefused(WRITER_WITHDREW)
    report = check_post(post)
    if not report.clean:
        raise PublishRefused(report.summary())
    now = utcnow()
    scheduled = when is not None and when > now
    post.status = PostStatus.SCHEDULED if scheduled else PostStatus.PUBLISHED
    post.publish_at = when if scheduled else now
    post.unpublished_reason = ""
    db.session.flush()
    detail = f"Scheduled for {post.publish_at:%Y-%m-%d %H:%M} UTC" if scheduled else ""
    record_event(AuditAction.POST_PUBLISHED, client_id=post.client_id, target=post, detail=detail)
    log.info("Coach %s %s post %s", post.author_id, post.status.value, post.id)


def post_consent(post: Post) -> JointConsent | None:
    """Every addressee's consent to the revision the post was made from; None when the
    letter is gone."""
    letter = db.session.get(Letter, post.letter_id) if post.letter_id else None
    return joint_consent(letter, post.letter_revision_id) if letter is not None else None


def journal_consent_for_post(post: Post) -> JournalConsent | None:
    """The writer's consent the post was made under, while it stands."""
    if post.journal_consent_id is None:
        return None
    consent = db.session.get(JournalConsent, post.journal_consent_id)
    return consent if consent is not None and consent.is_active else None


def _check_consent_for(post: Post) -> None:
    """Refuse unless every addressee's consent to the post's revision stands."""
    consent = post_consent(post)
    if consent is None:
        raise PublishRefused(ONE_ADDRESSEE_WITHDREW)
    if not consent.stands:
        raise PublishRefused(_refusal(consent, ONE_ADDRESSEE_WITHDREW))


def _refusal(consent: JointConsent, one_addressee: str) -> str:
    """Who is missing, for a joint letter; a letter to one adult reads as it always has."""
    return consent.refusal() if len(consent.parties) > 1 else one_addressee


def unpublish_post(post: Post, reason: str = "") -> None:
    """Take the post off the blog; it stays in the author's posts. Flushes."""
    post.status = PostStatus.UNPUBLISHED
    post.unpublished_reason = reason
    db.session.flush()
    record_event(AuditAction.POST_UNPUBLISHED, client_id=post.client_id, target=post)
    log.info("Post %s unpublished", post.id)


def unpublish_posts_from_letter(letter: Letter, reason: str) -> int:
    """Take every public or scheduled post made from the letter offline at once; how many."""
    return unpublish_posts_where(Post.letter_id == letter.id, reason)


def unpublish_posts_where(made_from: ColumnElement[bool], reason: str) -> int:
    """Take every public or scheduled post matching ``made_from`` offline in one UPDATE, so
    none is left public halfway; how many."""
    taken_down = db.session.scalars(
        update(Post)
        .where(made_from, Post.status.in_(PUBLIC_STATUSES))
        .values(status=PostStatus.UNPUBLISHED, unpublished_reason=reason, updated_at=utcnow())
        .returning(Post)
        .execution_options(synchronize_session="fetch")
    ).all()
    for post in taken_down:
        record_event(
            AuditAction.POST_UNPUBLISHED, client_id=post.client_id, target=post, detail=reason
        )
    return len(taken_down)


def parse_tag_names(text: str) -> list[str]:
    """Comma-separated tags, trimmed, without repeats (case-insensitive), in the order typed."""
    names, seen = [], set()
    for raw in text.split(","):
        name = " ".join(raw.split())[:60]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def tags_named(practice_id: int, names: list[str]) -> list[PostTag]:
    """The practice's tags with these names, creating the missing ones. Flushes."""
    existing = {
        tag.name.casefold(): tag
        for tag in db.session.scalars(select(PostTag).where(PostTag.practice_id == practice_id))
    }
    tags = []
    for name in names:
        tag = existing.get(name.casefold())
        if tag is None:
            slug = unique_slug(PostTag, name, fallback="tag")
            tag = PostTag(practice_id=practice_id, name=name, slug=slug)
            db.session.add(tag)
            db.session.flush()
            existing[name.casefold()] = tag
        tags.append(tag)
    return tags


def post_slug(post: Post, wanted: str) -> str:
    """The slug the coach asked for (or one from the title), made unique among posts."""
    return unique_slug(Post, wanted or post.title, exclude_id=post.id)
