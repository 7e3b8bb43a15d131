"""Follow-up letters as a coach writes them: templates, drafts, preview, history, approval."""

import io
import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from PIL import Image
from sqlalchemy import func, select

from coachapp.audit.models import AuditEvent
from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.extensions import db
from coachapp.letters.letterhead import prepare_image, store_image
from coachapp.letters.models import Letter, LetterRevision, LetterStatus, LetterTemplate
from coachapp.letters.services import draft_letter, ensure_starter_templates
from tests.factories import (
    PASSWORD,
    form_fields,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_letterhead,
    make_sent_letter,
)

REASSURANCE = "You are the parent your child needs"
STORY_PROMPT = "[[a few lines from your own experience, as a parent or as a coach]]"
STORY = "When my son was small, I was sure every other mother knew something I did not."


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia Marin, mother of Lena and Mateo, and her session of 3 March with two steps."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        sofia = make_client(coach, "Sofia", children=[("Lena", 2022), ("Mateo", 2019)])
        coaching_session = make_coaching_session(
            sofia,
            starts_at=datetime(2026, 3, 3, 10, tzinfo=UTC),
            summary="We talked about bedtime and the guilt after a hard day.",
            action_items=["Read together at bedtime", "A walk alone on Sunday"],
        )
        return {"client_id": sofia.id, "session_id": coaching_session.id}


def template_choice(page: str, name: str) -> str:
    """The value of the radio button for a template, found by its name on the page."""
    match = re.search(rf'value="([^"]+)">\s*{re.escape(str(escape(name)))}</label>', page)
    assert match, f"no choice called {name}"
    return match.group(1)


def start_letter(client, query: str, template_name: str, session_id: int = 0) -> int:
    """Choose a template on the 'write a letter' page; return the new letter's id."""
    page = text(client.get(f"/letters/new?{query}"))
    choice = template_choice(page, template_name)
    data = {"coaching_session_id": str(session_id), "template": choice}
    response = client.post(f"/letters/new?{query}", data=data)
    assert response.status_code == 302, text(response)
    letter_id = int(response.headers["Location"].split("/")[-2])
    assert response.headers["Location"] == f"/letters/{letter_id}/edit"
    return letter_id


def editor_fields(client, letter_id: int) -> dict:
    return form_fields(text(client.get(f"/letters/{letter_id}/edit")), "letter-form")


def save(client, letter_id: int, fields: dict, button: str = "save"):
    return client.post(f"/letters/{letter_id}/edit", data={**fields, button: "Save"})


def approve(client, letter_id: int):
    page = text(client.get(f"/letters/{letter_id}"))
    version = form_fields(page, "approve-form")["version"]
    return client.post(f"/letters/{letter_id}/approve", data={"version": version})


def stored_letter(app, letter_id: int) -> Letter:
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        db.session.expunge(letter)
        return letter


def stored_letter_or_none(app, letter_id: int) -> Letter | None:
    with app.app_context():
        return db.session.get(Letter, letter_id)


def revision_reasons(app, letter_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(LetterRevision.reason)
                .where(LetterRevision.letter_id == letter_id)
                .order_by(LetterRevision.number)
            )
        )


# Writing a letter, as a new coach would


