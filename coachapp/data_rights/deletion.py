"""Deleting a client and everything recorded about them: their sessions, letters, consents,
queued e-mail and portal sign-in, while posts made from their letters keep only their
anonymised text (online where consent stood, offline where it did not).

It reaches into every feature, so it sits above them all.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.blog.models import PUBLIC_STATUSES, Post
from coachapp.blog.publishing import consent_for_post, unpublish_post
from coachapp.calendar_sync.invitations import delete_session_emails
from coachapp.clients.models import Client
from coachapp.clients.services import plural, prune_unused_tags
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.extensions import db
from coachapp.letters.models import Letter
from coachapp.outbox.models import OutboxMessage

log = logging.getLogger(__name__)


# Why a post made from a deleted client's letter went offline, as its author reads it.
DELETED_CLIENT_UNPUBLISHED_REASON = "The client was deleted and no consent stood for this post."


@dataclass
class PostFates:
    """What deleting a client does to the posts made from their letters."""

    kept_online: list = field(default_factory=list)  # public or scheduled, consent stands
    taken_offline: list = field(default_factory=list)  # public or scheduled, no consent
    unlinked: list = field(default_factory=list)  # drafts and unpublished posts


def post_fates(client: Client) -> PostFates:
    """Sort the posts made from the client's letters by what deletion will do to each.

    A post stays online only while the consent for the letter revision it was made from
    stands; the confirmation page and the deletion both use this, so they agree.
    """
    client_letters = select(Letter.id).where(Letter.client_id == client.id)
    posts = db.session.scalars(
        select(Post)
        .where(or_(Post.client_id == client.id, Post.letter_id.in_(client_letters)))
        .order_by(Post.id)
    ).all()
    fates = PostFates()
    for post in posts:
        if post.status not in PUBLIC_STATUSES:
            fates.unlinked.append(post)
        elif consent_for_post(post) is not None:
            fates.kept_online.append(post)
        else:
            fates.taken_offline.append(post)
    return fates


def delete_client(client: Client) -> PostFates:
    """Delete a client and everything recorded about them, and their portal sign-in.

    Their children, sessions, letters (with revisions and PDFs), consents and queued
    e-mail go; so does their portal login with its links and codes. Posts made from
    their letters keep only their anonymised text: they stay online where consent
    stood, and go offline where it did not. Flushes, does not commit.
    """
    coach_id, client_id = client.coach_id, client.id
    fates = post_fates(client)
    for post in fates.taken_offline:
        unpublish_post(post, DELETED_CLIENT_UNPUBLISHED_REASON)
    for post in [*fates.kept_online, *fates.taken_offline, *fates.unlinked]:
        # from_letter stays true, so an unlinked post can never be published again.
        post.letter_id = post.letter_revision_id = post.client_id = None
    portal_logins = [adult.user for adult in client.adults if adult.user is not None]
    session_ids = db.session.scalars(
        select(CoachingSession.id).where(CoachingSession.client_id == client_id)
    ).all()
    delete_session_emails(list(session_ids))
    db.session.delete(client)
    db.session.flush()
    for portal_login in portal_logins:
        delete_portal_login(portal_login)
    prune_unused_tags(coach_id)
    record_event(
        AuditAction.CLIENT_DELETED,
        client_id=client_id,
        detail=(
            f"Portal sign-ins deleted: {len(portal_logins)}; posts kept online with "
            f"consent: {len(fates.kept_online)}, taken offline: {len(fates.taken_offline)}"
        ),
    )
    log.info("Coach %s deleted client %s and everything recorded about them", coach_id, client_id)
    return fates


def delete_portal_login(user: User) -> None:
    """The client's sign-in, with its links, codes and kept work (the database cascades),
    and the invitation and reset e-mails addressed to it."""
    for kind in ("invite", "reset"):
        db.session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.kind == kind,
                OutboxMessage.idempotency_key.startswith(f"{kind}-{user.id}-", autoescape=True),
            )
        )
    db.session.delete(user)
    db.session.flush()


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting a client removes, counted, to show before the coach confirms."""

    client_name: str
    child_names: list[str]
    session_count: int
    action_item_count: int
    letter_count: int = 0
    portal_emails: list[str] = field(default_factory=list)
    posts_kept_online: int = 0
    posts_taken_offline: int = 0
    posts_unlinked: int = 0

    def sentence(self) -> str:
        """E.g. 'Sofia Marin, 2 children, 3 coaching sessions and their notes and action items'."""
        parts = [self.client_name]
        if self.child_names:
            parts.append(plural(len(self.child_names), "child", "children"))
        if self.session_count:
            parts.append(
                plural(self.session_count, "coaching session") + " and their notes and action items"
            )
        if self.letter_count:
            parts.append(plural(self.letter_count, "letter"))
        return ", ".join(parts)

    def lines(self) -> list[str]:
        """One line per kind of record that goes, for the confirmation page."""
        lines = ["Their profile: contact details, situation, goals, tags and your notes"]
        if self.child_names:
            children = plural(len(self.child_names), "child", "children")
            lines.append(f"{children}: {', '.join(self.child_names)}")
        if self.session_count:
            sessions = plural(self.session_count, "coaching session")
            items = plural(self.action_item_count, "action item")
            lines.append(f"{sessions} with their private notes and summaries, and {items}")
        if self.letter_count:
            letters = plural(self.letter_count, "letter")
            lines.append(f"{letters} with every version, and their consents to share")
        for email in self.portal_emails:
            lines.append(f"Their portal sign-in ({email}): they will no longer be able to sign in")
        return lines

    def post_lines(self) -> list[str]:
        """What happens to the posts made from their letters."""
        lines = []
        if self.posts_kept_online:
            posts = plural(self.posts_kept_online, "published post")
            verb, it = ("stays", "it") if self.posts_kept_online == 1 else ("stay", "them")
            lines.append(
                f"{posts} {verb} online: the consent for {it} stands. Only the anonymised "
                "text is kept, no longer linked to this client."
            )
        if self.posts_taken_offline:
            posts = plural(self.posts_taken_offline, "published post")
            verb, it = ("goes", "it") if self.posts_taken_offline == 1 else ("go", "them")
            lines.append(f"{posts} {verb} offline: no consent stands for {it}.")
        if self.posts_unlinked:
            posts = plural(self.posts_unlinked, "unpublished post", "unpublished posts")
            verb = "stays" if self.posts_unlinked == 1 else "stay"
            lines.append(
                f"{posts} {verb} among your posts, no longer linked to this client, and "
                "can no longer be published."
            )
        return lines


def deletion_summary(client: Client) -> DeletionSummary:
    """Count what would go with the client, and what would happen to posts from their letters."""
    session_count = db.session.scalar(
        select(func.count(CoachingSession.id)).where(CoachingSession.client_id == client.id)
    )
    action_item_count = db.session.scalar(
        select(func.count(ActionItem.id))
        .join(ActionItem.coaching_session)
        .where(CoachingSession.client_id == client.id)
    )
    letter_count = db.session.scalar(
        select(func.count(Letter.id)).where(Letter.client_id == client.id)
    )
    fates = post_fates(client)
    return DeletionSummary(
        client_name=client.full_name,
        child_names=[child.first_name for child in client.children],
        session_count=session_count or 0,
        action_item_count=action_item_count or 0,
        letter_count=letter_count or 0,
        portal_emails=[adult.user.email for adult in client.adults if adult.user is not None],
        posts_kept_online=len(fates.kept_online),
        posts_taken_offline=len(fates.taken_offline),
        posts_unlinked=len(fates.unlinked),
    )
