"""The audit log: what is recorded, who may read it, and that nobody can rewrite it."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterStatus
from coachapp.letters.services import approve_letter
from coachapp.timeutil import utcnow
from tests.conftest import statements_for
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letter,
)

# A word that must never reach the audit log, wherever the coach or client types it.
SECRET = "ZEBRAFINCH"
LETTER = f"""Dear Sofia,

Thank you for Tuesday. We talked about the first weeks at nursery ({SECRET}).

With warmth,

Maya"""


def text(response) -> str:
    return response.get_data(as_text=True)


def table_rows(page: str) -> list[str]:
    """The rows of the page's event table, as HTML."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []


def all_events(app) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return events


def last_event_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc())) or 0


def events_of(app, response_maker) -> list[AuditEvent]:
    """The events one request leaves behind."""
    before = last_event_id(app)
    response = response_maker()
    response.close()
    assert response.status_code in (200, 302), text(response)
    return [event for event in all_events(app) if event.id > before]


@pytest.fixture
def practice(app) -> dict:
    """Maya owns a practice that Jonas works in; each has a client with a portal sign-in.

    A coach of another practice, Ruth, has nothing to do with either.
    """
    with app.app_context():
        maya = make_coach()
        jonas = make_coach("jonas@example.com", "Jonas Berg", practice=maya.practice)
        ruth = make_coach("ruth@example.com", "Ruth Other")
        sofia = make_client(maya, "Sofia")
        daniel = make_client(jonas, "Daniel", last_name="Okafor")
        sofia_login = make_client_login(sofia)
        daniel_login = make_client_login(daniel)
        session = make_coaching_session(
            sofia,
            days_ago=3,
            private_notes=f"Private: {SECRET} guilt at drop-off.",
            summary=f"We talked about nursery and {SECRET}.",
        )
        letter = make_letter(sofia, body=LETTER, subject="After our talk")
        return {
            "practice": maya.practice_id,
            "maya": maya.id,
            "jonas": jonas.id,
            "ruth": ruth.id,
            "sofia": sofia.id,
            "daniel": daniel.id,
            "sofia_login": sofia_login.id,
            "daniel_login": daniel_login.id,
            "session": session.id,
            "letter": letter.id,
        }


def sign_in(browser, email: str) -> None:
    browser.logout()
    assert browser.login(email, PASSWORD).status_code == 302


def add_event(app, action: AuditAction, actor_id: int | None = None, **kwargs) -> int:
    """Record an event directly, as a feature would."""
    occurred_at = kwargs.pop("occurred_at", None)
    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        recorded = record_event(action, actor=actor, **kwargs)
        if occurred_at:
            recorded.occurred_at = occurred_at
        db.session.commit()
        return recorded.id


# Append-only


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'sign_out', actor_name = 'someone else'",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_audit_row(app, practice, statement):
    event_id = add_event(
        app, AuditAction.CLIENT_VIEWED, practice["maya"], client_id=practice["sofia"]
    )
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(sql(statement))
            db.session.flush()
        db.session.rollback()
        row = db.session.get(AuditEvent, event_id)
        assert (row.action, row.actor_name) == (
            "client_viewed",
            "Maya Lindqvist <coach@example.com>",
        )
        assert db.session.scalar(select(db.func.count(AuditEvent.id))) == 1


# What is recorded, through the real pages


def test_opening_a_client_and_a_session_records_who_read_what(app, client, browser, practice):
    sign_in(browser, "coach@example.com")
    viewed = events_of(app, lambda: client.get(f"/clients/{practice['sofia']}"))
    assert [(e.action, e.actor_id, e.client_id) for e in viewed] == [
        ("client_viewed", practice["maya"], practice["sofia"])
    ]
    assert viewed[0].actor_role == "coach" and viewed[0].practice_id == practice["practice"]
    assert viewed[0].ip_address == "127.0.0.1"

    read = events_of(app, lambda: client.get(f"/sessions/{practice['session']}"))
    assert [(e.action, e.client_id, e.target_type, e.target_id) for e in read] == [
        ("notes_viewed", practice["sofia"], "coaching_sessions", practice["session"])
    ]
    # Another coach's client is a 404 and leaves no trace.
    before = last_event_id(app)
    assert client.get(f"/clients/{practice['daniel']}").status_code == 404
    assert last_event_id(app) == before


