"""Turning clients into families keeps every record, and every client's own person.

A database at the schema before families is filled through plain SQL (today's models no
longer describe it), then upgraded, checked table by table, used through the portal, and
taken back down again.
"""

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from werkzeug.security import generate_password_hash

from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER
from tests.conftest import TEST_PASSWORD_HASH_METHOD, Browser, make_test_app
from tests.factories import PASSWORD

BEFORE_FAMILIES = "0c1fcda7df87"
FAMILIES = "b7e2d4a91c30"
PERSON_COLUMNS = (
    "first_name", "last_name", "preferred_name", "pronouns", "email", "phone",
    "preferred_contact", "user_id",
)
# Tables whose rows the families migration moves; every other table must not change.
MOVED_TABLES = {"clients", "adults", "alembic_version"}


def _old_schema_rows(now: datetime) -> dict[str, list[dict]]:
    """A small practice as it stood before families, table by table in insertion order."""
    earlier, past = now - timedelta(days=40), now - timedelta(days=14)
    later = now + timedelta(days=7)
    password_hash = generate_password_hash(PASSWORD, method=TEST_PASSWORD_HASH_METHOD)

    def user(id_, email, name, role, **extra):
        return {
            "id": id_, "practice_id": 1, "email": email, "name": name,
            "password_hash": password_hash, "role": role, "is_owner": role == "coach",
            "active": True, "bio": "", "timezone": "Europe/London",
            "session_token": f"session-token-{id_}", "created_at": earlier,
            "last_login_at": None, "totp_last_step": None, "two_factor_enabled_at": None,
            "totp_secret_encrypted": None, **extra,
        }

    def coaching_session(id_, client_id, starts_at, summary, private_notes):
        return {
            "id": id_, "coach_id": 1, "client_id": client_id, "starts_at": starts_at,
            "duration_minutes": 50, "format": "video", "private_notes": private_notes,
            "summary": summary, "follow_up_on": (starts_at + timedelta(days=14)).date(),
            "created_at": earlier, "updated_at": past,
        }

    def letter(id_, client_id, status, subject, body, **extra):
        return {
            "id": id_, "coach_id": 1, "client_id": client_id, "coaching_session_id": None,
            "template_id": None, "subject": subject, "body": body, "status": status,
            "version": 1, "approved_at": None, "approved_by_id": None, "sent_at": None,
            "sent_to": None, "created_at": past, "updated_at": past, **extra,
        }

    return {
        "practices": [
            {"id": 1, "name": "Lindqvist Parent Coaching", "created_at": earlier,
             "require_two_factor": False},
        ],
        "users": [
            user(1, "coach@example.com", "Maya Lindqvist", "coach"),
            user(2, "zoe@example.com", "Zoë Ångström-Núñez", "client", last_login_at=past),
            user(3, "kwame@example.net", "Kwame", "client"),
        ],
        "clients": [
            {"id": 1, "coach_id": 1, "user_id": 2, "first_name": "Zoë",
             "last_name": "Ångström-Núñez", "preferred_name": "Zo", "pronouns": "she/her",
             "email": "zoe@example.com", "phone": "+44 7700 900123",
             "situation": "Back at work after a year at home; mornings are hard.",
             "goals": "Calm school runs.", "preferred_contact": "text",
             "notes": "Prefers evening sessions.", "archived_at": None, "created_at": earlier,
             "updated_at": past, "identifying_words": "Brighton\nSt Mary's Primary"},
            {"id": 2, "coach_id": 1, "user_id": 3, "first_name": "Kwame", "last_name": "",
             "preferred_name": "", "pronouns": "he/him", "email": "kwame@example.net",
             "phone": "", "situation": "Single father of a teenager.", "goals": "",
             "preferred_contact": "phone", "notes": "", "archived_at": None,
             "created_at": earlier, "updated_at": earlier, "identifying_words": ""},
            {"id": 3, "coach_id": 1, "user_id": None, "first_name": "Siobhán",
             "last_name": "Ó Briain 李", "preferred_name": "Shiv", "pronouns": "they/them",
             "email": "", "phone": "0161 496 0000", "situation": "", "goals": "Sleep.",
             "preferred_contact": "email", "notes": "Finished in spring.",
             "archived_at": past, "created_at": earlier, "updated_at": past,
             "identifying_words": ""},
        ],
        "children": [
            {"id": 1, "client_id": 1, "first_name": "Élodie", "birth_year": 2019},
            {"id": 2, "client_id": 1, "first_name": "Mateo", "birth_year": None},
            {"id": 3, "client_id": 2, "first_name": "Ama", "birth_year": 2011},
            {"id": 4, "client_id": 3, "first_name": "Niamh", "birth_year": 2023},
        ],
        "tags": [
            {"id": 1, "coach_id": 1, "name": "return to work"},
            {"id": 2, "coach_id": 1, "name": "sleep"},
        ],
        "client_tags": [
            {"client_id": 1, "tag_id": 1}, {"client_id": 1, "tag_id": 2},
            {"client_id": 3, "tag_id": 2},
        ],
        "topics": [{"id": 1, "coach_id": 1, "name": "Mornings"}],
        "coaching_sessions": [
            coaching_session(1, 1, past, "We planned a calmer morning routine for Élodie.",
                             "Zoë sounded exhausted."),
            coaching_session(2, 1, later, "", "Ask about the new job."),
            coaching_session(3, 2, past, "Kwame will try weekly one-to-one time with Ama.",
                             "Ama's exams are soon."),
        ],
        "coaching_session_topics": [{"coaching_session_id": 1, "topic_id": 1}],
        "action_items": [
            {"id": 1, "coaching_session_id": 1, "position": 0,
             "text": "Lay out clothes the night before", "due_on": later.date(),
             "done_at": None},
            {"id": 2, "coaching_session_id": 1, "position": 1, "text": "Write down three wins",
             "due_on": None, "done_at": now - timedelta(days=2)},
            {"id": 3, "coaching_session_id": 3, "position": 0, "text": "Book a Saturday walk",
             "due_on": None, "done_at": None},
        ],
        "letter_templates": [
            {"id": 1, "coach_id": 1, "name": "After a session", "subject": "Our session",
             "body": "Dear {{ first_name }},", "starter_key": None, "created_at": earlier,
             "updated_at": earlier},
        ],
        "letters": [
            letter(1, 1, "sent", "Your calmer mornings", "Dear Zo,\n\nWhat a week you had.",
                   coaching_session_id=1, template_id=1, approved_at=past, approved_by_id=1,
                   sent_at=past, sent_to="zoe@example.com"),
            letter(2, 1, "draft", "Draft about the new job", "Dear Zo, (unfinished)"),
            letter(3, 2, "sent", "One-to-one time with Ama", "Dear Kwame,", sent_at=past,
                   approved_at=past, approved_by_id=1, sent_to="kwame@example.net"),
        ],
        "letter_revisions": [
            {"id": 1, "letter_id": 1, "number": 1, "subject": "Your mornings",
             "body": "Dear Zo,", "author_id": 1, "reason": "create", "created_at": earlier},
            {"id": 2, "letter_id": 1, "number": 2, "subject": "Your calmer mornings",
             "body": "Dear Zo,\n\nWhat a week you had.", "author_id": 1, "reason": "approve",
             "created_at": past},
            {"id": 3, "letter_id": 3, "number": 1, "subject": "One-to-one time with Ama",
             "body": "Dear Kwame,", "author_id": 1, "reason": "approve", "created_at": past},
        ],
        "publication_consents": [
            {"id": 1, "client_id": 1, "letter_id": 1, "letter_revision_id": 2,
             "method": "portal", "note": "Happy to help other parents.", "recorded_by_id": 2,
             "given_at": past, "withdrawn_at": None, "withdrawn_by_id": None,
             "withdrawal_note": ""},
        ],
        "posts": [
            {"id": 1, "author_id": 1, "title": "Calmer mornings", "slug": "calmer-mornings",
             "excerpt": "", "body": "Dear parent,", "cover_image_path": None,
             "cover_image_alt": "", "category_id": None, "series_id": None,
             "series_position": None, "status": "published", "publish_at": past,
             "unpublished_reason": "", "from_letter": True, "letter_id": 1,
             "letter_revision_id": 2, "client_id": 1, "created_at": past, "updated_at": past},
        ],
        "outbox_messages": [
            {"id": 1, "kind": "letter", "coach_id": 1, "recipient": "zoe@example.com",
             "reply_to": "coach@example.com", "subject": "Your calmer mornings",
             "text": "Dear Zo,", "html": "<p>Dear Zo,</p>", "letter_id": 1, "status": "sent",
             "attempts": 1, "next_attempt_at": past, "last_error": "",
             "idempotency_key": "letter-1-1", "created_at": past, "sent_at": past},
            {"id": 2, "kind": "letter", "coach_id": 1, "recipient": "kwame@example.net",
             "reply_to": "coach@example.com", "subject": "One-to-one time with Ama",
             "text": "Dear Kwame,", "html": "<p>Dear Kwame,</p>", "letter_id": 3,
             "status": "retrying", "attempts": 2, "next_attempt_at": later,
             "last_error": "Connection refused", "idempotency_key": "letter-3-1",
             "created_at": past, "sent_at": None},
        ],
        "audit_events": [
            {"id": 1, "occurred_at": earlier, "practice_id": 1, "actor_id": 1,
             "actor_name": "Maya Lindqvist", "actor_role": "coach", "action": "client_viewed",
             "client_id": 1, "target_type": "client", "target_id": 1, "detail": "",
             "ip_address": "127.0.0.1", "user_agent": "Firefox"},
            {"id": 2, "occurred_at": past, "practice_id": 1, "actor_id": 2,
             "actor_name": "Zoë Ångström-Núñez", "actor_role": "client",
             "action": "pdf_downloaded", "client_id": 1, "target_type": "letter",
             "target_id": 1, "detail": "", "ip_address": "::1", "user_agent": "Safari"},
            {"id": 3, "occurred_at": past, "practice_id": 1, "actor_id": 1,
             "actor_name": "Maya Lindqvist", "actor_role": "coach", "action": "letter_sent",
             "client_id": 2, "target_type": "letter", "target_id": 3, "detail": "",
             "ip_address": "127.0.0.1", "user_agent": "Firefox"},
        ],
        "rendered_pdfs": [
            {"id": 1, "content_hash": "a" * 64, "letter_id": 1, "coaching_session_id": None,
             "pdf": b"%PDF-1.7 calmer mornings", "created_at": past},
            {"id": 2, "content_hash": "b" * 64, "letter_id": None, "coaching_session_id": 3,
             "pdf": b"%PDF-1.7 session", "created_at": past},
        ],
        "access_tokens": [
            {"id": 1, "user_id": 3, "purpose": "invite", "token_hash": "c" * 64,
             "expires_at": later, "used_at": past, "created_at": earlier},
        ],
    }


