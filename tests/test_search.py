"""Search: a coach finds a client by name, or last month's session by a word in it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession, Topic
from coachapp.coaching.search import INDEX_TABLE, search_sessions, search_words
from coachapp.extensions import db
from tests.factories import (
    form_fields,
    make_client,
    make_coach,
    make_coaching_session,
    session_form,
)

# Sessions start in the morning, so their edit forms never cross midnight.
MORNING = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def page_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def sofia_id(app, coach_id) -> int:
    with app.app_context():
        return make_client(db.session.get(User, coach_id), "Sofia").id


def add_session(app, client_id: int, topics=(), days_ago: int = 7, **kwargs) -> int:
    """A morning session for the client, with the coach's topics by name (created when new)."""
    with app.app_context():
        client = db.session.get(Client, client_id)
        kwargs["starts_at"] = MORNING - timedelta(days=days_ago)
        kwargs.setdefault("private_notes", "")
        kwargs.setdefault("summary", "")
        kwargs["topics"] = [_topic(client.coach_id, name) for name in topics]
        return make_coaching_session(client, **kwargs).id


def _topic(coach_id: int, name: str) -> Topic:
    topic = db.session.scalar(select(Topic).where(Topic.coach_id == coach_id, Topic.name == name))
    return topic or Topic(coach_id=coach_id, name=name)


def found_sessions(client, query: str) -> list[int]:
    """Ids of the sessions the search page lists for ``query``, in the order shown."""
    page = page_of(client.get("/search", query_string={"q": query}))
    results = page.split('id="session-results"', 1)[-1]
    return [int(i) for i in re.findall(r'href="/sessions/(\d+)"', results)]


def index_rows(app) -> int:
    """Rows in the search index itself."""
    with app.app_context():
        return db.session.scalar(text(f"SELECT count(*) FROM {INDEX_TABLE}"))


def edit_session(client, session_id: int, **changes) -> None:
    """Open the session's edit form, change some fields, and save, as a browser would."""
    fields = form_fields(page_of(client.get(f"/sessions/{session_id}/edit")))
    fields.update(changes, save="Save session")
    assert client.post(f"/sessions/{session_id}/edit", data=fields).status_code == 302


# Finding clients


