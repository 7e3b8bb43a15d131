"""Full-text search over a coach's sessions, kept in step with every write.

SQLite uses an FTS5 table and PostgreSQL a tsvector column with a GIN index; both are
created by migrations. The index holds, per session, its private notes, summary, topics
and action items, and is rewritten in the same transaction as any change to them.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import bindparam, event, func, or_, select, text
from sqlalchemy.orm import Session as OrmSession

from coachapp.clients.models import Adult, Client
from coachapp.clients.services import first_adult_name_order
from coachapp.coaching.models import ActionItem, CoachingSession, Topic, coaching_session_topics
from coachapp.timeutil import UTCDateTime

INDEX_TABLE = "coaching_session_search"
RESULT_LIMIT = 20
_HIT_START, _HIT_END = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)


def include_in_autogenerate(name: str | None, type_: str, _parent_names) -> bool:
    """The search index is built by hand in migrations; autogenerate leaves it alone."""
    return not (type_ == "table" and name and name.startswith(INDEX_TABLE))


def search_words(query: str) -> list[str]:
    """The words of a query, without any search-syntax characters."""
    return _WORD.findall(query.lower())[:12]


# --- keeping the index in step -------------------------------------------------------


def _session_documents(connection, ids: list[int]) -> dict[int, dict[str, str]]:
    """Gather, for each session id, the text that search looks through."""
    documents = {
        row.id: {
            "private_notes": row.private_notes or "",
            "summary": row.summary or "",
            "topics": "",
            "action_items": "",
        }
        for row in connection.execute(
            select(
                CoachingSession.id, CoachingSession.private_notes, CoachingSession.summary
            ).where(CoachingSession.id.in_(ids))
        )
    }
    topic_rows = connection.execute(
        select(coaching_session_topics.c.coaching_session_id, Topic.name)
        .join(Topic, Topic.id == coaching_session_topics.c.topic_id)
        .where(coaching_session_topics.c.coaching_session_id.in_(ids))
    )
    for session_id, name in topic_rows:
        documents[session_id]["topics"] += f"{name}\n"
    item_rows = connection.execute(
        select(ActionItem.coaching_session_id, ActionItem.text).where(
            ActionItem.coaching_session_id.in_(ids)
        )
    )
    for session_id, item_text in item_rows:
        documents[session_id]["action_items"] += f"{item_text}\n"
    return documents


def reindex_sessions(connection, ids: set[int]) -> None:
    """Rewrite the index rows of these sessions (and drop rows of deleted ones)."""
    if not ids:
        return
    ids_list = sorted(ids)
    documents = _session_documents(connection, ids_list)
    sqlite = connection.dialect.name == "sqlite"
    delete = (
        "DELETE FROM coaching_session_search WHERE rowid IN :ids"
        if sqlite
        else "DELETE FROM coaching_session_search WHERE coaching_session_id IN :ids"
    )
    connection.execute(
        text(delete).bindparams(bindparam("ids", expanding=True)), {"ids": ids_list}
    )
    if not documents:
        return
    rows = [{"id": session_id, **document} for session_id, document in documents.items()]
    if sqlite:
        insert = (
            "INSERT INTO coaching_session_search "
            "(rowid, private_notes, summary, topics, action_items) "
            "VALUES (:id, :private_notes, :summary, :topics, :action_items)"
        )
    else:
        insert = (
            "INSERT INTO coaching_session_search "
            "(coaching_session_id, private_notes, summary, topics, action_items) "
            "VALUES (:id, :private_notes, :summary, :topics, :action_items)"
        )
    connection.execute(text(insert), rows)  # PostgreSQL fills the tsvector itself


def _affected_session_ids(orm_session: OrmSession) -> set[int]:
    """Sessions whose searchable text a flush is about to change or delete."""
    ids: set[int] = set()
    connection = orm_session.connection()
    for obj in list(orm_session.dirty) + list(orm_session.deleted):
        if isinstance(obj, CoachingSession) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, ActionItem) and obj.coaching_session_id is not None:
            ids.add(obj.coaching_session_id)
        elif isinstance(obj, Topic) and obj.id is not None:
            ids.update(
                connection.scalars(
                    select(coaching_session_topics.c.coaching_session_id).where(
                        coaching_session_topics.c.topic_id == obj.id
                    )
                )
            )
        elif isinstance(obj, Client) and obj in orm_session.deleted:
            # The database cascades the delete to sessions; their index rows go too.
            ids.update(
                connection.scalars(
                    select(CoachingSession.id).where(CoachingSession.client_id == obj.id)
                )
            )
    for obj in orm_session.new:
        if isinstance(obj, ActionItem) and obj.coaching_session_id is not None:
            ids.add(obj.coaching_session_id)
    return ids


@event.listens_for(OrmSession, "before_flush")
def _remember_sessions_to_reindex(orm_session, _flush_context, _instances) -> None:
    """Note which sessions a flush touches, while deleted links can still be read."""
    pending = orm_session.info.setdefault("coaching_sessions_to_reindex", set())
    pending.update(_affected_session_ids(orm_session))


@event.listens_for(OrmSession, "after_flush")
def _reindex_after_flush(orm_session, _flush_context) -> None:
    """Rewrite their index rows in the same transaction as the change itself."""
    pending = orm_session.info.pop("coaching_sessions_to_reindex", set())
    for obj in orm_session.new:  # new sessions and steps have their ids now
        if isinstance(obj, CoachingSession):
            pending.add(obj.id)
        elif isinstance(obj, ActionItem):
            pending.add(obj.coaching_session_id)
    reindex_sessions(orm_session.connection(), pending)


# --- searching -------------------------------------------------------------------------


@dataclass
class SessionHit:
    """A session that matched, with the passage that matched."""

    coaching_session_id: int
    client_id: int
    client_name: str
    starts_at: datetime
    snippet: Markup


@dataclass
class ClientHit:
    """A client whose name matched."""

    client: Client
    name: Markup


def highlight(passage: str) -> Markup:
    """Escape a passage and turn the search engine's hit markers into <mark> tags."""
    escaped = str(escape(passage))
    marked = escaped.replace(_HIT_START, "<mark>").replace(_HIT_END, "</mark>")
    return Markup(marked)  # noqa: S704  (escaped above; only our own tags added)


