"""Reading the audit log: who may see which events, filtering, pages, labels and CSV.

Client and person ids in the log are plain numbers that outlive what they named. On
SQLite a deleted row's id can be given to a new row, so an event only counts as being
about a client (or by a person) that existed when it happened.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import joinedload

from coachapp.audit.models import AuditEvent
from coachapp.auth.models import Role, User
from coachapp.clients.models import Adult, Client
from coachapp.clients.services import first_adult_name_order
from coachapp.extensions import db

PER_PAGE = 50
# A batch of client ids looked up at once; well under every database's parameter limit.
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class AuditFilters:
    """What the coach narrowed the log to; times are UTC, ``before`` is exclusive."""

    client_id: int | None = None
    actor_id: int | None = None
    action: str = ""
    since: datetime | None = None
    before: datetime | None = None

    def describe(self) -> str:
        """The filters in a few words, for the record of an export."""
        parts = []
        if self.client_id:
            parts.append(f"client #{self.client_id}")
        if self.actor_id:
            parts.append(f"person #{self.actor_id}")
        if self.action:
            parts.append(f"action {self.action}")
        if self.since:
            parts.append(f"from {self.since.isoformat()}")
        if self.before:
            parts.append(f"before {self.before.isoformat()}")
        return "Filtered by " + ", ".join(parts) if parts else "Everything"


def _existed_then(model) -> object:
    # The row was there when the event happened (not a later row that reuses its id).
    return model.created_at <= AuditEvent.occurred_at


def visible_to(reader: User):
    """The condition for events ``reader`` may see.

    Every coach sees what they did and what happened about their own clients, the
    clients' own sign-ins and downloads included; the practice owner sees the whole
    practice.
    """
    by_reader = and_(AuditEvent.actor_id == reader.id, AuditEvent.occurred_at >= reader.created_at)
    about_their_client = exists().where(
        Client.id == AuditEvent.client_id, Client.coach_id == reader.id, _existed_then(Client)
    )
    by_their_client = exists().where(
        Adult.user_id == AuditEvent.actor_id,
        Client.id == Adult.client_id,
        Client.coach_id == reader.id,
        User.id == Adult.user_id,
        _existed_then(User),
    )
    conditions = [by_reader, about_their_client, by_their_client]
    if reader.is_owner:
        conditions.append(AuditEvent.practice_id == reader.practice_id)
    return or_(*conditions)


def events_query(reader: User, filters: AuditFilters) -> Select:
    """The events ``reader`` may see that match ``filters``, newest first."""
    statement = select(AuditEvent).where(visible_to(reader))
    if filters.client_id:
        statement = statement.where(
            AuditEvent.client_id == filters.client_id,
            exists().where(Client.id == AuditEvent.client_id, _existed_then(Client)),
        )
    if filters.actor_id:
        statement = statement.where(AuditEvent.actor_id == filters.actor_id)
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.since:
        statement = statement.where(AuditEvent.occurred_at >= filters.since)
    if filters.before:
        statement = statement.where(AuditEvent.occurred_at < filters.before)
    return statement.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def events_page(reader: User, filters: AuditFilters, page: int) -> Pagination:
    """One page of the log (two queries, however long the log)."""
    return db.paginate(events_query(reader, filters), page=page, per_page=PER_PAGE, error_out=False)


def filter_clients(reader: User) -> list[Client]:
    """The clients the log can be filtered by: the reader's own, by name."""
    return list(
        db.session.scalars(
            select(Client)
            .where(Client.coach_id == reader.id)
            .order_by(*first_adult_name_order(), Client.id)
        )
    )


def filter_people(reader: User) -> list[User]:
    """The people the log can be filtered by: the practice's coaches and the reader's
    clients; the owner can choose anyone in the practice."""
    statement = select(User).order_by(User.name, User.id)
    if reader.is_owner:
        statement = statement.where(User.practice_id == reader.practice_id)
    else:
        their_clients = (
            select(Adult.user_id)
            .join(Adult.client)
            .where(Client.coach_id == reader.id, Adult.user_id.is_not(None))
        )
        statement = statement.where(
            or_(
                and_(User.practice_id == reader.practice_id, User.role == Role.COACH),
                User.id.in_(their_clients),
            )
        )
    return sorted(db.session.scalars(statement), key=lambda person: not person.is_coach)


def client_labels(reader: User, events: list[AuditEvent]) -> dict[int, str]:
    """How each event's client is named: by name when the client is the reader's own,
    by number when another coach's, "(deleted)" when the client is gone."""
    wanted = sorted({event.client_id for event in events if event.client_id})
    found: dict[int, tuple] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        rows = db.session.execute(
            select(Client, User.practice_id)
            .options(joinedload(Client.adults))
            .join(User, User.id == Client.coach_id)
            .where(Client.id.in_(wanted[start : start + LOOKUP_BATCH]))
        ).unique()
        found.update({client.id: (client, practice_id) for client, practice_id in rows})
    labels = {}
    for event in events:
        if not event.client_id:
            continue
        client, practice_id = found.get(event.client_id, (None, None))
        if client is None or client.created_at > event.occurred_at:
            labels[event.id] = f"Client #{event.client_id} (deleted)"
        elif client.coach_id == reader.id:
            labels[event.id] = client.display_name
        elif practice_id == reader.practice_id:
            labels[event.id] = f"Client #{event.client_id} (another coach's client)"
        else:
            labels[event.id] = f"Client #{event.client_id}"
    return labels


# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """The value as text a spreadsheet shows as written, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = (
    "When",
    "Who",
    "Role",
    "What",
    "Client",
    "Client number",
    "Record",
    "Detail",
    "IP address",
    "Device",
)


def events_csv(reader: User, filters: AuditFilters, zone) -> str:
    """Every event the filters match, as CSV; times in ``zone`` with their UTC offset."""
    events = list(db.session.scalars(events_query(reader, filters)))
    labels = client_labels(reader, events)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for event in events:
        record = f"{event.target_type} #{event.target_id}" if event.target_type else ""
        row = (
            event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
            event.actor_name,
            event.actor_role,
            event.action_label,
            labels.get(event.id, ""),
            event.client_id or "",
            record,
            event.detail,
            event.ip_address,
            event.user_agent,
        )
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


# Browsers and systems named in a user agent, most specific first.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "Mac"),
    ("CrOS", "Chromebook"),
    ("Linux", "Linux"),
)
DEVICE_MAX = 40


def short_device(user_agent: str) -> str:
    """A user agent in a few words, e.g. "Firefox on Windows"; else its first characters."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    shortened = re.sub(r"\s+", " ", user_agent).strip()
    return shortened if len(shortened) <= DEVICE_MAX else shortened[: DEVICE_MAX - 1] + "…"
