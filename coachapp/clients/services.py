"""Clients: adding, changing, archiving, deleting and finding them, always for one coach."""

import logging
import re
from dataclasses import dataclass, field

from flask import abort
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from coachapp.auth.models import User
from coachapp.auth.signals import client_record_wanted
from coachapp.clients.models import Child, Client, Tag
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

PER_PAGE = 25
TAG_MAX_LENGTH = 40
STATUSES = {"active": "Active", "archived": "Archived", "all": "Active and archived"}
SORTS = {"name": "Name", "updated": "Recently updated", "newest": "Newest first"}


@client_record_wanted.connect
def client_id_of_user(user: User) -> int | None:
    """The id of the client record behind a portal sign-in, if any."""
    return db.session.execute(select(Client.id).where(Client.user_id == user.id)).scalar()


@dataclass
class ClientData:
    """Everything a coach writes about a client in the client form."""

    first_name: str
    last_name: str = ""
    preferred_name: str = ""
    pronouns: str = ""
    email: str = ""
    phone: str = ""
    situation: str = ""
    goals: str = ""
    preferred_contact: str = "email"
    notes: str = ""
    identifying_words: str = ""
    children: list[tuple[str, int | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "situation",
    "goals",
    "preferred_contact",
    "notes",
    "identifying_words",
)


def get_client_or_404(client_id: int, coach: User | None = None) -> Client:
    """The coach's client with this id, children and tags loaded; anyone else's is a 404."""
    coach = coach if coach is not None else current_user
    # Joined, not selectin: every client page shows the family, and a client has few
    # children and tags, so one query serves the page instead of three.
    client = (
        db.session.execute(
            select(Client)
            .options(joinedload(Client.children), joinedload(Client.tags))
            .where(Client.id == client_id, Client.coach_id == coach.id)
        )
        .unique()
        .scalar_one_or_none()
    )
    if client is None:
        abort(404)
    return client


def create_client(coach: User, data: ClientData) -> Client:
    """Add a client for ``coach``. Flushes, does not commit."""
    client = Client(coach_id=coach.id)
    db.session.add(client)
    _apply(client, data)
    db.session.flush()
    log.info("Coach %s added client %s", coach.id, client.id)
    return client


def update_client(client: Client, data: ClientData) -> Client:
    """Change a client's profile, children and tags. Flushes, does not commit."""
    _apply(client, data)
    # Changing only children or tags touches no client column, yet it is still an update.
    client.updated_at = utcnow()
    db.session.flush()
    prune_unused_tags(client.coach_id)
    return client


def _apply(client: Client, data: ClientData) -> None:
    for name in PROFILE_FIELDS:
        setattr(client, name, getattr(data, name))
    _sync_children(client, data.children)
    client.tags = tags_for(client.coach_id, data.tags)


def _sync_children(client: Client, rows: list[tuple[str, int | None]]) -> None:
    """Update children in place, row by row, so unchanged children keep their ids."""
    existing = list(client.children)
    kept = []
    for index, (first_name, birth_year) in enumerate(rows):
        child = existing[index] if index < len(existing) else Child()
        child.first_name, child.birth_year = first_name, birth_year
        kept.append(child)
    client.children = kept


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, tidied: no blanks, no repeats (ignoring case), 40 characters each."""
    tags: dict[str, str] = {}
    for raw in text.split(","):
        name = re.sub(r"\s+", " ", raw).strip()[:TAG_MAX_LENGTH].strip()
        if name:
            tags.setdefault(name.lower(), name)
    return list(tags.values())


def tags_for(coach_id: int, names: list[str]) -> list[Tag]:
    """The coach's tags with these names, created when new; 'Guilt' and 'guilt' are one tag."""
    if not names:
        return []
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.lower(), name)
    # Compared in Python: SQLite's lower() leaves 'É' alone, and a coach has few tags.
    existing = db.session.scalars(select(Tag).where(Tag.coach_id == coach_id))
    by_key = {tag.name.lower(): tag for tag in existing}
    for key, name in wanted.items():
        if key not in by_key:
            by_key[key] = Tag(coach_id=coach_id, name=name)
            db.session.add(by_key[key])
    return [by_key[key] for key in wanted]


def prune_unused_tags(coach_id: int) -> None:
    """Forget tags no client carries any more, so the tag filter lists only useful ones."""
    unused = db.session.scalars(
        select(Tag).where(Tag.coach_id == coach_id, ~Tag.clients.any())
    ).all()
    for tag in unused:
        db.session.delete(tag)


def coach_tags(coach: User) -> list[Tag]:
    """All of a coach's tags, by name."""
    return list(
        db.session.scalars(
            select(Tag).where(Tag.coach_id == coach.id).order_by(func.lower(Tag.name))
        )
    )


def archive_client(client: Client) -> None:
    """Move a client out of the everyday list, keeping everything about them."""
    if client.archived_at is None:  # archiving twice keeps the first date
        client.archived_at = utcnow()
    log.info("Client %s archived", client.id)


