"""Clients: adding, changing, archiving, deleting and finding them, always for one coach."""

import logging
import re
from dataclasses import dataclass, field
from typing import ClassVar

from flask import abort
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User, new_session_token
from coachapp.auth.signals import client_record_wanted
from coachapp.clients.models import Adult, Child, Client, Tag, and_list
from coachapp.clients.signals import keep_apart_starting
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
    """The id of the family whose adult signs in with this portal account, if any."""
    return db.session.execute(select(Adult.client_id).where(Adult.user_id == user.id)).scalar()


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


# What the client form writes on the family's first adult, and on the family itself.
ADULT_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "preferred_contact",
)
FAMILY_FIELDS = ("situation", "goals", "notes", "identifying_words")


@dataclass
class AdultData:
    """What the coach writes about one adult of a family."""

    FIELDS: ClassVar[tuple[str, ...]] = (*ADULT_FIELDS, "relation_to_children")

    first_name: str
    last_name: str = ""
    preferred_name: str = ""
    pronouns: str = ""
    email: str = ""
    phone: str = ""
    preferred_contact: str = "email"
    relation_to_children: str = ""


class FamilyRefused(ValueError):
    """A change to a family's adults that cannot be made; the message says why."""


def get_adult_or_404(client: Client, adult_id: int) -> Adult:
    """An adult of this family (already checked to be the coach's); any other is a 404."""
    adult = next((adult for adult in client.adults if adult.id == adult_id), None)
    if adult is None:
        abort(404)
    return adult


def add_adult(client: Client, data: AdultData) -> Adult:
    """Add an adult to the family, after the others. Flushes, does not commit."""
    position = max((adult.position for adult in client.adults), default=-1) + 1
    adult = Adult(position=position)
    _apply_adult(adult, data)
    client.adults.append(adult)
    client.updated_at = utcnow()
    db.session.flush()
    log.info("Client %s gained adult %s", client.id, adult.id)
    return adult


def update_adult(adult: Adult, data: AdultData) -> Adult:
    """Change an adult's details. Flushes, does not commit."""
    _apply_adult(adult, data)
    adult.client.updated_at = utcnow()
    db.session.flush()
    return adult


def _apply_adult(adult: Adult, data: AdultData) -> None:
    for name in AdultData.FIELDS:
        setattr(adult, name, getattr(data, name))


def check_removable(adult: Adult) -> None:
    """FamilyRefused when the adult is the family's last: delete the client instead."""
    if len(adult.client.adults) <= 1:
        raise FamilyRefused(
            f"{adult.display_name} is the only adult of this family. To remove them, delete "
            "the client instead."
        )


def remove_adult(adult: Adult) -> None:
    """Take an adult out of the family: their details go and their portal sign-in closes at
    once, and the family's history stays. Any adult but the last can leave; when the first
    leaves, the next becomes the family's first adult. Flushes, does not commit."""
    check_removable(adult)
    client = adult.client
    portal_login = adult.user
    client.adults.remove(adult)
    client.updated_at = utcnow()
    db.session.flush()
    if portal_login is not None:
        # Closed, not deleted: the activity log keeps who they were and what they did.
        portal_login.active = False
        portal_login.session_token = new_session_token()  # signed out everywhere
    log.info("Adult %s left client %s", adult.id, client.id)


# What the activity log records for a change of "keep apart", on and off.
KEEP_APART_DETAILS = {True: "Adults kept apart", False: "Adults no longer kept apart"}


def set_keep_apart(client: Client, keep_apart: bool) -> list[str]:
    """Keep the family's adults apart, or stop. Returns what changed, in sentences for the
    coach (none when nothing did). Every change is in the activity log, because it decides
    what each adult sees. Does not commit."""
    if client.keep_apart == keep_apart:
        return []
    taken_back = []
    if keep_apart:
        taken_back = [said for _, said in keep_apart_starting.send(client) if said]
    client.keep_apart = keep_apart
    client.updated_at = utcnow()
    record_event(
        AuditAction.KEEP_APART_CHANGED,
        client_id=client.id,
        target=client,
        detail=KEEP_APART_DETAILS[keep_apart],
    )
    log.info("Client %s keep apart: %s", client.id, keep_apart)
    names = and_list([adult.preferred_name or adult.first_name for adult in client.adults])
    if keep_apart:
        return [f"{names} are now kept apart: each sees only their own and joint records.",
                *taken_back]
    return [f"{names} are no longer kept apart."]


def get_client_or_404(client_id: int, coach: User | None = None) -> Client:
    """The coach's client with this id, children, tags and adults' sign-ins loaded; anyone
    else's is a 404."""
    coach = coach if coach is not None else current_user
    # Joined, not selectin: every client page shows the family, and a client has few
    # children and tags, so one query serves the page instead of three. Each adult's
    # portal sign-in comes with the adults, so a larger family costs no more queries.
    client = (
        db.session.execute(
            select(Client)
            .options(
                joinedload(Client.adults).joinedload(Adult.user),
                joinedload(Client.children),
                joinedload(Client.tags),
            )
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
    for name in FAMILY_FIELDS:
        setattr(client, name, getattr(data, name))
    if not client.adults:
        client.adults.append(Adult(position=0))
    for name in ADULT_FIELDS:
        setattr(client.first_adult, name, getattr(data, name))
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
    # Every word must appear in one of the names of one of the family's adults: "sofia mar"
    # finds Sofia Marin, and "duval" finds the family Marc Duval belongs to.
    for word in listing.q.split():
        statement = statement.where(
            Client.adults.any(
                or_(
                    Adult.first_name.icontains(word, autoescape=True),
                    Adult.last_name.icontains(word, autoescape=True),
                    Adult.preferred_name.icontains(word, autoescape=True),
                )
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
    return *first_adult_name_order(), Client.id


def first_adult_name_order() -> tuple:
    """ORDER BY the family's first adult, as the coach addresses them, then last name."""
    def first_adult(column):
        return (
            select(column)
            .where(Adult.client_id == Client.id)
            .order_by(Adult.position, Adult.id)
            .limit(1)
            .scalar_subquery()
        )

    addressed_as = func.coalesce(func.nullif(Adult.preferred_name, ""), Adult.first_name)
    return func.lower(first_adult(addressed_as)), func.lower(first_adult(Adult.last_name))