def test_sending_and_downloading_a_letter_is_recorded(app, client, browser, practice):
    with app.app_context():
        letter = db.session.get(Letter, practice["letter"])
        approve_letter(letter, db.session.get(User, practice["maya"]), based_on=letter.version)
        db.session.commit()
    sign_in(browser, "coach@example.com")
    letter_id = practice["letter"]

    sent = events_of(
        app, lambda: client.post(f"/letters/{letter_id}/send", data={"personal_message": SECRET})
    )
    assert [(e.action, e.actor_id, e.client_id, e.target_type, e.target_id) for e in sent] == [
        ("letter_sent", practice["maya"], practice["sofia"], "letters", letter_id)
    ]
    downloaded = events_of(app, lambda: client.get(f"/letters/{letter_id}/pdf"))
    assert [(e.action, e.client_id, e.target_id) for e in downloaded] == [
        ("pdf_downloaded", practice["sofia"], letter_id)
    ]


def sent_letter(app, practice) -> int:
    """Sofia's letter, approved by Maya (which saves the revision consent is given to) and sent."""
    with app.app_context():
        letter = db.session.get(Letter, practice["letter"])
        approve_letter(letter, db.session.get(User, practice["maya"]), based_on=letter.version)
        letter.status, letter.sent_at, letter.sent_to = (
            LetterStatus.SENT,
            utcnow(),
            "sofia@example.com",
        )
        db.session.commit()
        return letter.id


def test_the_clients_own_downloads_are_recorded_with_their_client_record(
    app, client, browser, practice
):
    letter_id = sent_letter(app, practice)
    sign_in(browser, "sofia@example.com")
    session_pdf = events_of(app, lambda: client.get(f"/portal/sessions/{practice['session']}.pdf"))
    letter_pdf = events_of(app, lambda: client.get(f"/portal/letters/{letter_id}.pdf"))
    archive = events_of(app, lambda: client.get("/portal/download"))
    recorded = [
        (e.action, e.actor_id, e.actor_role, e.client_id, e.target_type)
        for e in session_pdf + letter_pdf + archive
    ]
    sofia = (practice["sofia_login"], "client", practice["sofia"])
    assert recorded == [
        ("pdf_downloaded", *sofia, "coaching_sessions"),
        ("pdf_downloaded", *sofia, "letters"),
        ("archive_downloaded", *sofia, ""),
    ]