def test_clients_are_found_by_the_start_of_a_name_and_marked(app, client, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        make_client(coach, "Sofia", last_name="Marin")
        make_client(coach, "Daniel", last_name="Okafor", preferred_name="Danny")
    page = page_of(client.get("/search?q=sof"))
    assert "<mark>Sof</mark>ia Marin" in page and "Danny" not in page
    assert "<mark>Danny</mark> <mark>Okaf</mark>or" in page_of(client.get("/search?q=danny+okaf"))
    assert "Sofia <mark>Mar</mark>in" in page_of(client.get("/search?q=MAR"))
    page = page_of(client.get("/search?q=arin"))  # names are found by their start
    assert "Clients (0)" in page and "No client's name starts with “arin”" in page


def test_a_client_name_with_html_is_shown_as_text_in_results(app, client, coach_id):
    with app.app_context():
        make_client(db.session.get(User, coach_id), "Sofia<script>x</script>", last_name="Marin")
    page = page_of(client.get("/search?q=sofia"))
    assert "<mark>Sofia</mark>&lt;script&gt;x&lt;/script&gt; Marin" in page
    assert "<script>x" not in page


# Finding sessions


def test_a_session_is_found_by_a_word_in_its_notes_summary_topics_or_steps(app, client, sofia_id):
    by_word = {
        "lighthouse": add_session(app, sofia_id, private_notes="She thought of the lighthouse."),
        "harbour": add_session(app, sofia_id, summary="We spoke about the harbour trip."),
        "seagulls": add_session(app, sofia_id, topics=["Seagulls"]),
        "pier": add_session(app, sofia_id, action_items=["Walk to the pier together"]),
    }
    add_session(app, sofia_id, private_notes="Nothing about the sea.")
    for word, session_id in by_word.items():
        assert found_sessions(client, word.upper()) == [session_id], word
        page = page_of(client.get("/search", query_string={"q": word}))
        assert re.search(f"<mark>{word}</mark>", page, re.IGNORECASE), word
        assert "Sessions (1)" in page and "Sofia Marin · Mon 23 Feb 2026, 10:00" in page


def test_the_start_of_a_word_finds_the_whole_word(app, client, sofia_id):
    guilty = add_session(app, sofia_id, private_notes="She felt guilty all week.")
    nursery = add_session(app, sofia_id, summary="The nursery settling-in went well.")
    assert found_sessions(client, "guil") == [guilty]
    assert found_sessions(client, "guilt") == [guilty]
    assert found_sessions(client, "nurs") == [nursery]
    page = page_of(client.get("/search?q=guil"))
    assert "<mark>guilty</mark>" in page


def test_every_word_of_the_search_must_be_in_the_session(app, client, sofia_id):
    both = add_session(app, sofia_id, private_notes="Her mother asked about the nursery.")
    add_session(app, sofia_id, private_notes="The nursery called.")
    add_session(app, sofia_id, private_notes="Her mother called.")
    assert found_sessions(client, "nursery mother") == [both]


def test_a_match_in_topics_or_summary_ranks_above_one_only_in_notes(app, client, sofia_id, backend):
    in_notes = add_session(app, sofia_id, days_ago=1, private_notes="Some guilt at bedtime.")
    in_topic = add_session(app, sofia_id, days_ago=30, topics=["Guilt"])
    in_summary = add_session(app, sofia_id, days_ago=20, summary="We named the guilt.")
    found = found_sessions(client, "guilt")
    assert sorted(found) == sorted([in_notes, in_topic, in_summary])
    if backend == "postgresql":  # FTS5 weighs every column alike
        assert found[-1] == in_notes


def test_another_coachs_sessions_and_clients_are_never_found(app, client, coach_id, sofia_id):
    mine = add_session(app, sofia_id, private_notes="The lighthouse again.")
    with app.app_context():
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        sophie = make_client(ruth, "Sophie", last_name="Lighthouse")
        theirs = make_coaching_session(
            sophie, private_notes="Ruth's notes on the lighthouse.", summary=""
        ).id
        ruth_id = ruth.id
    assert found_sessions(client, "lighthouse") == [mine]
    page = page_of(client.get("/search?q=lighthouse"))
    assert "Ruth" not in page and "Sophie" not in page
    assert "Sophie" not in page_of(client.get("/search?q=so"))
    with app.app_context():  # the same words do find Ruth's session for Ruth
        hits = search_sessions(db.session, ruth_id, search_words("lighthouse"))
        assert [hit.coaching_session_id for hit in hits] == [theirs]


def test_html_in_notes_is_escaped_in_snippets_and_only_the_marks_are_markup(
    app, client, sofia_id, backend
):
    add_session(
        app,
        sofia_id,
        private_notes="<script>alert('x')</script> <b>guilt</b> & <img src=x onerror=alert(1)>",
    )
    page = page_of(client.get("/search?q=guilt"))
    snippet = re.search(r'<span class="snippet">(.*?)</span>', page, re.DOTALL).group(1)
    assert "<mark>guilt</mark>" in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0
    assert "&lt;img src=x" in snippet
    if backend == "sqlite":  # PostgreSQL's ts_headline leaves out what it reads as tags
        assert "&lt;b&gt;<mark>guilt</mark>&lt;/b&gt;" in snippet


def test_punctuation_or_very_long_searches_do_not_fail(app, client, sofia_id):
    add_session(app, sofia_id, private_notes="Guilt about the nursery.")
    for query in ('"*:&|!()', "'", "\\", "%", "-", "*", "^"):
        page = page_of(client.get("/search", query_string={"q": query}))
        assert "Type a word or two to search for." in page, query
    for query in ("NEAR(", "guilt AND", "OR guilt", "guilt:*", "\x00guilt", "the", "_"):
        page_of(client.get("/search", query_string={"q": query}))
    for query in ("a" * 5000, "guilt " * 400):
        page = page_of(client.get("/search", query_string={"q": query}))
        assert 'value="' + query[:20] in page
    assert "Sessions (1)" in page_of(client.get("/search", query_string={"q": "guilt " * 400}))


def test_punctuation_in_a_search_is_not_a_wildcard_for_client_names(app, client, sofia_id):
    for query in ("_", "__", "%", "s_f"):
        page = page_of(client.get("/search", query_string={"q": query}))
        assert "Sofia" not in page, query


def test_an_empty_search_shows_just_the_box(client, coach_id):
    page = page_of(client.get("/search"))
    assert 'id="search-q"' in page
    assert "Sessions (" not in page and "Type a word" not in page


def test_the_nav_search_box_keeps_the_query(client, coach_id):
    page = page_of(client.get("/search?q=nursery"))
    nav_box = re.search(r'<input[^>]*id="nav-search-q"[^>]*>', page).group(0)
    assert 'value="nursery"' in nav_box


# The index follows every change


def test_a_session_logged_through_the_form_is_found_at_once(app, client, coach_id, sofia_id):
    response = client.post(
        "/sessions/new",
        data=session_form(
            sofia_id,
            private_notes="The lighthouse keeper's daughter.",
            summary="A calm session.",
            **{"action_items-0-text": "Draw the harbour"},
        ),
    )
    session_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert found_sessions(client, "lighthouse") == [session_id]
    assert found_sessions(client, "harbour") == [session_id]
    assert index_rows(app) == 1


def test_editing_a_note_so_a_word_disappears_removes_the_hit(app, client, sofia_id):
    session_id = add_session(
        app, sofia_id, private_notes="The lighthouse again.", action_items=["Visit the harbour"]
    )
    assert found_sessions(client, "lighthouse") == [session_id]
    edit_session(
        client,
        session_id,
        private_notes="The beach again.",
        **{"action_items-0-text": "Visit the pier"},
    )
    assert found_sessions(client, "lighthouse") == []
    assert found_sessions(client, "harbour") == []
    assert found_sessions(client, "beach") == [session_id]
    assert found_sessions(client, "pier") == [session_id]
    assert index_rows(app) == 1


def test_changing_a_sessions_topics_changes_what_finds_it(app, client, coach_id, sofia_id):
    session_id = add_session(app, sofia_id, topics=["Sleep"])
    with app.app_context():
        guilt_id = db.session.scalar(
            select(Topic.id).where(Topic.coach_id == coach_id, Topic.name == "Guilt")
        )
    edit_session(client, session_id, topics=[str(guilt_id)])
    assert found_sessions(client, "sleep") == []
    assert found_sessions(client, "guilt") == [session_id]


def test_renaming_a_topic_updates_what_finds_its_sessions(app, client, coach_id, sofia_id):
    first = add_session(app, sofia_id, topics=["Sleep"])
    second = add_session(app, sofia_id, topics=["Sleep", "Guilt"])
    with app.app_context():
        sleep_id = db.session.scalar(
            select(Topic.id).where(Topic.coach_id == coach_id, Topic.name == "Sleep")
        )
    client.post(f"/sessions/topics/{sleep_id}/rename", data={"name": "Bedtime battles"})
    assert found_sessions(client, "sleep") == []
    assert sorted(found_sessions(client, "bedtime")) == sorted([first, second])
    assert "<mark>Bedtime</mark>" in page_of(client.get("/search?q=bedtime"))


def test_removing_a_topic_removes_it_from_search(app, client, coach_id, sofia_id):
    session_id = add_session(app, sofia_id, topics=["Sleep"], summary="A short session.")
    with app.app_context():
        sleep_id = db.session.scalar(
            select(Topic.id).where(Topic.coach_id == coach_id, Topic.name == "Sleep")
        )
    client.post(f"/sessions/topics/{sleep_id}/delete")
    assert found_sessions(client, "sleep") == []
    assert found_sessions(client, "short") == [session_id]


def test_deleting_a_session_removes_it_from_the_index(app, client, sofia_id):
    gone = add_session(app, sofia_id, private_notes="The lighthouse.")
    kept = add_session(app, sofia_id, private_notes="The lighthouse, later.")
    assert index_rows(app) == 2
    client.post(f"/sessions/{gone}/delete")
    assert found_sessions(client, "lighthouse") == [kept]
    assert index_rows(app) == 1


def test_deleting_a_client_removes_their_sessions_from_the_index(app, client, coach_id, sofia_id):
    for _ in range(3):
        add_session(app, sofia_id, private_notes="The lighthouse.", action_items=["Walk"])
    with app.app_context():
        helen_id = make_client(db.session.get(User, coach_id), "Helen", last_name="Brooks").id
    helens = add_session(app, helen_id, private_notes="Helen and the lighthouse.")
    assert index_rows(app) == 4
    assert client.post(f"/clients/{sofia_id}/delete").status_code == 302
    assert found_sessions(client, "lighthouse") == [helens]
    assert index_rows(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(CoachingSession.id))) == 1


def test_ticking_a_step_keeps_the_session_findable(app, client, sofia_id):
    session_id = add_session(app, sofia_id, action_items=["Visit the lighthouse"])
    with app.app_context():
        item_id = db.session.get(CoachingSession, session_id).action_items[0].id
    client.post(f"/sessions/action-items/{item_id}/toggle")
    assert found_sessions(client, "lighthouse") == [session_id]
    assert index_rows(app) == 1