def restore_client(client: Client) -> None:
    """Bring an archived client back into the everyday list."""
    client.archived_at = None
    log.info("Client %s restored", client.id)


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
    from coachapp.blog.models import PUBLIC_STATUSES, Post
    from coachapp.blog.publishing import consent_for_post
    from coachapp.letters.models import Letter

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
    from coachapp.audit.models import AuditAction
    from coachapp.audit.services import record_event
    from coachapp.blog.publishing import unpublish_post

    coach_id, client_id = client.coach_id, client.id
    fates = post_fates(client)
    for post in fates.taken_offline:
        unpublish_post(post, DELETED_CLIENT_UNPUBLISHED_REASON)
    for post in [*fates.kept_online, *fates.taken_offline, *fates.unlinked]:
        # from_letter stays true, so an unlinked post can never be published again.
        post.letter_id = post.letter_revision_id = post.client_id = None
    portal_login = client.user
    db.session.delete(client)
    db.session.flush()
    if portal_login is not None:
        _delete_portal_login(portal_login)
    prune_unused_tags(coach_id)
    record_event(
        AuditAction.CLIENT_DELETED,
        client_id=client_id,
        detail=(
            f"Portal sign-in {'deleted' if portal_login else 'none'}; posts kept online with "
            f"consent: {len(fates.kept_online)}, taken offline: {len(fates.taken_offline)}"
        ),
    )
    log.info("Coach %s deleted client %s and everything recorded about them", coach_id, client_id)
    return fates


def _delete_portal_login(user: User) -> None:
    """The client's sign-in, with its links, codes and kept work (the database cascades),
    and the invitation and reset e-mails addressed to it."""
    from coachapp.outbox.models import OutboxMessage

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
    portal_email: str | None = None
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
        if self.portal_email:
            lines.append(
                f"Their portal sign-in ({self.portal_email}): they will no longer be able to "
                "sign in"
            )
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
    # Imported here: the coaching package imports clients, and would find this half-loaded.
    from coachapp.coaching.models import ActionItem, CoachingSession
    from coachapp.letters.models import Letter

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
        portal_email=client.user.email if client.user else None,
        posts_kept_online=len(fates.kept_online),
        posts_taken_offline=len(fates.taken_offline),
        posts_unlinked=len(fates.unlinked),
    )


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 child', '2 children', '3 coaching sessions'."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


@dataclass(frozen=True)
class ClientListing:
    """What the client list shows: a name search, a tag, archived or not, an order, a page."""

    q: str = ""
    tag: str = ""
    status: str = "active"
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "ClientListing":
        """Read the list's query string; anything unexpected falls back to the default."""
        status = args.get("status", "active")
        sort = args.get("sort", "name")
        return cls(
            q=args.get("q", "").strip()[:100],
            tag=args.get("tag", "").strip()[:TAG_MAX_LENGTH],
            status=status if status in STATUSES else "active",
            sort=sort if sort in SORTS else "name",
            page=page_number(args),
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.tag or self.status != "active")

    def args(self, **changes) -> dict:
        """Query-string arguments for a link to this listing with ``changes`` applied."""
        values = {"q": self.q, "tag": self.tag, "status": self.status, "sort": self.sort}
        values.update(changes)
        defaults = {"status": "active", "sort": "name", "page": 1}
        return {key: value for key, value in values.items() if value and defaults.get(key) != value}


def list_clients(coach: User, listing: ClientListing) -> Pagination:
    """One page of the coach's clients, with their children and tags loaded (4 queries)."""
    statement = _filtered(select(Client).where(Client.coach_id == coach.id), listing)
    statement = statement.options(selectinload(Client.children), selectinload(Client.tags))
    return db.paginate(
        statement.order_by(*_ordering(listing.sort)),
        page=listing.page,
        per_page=PER_PAGE,
        error_out=False,
    )


def has_archived_clients(coach: User) -> bool:
    """Whether the coach has archived anyone (to point there when the active list is empty)."""
    return (
        db.session.scalar(
            select(Client.id)
            .where(Client.coach_id == coach.id, Client.archived_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def _filtered(statement: Select, listing: ClientListing) -> Select:
    if listing.status == "active":
        statement = statement.where(Client.archived_at.is_(None))
    elif listing.status == "archived":
        statement = statement.where(Client.archived_at.is_not(None))
    # Every word must appear in one of the names: "sofia mar" finds Sofia Marin.
    for word in listing.q.split():
        statement = statement.where(
            or_(
                Client.first_name.icontains(word, autoescape=True),
                Client.last_name.icontains(word, autoescape=True),
                Client.preferred_name.icontains(word, autoescape=True),
            )
        )
    if listing.tag:
        statement = statement.where(
            Client.tags.any(
                or_(Tag.name == listing.tag, func.lower(Tag.name) == listing.tag.lower())
            )
        )
    return statement


def _ordering(sort: str) -> tuple:
    """ORDER BY for a sort; the id breaks ties so pages never repeat or skip a client."""
    if sort == "updated":
        return Client.updated_at.desc(), Client.id.desc()
    if sort == "newest":
        return Client.created_at.desc(), Client.id.desc()
    addressed_as = func.coalesce(func.nullif(Client.preferred_name, ""), Client.first_name)
    return func.lower(addressed_as), func.lower(Client.last_name), Client.id
