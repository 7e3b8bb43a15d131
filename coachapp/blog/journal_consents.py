"""A writer's consent to share one version of a journal entry publicly, without their name:
given and withdrawn in the portal, kept as a ledger, and checked before a post goes online."""

import logging
from dataclasses import dataclass

from sqlalchemy import select

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.blog.models import JournalConsent, Post, Series
from coachapp.blog.publishing import unpublish_posts_where
from coachapp.clients.models import Adult
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.journal.signals import entry_deleting, entry_unsharing
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

WITHDRAWN_REASON = "The writer withdrew their agreement to share it."
DELETED_REASON = "The writer deleted the journal entry it was made from."
UNSHARED_NOTE = "Stopped sharing the entry with the coach."


class JournalConsentRefused(ValueError):
    """Consent cannot be given or withdrawn now; the message says why."""


def journal_consent_history(entry: JournalEntry) -> list[JournalConsent]:
    """Every consent given for the entry, newest first."""
    return list(
        db.session.scalars(
            select(JournalConsent)
            .where(JournalConsent.journal_entry_id == entry.id)
            .order_by(JournalConsent.given_at.desc(), JournalConsent.id.desc())
        )
    )


def standing_journal_consent(entry: JournalEntry) -> JournalConsent | None:
    """The writer's newest consent that stands, if any."""
    return next((c for c in journal_consent_history(entry) if c.is_active), None)


def give_journal_consent(entry: JournalEntry, writer: Adult) -> JournalConsent:
    """Record the writer's consent to the entry as it reads now. Flushes.

    Agreeing again after changing the entry adds a consent to the new version; the one to
    the older version stands too (a post made from it keeps its words) until withdrawn.
    """
    if writer.id != entry.adult_id:
        raise JournalConsentRefused("Only the person who wrote an entry can agree to share it.")
    if not entry.is_shared:
        raise JournalConsentRefused("Share the entry with your coach first.")
    if not entry.body.strip():
        raise JournalConsentRefused("This entry is empty: there is nothing to share yet.")
    standing = standing_journal_consent(entry)
    if standing is not None and standing.entry_version == entry.version:
        raise JournalConsentRefused("You have already agreed to share this version.")
    consent = JournalConsent(
        journal_entry_id=entry.id,
        adult_id=writer.id,
        entry_version=entry.version,
        title=entry.title,
        body=entry.body,
        given_at=utcnow(),
    )
    db.session.add(consent)
    db.session.flush()
    record_event(
        AuditAction.CONSENT_GIVEN,
        client_id=entry.client_id,
        target=entry,
        detail=f"Journal entry, version {entry.version}, given in the portal",
    )
    log.info("Adult %s agreed to share journal entry %s", writer.id, entry.id)
    return consent


def withdraw_journal_consent(entry: JournalEntry, note: str = "") -> int:
    """Withdraw the writer's agreement (to every version) and take every post made from
    the entry offline.

    Returns how many posts went offline. Flushes; both happen in one transaction, so a
    post is never left public after the writer's agreement is gone.
    """
    standing = [consent for consent in journal_consent_history(entry) if consent.is_active]
    if not standing:
        raise JournalConsentRefused("There is no agreement to withdraw for this entry.")
    now = utcnow()
    for consent in standing:
        consent.withdrawn_at = now
        consent.withdrawal_note = note.strip()
    record_event(
        AuditAction.CONSENT_WITHDRAWN,
        client_id=entry.client_id,
        target=entry,
        detail="Journal entry",
    )
    taken_down = unpublish_posts_from_entry(entry, WITHDRAWN_REASON)
    log.info("Journal entry %s: consent withdrawn, %s post(s) unpublished", entry.id, taken_down)
    return taken_down


def unpublish_posts_from_entry(entry: JournalEntry, reason: str) -> int:
    """Take every public or scheduled post made from the entry offline at once; how many."""
    return unpublish_posts_where(Post.journal_entry_id == entry.id, reason)


@entry_unsharing.connect
def withdraw_when_unshared(entry: JournalEntry) -> None:
    """Stopping sharing with the coach takes back the public agreement too."""
    if standing_journal_consent(entry) is not None:
        withdraw_journal_consent(entry, UNSHARED_NOTE)


@entry_deleting.connect
def unpublish_when_deleted(entry: JournalEntry) -> None:
    """A deleted entry's agreement goes with it (cascade), and so must its posts."""
    unpublish_posts_from_entry(entry, DELETED_REASON)


@dataclass
class PublicSharing:
    """Where one entry stands for the blog: the consent, the ledger and the posts."""

    entry: JournalEntry
    history: list[JournalConsent]
    posts: list[Post]

    @property
    def consent(self) -> JournalConsent | None:
        return next((c for c in self.history if c.is_active), None)

    @property
    def changed_since(self) -> bool:
        """Whether the entry was edited after the version agreed to."""
        return self.consent is not None and self.consent.entry_version != self.entry.version

    @property
    def last_withdrawn(self) -> JournalConsent | None:
        return next((c for c in self.history if not c.is_active), None)

    @property
    def series(self) -> Series | None:
        """The blog series whose readers' answers a post from the entry joins, if any."""
        prompt = self.entry.prompt
        series_id = prompt.programme.series_id if prompt is not None else None
        return db.session.get(Series, series_id) if series_id is not None else None

    @property
    def public_posts(self) -> list[Post]:
        now = utcnow()
        return [post for post in self.posts if post.is_public(now)]


def public_sharing(entry: JournalEntry) -> PublicSharing:
    """The entry's consent ledger and the posts made from it."""
    posts = db.session.scalars(
        select(Post).where(Post.journal_entry_id == entry.id).order_by(Post.id)
    )
    return PublicSharing(entry, journal_consent_history(entry), list(posts))