def mark_words(value: str, words: list[str]) -> Markup:
    """Escape ``value`` and mark every word that starts with one of ``words``."""
    if not words:
        return escape(value)
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
    marked = pattern.sub(lambda m: f"{_HIT_START}{m.group(0)}{_HIT_END}", value)
    return highlight(marked)


def search_clients(db_session, coach_id: int, words: list[str]) -> list[ClientHit]:
    """Families of this coach with an adult's name starting with each of the words."""
    if not words:
        return []
    statement = select(Client).where(Client.coach_id == coach_id)
    for word in words:
        # Escaped: "_" is a word character to search_words but a wildcard to LIKE.
        statement = statement.where(
            Client.adults.any(
                or_(
                    func.lower(Adult.first_name).startswith(word, autoescape=True),
                    func.lower(Adult.last_name).startswith(word, autoescape=True),
                    func.lower(Adult.preferred_name).startswith(word, autoescape=True),
                )
            )
        )
    clients = db_session.scalars(
        statement.order_by(Client.archived_at.is_not(None), *first_adult_name_order())
        .limit(RESULT_LIMIT)
    ).all()
    return [ClientHit(client, mark_words(client.display_name, words)) for client in clients]


def search_sessions(db_session, coach_id: int, words: list[str]) -> list[SessionHit]:
    """This coach's sessions whose notes, summary, topics or steps hold every word, best first."""
    if not words:
        return []
    if db_session.get_bind().dialect.name == "sqlite":
        rows = _search_sqlite(db_session, coach_id, words)
    else:
        rows = _search_postgresql(db_session, coach_id, words)
    starts = UTCDateTime()
    # The families' names (each adult's), in one more query for all the hits.
    family_names = {
        family.id: family.display_name
        for family in db_session.scalars(
            select(Client).where(Client.id.in_({row.client_id for row in rows}))
        )
    } if rows else {}
    return [
        SessionHit(
            coaching_session_id=row.id,
            client_id=row.client_id,
            client_name=family_names.get(row.client_id, ""),
            starts_at=starts.process_result_value(_as_datetime(row.starts_at), None),
            snippet=highlight(row.snippet or ""),
        )
        for row in rows
    ]


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _search_sqlite(db_session, coach_id: int, words: list[str]):
    match = " ".join(f'"{word}"*' for word in words)
    return db_session.execute(
        text(
            "SELECT s.id, s.client_id, s.starts_at, "
            "snippet(coaching_session_search, -1, :hit_start, :hit_end, '…', 24) AS snippet "
            "FROM coaching_session_search "
            "JOIN coaching_sessions s ON s.id = coaching_session_search.rowid "
            "WHERE coaching_session_search MATCH :match AND s.coach_id = :coach_id "
            "ORDER BY rank LIMIT :limit"
        ),
        {
            "match": match,
            "coach_id": coach_id,
            "limit": RESULT_LIMIT,
            "hit_start": _HIT_START,
            "hit_end": _HIT_END,
        },
    ).all()


def _search_postgresql(db_session, coach_id: int, words: list[str]):
    query = " & ".join(f"{word}:*" for word in words)
    return db_session.execute(
        text(
            "SELECT s.id, s.client_id, s.starts_at, ts_headline('english', "
            "concat_ws(' · ', i.topics, i.summary, i.action_items, i.private_notes), q, "
            "'StartSel=' || :hit_start || ', StopSel=' || :hit_end || "
            "', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') "
            "AS snippet FROM coaching_session_search i "
            "CROSS JOIN to_tsquery('english', :query) q "
            "JOIN coaching_sessions s ON s.id = i.coaching_session_id "
            "WHERE i.document @@ q AND s.coach_id = :coach_id "
            "ORDER BY ts_rank_cd(i.document, q) DESC, s.starts_at DESC LIMIT :limit"
        ),
        {
            "query": query,
            "coach_id": coach_id,
            "limit": RESULT_LIMIT,
            "hit_start": _HIT_START,
            "hit_end": _HIT_END,
        },
    ).all()
