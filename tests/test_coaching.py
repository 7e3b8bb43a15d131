"""Coaching sessions: a coach logs what happened, what was agreed and what comes next."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.auth.services import create_coach
from coachapp.clients.models import Client
from coachapp.coaching.models import ActionItem, CoachingSession, NoteTemplate, Topic
from coachapp.coaching.services import DEFAULT_TOPICS, coach_topics
from coachapp.extensions import db
from tests.conftest import statements_for
from tests.factories import (
    PASSWORD,
    form_fields,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    session_form,
    topic_ids,
)

# About 3,000 words, the length of a long session written up in full.
LONG_NOTE = "She spoke about the first morning at nursery and the guilt that followed. " * 231


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def sofia_id(app, coach_id) -> int:
    """The coach's client Sofia Marin, mother of Lena and Mateo."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        return make_client(coach, "Sofia", children=[("Lena", 2024), ("Mateo", 2019)]).id


def topics_of(app, coach_id: int, *names: str) -> list[str]:
    """Topic ids as the form posts them."""
    with app.app_context():
        return [str(i) for i in topic_ids(db.session.get(User, coach_id), *names)]


def topics_shown(page: str) -> list[str]:
    """The topic names listed on a session page."""
    listed = re.search(r'aria-label="Topics">(.*?)</ul>', page, re.DOTALL)
    return re.findall(r"<li>(?:<[^>]+>)*([^<]+)", listed.group(1)) if listed else []


def log_session(client, client_id: int, **overrides) -> int:
    """Save a session through the form; return its id."""
    response = client.post("/sessions/new", data=session_form(client_id, **overrides))
    assert response.status_code == 302, text(response)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def saved_sessions(app) -> list[CoachingSession]:
    with app.app_context():
        return db.session.scalars(select(CoachingSession).order_by(CoachingSession.id)).all()


def session_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(CoachingSession.id)))


# Logging a session, as a new coach would


def test_a_new_coach_logs_three_sessions_from_a_note_template(app, client, coach_id):
    response = client.post(
        "/clients/new",
        data={
            "first_name": "Sofia",
            "last_name": "Marin",
            "children-0-first_name": "Lena",
            "children-0-birth_year": "2024",
            "children-1-first_name": "Mateo",
            "children-1-birth_year": "2019",
            "preferred_contact": "email",
        },
    )
    client_id = int(response.headers["Location"].rsplit("/", 1)[1])
    guilt, work = topics_of(app, coach_id, "Guilt", "Return to work")
    days = ("2026-01-05", "2026-01-19", "2026-02-02")
    for number, day in enumerate(days, start=1):
        page = text(client.get(f"/sessions/new?client_id={client_id}&template=starter:grow"))
        data = form_fields(page)
        assert data["client_id"] == str(client_id)
        assert data["note_template"] == "starter:grow"
        assert data["private_notes"].startswith("## Goal\nWhat does the parent want")
        data.update(
            date=day,
            start_time="10:00",
            end_time="11:15",
            format="phone",
            topics=[guilt, work],
            summary=f"Session {number}: the first weeks back at work.",
            follow_up_on="2026-02-20",
            **{
                "action_items-0-text": f"Step {number}: a walk without the phone",
                "action_items-0-due_on": "2026-02-10",
                "action_items-1-text": f"Step {number}: ask for a later start",
            },
        )
        data["private_notes"] += f"\nWe agreed step {number}."
        assert client.post("/sessions/new", data=data).status_code == 302

    sessions = saved_sessions(app)
    assert len(sessions) == 3
    page = text(client.get(f"/sessions/{sessions[-1].id}"))
    assert "Mon 2 Feb 2026, 10:00" in page
    assert "75 minutes · Phone" in page
    assert "follow up on 20 Feb 2026" in page
    assert topics_shown(page) == ["Guilt", "Return to work"]
    assert "<h2>Goal</h2>" in page and "We agreed step 3." in page
    assert "Session 3: the first weeks back at work." in page
    assert "Step 3: a walk without the phone" in page and "due 10 Feb 2026" in page
    assert "Step 3: ask for a later start" in page
    timeline = text(client.get(f"/clients/{client_id}"))
    assert "Lena" in timeline and "Mateo" in timeline
    assert timeline.index("2 Feb 2026") < timeline.index("19 Jan 2026") < timeline.index("5 Jan")
    assert "0 of 2 steps done" in timeline


def test_insert_template_adds_it_after_the_notes_already_typed_and_saves_nothing(
    app, client, sofia_id
):
    typed = "Sofia arrived upset; her mother called <again>.\n\n" + LONG_NOTE
    response = client.post(
        "/sessions/new",
        data=session_form(
            sofia_id, private_notes=typed, note_template="starter:intake", insert_template="1"
        ),
    )
    assert response.status_code == 200
    notes = form_fields(text(response))["private_notes"]
    assert notes.startswith(typed.rstrip() + "\n\n## The family\n")
    assert notes.endswith("next session.\n")
    assert form_fields(text(response))["action_items-0-text"] == "Visit the nursery together"
    assert session_count(app) == 0