def test_consent_and_publishing_are_recorded_by_whoever_did_them(app, client, browser, practice):
    letter_id = sent_letter(app, practice)
    sign_in(browser, "coach@example.com")
    given = events_of(
        app,
        lambda: client.post(
            f"/letters/{letter_id}/consent", data={"method": "email", "note": f"Yes {SECRET}"}
        ),
    )
    assert [(e.action, e.actor_id, e.client_id, e.detail) for e in given] == [
        ("consent_given", practice["maya"], practice["sofia"], "Given by e-mail")
    ]
    made = client.post(
        f"/posts/from-letter/{letter_id}",
        data={
            "client_name_replacement": "my dear friend",
            "child_name_replacement": "your little one",
            "contact_replacement": "[removed]",
            "other_term_replacement": "[removed]",
            "identifying_words": "",
        },
    )
    post_id = int(re.search(r"/posts/(\d+)/edit", made.location).group(1))
    published = events_of(
        app, lambda: client.post(f"/posts/{post_id}/publish", data={"when": "now"})
    )
    unpublished = events_of(app, lambda: client.post(f"/posts/{post_id}/unpublish"))
    again = events_of(app, lambda: client.post(f"/posts/{post_id}/publish", data={"when": "now"}))
    assert [
        (e.action, e.actor_id, e.client_id, e.target_type, e.target_id)
        for e in published + unpublished + again
    ] == [
        ("post_published", practice["maya"], practice["sofia"], "posts", post_id),
        ("post_unpublished", practice["maya"], practice["sofia"], "posts", post_id),
        ("post_published", practice["maya"], practice["sofia"], "posts", post_id),
    ]

    # Sofia withdraws in the portal: her withdrawal takes the post down, both recorded as hers.
    sign_in(browser, "sofia@example.com")
    withdrawn = events_of(
        app,
        lambda: client.post(
            f"/portal/letters/{letter_id}/consent/withdraw", data={"note": f"No {SECRET}"}
        ),
    )
    assert sorted((e.action, e.actor_id, e.client_id) for e in withdrawn) == [
        ("consent_withdrawn", practice["sofia_login"], practice["sofia"]),
        ("post_unpublished", practice["sofia_login"], practice["sofia"]),
    ]
    regiven = events_of(
        app, lambda: client.post(f"/portal/letters/{letter_id}/consent", data={"agree": "y"})
    )
    assert [(e.action, e.actor_id, e.detail) for e in regiven] == [
        ("consent_given", practice["sofia_login"], "Given in the portal")
    ]


def test_no_audit_row_ever_holds_what_was_written_in_notes_or_letters(
    app, client, browser, practice
):
    with app.app_context():
        db.session.get(Client, practice["sofia"]).notes = f"Coach's note {SECRET}"
        db.session.commit()
    letter_id = sent_letter(app, practice)
    sign_in(browser, "coach@example.com")
    client.get(f"/clients/{practice['sofia']}")
    client.get(f"/sessions/{practice['session']}")
    client.post(f"/letters/{letter_id}/consent", data={"method": "email", "note": SECRET})
    client.get(f"/letters/{letter_id}/pdf")
    client.get("/audit/export.csv")
    sign_in(browser, "sofia@example.com")
    client.get(f"/portal/sessions/{practice['session']}.pdf")
    client.get("/portal/download")
    client.post(f"/portal/letters/{letter_id}/consent/withdraw", data={"note": SECRET})

    events = all_events(app)
    assert {
        "client_viewed",
        "notes_viewed",
        "consent_given",
        "consent_withdrawn",
        "pdf_downloaded",
        "archive_downloaded",
        "audit_exported",
    } <= {e.action for e in events}
    for recorded in events:
        for column in AuditEvent.__table__.columns:
            assert SECRET.lower() not in str(getattr(recorded, column.key)).lower(), column.key


# The coach's activity log


def test_the_owner_sees_the_whole_practice_and_a_coach_only_their_own(
    app, client, browser, practice
):
    p = practice
    add_event(app, AuditAction.CLIENT_VIEWED, p["maya"], client_id=p["sofia"], detail="mark-maya")
    add_event(
        app, AuditAction.CLIENT_VIEWED, p["jonas"], client_id=p["daniel"], detail="mark-jonas"
    )
    add_event(app, AuditAction.SIGN_IN, p["daniel_login"], detail="mark-daniel-in")
    add_event(app, AuditAction.SIGN_IN, p["sofia_login"], detail="mark-sofia-in")
    add_event(app, AuditAction.SIGN_IN, p["ruth"], detail="mark-ruth")
    add_event(
        app,
        AuditAction.SIGN_IN_FAILED,
        actor_label="guess@example.com",
        practice_id=p["practice"],
        detail="mark-failed",
    )
    marks = {
        "mark-maya",
        "mark-jonas",
        "mark-daniel-in",
        "mark-sofia-in",
        "mark-ruth",
        "mark-failed",
    }

    def seen_by(email: str) -> set[str]:
        sign_in(browser, email)
        page = text(client.get("/audit/"))
        return {mark for mark in marks if mark in page}

    assert seen_by("coach@example.com") == marks - {"mark-ruth"}
    assert seen_by("jonas@example.com") == {"mark-jonas", "mark-daniel-in"}
    assert seen_by("ruth@example.com") == {"mark-ruth"}