def _insert(rows_by_table: dict[str, list[dict]]) -> None:
    for table, rows in rows_by_table.items():
        columns = list(rows[0])
        db.session.execute(
            text(f"INSERT INTO {table} ({', '.join(columns)}) "
                 f"VALUES ({', '.join(':' + column for column in columns)})"),
            rows,
        )
    db.session.execute(text(_search_index_backfill(db.engine.dialect.name)))
    if db.engine.dialect.name == "postgresql":
        # Rows inserted with their ids leave the sequences behind; the app inserts next.
        for table, rows in rows_by_table.items():
            if "id" in rows[0]:
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))
    db.session.commit()


def _search_index_backfill(dialect: str) -> str:
    """The session search index as the app keeps it (FTS5 on SQLite, a table on PostgreSQL)."""
    key = "rowid" if dialect == "sqlite" else "coaching_session_id"
    return (
        f"INSERT INTO coaching_session_search ({key}, private_notes, summary, topics, "
        "action_items) SELECT id, private_notes, summary, '', '' FROM coaching_sessions"
    )


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def _table(name: str) -> list[dict]:
    """Every row of a table as a dict, in a stable order."""
    rows = [
        {column: _plain(value) for column, value in row.items()}
        for row in db.session.execute(text(f"SELECT * FROM {name}")).mappings()
    ]
    return sorted(rows, key=lambda row: repr(sorted(row.items())))