def test_insert_template_while_editing_keeps_the_saved_session_as_it_was(app, client, sofia_id):
    session_id = log_session(client, sofia_id, private_notes="First thoughts.")
    fields = form_fields(text(client.get(f"/sessions/{session_id}/edit")))
    fields.update(
        private_notes="First thoughts, then more.",
        note_template="starter:work-home",
        insert_template="1",
    )
    response = client.post(f"/sessions/{session_id}/edit", data=fields)
    assert response.status_code == 200
    notes = form_fields(text(response))["private_notes"]
    assert notes.startswith("First thoughts, then more.\n\n## The choice\n")
    with app.app_context():
        assert db.session.get(CoachingSession, session_id).private_notes == "First thoughts."


def test_insert_template_into_empty_notes_starts_with_the_template(client, sofia_id):
    response = client.post(
        "/sessions/new",
        data=session_form(
            sofia_id, private_notes="", note_template="starter:grow", insert_template="1"
        ),
    )
    assert form_fields(text(response))["private_notes"].startswith("## Goal")


def test_insert_template_without_choosing_one_says_so(app, client, sofia_id):
    response = client.post(
        "/sessions/new", data=session_form(sofia_id, note_template="", insert_template="1")
    )
    assert "Choose a template to insert." in text(response)
    assert form_fields(text(response))["private_notes"].startswith("## Goal\nDecide")
    assert session_count(app) == 0


def test_the_new_session_form_starts_on_today_for_the_chosen_client(client, sofia_id):
    fields = form_fields(text(client.get(f"/sessions/new?client_id={sofia_id}")))
    assert fields["client_id"] == str(sofia_id)
    assert fields["date"] == datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    assert fields["private_notes"] == ""


def test_markdown_in_notes_is_rendered_and_html_is_shown_as_text(app, client, sofia_id):
    session_id = log_session(
        client,
        sofia_id,
        private_notes="## Reality\n**Tired** <script>alert('notes')</script>",
        summary="<script>alert('summary')</script> <img src=x onerror=alert(1)>",
        **{"action_items-0-text": "<script>alert('step')</script>"},
    )
    for path in (f"/sessions/{session_id}", f"/clients/{sofia_id}", "/dashboard"):
        page = text(client.get(path))
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
    page = text(client.get(f"/sessions/{session_id}"))
    assert "<h2>Reality</h2>" in page and "<strong>Tired</strong>" in page
    assert "<strong>Tired</strong> &lt;script&gt;alert('notes')&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(&#39;step&#39;)&lt;/script&gt;" in page


def test_session_form_and_page_carry_no_inline_script(client, sofia_id):
    session_id = log_session(client, sofia_id)
    for path in ("/sessions/new", f"/sessions/{session_id}", f"/sessions/{session_id}/edit"):
        page = text(client.get(path))
        assert not re.search(r"<script(?![^>]*\ssrc=)", page), path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path


# Times


def test_times_are_read_in_the_coachs_time_zone(app, client, coach_id, sofia_id):
    with app.app_context():
        db.session.get(User, coach_id).timezone = "America/New_York"
        db.session.commit()
    assert "Your time zone: America/New_York" in text(client.get("/sessions/new"))
    in_winter = log_session(
        client, sofia_id, date="2026-01-14", start_time="09:30", end_time="10:45"
    )
    in_summer = log_session(
        client, sofia_id, date="2026-07-14", start_time="09:30", end_time="10:15"
    )
    winter, summer = saved_sessions(app)
    assert winter.starts_at == datetime(2026, 1, 14, 14, 30, tzinfo=UTC)  # EST, UTC-5
    assert summer.starts_at == datetime(2026, 7, 14, 13, 30, tzinfo=UTC)  # EDT, UTC-4
    assert (winter.duration_minutes, summer.duration_minutes) == (75, 45)
    assert "Wed 14 Jan 2026, 09:30" in text(client.get(f"/sessions/{in_winter}"))
    fields = form_fields(text(client.get(f"/sessions/{in_summer}/edit")))
    assert (fields["date"], fields["start_time"], fields["end_time"]) == (
        "2026-07-14",
        "09:30",
        "10:15",
    )