def test_clients_are_named_only_for_their_own_coach_and_marked_when_deleted(
    app, client, browser, practice
):
    p = practice
    with app.app_context():
        anna_id = make_client(db.session.get(User, p["maya"]), "Anna", last_name="Holm").id
    add_event(app, AuditAction.CLIENT_VIEWED, p["maya"], client_id=p["sofia"])
    add_event(app, AuditAction.CLIENT_VIEWED, p["maya"], client_id=anna_id)
    add_event(app, AuditAction.CLIENT_VIEWED, p["jonas"], client_id=p["daniel"])
    with app.app_context():
        db.session.delete(db.session.get(Client, anna_id))
        db.session.commit()
        # On SQLite a new client may be given the deleted client's number.
        newcomer = make_client(db.session.get(User, p["maya"]), "Nora", last_name="New")
        newcomer_id = newcomer.id

    sign_in(browser, "coach@example.com")
    rows = table_rows(text(client.get("/audit/?action=client_viewed")))
    client_cells = [row.split("<td>")[4].split("</td>")[0] for row in rows]
    assert client_cells == [
        f"Client #{p['daniel']} (another coach&#39;s client)",
        f"Client #{anna_id} (deleted)",
        "Sofia Marin",
    ]
    assert "Nothing matches" in text(client.get(f"/audit/?client={newcomer_id}"))


def test_a_client_cannot_open_the_activity_log(client, browser, practice):
    sign_in(browser, "sofia@example.com")
    assert client.get("/audit/").status_code == 404
    assert client.get("/audit/export.csv").status_code == 404
    assert "Activity log" not in text(client.get("/portal/"))


def test_the_log_is_newest_first_in_pages_of_fifty_and_keeps_its_filters(
    app, client, browser, practice
):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with app.app_context():
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "occurred_at": start + timedelta(minutes=number),
                    "practice_id": practice["practice"],
                    "actor_id": practice["maya"],
                    "actor_name": "Maya Lindqvist <coach@example.com>",
                    "actor_role": "coach",
                    "action": "client_viewed" if number % 2 else "notes_viewed",
                    "client_id": practice["sofia"],
                    "detail": f"event-{number:03d}",
                }
                for number in range(120)
            ],
        )
        db.session.commit()
    sign_in(browser, "coach@example.com")
    march = "date_from=2026-03-01&date_to=2026-03-31"  # leaves out today's sign-ins
    first = text(client.get(f"/audit/?{march}"))
    assert "120 events, showing 1\N{EN DASH}50" in first
    rows = table_rows(first)
    assert len(rows) == 50 and "event-119" in rows[0] and "event-070" in rows[49]

    filtered = text(client.get(f"/audit/?action=client_viewed&{march}"))
    assert "60 events, showing 1\N{EN DASH}50" in filtered
    next_page = "/audit/?page=2&amp;action=client_viewed&amp;date_from=2026-03-01&amp;date_to="
    assert f'href="{next_page}2026-03-31"' in filtered
    assert '<option selected value="client_viewed">' in filtered
    assert 'value="2026-03-31"' in filtered
    second = text(client.get(f"/audit/?page=2&action=client_viewed&{march}"))
    assert len(table_rows(second)) == 10 and "event-001" in table_rows(second)[-1]
    assert all("Opened a client&#39;s record" in row for row in table_rows(second))
    assert "This page is empty" in text(client.get(f"/audit/?page=9&{march}"))