def _every_table() -> dict[str, list[dict]]:
    return {name: _table(name) for name in inspect(db.engine).get_table_names()}


def _old_database(empty_database_url, tmp_path):
    """An app on a database at the schema before families, filled with a small practice."""
    app = make_test_app(tmp_path, empty_database_url)
    rows = _old_schema_rows(datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_FAMILIES)
        _insert(rows)
    return app, rows


def _table_shape(name: str) -> dict:
    """A table's columns, keys and indexes as the database describes them."""
    inspector = inspect(db.engine)
    columns = {
        column["name"]: (str(column["type"]), column["nullable"], column["default"])
        for column in inspector.get_columns(name)
    }
    unique = sorted(
        (key["name"], tuple(key["column_names"])) for key in inspector.get_unique_constraints(name)
    )
    foreign = sorted(
        (key["name"], tuple(key["constrained_columns"]), key["referred_table"],
         repr(sorted(key["options"].items())))
        for key in inspector.get_foreign_keys(name)
    )
    indexes = sorted(
        (index["name"], tuple(index["column_names"])) for index in inspector.get_indexes(name)
    )
    return {"columns": columns, "unique": unique, "foreign": foreign, "indexes": indexes}


def _version() -> str:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_families_keep_every_record_and_each_client_becomes_their_own_first_adult(
    empty_database_url, tmp_path
):
    app, rows = _old_database(empty_database_url, tmp_path)
    with app.app_context():
        before = _every_table()
        assert {table: len(before[table]) for table in rows} == {
            table: len(table_rows) for table, table_rows in rows.items()
        }
        db.session.commit()

        upgrade(directory=str(MIGRATIONS_FOLDER), revision=FAMILIES)

        after = _every_table()
        assert _version() == FAMILIES
        assert set(after) == set(before) | {"adults"}
        for table in set(before) - MOVED_TABLES:
            assert after[table] == before[table], f"{table} changed"

        old_clients = before["clients"]
        assert after["clients"] == [
            {column: value for column, value in client.items() if column not in PERSON_COLUMNS}
            for client in old_clients
        ]
        adults = {adult["client_id"]: adult for adult in after["adults"]}
        assert len(after["adults"]) == len(adults) == len(old_clients)
        for client in old_clients:
            adult = adults[client["id"]]
            assert {column: adult[column] for column in PERSON_COLUMNS} == {
                column: client[column] for column in PERSON_COLUMNS
            }
            assert (adult["position"], adult["relation_to_children"]) == (0, "")
            assert adult["created_at"] == client["created_at"]
        assert adults[1]["first_name"] == "Zoë" and adults[2]["last_name"] == ""
        db.session.commit()
        upgrade(directory=str(MIGRATIONS_FOLDER))  # the portal of today's schema
        db.engine.dispose()

    portal = Browser(app.test_client())
    assert portal.login("zoe@example.com", PASSWORD).status_code == 302
    home = portal.client.get("/portal/")
    assert home.status_code == 200
    assert "We planned a calmer morning routine for Élodie." in home.get_data(as_text=True)
    assert "Lay out clothes the night before" in home.get_data(as_text=True)
    own_letter = portal.client.get("/portal/letters/1")
    assert own_letter.status_code == 200
    assert "Your calmer mornings" in own_letter.get_data(as_text=True)
    assert portal.client.get("/portal/letters/2").status_code == 404  # a draft
    assert portal.client.get("/portal/letters/3").status_code == 404  # Kwame's letter
    assert "One-to-one time with Ama" not in portal.client.get("/portal/letters").get_data(
        as_text=True
    )
    with app.app_context():
        db.engine.dispose()