def test_a_session_that_ends_before_it_starts_is_refused_and_everything_is_kept(
    app, client, coach_id, sofia_id
):
    guilt = topics_of(app, coach_id, "Guilt")
    for end_time in ("09:59", "10:00"):
        data = session_form(
            sofia_id,
            start_time="10:00",
            end_time=end_time,
            topics=guilt,
            private_notes=LONG_NOTE,
            summary="A summary <b>for</b> Sofia",
            **{"action_items-1-text": "Call her sister", "action_items-1-due_on": "2026-03-20"},
        )
        response = client.post("/sessions/new", data=data)
        assert response.status_code == 400
        page = text(response)
        assert "The session ends before it starts" in page
        fields = form_fields(page)
        assert fields["private_notes"] == LONG_NOTE
        assert fields["summary"] == "A summary <b>for</b> Sofia"
        assert fields["topics"] == guilt
        assert (fields["start_time"], fields["end_time"]) == ("10:00", end_time)
        assert fields["action_items-1-text"] == "Call her sister"
        assert fields["action_items-1-due_on"] == "2026-03-20"
        assert fields["follow_up_on"] == "2026-03-16"
    assert session_count(app) == 0


def test_sessions_long_past_or_far_ahead_are_allowed(app, client, sofia_id):
    log_session(client, sofia_id, date="2019-06-03")
    log_session(client, sofia_id, date="2031-11-28")
    assert [s.starts_at.date().isoformat() for s in saved_sessions(app)] == [
        "2019-06-03",
        "2031-11-28",
    ]


def test_a_session_needs_a_client_a_date_and_two_times(app, client, sofia_id):
    for missing in ("date", "start_time", "end_time", "client_id"):
        response = client.post("/sessions/new", data=session_form(sofia_id, **{missing: ""}))
        assert response.status_code == 400, missing
        assert form_fields(text(response))["private_notes"].startswith("## Goal")
    assert "Choose a client." in text(response)
    assert session_count(app) == 0


def test_the_client_list_opens_with_an_empty_choice_and_keeps_the_one_made(app, client, sofia_id):
    fresh = text(client.get("/sessions/new"))
    assert re.search(r'<select[^>]*name="client_id"[^>]*required[^>]*><option selected value="">'
                     r"Choose a client</option>", fresh)
    left_as_it_stands = client.post("/sessions/new", data=session_form(sofia_id, client_id=""))
    assert left_as_it_stands.status_code == 400
    assert "Choose a client." in text(left_as_it_stands)
    assert form_fields(text(left_as_it_stands))["client_id"] == ""
    chosen_but_no_date = client.post("/sessions/new", data=session_form(sofia_id, date=""))
    assert chosen_but_no_date.status_code == 400
    assert form_fields(text(chosen_but_no_date))["client_id"] == str(sofia_id)
    assert session_count(app) == 0


# Note size limit


def test_a_note_over_the_size_limit_is_refused_and_stays_in_the_form(app, client, sofia_id):
    app.config["NOTE_MAX_CHARS"] = 100
    too_long = "word " * 30  # 150 characters
    response = client.post(
        "/sessions/new", data=session_form(sofia_id, private_notes=too_long, summary=too_long)
    )
    assert response.status_code == 400
    page = text(response)
    assert page.count("This text is 150 characters long and the limit is 100.") == 2
    assert "Your text is still here" in page
    fields = form_fields(page)
    assert fields["private_notes"] == too_long and fields["summary"] == too_long
    assert session_count(app) == 0
    log_session(client, sofia_id, private_notes="x" * 100, summary="")
    assert session_count(app) == 1


def test_a_note_template_over_the_size_limit_is_refused(app, client, coach_id):
    app.config["NOTE_MAX_CHARS"] = 100
    response = client.post("/sessions/note-templates/new", data={"name": "Long", "body": "y" * 101})
    assert response.status_code == 400
    assert "This text is 101 characters long and the limit is 100." in text(response)
    assert "y" * 101 in text(response)


# Action items


def test_add_another_step_gives_a_new_row_and_keeps_everything_typed(app, client, sofia_id):
    data = session_form(
        sofia_id,
        private_notes=LONG_NOTE,
        add_action_item="Add another step",
        **{"action_items-1-text": "Call her sister"},
    )
    data.pop("save")
    response = client.post("/sessions/new", data=data)
    assert response.status_code == 200
    fields = form_fields(text(response))
    assert fields["action_items-0-text"] == "Visit the nursery together"
    assert fields["action_items-1-text"] == "Call her sister"
    assert fields["action_items-2-text"] == ""
    assert fields["private_notes"] == LONG_NOTE
    assert session_count(app) == 0

    fields.update({"action_items-2-text": "Rest on Sunday", "save": "Save session"})
    assert client.post("/sessions/new", data=fields).status_code == 302
    with app.app_context():
        steps = db.session.scalars(select(ActionItem).order_by(ActionItem.position)).all()
        assert [(s.position, s.text) for s in steps] == [
            (0, "Visit the nursery together"),
            (1, "Call her sister"),
            (2, "Rest on Sunday"),
        ]


