"""The public blog: posts, their categories, tags and series, comments, and authors' profiles."""

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coachapp.clients.models import Adult, Client
from coachapp.extensions import db, value_enum
from coachapp.journal.models import JournalEntry
from coachapp.timeutil import UTCDateTime, utcnow


class PostStatus(enum.StrEnum):
    """Where a post is: only scheduled (once due) and published posts are public."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"


# A scheduled post becomes public by itself when its publish date passes: public pages
# ask for these statuses with publish_at <= now, so no job has to flip it.
PUBLIC_STATUSES = (PostStatus.SCHEDULED, PostStatus.PUBLISHED)


class Category(db.Model):
    """A broad subject a practice writes about, e.g. 'Personal development'."""

    __tablename__ = "post_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Series(db.Model):
    """Posts meant to be read in order, e.g. a '30 day challenge' of daily prompts."""

    __tablename__ = "post_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # How many parts are planned ("Day 7 of 30"); unknown while a series is growing.
    planned_parts: Mapped[int | None]


post_tag_links = Table(
    "post_tag_links",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("post_tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PostTag(db.Model):
    """A public keyword on posts (unlike client tags, which are private to a coach)."""

    __tablename__ = "post_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practices.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    slug: Mapped[str] = mapped_column(String(80), unique=True)


class Post(db.Model):
    """An article on the public blog, written from scratch or made from a consented letter."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_status_publish_at", "status", "publish_at"),
        Index("ix_posts_series_id_series_position", "series_id", "series_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Relative to instance/uploads, like letterhead images.
    cover_image_path: Mapped[str | None] = mapped_column(String(200))
    cover_image_alt: Mapped[str] = mapped_column(String(200), default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_categories.id", ondelete="SET NULL"), index=True
    )
    series_id: Mapped[int | None] = mapped_column(ForeignKey("post_series.id", ondelete="SET NULL"))
    series_position: Mapped[int | None]
    status: Mapped[PostStatus] = mapped_column(value_enum(PostStatus), default=PostStatus.DRAFT)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why a post went offline, e.g. the client withdrew consent; shown to its author.
    unpublished_reason: Mapped[str] = mapped_column(String(200), default="")
    # A post made from a letter keeps the revision it came from, and whose words to check.
    # from_letter stays true even if the letter is later deleted, so such a post can never
    # be published again without a consent on record.
    from_letter: Mapped[bool] = mapped_column(default=False)
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id", ondelete="SET NULL"), index=True
    )
    letter_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_revisions.id", ondelete="SET NULL")
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    # A post made from a journal entry keeps the writer's consent it was made under; like
    # from_letter, from_journal stays true, so without a standing consent it stays offline.
    from_journal: Mapped[bool] = mapped_column(default=False)
    # use_alter: posts and journals refer to each other in a circle (a prompt names the
    # post its day came from), which table ordering cannot otherwise resolve.
    journal_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="SET NULL", use_alter=True), index=True
    )
    journal_consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_consents.id", ondelete="SET NULL", use_alter=True)
    )
    # A reader's answer to day N of its series ("Readers' answers to day 7"): listed
    # under that day, never counted as a part of the series itself.
    answer_day: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    author = relationship("User")
    category: Mapped[Category | None] = relationship()
    series: Mapped[Series | None] = relationship()
    tags: Mapped[list[PostTag]] = relationship(
        secondary=post_tag_links, order_by="PostTag.name", passive_deletes=True
    )
    letter = relationship("Letter")
    letter_revision = relationship("LetterRevision")
    client = relationship("Client")

    def is_public(self, now: datetime) -> bool:
        """Whether readers can see the post at ``now``."""
        due = self.publish_at is not None and self.publish_at <= now
        return self.status in PUBLIC_STATUSES and due

    def shown_status(self, now: datetime) -> str:
        """The status as the author reads it: a scheduled post whose time came is published."""
        if self.status is PostStatus.SCHEDULED and self.is_public(now):
            return PostStatus.PUBLISHED.value
        return self.status.value


class CommentStatus(enum.StrEnum):
    """A comment waits for the author, is shown, or was judged spam."""

    PENDING = "pending"
    APPROVED = "approved"
    SPAM = "spam"