def test_filters_by_client_person_and_days_in_the_coachs_time_zone(app, client, browser, practice):
    p = practice
    with app.app_context():
        db.session.get(User, p["maya"]).timezone = "America/New_York"
        anna_id = make_client(db.session.get(User, p["maya"]), "Anna", last_name="Holm").id
        # Clients the coach added long before the days the log is filtered by.
        for client_id in (p["sofia"], anna_id):
            db.session.get(Client, client_id).created_at = datetime(2020, 1, 6, tzinfo=UTC)
        db.session.commit()
    # 02:00 UTC on 3 March is still the evening of 2 March in New York.
    evening = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    add_event(
        app,
        AuditAction.CLIENT_VIEWED,
        p["maya"],
        client_id=p["sofia"],
        detail="mark-sofia-evening",
        occurred_at=evening,
    )
    add_event(
        app,
        AuditAction.CLIENT_VIEWED,
        p["maya"],
        client_id=anna_id,
        detail="mark-anna-next-day",
        occurred_at=evening + timedelta(hours=12),
    )
    add_event(
        app,
        AuditAction.CLIENT_VIEWED,
        p["jonas"],
        client_id=p["daniel"],
        detail="mark-jonas",
        occurred_at=evening - timedelta(days=3),
    )
    sign_in(browser, "coach@example.com")

    def marks(query: str) -> list[str]:
        response = client.get(f"/audit/?{query}")
        assert response.status_code == 200
        return re.findall(r"mark-[a-z-]+", text(response))

    assert marks(f"client={p['sofia']}") == ["mark-sofia-evening"]
    assert marks(f"person={p['jonas']}") == ["mark-jonas"]
    assert marks("date_from=2026-03-02&date_to=2026-03-02") == ["mark-sofia-evening"]
    assert marks("date_from=2026-03-03") == ["mark-anna-next-day"]
    page = text(client.get("/audit/?date_to=2026-03-02"))
    assert "Mon 2 Mar 2026, 21:00" in page and 'value="2026-03-02"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-02-31", "Enter a date such as 2026-03-02."),
        ("date_from=yesterday", "Enter a date such as 2026-03-02."),
        ("date_from=0001-01-01", "That date is very far away: check the year."),
        ("date_from=2026-03-05&date_to=2026-03-01", "The end date is before the start date"),
        ("client=99999", "Choose a client from the list."),
        ("action=drop_table", "Choose what happened from the list."),
    ],
)
def test_a_bad_filter_is_shown_again_with_a_clear_message(
    app, client, browser, practice, query, message
):
    add_event(app, AuditAction.CLIENT_VIEWED, practice["maya"], client_id=practice["sofia"])
    sign_in(browser, "coach@example.com")
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        page = text(response)
        assert message in page and "<tbody>" not in page
    typed = query.split("&")[0].split("=")[1]
    if query.startswith("date_from"):
        assert f'value="{typed}"' in page


# Export and log injection


def test_the_csv_export_has_the_filtered_events_and_no_formulas(app, client, browser, practice):
    p = practice
    add_event(
        app,
        AuditAction.SIGN_IN_FAILED,
        actor_label='=HYPERLINK("http://evil.example","x")',
        practice_id=p["practice"],
    )
    add_event(
        app,
        AuditAction.SIGN_IN_FAILED,
        actor_label="x@example.com\r\nFAKE",
        practice_id=p["practice"],
    )
    add_event(app, AuditAction.SIGN_IN_FAILED, actor_label="@SUM(1+1)", practice_id=p["practice"])
    add_event(app, AuditAction.CLIENT_VIEWED, p["maya"], client_id=p["sofia"], detail="-2+3")
    sign_in(browser, "coach@example.com")

    response = client.get("/audit/export.csv?action=sign_in_failed")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="activity-log-')
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["When", "Who", "Role", "What", "Client"]
    assert [row[1] for row in rows[1:]] == [
        "'@SUM(1+1)",
        "x@example.com\\r\\nFAKE",
        '\'=HYPERLINK("http://evil.example","x")',
    ]
    assert len(body.splitlines()) == 4  # the forged line break stayed inside its cell
    assert {row[3] for row in rows[1:]} == {"Sign-in failed"}

    everything = list(
        csv.reader(io.StringIO(client.get("/audit/export.csv").get_data().decode("utf-8-sig")))
    )
    viewed = next(row for row in everything if row[3] == "Opened a client's record")
    assert viewed[4] == "Sofia Marin" and viewed[7] == "'-2+3"

    exported = [e for e in all_events(app) if e.action == "audit_exported"]
    assert [(e.actor_id, e.detail) for e in exported] == [
        (p["maya"], "Filtered by action sign_in_failed"),
        (p["maya"], "Everything"),
    ]