def test_blank_step_rows_are_ignored(app, client, sofia_id):
    log_session(
        client,
        sofia_id,
        **{
            "action_items-0-text": "   ",
            "action_items-0-due_on": "",
            "action_items-1-text": "  Call her sister  ",
            "action_items-2-text": "",
        },
    )
    with app.app_context():
        assert db.session.scalars(select(ActionItem.text)).all() == ["Call her sister"]


def test_a_due_date_without_a_step_is_refused(app, client, sofia_id):
    response = client.post(
        "/sessions/new",
        data=session_form(
            sofia_id, **{"action_items-0-text": "", "action_items-0-due_on": "2026-03-09"}
        ),
    )
    assert response.status_code == 400
    assert "Write what the step is, or clear its date and tick." in text(response)
    assert session_count(app) == 0


def test_a_step_is_ticked_and_unticked_from_the_session_page(app, client, sofia_id):
    session_id = log_session(client, sofia_id)
    page = text(client.get(f"/sessions/{session_id}"))
    assert "Mark as done: Visit the nursery together" in page
    item_id = int(re.search(r"/sessions/action-items/(\d+)/toggle", page).group(1))
    next_path = re.search(r'name="next" value="([^"]+)"', page).group(1)
    assert next_path == f"/sessions/{session_id}"

    response = client.post(f"/sessions/action-items/{item_id}/toggle", data={"next": next_path})
    assert response.headers["Location"] == f"/sessions/{session_id}"
    assert "Mark as not done: Visit the nursery together" in text(client.get(next_path))
    with app.app_context():
        assert db.session.get(ActionItem, item_id).done_at is not None

    client.post(f"/sessions/action-items/{item_id}/toggle", data={"next": next_path})
    assert "Mark as done: Visit the nursery together" in text(client.get(next_path))
    with app.app_context():
        assert db.session.get(ActionItem, item_id).done_at is None


def test_a_step_ticked_on_the_client_page_leaves_the_open_list(app, client, sofia_id):
    log_session(client, sofia_id, **{"action_items-1-text": "Call her sister"})
    page = text(client.get(f"/clients/{sofia_id}"))
    assert "Mark as done: Visit the nursery together" in page
    assert "Mark as done: Call her sister" in page
    item_id = re.search(r"/sessions/action-items/(\d+)/toggle", page).group(1)
    response = client.post(
        f"/sessions/action-items/{item_id}/toggle", data={"next": f"/clients/{sofia_id}"}
    )
    assert response.headers["Location"] == f"/clients/{sofia_id}"
    page = text(client.get(f"/clients/{sofia_id}"))
    assert "Visit the nursery together" not in page
    assert "Mark as done: Call her sister" in page
    assert "1 of 2 steps done" in page


def test_ticking_a_step_never_sends_the_coach_to_another_site(client, sofia_id):
    session_id = log_session(client, sofia_id)
    page = text(client.get(f"/sessions/{session_id}"))
    item_id = re.search(r"/sessions/action-items/(\d+)/toggle", page).group(1)
    for target in ("https://evil.example/", "//evil.example/", ""):
        response = client.post(f"/sessions/action-items/{item_id}/toggle", data={"next": target})
        assert response.headers["Location"] == f"/sessions/{session_id}", target


def test_editing_a_session_keeps_its_steps_and_which_are_done(app, client, sofia_id):
    session_id = log_session(client, sofia_id, **{"action_items-1-text": "Call her sister"})
    with app.app_context():
        first, second = db.session.scalars(select(ActionItem).order_by(ActionItem.position))
        ids = (first.id, second.id)
    client.post(f"/sessions/action-items/{ids[0]}/toggle")
    with app.app_context():
        done_at = db.session.get(ActionItem, ids[0]).done_at

    fields = form_fields(text(client.get(f"/sessions/{session_id}/edit")))
    assert fields["action_items-0-done"] == ["y"] and "action_items-1-done" not in fields
    fields.update(summary="A new summary.", **{"action_items-2-text": "Rest on Sunday"})
    fields["action_items-1-text"] = "Call her sister on Friday"
    response = client.post(f"/sessions/{session_id}/edit", data={**fields, "save": "Save"})
    assert response.status_code == 302

    with app.app_context():
        steps = db.session.scalars(select(ActionItem).order_by(ActionItem.position)).all()
        assert [(s.id, s.text) for s in steps[:2]] == [
            (ids[0], "Visit the nursery together"),
            (ids[1], "Call her sister on Friday"),
        ]
        assert steps[0].done_at == done_at and steps[1].done_at is None
        assert steps[2].text == "Rest on Sunday"
        assert db.session.get(CoachingSession, session_id).summary == "A new summary."