class Comment(db.Model):
    """A reader's comment on a post (plain text), or the author's reply to one."""

    __tablename__ = "post_comments"
    __table_args__ = (Index("ix_post_comments_post_id_status", "post_id", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # The comment an author's reply answers.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_comments.id", ondelete="CASCADE"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(80))
    author_email: Mapped[str] = mapped_column(String(254), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        value_enum(CommentStatus), default=CommentStatus.PENDING
    )
    # Set when the post's author replied while signed in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A keyed hash of the sender's address, for the per-address rate limit; never the address.
    sender_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    post: Mapped[Post] = relationship()
    user = relationship("User")

    @property
    def by_author(self) -> bool:
        return self.user_id is not None


class BlogProfile(db.Model):
    """How a coach appears as an author, moderates comments and anonymises letters."""

    __tablename__ = "blog_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    photo_path: Mapped[str | None] = mapped_column(String(200))
    # One link per line, e.g. "Instagram https://instagram.com/..."
    social_links: Mapped[str] = mapped_column(Text, default="")
    # Publish comments at once from an e-mail address the coach approved before.
    approve_known_commenters: Mapped[bool] = mapped_column(default=False)
    # One word or phrase per line; comments containing one go to spam.
    blocked_words: Mapped[str] = mapped_column(Text, default="")
    # The neutral words the anonymiser puts in place of names and contact details.
    client_name_replacement: Mapped[str] = mapped_column(String(80), default="my dear friend")
    child_name_replacement: Mapped[str] = mapped_column(String(80), default="your little one")
    contact_replacement: Mapped[str] = mapped_column(String(80), default="[removed]")
    other_term_replacement: Mapped[str] = mapped_column(String(80), default="[removed]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    coach = relationship("User")


class BlogRevision(db.Model):
    """One row whose number changes with every change that can alter a public blog page.

    Database triggers bump it (see the migration "blog revision"), never the app: that way
    bulk UPDATEs, cascades and other processes count too. The first change makes the row;
    none yet reads as 0. Cached pages are checked against it on every request
    (coachapp/blog/page_cache.py).
    """

    __tablename__ = "blog_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


# Consent to publish: the client's permission, recorded before a letter becomes a post.


class ConsentMethod(enum.StrEnum):
    """How a client's consent reached the coach."""

    PORTAL = "portal"
    EMAIL = "email"
    IN_PERSON = "in_person"


CONSENT_METHODS = {
    ConsentMethod.PORTAL: "in the portal",
    ConsentMethod.EMAIL: "by e-mail",
    ConsentMethod.IN_PERSON: "in person",
}


class PublicationConsent(db.Model):
    """One addressee's permission to publish one letter, as it read at one revision.

    A ledger: rows are never edited except to record a withdrawal, so who agreed to
    what, when and how stays on record. Giving consent again adds a new row. A joint
    letter needs a standing consent from each of the adults it is written to.
    """

    __tablename__ = "publication_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    # Whose consent it is. The ledger outlives an adult removed from the family.
    adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL"), index=True
    )
    letter_revision_id: Mapped[int] = mapped_column(
        ForeignKey("letter_revisions.id", ondelete="CASCADE")
    )
    method: Mapped[ConsentMethod] = mapped_column(value_enum(ConsentMethod))
    note: Mapped[str] = mapped_column(Text, default="")
    # The client themselves (portal) or the coach who recorded it.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawal_note: Mapped[str] = mapped_column(Text, default="")

    client: Mapped[Client] = relationship()
    adult: Mapped[Adult | None] = relationship()
    letter = relationship("Letter")
    letter_revision = relationship("LetterRevision")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id])

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def method_label(self) -> str:
        return CONSENT_METHODS[self.method]

    @property
    def adult_name(self) -> str:
        """Whose consent it is, as the coach reads it."""
        return self.adult.display_name if self.adult else "a former member of the family"


class JournalConsent(db.Model):
    """A writer's permission to publish one journal entry, as it read at one version.

    A ledger like PublicationConsent: the entry's title and text are kept as agreed to,
    so editing the entry afterwards never widens what was agreed. Rows are only ever
    changed to record a withdrawal; agreeing again adds a row.
    """

    __tablename__ = "journal_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    journal_entry_id: Mapped[int] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True
    )
    # The writer, who alone can agree for their own words.
    adult_id: Mapped[int | None] = mapped_column(
        ForeignKey("adults.id", ondelete="SET NULL"), index=True
    )
    entry_version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawal_note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[JournalEntry] = relationship()
    adult: Mapped[Adult | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
