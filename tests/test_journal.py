"""The journal as a parent writes it in the portal and a coach reads what is shared."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import KeptWork
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry, JournalReply
from coachapp.programmes.models import Enrolment, Programme, Prompt
from tests.conftest import Browser, page_text, statements_for
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
)
from tests.pdf_standards import standards_problems
from tests.test_portal import pdf_text

PRIVATE_WORDS = "I snapped at Lena before nursery and felt awful all morning."
SHARED_WORDS = "Today I noticed that I pause before answering Lena."
REPLY_WORDS = "That pause is **the whole skill**. Well noticed."


def make_enrolment(client: Client, adult=None, days_in: int = 2, prompts: int = 3) -> Enrolment:
    """The adult follows a daily programme started so that today is day ``days_in``."""
    programme = Programme(
        coach_id=client.coach_id,
        title="30 day challenge",
        prompts=[
            Prompt(day=day, title=f"Prompt {day}", body=f"PROMPT-{day}: what did you notice?")
            for day in range(1, prompts + 1)
        ],
    )
    start = date.today() - timedelta(days=days_in - 1)
    enrolment = Enrolment(
        programme=programme, client_id=client.id, adult_id=(adult or client.first_adult).id,
        start_date=start, counting_from=start,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def make_entry(adult, body: str = PRIVATE_WORDS, shared: bool = False, **kwargs) -> JournalEntry:
    from coachapp.timeutil import utcnow

    entry = JournalEntry(
        client_id=adult.client_id, adult_id=adult.id, body=body,
        shared_at=utcnow() if shared else None, **kwargs,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


@pytest.fixture
def family(app) -> dict:
    """Sofia and Marc, one family, each signed up to the portal; Daniel, another family;
    and a second coach. Sofia follows a programme and is on day 2."""
    with app.app_context():
        coach = make_coach()
        make_coach("other@example.com", "Jonas Berg")
        sofia = make_client(coach, "Sofia")
        marc = add_family_adult(sofia, "Marc")
        daniel = make_client(coach, "Daniel", last_name="Okafor")
        for each, adult in ((sofia, None), (sofia, marc), (daniel, None)):
            make_client_login(each, adult=adult)
        enrolment = make_enrolment(sofia)
        prompts = {p.day: p.id for p in enrolment.programme.prompts}
        return {
            "client": sofia.id, "sofia": sofia.first_adult.id, "marc": marc.id,
            "daniel_client": daniel.id, "daniel": daniel.first_adult.id,
            "enrolment": enrolment.id, "prompts": prompts,
        }


def sign_in(client, email: str) -> None:
    client.post("/logout")
    assert Browser(client).login(email, PASSWORD).status_code == 302


def entries(app) -> list[JournalEntry]:
    with app.app_context():
        return db.session.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()


def answer_url(family, day: int) -> str:
    prompt_id = family["prompts"][day]
    return f"/portal/journal/enrolments/{family['enrolment']}/prompts/{prompt_id}/answer"


def write(client, family, day: int | None = 1, body: str = PRIVATE_WORDS, title: str = "") -> int:
    url = answer_url(family, day) if day else "/portal/journal/new"
    response = client.post(url, data={"title": title, "body": body, "version": "0"})
    assert response.status_code == 302, page_text(response)
    return int(response.headers["Location"].split("/entries/")[1].split("/")[0])


# Writing


def test_the_journal_shows_todays_prompt_and_earlier_ones_but_not_tomorrows(app, client, family):
    sign_in(client, "sofia@example.com")
    assert 'href="/portal/journal/"' in page_text(client.get("/portal/"))
    write(client, family, day=1)
    page = page_text(client.get("/portal/journal/"))
    assert "Today, day 2: Prompt 2" in page and "PROMPT-2" in page
    assert "Day 1: Prompt 1" in page and "Answered" in page
    assert "PROMPT-3" not in page and "Prompt 3" not in page
    assert answer_url(family, 2) in page
    assert client.get(answer_url(family, 3)).status_code == 404  # tomorrow's


def test_an_answer_is_saved_private_and_answering_again_opens_it(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1)
    (entry,) = entries(app)
    assert entry.body == PRIVATE_WORDS and entry.shared_at is None
    assert entry.prompt_id == family["prompts"][1] and entry.title == "Prompt 1"
    again = client.get(answer_url(family, 1))
    assert again.headers["Location"] == f"/portal/journal/entries/{entry_id}/edit"
    page = page_text(client.get(f"/portal/journal/entries/{entry_id}"))
    assert "I snapped at Lena" in page and "Only you can read this entry." in page


def test_an_empty_entry_is_refused_and_the_title_is_shown_again(app, client, family):
    sign_in(client, "sofia@example.com")
    response = client.post(
        "/portal/journal/new", data={"title": "A hard evening", "body": "  ", "version": "0"}
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "Write something before you save." in page and 'value="A hard evening"' in page
    assert entries(app) == []


def test_autosave_saves_with_the_version_and_refuses_an_older_one(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=None, title="Evening")
    url = f"/portal/journal/entries/{entry_id}/autosave"
    saved = client.post(url, data={"title": "Evening", "body": "Second thoughts.", "version": "1"})
    assert saved.status_code == 200 and saved.json["ok"] and saved.json["version"] == 2
    stale = client.post(url, data={"title": "Evening", "body": "From the old tab.", "version": "1"})
    assert stale.status_code == 409 and stale.json["conflict"]
    assert entries(app)[0].body == "Second thoughts."


def test_a_save_from_an_older_tab_shows_both_texts_and_loses_nothing(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=None, body="First words.")
    edit_url = f"/portal/journal/entries/{entry_id}/edit"
    client.post(edit_url, data={"body": "Saved in tab one.", "version": "1"})
    response = client.post(edit_url, data={"body": "Typed in tab two.", "version": "1"})
    assert response.status_code == 409
    page = page_text(response)
    assert "Saved in tab one." in page and "Typed in tab two." in page
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    assert entries(app)[0].body == "Saved in tab one."
    kept = client.post(edit_url, data={"body": "Typed in tab two.", "version": "2"})
    assert kept.status_code == 302 and entries(app)[0].body == "Typed in tab two."


def test_an_entry_typed_as_the_session_timed_out_is_kept_for_after_sign_in(app, client, family):
    from tests.test_session_timeouts import age_session

    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=None, body="Before lunch.")
    age_session(client, idle_minutes=45, signed_in_hours=1)
    response = client.post(
        f"/portal/journal/entries/{entry_id}/autosave",
        data={"title": "", "body": "Typed for an hour after lunch.", "version": "1"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 401 and response.json["signed_out"]
    with app.app_context():
        (kept,) = db.session.scalars(select(KeptWork)).all()
        assert kept.path == f"/portal/journal/entries/{entry_id}/edit"
        assert ["body", "Typed for an hour after lunch."] in kept.fields
    Browser(client).login("sofia@example.com", PASSWORD)
    assert client.get("/portal/").headers["Location"] == "/kept-work/"
    page = page_text(client.get("/kept-work/"))
    assert "Changes to a journal entry" in page and "Typed for an hour after lunch." in page
    saved = client.post(f"/portal/journal/entries/{entry_id}/edit", data={
        "body": "Typed for an hour after lunch.", "version": "1", "kept_work_id": str(kept.id),
    })
    assert saved.status_code == 302
    assert entries(app)[0].body == "Typed for an hour after lunch."


def test_a_new_entry_typed_as_the_session_timed_out_is_kept(app, client, family):
    from tests.test_session_timeouts import age_session

    sign_in(client, "sofia@example.com")
    age_session(client, idle_minutes=45, signed_in_hours=1)
    client.post("/portal/journal/new", data={"body": "Long free writing.", "version": "0"})
    with app.app_context():
        (kept,) = db.session.scalars(select(KeptWork)).all()
        assert kept.path == "/portal/journal/new"
    Browser(client).login("sofia@example.com", PASSWORD)
    assert "A new journal entry" in page_text(client.get("/kept-work/"))


# Sharing and replies


def test_sharing_lets_the_coach_read_and_reply_and_stopping_hides_it_again(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1, body=SHARED_WORDS)
    shared = client.post(f"/portal/journal/entries/{entry_id}/share")
    assert shared.status_code == 302
    assert "Shared with your coach" in page_text(client.get(shared.headers["Location"]))

    sign_in(client, "coach@example.com")
    client_page = page_text(client.get(f"/clients/{family['client']}"))
    assert f"/journal/entries/{entry_id}" in client_page and "New" in client_page
    assert "Prompt 1" in page_text(client.get("/dashboard"))
    entry_page = page_text(client.get(f"/journal/entries/{entry_id}"))
    assert "I pause before answering Lena" in entry_page
    assert "New journal entries shared with you" not in page_text(client.get("/dashboard"))
    refused = client.post(f"/journal/entries/{entry_id}", data={"body": ""})
    assert refused.status_code == 400 and "Write your reply" in page_text(refused)
    replied = client.post(f"/journal/entries/{entry_id}", data={"body": REPLY_WORDS})
    assert replied.status_code == 302

    sign_in(client, "sofia@example.com")
    page = page_text(client.get(f"/portal/journal/entries/{entry_id}"))
    assert "Replies from Maya Lindqvist" in page and "<strong>the whole skill</strong>" in page
    client.post(f"/portal/journal/entries/{entry_id}/unshare")

    sign_in(client, "coach@example.com")
    assert client.get(f"/journal/entries/{entry_id}").status_code == 404
    client_page = page_text(client.get(f"/clients/{family['client']}"))
    assert f"/journal/entries/{entry_id}" not in client_page


def test_no_one_else_reaches_an_entry_not_even_the_other_adult_of_the_family(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1)
    pages = [
        ("get", f"/portal/journal/entries/{entry_id}"),
        ("get", f"/portal/journal/entries/{entry_id}/edit"),
        ("post", f"/portal/journal/entries/{entry_id}/autosave"),
        ("post", f"/portal/journal/entries/{entry_id}/share"),
        ("get", f"/portal/journal/entries/{entry_id}/delete"),
        ("post", f"/portal/journal/entries/{entry_id}/delete"),
        ("get", answer_url(family, 1)),  # Sofia's enrolment
    ]
    for email in ("marc@example.com", "daniel@example.com"):
        sign_in(client, email)
        for method, url in pages:
            data = {"body": "Overwritten", "version": "1"} if method == "post" else None
            response = getattr(client, method)(url, data=data)
            assert response.status_code == 404, (email, url)
        assert "Prompt 1" not in page_text(client.get("/portal/journal/"))
    sign_in(client, "coach@example.com")  # her coach, while it is private
    assert client.get(f"/journal/entries/{entry_id}").status_code == 404
    with app.app_context():
        db.session.get(JournalEntry, entry_id).shared_at = db.func.now()
        db.session.commit()
    assert client.get(f"/journal/entries/{entry_id}").status_code == 200
    sign_in(client, "other@example.com")  # another coach, even once shared
    assert client.get(f"/journal/entries/{entry_id}").status_code == 404
    (entry,) = entries(app)
    assert entry.body == PRIVATE_WORDS and entry.version == 1


def test_deleting_an_entry_asks_first_and_takes_the_replies_with_it(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1)
    with app.app_context():
        entry = db.session.get(JournalEntry, entry_id)
        entry.replies.append(JournalReply(body="Thank you for this."))
        db.session.commit()
    page = page_text(client.get(f"/portal/journal/entries/{entry_id}/delete"))
    assert "with your coach's 1 reply" in page and entries(app)
    assert client.post(f"/portal/journal/entries/{entry_id}/delete").status_code == 302
    assert entries(app) == []
    with app.app_context():
        assert db.session.scalars(select(JournalReply)).all() == []


def test_the_activity_log_shows_journal_events_to_their_writer_only_and_no_text(
    app, client, family
):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1, body=SHARED_WORDS)
    client.post(f"/portal/journal/entries/{entry_id}/share")
    sign_in(client, "coach@example.com")
    client.post(f"/journal/entries/{entry_id}", data={"body": REPLY_WORDS})
    with app.app_context():
        details = [e.detail for e in db.session.scalars(select(AuditEvent))]
        actions = {e.action for e in db.session.scalars(select(AuditEvent))}
    assert AuditAction.JOURNAL_ENTRY_SHARED.value in actions
    assert AuditAction.JOURNAL_REPLY_ADDED.value in actions
    assert not any("Lena" in detail or "skill" in detail for detail in details)

    sign_in(client, "sofia@example.com")
    hers = page_text(client.get("/portal/activity"))
    assert "Shared a journal entry with your coach" in hers
    assert "Replied to a journal entry you shared" in hers
    sign_in(client, "marc@example.com")
    his = page_text(client.get("/portal/activity"))
    assert "a journal entry" not in his and "Sofia" not in his.split("<main")[1]


def test_the_dashboard_lists_new_shared_entries_in_the_same_number_of_queries(
    app, client, family
):
    sign_in(client, "coach@example.com")
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        make_entry(sofia.first_adult, body="one", shared=True, title="First shared")
    first = statements_for(app, client, "/dashboard")
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        marc = sofia.adults[1]
        for number in range(12):
            make_entry(marc, body=f"more {number}", shared=True, title=f"Shared {number}")
        make_entry(marc, body="private", title="PRIVATE-TITLE")
    many = statements_for(app, client, "/dashboard")
    assert len(many) == len(first)
    page = page_text(client.get("/dashboard"))
    assert "New journal entries shared with you" in page and "Marc Duval: Shared 3" in page
    assert "PRIVATE-TITLE" not in page


# A family's data


def test_deleting_a_family_deletes_its_journal(app, client, family):
    sign_in(client, "sofia@example.com")
    entry_id = write(client, family, day=1)
    client.post(f"/portal/journal/entries/{entry_id}/share")
    with app.app_context():
        db.session.add(JournalReply(entry_id=entry_id, body="Thank you."))
        db.session.commit()
    sign_in(client, "coach@example.com")
    response = client.post(f"/clients/{family['client']}/delete")
    assert response.status_code == 302
    assert entries(app) == []
    with app.app_context():
        assert db.session.scalars(select(JournalReply)).all() == []
        assert db.session.scalars(select(Enrolment)).all() == []


def test_erasing_an_adult_deletes_their_entries_replies_and_enrolments(app, client, family):
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        marc = sofia.adults[1]
        make_enrolment(sofia, adult=marc)
        theirs = make_entry(marc, body="MARC-ENTRY", shared=True)
        db.session.add(JournalReply(entry_id=theirs.id, body="A reply to Marc."))
        make_entry(sofia.first_adult, body="SOFIA-ENTRY")
    sign_in(client, "coach@example.com")
    response = client.post(
        f"/clients/{family['client']}/adults/{family['marc']}/remove", data={"erase": "y"}
    )
    assert response.status_code == 302, page_text(response)
    assert [entry.body for entry in entries(app)] == ["SOFIA-ENTRY"]
    with app.app_context():
        assert db.session.scalars(select(JournalReply)).all() == []
        enrolled = db.session.scalars(select(Enrolment.adult_id)).all()
        assert enrolled == [family["sofia"]]


def test_download_everything_holds_the_whole_journal_as_a_pdf_and_as_data(app, client, family):
    sign_in(client, "sofia@example.com")
    shared_id = write(client, family, day=1, body=SHARED_WORDS)
    client.post(f"/portal/journal/entries/{shared_id}/share")
    write(client, family, day=None, title="Just for me", body=PRIVATE_WORDS)
    with app.app_context():
        db.session.add(JournalReply(entry_id=shared_id, body="Well noticed, Sofia."))
        db.session.commit()

    response = client.get("/portal/download")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        pdf = archive.read("journal/journal.pdf")
        data = json.loads(archive.read("journal/journal.json"))
        table = archive.read("journal/journal.csv").decode()
        index = archive.read("index.html").decode()
    text = " ".join(pdf_text(pdf).split())
    assert "MY JOURNAL" in text and "I pause before answering Lena" in text
    assert "I snapped at Lena" in text and "Well noticed, Sofia." in text
    assert standards_problems(pdf, title="My journal") == []
    assert [entry["text"] for entry in data["entries"]] == [SHARED_WORDS, PRIVATE_WORDS]
    assert data["entries"][0]["day"] == 1 and data["entries"][1]["shared_with_coach_at"] is None
    assert "Just for me" in table and "journal/journal.pdf" in index

    sign_in(client, "marc@example.com")  # his archive holds none of hers
    with zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data)) as archive:
        assert not any(name.startswith("journal/") for name in archive.namelist())


def test_the_coachs_exports_hold_shared_entries_and_only_a_count_of_private_ones(
    app, client, family
):
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        make_entry(sofia.first_adult, body=SHARED_WORDS, shared=True)
        make_entry(sofia.first_adult, body=PRIVATE_WORDS)
        make_entry(sofia.adults[1], body="MARC-SHARED", shared=True)
    sign_in(client, "coach@example.com")
    family_zip = client.post(f"/clients/{family['client']}/export")
    adult_zip = client.post(f"/clients/{family['client']}/adults/{family['sofia']}/export")
    for response in (family_zip, adult_zip):
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            everything = b"".join(archive.read(name) for name in archive.namelist())
            data = json.loads(archive.read("client.json"))
        assert b"I snapped at Lena" not in everything
        assert data["journal"]["private_entry_count"] == 1
        assert SHARED_WORDS in [entry["text"] for entry in data["journal"]["shared_entries"]]
        (programme,) = data["programmes"]
        assert programme["programme"] == "30 day challenge" and programme["day_reached"] == 2
    with zipfile.ZipFile(io.BytesIO(adult_zip.data)) as archive:
        assert b"MARC-SHARED" not in archive.read("client.json")
    with zipfile.ZipFile(io.BytesIO(family_zip.data)) as archive:
        assert b"MARC-SHARED" in archive.read("client.json")


def test_the_journal_and_the_client_page_cost_no_more_queries_with_many_entries(
    app, client, family
):
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        make_entry(sofia.first_adult, body="one", shared=True, title="First")
    sign_in(client, "sofia@example.com")
    journal_few = statements_for(app, client, "/portal/journal/")
    sign_in(client, "coach@example.com")
    client_page_few = statements_for(app, client, f"/clients/{family['client']}")
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        enrolment = db.session.get(Enrolment, family["enrolment"])
        for number, prompt in enumerate(enrolment.programme.prompts[:2]):
            make_entry(sofia.first_adult, body=f"answer {number}", shared=True,
                       enrolment_id=enrolment.id, prompt_id=prompt.id)
        for number in range(15):
            entry = make_entry(sofia.first_adult, body=f"more {number}", shared=number % 2 == 0)
            db.session.add(JournalReply(entry_id=entry.id, body="Thank you."))
        db.session.commit()
    assert len(statements_for(app, client, f"/clients/{family['client']}")) == len(
        client_page_few
    )
    sign_in(client, "sofia@example.com")
    assert len(statements_for(app, client, "/portal/journal/")) == len(journal_few)


def test_answering_a_day_already_answered_in_another_tab_shows_both_answers(app, client, family):
    sign_in(client, "sofia@example.com")
    write(client, family, day=1, body="Answered in the first tab.")
    response = client.post(
        answer_url(family, 1), data={"body": "Answered in the second tab.", "version": "0"}
    )
    assert response.status_code == 409
    page = page_text(response)
    assert "Answered in the first tab." in page and "Answered in the second tab." in page
    assert [entry.body for entry in entries(app)] == ["Answered in the first tab."]


def test_the_coach_changes_or_deletes_their_own_reply_and_no_one_elses(app, client, family):
    with app.app_context():
        sofia = db.session.get(Client, family["client"])
        entry = make_entry(sofia.first_adult, body=SHARED_WORDS, shared=True)
        reply = JournalReply(entry_id=entry.id, coach_id=sofia.coach_id, body="First reply.")
        db.session.add(reply)
        db.session.commit()
        entry_id, reply_id = entry.id, reply.id
    sign_in(client, "other@example.com")
    assert client.get(f"/journal/replies/{reply_id}/edit").status_code == 404
    assert client.post(f"/journal/replies/{reply_id}/delete").status_code == 404
    sign_in(client, "coach@example.com")
    entry_page = page_text(client.get(f"/journal/entries/{entry_id}"))
    assert f"/journal/replies/{reply_id}/edit" in entry_page
    empty = client.post(f"/journal/replies/{reply_id}/edit", data={"body": ""})
    assert empty.status_code == 400
    client.post(f"/journal/replies/{reply_id}/edit", data={"body": "Changed reply."})
    sign_in(client, "sofia@example.com")
    assert "Changed reply." in page_text(client.get(f"/portal/journal/entries/{entry_id}"))
    sign_in(client, "coach@example.com")
    assert client.post(f"/journal/replies/{reply_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(JournalReply)).all() == []