def test_editing_a_session_unchanged_changes_nothing(app, client, coach_id, sofia_id):
    guilt = topics_of(app, coach_id, "Guilt")
    session_id = log_session(client, sofia_id, topics=guilt, format="phone")
    before = saved_sessions(app)[0]
    fields = form_fields(text(client.get(f"/sessions/{session_id}/edit")))
    response = client.post(f"/sessions/{session_id}/edit", data={**fields, "save": "Save"})
    assert response.status_code == 302
    after = saved_sessions(app)[0]
    for name in (
        "starts_at",
        "duration_minutes",
        "format",
        "private_notes",
        "summary",
        "follow_up_on",
        "client_id",
    ):
        assert getattr(after, name) == getattr(before, name), name
    with app.app_context():
        saved = db.session.get(CoachingSession, session_id)
        assert [t.name for t in saved.topics] == ["Guilt"]
        assert [i.text for i in saved.action_items] == ["Visit the nursery together"]


def test_removing_a_steps_text_on_edit_removes_the_step(app, client, sofia_id):
    session_id = log_session(client, sofia_id)
    fields = form_fields(text(client.get(f"/sessions/{session_id}/edit")))
    fields.update({"action_items-0-text": "", "action_items-0-due_on": "", "save": "Save"})
    assert client.post(f"/sessions/{session_id}/edit", data=fields).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ActionItem.id))) == 0


# The client page


def test_client_page_shows_sessions_newest_first_open_steps_and_next_follow_up(
    app, client, coach_id, sofia_id
):
    today = date.today()
    with app.app_context():
        sofia = db.session.get(Client, sofia_id)
        make_coaching_session(
            sofia,
            days_ago=30,
            summary="The oldest session.",
            action_items=["Visit the nursery"],
            follow_up_on=today - timedelta(days=20),
        )
        make_coaching_session(
            sofia,
            days_ago=2,
            summary="The newest session.",
            action_items=["Rest on Sunday"],
            follow_up_on=today + timedelta(days=12),
        )
        make_coaching_session(
            sofia,
            days_ago=9,
            summary="The middle session.",
            follow_up_on=today + timedelta(days=5),
        )
        helen = make_client(db.session.get(User, coach_id), "Helen", last_name="Brooks")
        make_coaching_session(
            helen,
            summary="Helen's session.",
            action_items=["Helen's step"],
            follow_up_on=today + timedelta(days=1),
        )
    page = text(client.get(f"/clients/{sofia_id}"))
    assert page.index("The newest session.") < page.index("The middle session.")
    assert page.index("The middle session.") < page.index("The oldest session.")
    assert "Mark as done: Visit the nursery" in page and "Mark as done: Rest on Sunday" in page
    assert "Helen" not in page
    expected = (today + timedelta(days=5)).strftime("%-d %b %Y")
    assert f"Next follow-up: <strong>{expected}</strong>" in page


def test_a_client_without_sessions_is_invited_to_the_first_one(client, sofia_id):
    page = text(client.get(f"/clients/{sofia_id}"))
    assert "No sessions yet. Log your first session with Sofia Marin" in page
    assert f'href="/sessions/new?client_id={sofia_id}"' in page


def test_the_timeline_shows_twenty_sessions_a_page(app, client, sofia_id):
    with app.app_context():
        sofia = db.session.get(Client, sofia_id)
        now = datetime.now(UTC)
        db.session.add_all(
            CoachingSession(
                coach_id=sofia.coach_id,
                client_id=sofia.id,
                starts_at=now - timedelta(days=number),
                summary=f"Summary number {number:02d}.",
            )
            for number in range(25)
        )
        db.session.commit()
    first = text(client.get(f"/clients/{sofia_id}"))
    assert "Summary number 00." in first and "Summary number 19." in first
    assert "Summary number 20." not in first
    assert "Page 1 of 2" in first
    older = re.search(r'<a href="([^"]+)">Older', first).group(1)
    second = text(client.get(older))
    assert "Summary number 20." in second and "Summary number 24." in second
    assert "Summary number 19." not in second
    assert "← Newer" in second and "Older →" not in second


# Topics


def test_a_new_coach_starts_with_the_default_topics(app, client, browser):
    with app.app_context():
        coach = create_coach("new@example.com", "Ruth Adeyemi", PASSWORD)
        db.session.commit()
        assert sorted(t.name for t in coach_topics(coach)) == sorted(DEFAULT_TOPICS)
    browser.login("new@example.com", PASSWORD)
    page = text(client.get("/sessions/topics"))
    for name in DEFAULT_TOPICS:
        assert f'value="{name}"' in page
    assert text(client.get("/sessions/new")).count('name="topics"') == len(DEFAULT_TOPICS)