def test_the_page_shows_a_forged_name_as_harmless_text(app, client, browser, practice):
    add_event(
        app,
        AuditAction.SIGN_IN_FAILED,
        actor_label="<script>alert(1)</script>\r\nFAKE",
        practice_id=practice["practice"],
    )
    sign_in(browser, "coach@example.com")
    page = text(client.get("/audit/"))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\r\\nFAKE" in page


# The client's view in the portal


def test_the_client_sees_who_opened_her_records_and_nothing_else(app, client, browser, practice):
    p = practice
    letter_id = sent_letter(app, practice)
    sign_in(browser, "coach@example.com")
    client.get(f"/clients/{p['sofia']}")
    client.get(f"/sessions/{p['session']}")
    sign_in(browser, "jonas@example.com")
    client.get(f"/clients/{p['daniel']}")
    sign_in(browser, "daniel@example.com")
    client.get("/portal/download")
    sign_in(browser, "sofia@example.com")
    client.get(f"/portal/letters/{letter_id}.pdf")

    home = text(client.get("/portal/"))
    assert 'href="/portal/activity"' in home and "Who has seen my records" in home
    page = text(client.get("/portal/activity"))
    rows = [row for row in table_rows(page) if "Signed " not in row]
    assert len(rows) == 3
    assert "You" in rows[0] and "Downloaded a PDF" in rows[0]
    assert "Maya Lindqvist" in rows[1] and "Read the notes of one of your sessions" in rows[1]
    assert "Maya Lindqvist" in rows[2] and "Opened your record" in rows[2]
    assert "127.0.0.1" not in page and "coach@example.com" not in page
    assert "Jonas" not in page and "Downloaded all your letters" not in page

    sign_in(browser, "daniel@example.com")
    daniel_rows = [
        row for row in table_rows(text(client.get("/portal/activity"))) if "Signed " not in row
    ]
    assert len(daniel_rows) == 2 and "Jonas Berg" in daniel_rows[1]


def test_a_coach_has_no_portal_activity_page(client, browser, practice):
    sign_in(browser, "coach@example.com")
    assert client.get("/portal/activity").status_code == 404


# A fixed number of queries, however long the log


def _bulk_events(app, practice: dict, count: int, first: int) -> None:
    """``count`` events over both coaches, some about clients that no longer exist."""

    def client_id(number: int) -> int | None:
        return [practice["sofia"], practice["daniel"], 90000 + number, None][number % 4]

    with app.app_context():
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "practice_id": practice["practice"],
                    "actor_id": practice["maya"] if number % 3 else practice["jonas"],
                    "actor_name": "Someone <someone@example.com>",
                    "actor_role": "coach",
                    "action": "client_viewed",
                    "client_id": client_id(number),
                    "user_agent": "Mozilla/5.0 (Windows NT 10.0) Firefox/130.0",
                }
                for number in range(first, first + count)
            ],
        )
        db.session.commit()


def test_the_log_takes_the_same_few_queries_for_10_or_500_events(app, client, browser, practice):
    sign_in(browser, "coach@example.com")
    _bulk_events(app, practice, 10, 0)
    with_ten = len(statements_for(app, client, "/audit/"))
    _bulk_events(app, practice, 490, 10)
    with_five_hundred = len(statements_for(app, client, "/audit/"))
    assert with_ten == with_five_hundred <= 7, with_five_hundred
    page = text(client.get("/audit/"))
    assert "Firefox on Windows" in page and "(deleted)" in page and "Sofia Marin" in page
    sign_in(browser, "sofia@example.com")
    assert len(statements_for(app, client, "/portal/activity")) <= 5