def test_a_new_coach_writes_a_reassurance_letter_after_a_session_and_approves_it(
    app, client, family
):
    session_page = text(client.get(f"/sessions/{family['session_id']}"))
    assert f"/letters/new?session_id={family['session_id']}" in session_page
    letter_id = start_letter(
        client, f"session_id={family['session_id']}", REASSURANCE, family["session_id"]
    )

    editor = text(client.get(f"/letters/{letter_id}/edit"))
    fields = form_fields(editor, "letter-form")
    assert fields["subject"] == "You are the parent your children need"
    body = fields["body"]
    assert body.startswith("Dear Sofia,\n\nSince we spoke on 3 March 2026, I have kept thinking")
    assert "Mateo and Lena do not need a perfect parent" in body
    assert "You are the right parent for Mateo and Lena, because you are theirs." in body
    assert body.rstrip().endswith("With warmth,\n\nMaya Lindqvist")
    assert "{{" not in body and "{%" not in body
    assert "Still to fill in before approving" in editor and STORY_PROMPT in editor

    refused = text(client.post(f"/letters/{letter_id}/approve", data={"version": "1"},
                               follow_redirects=True))
    assert f"Fill in what is still missing before approving: {STORY_PROMPT}." in refused

    fields["body"] = body.replace(STORY_PROMPT, STORY)
    preview = text(client.post(f"/letters/{letter_id}/preview", data=fields))
    assert STORY in preview and "Sofia Marin" in preview
    assert "/static/css/letter-print.css" in preview and "Still to fill in" not in preview
    assert STORY not in text(client.get(f"/letters/{letter_id}/preview"))  # not saved yet

    response = save(client, letter_id, fields, "save_and_close")
    assert response.headers["Location"] == f"/letters/{letter_id}"
    letter_page = text(client.get(f"/letters/{letter_id}"))
    assert "Saved as revision 2." in letter_page and STORY in letter_page
    assert "Still to fill in" not in letter_page

    approve(client, letter_id)
    approved = text(client.get(f"/letters/{letter_id}"))
    assert "Approved by Maya Lindqvist" in approved
    assert "It is ready to send" in approved and "Send to client" in approved
    letter = stored_letter(app, letter_id)
    assert letter.status is LetterStatus.APPROVED and letter.approved_at is not None
    assert letter.coaching_session_id == family["session_id"] and letter.version == 3
    assert revision_reasons(app, letter_id) == ["create", "save", "approve"]
    assert "your children need" in text(client.get("/letters/?status=approved"))
    assert "your children need" not in text(client.get("/letters/?status=draft"))


def test_a_blank_letter_starts_from_the_client_page_and_waits_for_its_words(app, client, family):
    client_page = text(client.get(f"/clients/{family['client_id']}"))
    assert f"/letters/new?client_id={family['client_id']}" in client_page
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    fields = editor_fields(client, letter_id)
    assert fields["subject"] == ""
    assert fields["body"] == "Dear Sofia,\n\n[[your letter]]\n\nWith warmth,\n\nMaya Lindqvist\n"
    assert stored_letter(app, letter_id).coaching_session_id is None
    assert revision_reasons(app, letter_id) == ["create"]


def test_approval_waits_until_every_empty_field_is_filled_in(app, client, coach_id):
    with app.app_context():
        lone = make_client(db.session.get(User, coach_id), "Ines", children=[]).id
    client.post("/letters/templates/new", data={
        "name": "Short note", "subject": "For {{ client.first_name }}", "save": "Save",
        "body": "Dear {{ client.first_name }},\n\nHow are {{ client.children_names }} since "
                "{{ session.date }}?\n",
    })
    letter_id = start_letter(client, f"client_id={lone}", "Short note")
    page = text(client.get(f"/letters/{letter_id}"))
    assert "How are [[children's names]] since [[session date]]?" in page
    response = approve(client, letter_id)
    message = (
        "Fill in what is still missing before approving: [[children's names]], [[session date]]."
    )
    assert str(escape(message)) in text(client.get(response.headers["Location"]))
    assert stored_letter(app, letter_id).status is LetterStatus.DRAFT

    fields = editor_fields(client, letter_id)
    fields["body"] = "Dear Ines,\n\nHow have you been since we spoke on Tuesday?\n"
    save(client, letter_id, fields)
    approve(client, letter_id)
    assert stored_letter(app, letter_id).status is LetterStatus.APPROVED


# Saving: conflicts, autosave, approval withdrawn by an edit


def test_a_second_tab_saving_an_older_version_sees_both_texts_and_overwrites_nothing(
    app, client, family
):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    opened = editor_fields(client, letter_id)  # two tabs open the same draft
    tab_a = dict(opened, body="Dear Sofia,\n\nFrom the first tab.\n")
    tab_b = dict(opened, body="Dear Sofia,\n\nFrom the second tab, with more to say.\n")
    assert save(client, letter_id, tab_a).status_code == 302

    response = save(client, letter_id, tab_b)
    assert response.status_code == 409
    page = text(response)
    assert "This letter was changed while you were writing" in page
    assert "From the first tab." in page  # theirs, as saved
    yours = form_fields(page, "letter-form")
    assert yours["body"] == tab_b["body"] and yours["version"] == "2"
    assert "<ins>" in page  # what differs
    assert stored_letter(app, letter_id).body == tab_a["body"]

    assert save(client, letter_id, yours).status_code == 302  # saved on purpose, having seen both
    letter = stored_letter(app, letter_id)
    assert letter.body == tab_b["body"] and letter.version == 3
    assert revision_reasons(app, letter_id) == ["create", "save", "save"]