def test_coach_adds_renames_and_removes_a_topic(app, client, coach_id):
    response = client.post("/sessions/topics", data={"name": "  Grandparents  "})
    assert response.status_code == 302
    assert "Topic “Grandparents” added." in text(client.get("/sessions/topics"))
    (topic_id,) = topics_of(app, coach_id, "Grandparents")

    client.post(f"/sessions/topics/{topic_id}/rename", data={"name": "Grandparents' role"})
    page = text(client.get("/sessions/topics"))
    assert "Topic renamed." in page and 'value="Grandparents&#39; role"' in page

    client.post(f"/sessions/topics/{topic_id}/delete")
    page = text(client.get("/sessions/topics"))
    assert "Topic “Grandparents&#39; role” removed." in page
    assert 'value="Grandparents&#39; role"' not in page
    with app.app_context():
        assert db.session.get(Topic, int(topic_id)) is None


def test_a_topic_already_on_the_list_is_refused_whatever_its_case(app, client, coach_id):
    for name in ("Guilt", "guilt", " GUILT "):
        response = client.post("/sessions/topics", data={"name": name})
        assert response.status_code == 400, name
        assert f"“{name.strip()}” is already on your list." in text(response)
    with app.app_context():
        assert len(coach_topics(db.session.get(User, coach_id))) == len(DEFAULT_TOPICS)


def test_renaming_a_topic_to_a_name_already_on_the_list_is_refused(app, client, coach_id):
    (sleep_id,) = topics_of(app, coach_id, "Sleep")
    for name in ("Guilt", "guilt"):
        response = client.post(
            f"/sessions/topics/{sleep_id}/rename", data={"name": name}, follow_redirects=True
        )
        assert response.status_code == 200
        assert f"“{name}” is already on your list." in text(response)
    with app.app_context():
        names = [t.name for t in coach_topics(db.session.get(User, coach_id))]
        assert "Sleep" in names and names.count("Guilt") == 1 and "guilt" not in names


def test_renaming_a_topic_only_changes_its_case(app, client, coach_id):
    (guilt_id,) = topics_of(app, coach_id, "Guilt")
    client.post(f"/sessions/topics/{guilt_id}/rename", data={"name": "GUILT"})
    with app.app_context():
        assert db.session.get(Topic, int(guilt_id)).name == "GUILT"


def test_a_topic_renamed_or_removed_changes_every_session_it_is_on(app, client, coach_id, sofia_id):
    guilt, sleep = topics_of(app, coach_id, "Guilt", "Sleep")
    session_id = log_session(client, sofia_id, topics=[guilt, sleep])
    client.post(f"/sessions/topics/{guilt}/rename", data={"name": "Parental guilt"})
    page = text(client.get(f"/sessions/{session_id}"))
    assert topics_shown(page) == ["Parental guilt", "Sleep"]
    client.post(f"/sessions/topics/{sleep}/delete")
    assert topics_shown(text(client.get(f"/sessions/{session_id}"))) == ["Parental guilt"]
    assert "Parental guilt" in text(client.get(f"/clients/{sofia_id}"))
    with app.app_context():
        saved = db.session.get(CoachingSession, session_id)
        assert [t.name for t in saved.topics] == ["Parental guilt"]


# Note templates


def test_coach_writes_uses_edits_and_deletes_a_note_template(app, client, coach_id, sofia_id):
    response = client.post(
        "/sessions/note-templates/new",
        data={"name": "Check-in", "body": "## How was the week?\n\n## One small win\n"},
    )
    assert response.status_code == 302
    page = text(client.get("/sessions/note-templates"))
    assert "Note template saved." in page and "Check-in" in page
    with app.app_context():
        template_id = db.session.scalar(select(NoteTemplate.id))
    assert f"/sessions/new?template=own:{template_id}" in page

    fields = form_fields(text(client.get(f"/sessions/new?template=own:{template_id}")))
    assert fields["private_notes"] == "## How was the week?\n\n## One small win\n"
    session_id = log_session(client, sofia_id, private_notes=fields["private_notes"])
    assert "<h2>One small win</h2>" in text(client.get(f"/sessions/{session_id}"))

    edit_page = text(client.get(f"/sessions/note-templates/{template_id}/edit"))
    assert 'value="Check-in"' in edit_page and "## One small win" in edit_page
    client.post(
        f"/sessions/note-templates/{template_id}/edit",
        data={"name": "Weekly check-in", "body": "## What went well"},
    )
    assert "Weekly check-in" in text(client.get("/sessions/note-templates"))
    fields = form_fields(text(client.get(f"/sessions/new?template=own:{template_id}")))
    assert fields["private_notes"] == "## What went well"

    client.post(f"/sessions/note-templates/{template_id}/delete")
    page = text(client.get("/sessions/note-templates"))
    assert "Note template “Weekly check-in” deleted." in page
    assert "You have not written a template of your own yet." in page
    with app.app_context():
        assert db.session.get(NoteTemplate, template_id) is None
        # The session written from it keeps its notes.
        assert "One small win" in db.session.get(CoachingSession, session_id).private_notes