def test_going_back_down_gives_each_client_their_person_columns_again(
    empty_database_url, tmp_path
):
    app, _rows = _old_database(empty_database_url, tmp_path)
    with app.app_context():
        before = _every_table()
        clients_shape = _table_shape("clients")
        db.session.commit()
        upgrade(directory=str(MIGRATIONS_FOLDER))

        downgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_FAMILIES)

        assert _version() == BEFORE_FAMILIES
        assert _every_table() == before
        assert _table_shape("clients") == clients_shape
        db.session.commit()
        db.engine.dispose()


def test_going_down_is_refused_while_a_family_has_two_adults_and_changes_nothing(
    empty_database_url, tmp_path, capfd
):
    app, _rows = _old_database(empty_database_url, tmp_path)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_FOLDER), revision=FAMILIES)
        db.session.execute(text(
            "INSERT INTO adults (client_id, position, first_name, last_name, preferred_name, "
            "pronouns, email, phone, preferred_contact, relation_to_children, user_id, "
            "created_at) VALUES (1, 1, 'Marc', 'Duval', '', 'he/him', 'marc@example.com', '', "
            "'email', 'Stepfather', NULL, :now)"
        ), {"now": datetime(2026, 12, 1, 9, 30)})
        db.session.commit()
        before = _every_table()
        db.session.commit()

        with pytest.raises(SystemExit):  # how `flask db downgrade` stops
            downgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_FAMILIES)

        assert "Some families have more than one adult" in capfd.readouterr().err
        db.session.rollback()
        assert _version() == FAMILIES
        assert _every_table() == before
        db.session.commit()
        db.engine.dispose()


def test_a_sqlite_upgrade_that_would_leave_a_broken_reference_is_undone_entirely(
    tmp_path, capfd
):
    database = tmp_path / "old.sqlite3"
    app, _rows = _old_database(f"sqlite:///{database}", tmp_path)
    with app.app_context():
        db.engine.dispose()
    # A child whose family is gone, left by a program that ran without foreign keys.
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("INSERT INTO children (client_id, first_name) VALUES (99, 'Orphan')")
        connection.commit()
    with app.app_context():
        before = _every_table()
        db.session.commit()

        with pytest.raises(SystemExit):
            upgrade(directory=str(MIGRATIONS_FOLDER))

        assert "The migration left broken references" in capfd.readouterr().err
        assert _version() == BEFORE_FAMILIES
        assert _every_table() == before  # no adults table, clients as they were
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        db.session.commit()
        db.engine.dispose()