def test_autosave_answers_with_the_new_version_and_refuses_an_older_one(app, client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    url = f"/letters/{letter_id}/autosave"
    typed = {"subject": "Thinking of you", "body": "Dear Sofia,\n\nFirst words.\n", "version": "1"}

    reply = client.post(url, data=typed)
    assert reply.status_code == 200
    assert reply.json["ok"] and reply.json["version"] == 2 and reply.json["markers"] == []
    assert reply.json["message"].startswith("Saved at ")
    reply = client.post(url, data=dict(typed, body="Dear Sofia,\n\nMore words.\n", version="2"))
    assert reply.json["version"] == 3
    # Autosaves a few seconds apart fold into one revision.
    assert revision_reasons(app, letter_id) == ["create", "autosave"]

    stale = client.post(url, data=dict(typed, body="Another tab", version="2"))
    assert stale.status_code == 409 and stale.json["conflict"] is True
    assert "saved somewhere else" in stale.json["message"]
    # The same text is no conflict, even with the line endings a browser sends.
    same_text = client.post(url, data=dict(typed, body="Dear Sofia,\r\n\r\nMore words.\r\n",
                                           version="1"))
    assert same_text.status_code == 200 and same_text.json["changed"] is False
    too_long = client.post(url, data=dict(typed, subject="x" * 201, version="3"))
    assert too_long.status_code == 400 and too_long.json["ok"] is False
    assert stored_letter(app, letter_id).body == "Dear Sofia,\n\nMore words.\n"

    fields = editor_fields(client, letter_id)
    assert fields["version"] == "3"
    save(client, letter_id, dict(fields, body="Dear Sofia,\n\nSaved by hand.\n"))
    assert revision_reasons(app, letter_id) == ["create", "autosave", "save"]


def test_changing_an_approved_letter_returns_it_to_draft_and_says_so(app, client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    fields = editor_fields(client, letter_id)
    save(client, letter_id, dict(fields, body="Dear Sofia,\n\nA short note.\n"))
    approve(client, letter_id)
    editor = text(client.get(f"/letters/{letter_id}/edit"))
    assert "This letter is approved. Saving a change returns it to draft" in editor

    response = save(client, letter_id, dict(form_fields(editor, "letter-form"),
                                            body="Dear Sofia,\n\nA longer note.\n"))
    page = text(client.get(response.headers["Location"]))
    assert "this change has returned it to draft, so approve it again" in page
    letter = stored_letter(app, letter_id)
    assert letter.status is LetterStatus.DRAFT
    assert letter.approved_at is None and letter.approved_by_id is None

    approve(client, letter_id)
    reply = client.post(f"/letters/{letter_id}/autosave", data={
        "subject": "", "body": "Dear Sofia,\n\nChanged again.\n",
        "version": str(stored_letter(app, letter_id).version)})
    assert reply.json["returned_to_draft"] is True and reply.json["status"] == "draft"


def delete_draft(client, letter_id: int):
    """Open the confirmation page and press its button, as a coach would."""
    page = text(client.get(f"/letters/{letter_id}/delete"))
    return client.post(f"/letters/{letter_id}/delete", data=form_fields(page, "delete-form"))


def test_a_draft_is_deleted_after_a_confirmation_with_its_history(app, client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    fields = editor_fields(client, letter_id)
    save(client, letter_id, dict(fields, subject="A note after Tuesday", body="Dear Sofia,\n"))
    detail = text(client.get(f"/letters/{letter_id}"))
    assert f'href="/letters/{letter_id}/delete"' in detail

    confirmation = client.get(f"/letters/{letter_id}/delete")
    assert confirmation.status_code == 200
    assert "A note after Tuesday" in text(confirmation)
    assert "2 saved versions" in text(confirmation)
    response = delete_draft(client, letter_id)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/letters/?client={family['client_id']}"
    assert "The draft has been deleted." in text(client.get(response.headers["Location"]))
    assert client.get(f"/letters/{letter_id}").status_code == 404
    assert stored_letter_or_none(app, letter_id) is None
    assert revision_reasons(app, letter_id) == []
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "letter_deleted")).one()
        assert (event.target_id, event.client_id) == (letter_id, family["client_id"])
        assert "Tuesday" not in event.detail


def test_approved_and_sent_letters_cannot_be_deleted(app, client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    save(client, letter_id, dict(editor_fields(client, letter_id), body="Dear Sofia,\n"))
    confirmation = text(client.get(f"/letters/{letter_id}/delete"))
    approve(client, letter_id)
    assert "Delete draft" not in text(client.get(f"/letters/{letter_id}"))

    # A confirmation page opened before the approval does not delete it.
    response = client.post(f"/letters/{letter_id}/delete",
                           data=form_fields(confirmation, "delete-form"), follow_redirects=True)
    assert "an approved or sent letter stays on record" in text(response)
    assert stored_letter(app, letter_id).status is LetterStatus.APPROVED
    with app.app_context():
        sent = make_sent_letter(db.session.get(Client, family["client_id"]))
        sent_id = sent.id
    response = client.get(f"/letters/{sent_id}/delete", follow_redirects=True)
    assert "an approved or sent letter stays on record" in text(response)
    assert client.post(f"/letters/{sent_id}/delete", data={"version": "99"}).status_code == 302
    assert stored_letter(app, sent_id).status is LetterStatus.SENT


def test_a_draft_saved_in_another_tab_after_the_confirmation_is_kept(app, client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    confirmation = text(client.get(f"/letters/{letter_id}/delete"))
    save(client, letter_id, dict(editor_fields(client, letter_id), body="Words typed later.\n"))

    response = client.post(f"/letters/{letter_id}/delete",
                           data=form_fields(confirmation, "delete-form"), follow_redirects=True)

    assert "changed after you opened this page" in text(response)
    assert stored_letter(app, letter_id).body == "Words typed later.\n"


def test_the_editor_keeps_what_was_typed_when_it_cannot_save(client, family):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    typed = {"subject": "x" * 201, "body": "Dear Sofia,\n\nKeep me.\n"}
    fields = dict(editor_fields(client, letter_id), **typed)
    response = save(client, letter_id, fields)
    assert response.status_code == 400
    kept = form_fields(text(response), "letter-form")
    assert kept["body"] == "Dear Sofia,\n\nKeep me.\n" and kept["subject"] == "x" * 201


# History


def test_history_shows_each_save_a_readable_diff_and_restores_without_losing_anything(
    app, client, family
):
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    fields = editor_fields(client, letter_id)
    second = "Dear Sofia,\n\nThe nursery <b>weeks</b> were hard.\n\nWith warmth,\nMaya\n"
    third = "Dear Sofia,\n\nThe nursery weeks were easier than you feared.\n\nWith warmth,\nMaya\n"
    save(client, letter_id, dict(fields, body=second))
    save(client, letter_id, dict(fields, body=third, version="2"))

    history = text(client.get(f"/letters/{letter_id}/revisions"))
    for number in (1, 2, 3):
        assert f"/letters/{letter_id}/revisions/{number}" in history
    assert history.count("Maya Lindqvist") >= 3 and "Saved" in history and "Started" in history

    page = text(client.get(f"/letters/{letter_id}/revisions/2"))
    removed = "The nursery <del>&lt;b&gt;</del>weeks<del>&lt;/b&gt;</del> were <del>hard</del>."
    assert removed in page
    assert "The nursery weeks were <ins>easier than you feared</ins>." in page
    assert "<b>weeks</b>" not in page

    response = client.post(f"/letters/{letter_id}/revisions/2/restore", follow_redirects=True)
    assert "Revision 2 restored as revision 4." in text(response)
    assert stored_letter(app, letter_id).body == second
    assert revision_reasons(app, letter_id) == ["create", "save", "save", "restore"]
    with app.app_context():
        kept = db.session.scalar(select(LetterRevision.body).where(
            LetterRevision.letter_id == letter_id, LetterRevision.number == 3))
    assert kept == third


# Templates


def test_a_coach_writes_tries_changes_and_deletes_a_template(app, client, coach_id):
    listing = text(client.get("/letters/templates"))
    for name in ("Letter after a first session", REASSURANCE, "Following up on our next steps"):
        assert str(escape(name)) in listing

    form = text(client.get("/letters/templates/new"))
    assert "{{ client.children_names }}" in form and "Lena and Tom" in form
    assert "Maya Lindqvist" in form  # coach.name prints the coach's own name
    data = {"name": "Bedtime", "subject": "About bedtime, {{ client.first_name }}",
            "body": "Dear {{ client.preferred_name }},\n\n{{ session.action_items }}\n"}
    tried = text(client.post("/letters/templates/new", data={**data, "try_example": "Try"}))
    assert "About bedtime, Sofia" in tried and "Dear Sofi," in tried
    assert "<li>Take ten minutes for yourself" in tried

    assert client.post("/letters/templates/new", data={**data, "save": "Save"}).status_code == 302
    taken = client.post("/letters/templates/new", data={**data, "name": "bedtime", "save": "Save"})
    assert taken.status_code == 400
    assert "You already have a template called “bedtime”." in text(taken)
    with app.app_context():
        template_id = db.session.scalars(
            select(LetterTemplate.id).where(LetterTemplate.name == "Bedtime")
        ).one()
    changed = client.post(f"/letters/templates/{template_id}/edit",
                          data={**data, "name": "Bedtime steps", "save": "Save"})
    assert changed.status_code == 302
    assert ">Bedtime steps</a>" in text(client.get("/letters/templates"))

    confirm = text(client.get(f"/letters/templates/{template_id}/delete"))
    assert "Delete “Bedtime steps”?" in confirm
    client.post(f"/letters/templates/{template_id}/delete")
    assert ">Bedtime steps</a>" not in text(client.get("/letters/templates"))


def test_starter_templates_come_once_and_a_deleted_one_can_be_added_back(app, client, coach_id):
    client.get("/letters/templates")
    with app.app_context():
        starter = db.session.scalars(
            select(LetterTemplate).where(LetterTemplate.starter_key == "next-steps")
        ).one()
        starter_id = starter.id
    client.post(f"/letters/templates/{starter_id}/delete")
    assert ">Following up on our next steps</a>" not in text(client.get("/letters/templates"))
    response = client.post("/letters/templates/starters", follow_redirects=True)
    assert "1 starter template added." in text(response)
    assert ">Following up on our next steps</a>" in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(LetterTemplate.id))) == 3


BAD_TEMPLATES = [
    ("{{ ''.__class__.__mro__ }}", "“.__class__” cannot be used here"),
    ("{{ config }}", "“config” is not a merge field."),
    ("{{ self }}", "“self” is not a merge field."),
    ("{% for x in range(10**9) %}{{ x }}{% endfor %}", "Calling functions (such as range())"),
    ("{{ frist_name }}", "“frist_name” is not a merge field. Did you mean {{ client.first_name"),
    ("{{ client.first_name|shout }}", "The filter “shout” is not allowed."),
    ("{{ request.environ }}", "“request.environ” is not a merge field."),
]


def test_templates_with_code_in_them_are_refused_at_save_and_leak_nothing(app, client, coach_id):
    for source, message in BAD_TEMPLATES:
        response = client.post("/letters/templates/new", data={
            "name": "Sneaky", "subject": "Hello", "body": f"Hello,\n\n{source}\n", "save": "Save"})
        page = text(response)
        assert response.status_code == 400, source
        assert str(escape(f"Line 3: {message}")) in page, source
        assert form_fields(page, "template-form")["body"] == f"Hello,\n\n{source}\n"
        assert app.config["SECRET_KEY"] not in page and "<class" not in page
    refused_subject = client.post("/letters/templates/new", data={
        "name": "Sneaky", "subject": "{{ config.SECRET_KEY }}", "body": "Hello", "save": "Save"})
    assert "“config.SECRET_KEY” is not a merge field." in text(refused_subject)
    with app.app_context():
        assert db.session.scalar(
            select(func.count(LetterTemplate.id)).where(LetterTemplate.name == "Sneaky")) == 0


# Safety


def test_a_client_named_like_html_is_shown_as_text_on_every_letter_page(app, client, coach_id):
    name = "<img src=x onerror=alert(1)>"
    with app.app_context():
        sneaky = make_client(db.session.get(User, coach_id), name, children=[(name, 2020)])
        session_id = make_coaching_session(sneaky, action_items=[name]).id
    letter_id = start_letter(client, f"session_id={session_id}", "Letter after a first session",
                             session_id)
    pages = {
        "editor": client.get(f"/letters/{letter_id}/edit"),
        "preview": client.get(f"/letters/{letter_id}/preview"),
        "typed preview": client.post(f"/letters/{letter_id}/preview",
                                     data={"subject": name, "body": f"Dear {name}"}),
        "letter": client.get(f"/letters/{letter_id}"),
        "list": client.get("/letters/"),
        "history": client.get(f"/letters/{letter_id}/revisions/1"),
    }
    for page_name, response in pages.items():
        page = text(response)
        assert "<img src=x" not in page, page_name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, page_name


def test_another_coachs_letters_templates_and_revisions_are_not_found(app, client, family):
    with app.app_context():
        other = make_coach("other@example.com", "Ruth Adeyemi")
        theirs = make_client(other, "Grace")
        their_session = make_coaching_session(theirs)
        ensure_starter_templates(other)
        their_template = db.session.scalars(
            select(LetterTemplate).where(LetterTemplate.coach_id == other.id)).first()
        letter = draft_letter(other, theirs, their_session, their_template)
        db.session.commit()
        ids = {"letter": letter.id, "template": their_template.id, "client": theirs.id,
               "session": their_session.id}
    letter, template = ids["letter"], ids["template"]
    for url in (f"/letters/{letter}", f"/letters/{letter}/edit", f"/letters/{letter}/preview",
                f"/letters/{letter}/revisions", f"/letters/{letter}/revisions/1",
                f"/letters/{letter}/pdf", f"/letters/{letter}/delete",
                f"/letters/templates/{template}/edit",
                f"/letters/templates/{template}/delete",
                f"/letters/new?session_id={ids['session']}",
                f"/letters/new?client_id={ids['client']}", f"/letters/?client={ids['client']}"):
        assert client.get(url).status_code == 404, url
    posts = (f"/letters/{letter}/edit", f"/letters/{letter}/autosave", f"/letters/{letter}/preview",
             f"/letters/{letter}/approve", f"/letters/{letter}/revisions/1/restore",
             f"/letters/{letter}/delete", f"/letters/templates/{template}/delete")
    for url in posts:
        assert client.post(url, data={"body": "mine now", "version": "1"}).status_code == 404, url
    own = text(client.get(f"/letters/new?client_id={family['client_id']}"))
    assert f'type="radio" value="{template}"' not in own
    stolen = client.post(f"/letters/new?client_id={family['client_id']}",
                         data={"coaching_session_id": "0", "template": str(template)})
    assert stolen.status_code == 400
    assert stored_letter(app, letter).version == 1


def test_a_client_signed_in_to_the_portal_finds_no_letter_pages(app, client, browser, family):
    with app.app_context():
        sofia = db.session.get(Client, family["client_id"])
        make_client_login(sofia)
        letter_id = draft_letter(sofia.coach, sofia).id
        db.session.commit()
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    for url in ("/letters/", "/letters/templates", f"/letters/{letter_id}",
                f"/letters/{letter_id}/edit", f"/letters/{letter_id}/delete", "/letters/new"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/letters/{letter_id}/delete", data={"version": "1"}).status_code == 404
    assert stored_letter(app, letter_id) is not None


def test_the_demo_practice_has_the_starters_and_letters_in_each_state(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    runner.invoke(args=["demo"])  # a second run adds nothing
    with app.app_context():
        letters = db.session.scalars(select(Letter).order_by(Letter.id)).all()
        starters = db.session.scalars(select(LetterTemplate.starter_key)).all()
        assert sorted(starters) == ["first-session", "next-steps", "parent-your-child-needs"]
        assert {letter.status for letter in letters} == set(LetterStatus)
        assert len(letters) == 7
        sent = next(letter for letter in letters if letter.status is LetterStatus.SENT)
        assert sent.sent_to == "sofia.marin@example.com" and "[[" not in sent.body
        assert any("[[" in letter.body for letter in letters if letter.status is LetterStatus.DRAFT)



def test_the_preview_shows_the_letterhead_logo_through_the_app_not_from_disk(
    app, client, coach_id, family
):
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "#9c4f36").save(png, "PNG")
    with app.app_context():
        coach = db.session.get(User, coach_id)
        logo = store_image(coach.id, prepare_image(png.getvalue(), "logo"))
        make_letterhead(coach, logo_path=logo)
    letter_id = start_letter(client, f"client_id={family['client_id']}", "A blank letter")
    preview = text(client.get(f"/letters/{letter_id}/preview"))
    logo_url = f"/letters/letterhead/images/{logo.rsplit('/', 1)[1]}"
    assert f'src="{logo_url}"' in preview and "file://" not in preview
    assert client.get(logo_url).status_code == 200