def test_a_note_template_needs_a_name_and_a_body(client, coach_id):
    response = client.post("/sessions/note-templates/new", data={"name": "", "body": ""})
    assert response.status_code == 400
    assert "Name the template." in text(response)
    assert "Write what the template fills in." in text(response)


def test_starter_templates_are_listed_for_every_coach(client, coach_id):
    page = text(client.get("/sessions/note-templates"))
    assert "GROW: Goal, Reality, Options, Way forward" in page
    assert "/sessions/new?template=starter:grow" in page


# Who may see what


@pytest.fixture
def ruths_records(app) -> dict:
    """Another coach's client, session, step, topic and note template."""
    with app.app_context():
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        daniel = make_client(ruth, "Daniel", last_name="Okafor")
        coaching_session = make_coaching_session(
            daniel, private_notes="Daniel's private notes", action_items=["Daniel's step"]
        )
        template = NoteTemplate(coach_id=ruth.id, name="Ruth's template", body="## Ruth")
        db.session.add(template)
        db.session.commit()
        return {
            "client": daniel.id,
            "session": coaching_session.id,
            "item": coaching_session.action_items[0].id,
            "topic": topic_ids(ruth, "Guilt")[0],
            "template": template.id,
        }


def test_another_coachs_records_do_not_exist_for_this_coach(
    app, client, coach_id, sofia_id, ruths_records
):
    data = session_form(sofia_id, name="Taken", body="Taken")
    for method, path in (
        ("get", "/sessions/{session}"),
        ("get", "/sessions/{session}/edit"),
        ("post", "/sessions/{session}/edit"),
        ("get", "/sessions/{session}/delete"),
        ("post", "/sessions/{session}/delete"),
        ("post", "/sessions/action-items/{item}/toggle"),
        ("post", "/sessions/topics/{topic}/rename"),
        ("post", "/sessions/topics/{topic}/delete"),
        ("get", "/sessions/note-templates/{template}/edit"),
        ("post", "/sessions/note-templates/{template}/edit"),
        ("post", "/sessions/note-templates/{template}/delete"),
    ):
        response = getattr(client, method)(path.format(**ruths_records), data=data)
        assert response.status_code == 404, (method, path)
        assert "Daniel" not in text(response) and "Ruth" not in text(response)
    with app.app_context():
        ruths_session = db.session.get(CoachingSession, ruths_records["session"])
        assert ruths_session.client_id == ruths_records["client"]
        assert ruths_session.private_notes == "Daniel's private notes"
        assert ruths_session.action_items[0].done_at is None
        assert db.session.get(Topic, ruths_records["topic"]).name == "Guilt"
        assert db.session.get(NoteTemplate, ruths_records["template"]).name == "Ruth's template"


def test_a_session_cannot_be_logged_for_another_coachs_client(app, client, coach_id, ruths_records):
    page = text(client.get(f"/sessions/new?client_id={ruths_records['client']}"))
    assert "Daniel" not in page and form_fields(page)["client_id"] == ""
    response = client.post("/sessions/new", data=session_form(ruths_records["client"]))
    assert response.status_code in (400, 404)
    assert "Daniel" not in text(response)
    assert session_count(app) == 1  # Ruth's own


def test_a_session_cannot_be_moved_to_another_coachs_client(app, client, sofia_id, ruths_records):
    session_id = log_session(client, sofia_id)
    fields = form_fields(text(client.get(f"/sessions/{session_id}/edit")))
    fields.update(client_id=str(ruths_records["client"]), save="Save")
    response = client.post(f"/sessions/{session_id}/edit", data=fields)
    assert response.status_code in (400, 404)
    with app.app_context():
        assert db.session.get(CoachingSession, session_id).client_id == sofia_id


def test_another_coachs_topics_and_templates_are_never_offered_or_attached(
    app, client, sofia_id, ruths_records
):
    page = text(client.get(f"/sessions/new?template=own:{ruths_records['template']}"))
    assert "Ruth" not in page and form_fields(page)["private_notes"] == ""
    response = client.post(
        "/sessions/new", data=session_form(sofia_id, topics=[str(ruths_records["topic"])])
    )
    assert response.status_code in (302, 400)
    with app.app_context():
        mine = db.session.scalars(
            select(CoachingSession).where(CoachingSession.client_id == sofia_id)
        ).all()
        assert all(not s.topics for s in mine)


def test_a_client_signed_in_to_the_portal_gets_404_on_every_coaching_page(app, client, browser):
    with app.app_context():
        sofia = make_client(make_coach())
        coaching_session = make_coaching_session(sofia, action_items=["Visit the nursery"])
        ids = {"session": coaching_session.id, "item": coaching_session.action_items[0].id}
        make_client_login(sofia)
    browser.login("sofia@example.com", PASSWORD)
    for path in (
        "/sessions/new",
        "/sessions/{session}",
        "/sessions/{session}/edit",
        "/sessions/{session}/delete",
        "/sessions/topics",
        "/sessions/note-templates",
        "/sessions/note-templates/new",
        "/search?q=nursery",
    ):
        assert client.get(path.format(**ids)).status_code == 404, path
    for path in (
        "/sessions/new",
        "/sessions/{session}/delete",
        "/sessions/action-items/{item}/toggle",
        "/sessions/topics",
    ):
        assert client.post(path.format(**ids), data={"name": "x"}).status_code == 404, path
    with app.app_context():
        saved = db.session.get(CoachingSession, ids["session"])
        assert saved is not None and saved.action_items[0].done_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/sessions/new", "/sessions/1", "/search?q=guilt"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# Deleting a session


def test_delete_confirmation_says_what_will_be_removed(app, client, sofia_id):
    session_id = log_session(
        client, sofia_id, date="2026-03-02", **{"action_items-1-text": "Call her sister"}
    )
    page = text(client.get(f"/sessions/{session_id}/delete"))
    assert "This removes the session with Sofia Marin on Mon 2 Mar 2026, 10:00" in page
    assert "its private notes, the summary the client can read, and 2 action items" in page
    assert "This cannot be undone." in page
    assert session_count(app) == 1


def test_deleting_a_session_removes_it_with_its_steps(app, client, sofia_id):
    session_id = log_session(client, sofia_id)
    other_id = log_session(
        client, sofia_id, date="2026-03-09", **{"action_items-0-text": "Keep this step"}
    )
    response = client.post(f"/sessions/{session_id}/delete")
    assert response.headers["Location"] == f"/clients/{sofia_id}"
    assert "Session deleted." in text(client.get(f"/clients/{sofia_id}"))
    assert client.get(f"/sessions/{session_id}").status_code == 404
    assert client.get(f"/sessions/{other_id}").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(ActionItem.text)).all() == ["Keep this step"]


# A fixed number of queries per page, however long the history


def _seed_history(app, coach_id: int, client_ids: list[int], count: int, first: int = 0) -> None:
    """``count`` sessions spread over the clients, each with topics and a step, added at once."""
    with app.app_context():
        topics = db.session.scalars(
            select(Topic).where(Topic.coach_id == coach_id).order_by(Topic.name).limit(2)
        ).all()
        now, today = datetime.now(UTC), date.today()
        db.session.add_all(
            CoachingSession(
                coach_id=coach_id,
                client_id=client_ids[number % len(client_ids)],
                starts_at=now + timedelta(days=10) - timedelta(hours=7 * number),
                private_notes=f"Session {number}: the guilt came back at bedtime.",
                summary="We talked about bedtime.",
                follow_up_on=today + timedelta(days=number % 9 - 3),
                topics=topics,
                action_items=[
                    ActionItem(
                        text=f"Step {number}",
                        due_on=today + timedelta(days=number % 5) if number % 2 else None,
                        done_at=now if number % 3 == 0 else None,
                    )
                ],
            )
            for number in range(first, first + count)
        )
        db.session.commit()


def test_list_pages_take_no_more_queries_for_1000_sessions_than_for_10(app, client, coach_id):
    with app.app_context():
        coach = db.session.get(User, coach_id)
        client_ids = [make_client(coach, f"Parent{n}", email="").id for n in range(5)]
    paths = ("/clients/", f"/clients/{client_ids[0]}", "/dashboard", "/search?q=guilt")

    _seed_history(app, coach_id, client_ids, 10)
    with_ten = {path: len(statements_for(app, client, path)) for path in paths}
    _seed_history(app, coach_id, client_ids, 990, first=10)
    with_a_thousand = {path: len(statements_for(app, client, path)) for path in paths}

    # (The dashboard may take one fewer: with many dated steps it skips the undated ones.)
    assert all(with_a_thousand[path] <= with_ten[path] for path in paths), with_a_thousand
    # The dashboard takes one more: the count of readers' comments awaiting moderation;
    # and one more again, as does the client page, for the journal entries shared with
    # the coach (new ones on the dashboard, the family's on the client page).
    limits = {path: 10 if path == "/dashboard" else 8 for path in paths}
    limits[f"/clients/{client_ids[0]}"] = 10  # the client page also records the visit: one INSERT
    assert all(with_a_thousand[path] <= limits[path] for path in paths), with_a_thousand
    timeline = text(client.get(f"/clients/{client_ids[0]}"))
    assert "Page 1 of 10" in timeline
    assert 'class="list search-results"' in text(client.get("/search?q=guilt"))
