"""Letters are written to one adult of a family or to several jointly: each addressee
receives their own e-mail and reads the letter in their portal; no one else does."""

import io
import re
import time
import zipfile
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import select, text

from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.extensions import db, init_migrations
from coachapp.letters.merge import FIELDS_BY_PATH
from coachapp.letters.models import Letter, LetterStatus, LetterTemplate
from coachapp.letters.rendering import letter_pdf
from coachapp.letters.services import draft_letter
from coachapp.outbox.models import OutboxMessage
from coachapp.paths import MIGRATIONS_FOLDER
from coachapp.timeutil import utcnow
from tests.conftest import make_test_app, page_text, ticked
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coaching_session,
    make_letter,
    make_sent_letter,
)

JOINT = "JOINT-LETTER: to the two of you"
SOFIA_ONLY = "SOFIA-ONLY: written to Sofia alone"


def csrf(page: str) -> dict:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return {"csrf_token": token.group(1)} if token else {}


def sign_in(client, email: str) -> None:
    client.post("/logout")
    page = page_text(client.get("/login"))
    data = {"email": email, "password": PASSWORD, "next": "", **csrf(page)}
    assert client.post("/login", data=data).status_code == 302


def received_after_sending(mail_server, count: int) -> list:
    """What the SMTP server received, once ``count`` messages arrived (delivery follows the
    response, each message in its own attempt)."""
    deadline = time.monotonic() + 10
    while len(mail_server.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # nothing more may follow
    return list(mail_server.received)


def pdf_text(data: bytes) -> str:
    text_ = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text_.split())


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia and Marc, both signed up; a letter to both and one to Sofia alone, sent."""
    with app.app_context():
        sofia_family = make_client(db.session.get(User, coach_id))
        marc = add_family_adult(sofia_family)
        sofia = sofia_family.first_adult
        make_client_login(sofia_family)
        make_client_login(sofia_family, adult=marc)
        joint = make_sent_letter(sofia_family, body=JOINT, addressees=[sofia, marc])
        alone = make_sent_letter(sofia_family, body=SOFIA_ONLY, addressees=[sofia])
        return {
            "client": sofia_family.id, "sofia": sofia.id, "marc": marc.id,
            "joint": joint.id, "alone": alone.id,
        }


# The portal


def test_a_joint_letter_is_read_by_both_and_sofias_own_by_her_alone(
    app, client, family, renders
):
    sign_in(client, "marc@example.com")
    letters = page_text(client.get("/portal/letters"))
    assert f"/portal/letters/{family['joint']}" in letters
    assert f"/portal/letters/{family['alone']}" not in letters
    assert JOINT in page_text(client.get(f"/portal/letters/{family['joint']}"))
    assert client.get(f"/portal/letters/{family['joint']}.pdf").status_code == 200

    sign_in(client, "sofia@example.com")
    letters = page_text(client.get("/portal/letters"))
    assert f"/portal/letters/{family['joint']}" in letters
    assert f"/portal/letters/{family['alone']}" in letters
    assert SOFIA_ONLY in page_text(client.get(f"/portal/letters/{family['alone']}"))


def test_every_portal_address_of_sofias_own_letter_is_not_found_for_marc(
    app, client, family, renders
):
    sign_in(client, "marc@example.com")
    page = page_text(client.get(f"/portal/letters/{family['joint']}"))
    letter_id = family["alone"]
    assert client.get(f"/portal/letters/{letter_id}").status_code == 404
    assert client.get(f"/portal/letters/{letter_id}.pdf").status_code == 404
    consent = client.post(f"/portal/letters/{letter_id}/consent", data=csrf(page))
    assert consent.status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data))
    assert f"letters/letter-{family['joint']}.pdf" in archive.namelist()
    assert f"letters/letter-{letter_id}.pdf" not in archive.namelist()
    assert SOFIA_ONLY not in archive.read("index.html").decode()


# Sending


def approved_joint_letter(app, family, marc_email="marc@example.com") -> int:
    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        sofia_family.adults[1].email = marc_email
        letter = make_letter(
            sofia_family, status=LetterStatus.APPROVED, approved_at=utcnow(),
            addressees=list(sofia_family.adults),
        )
        return letter.id


def test_each_addressee_receives_their_own_email_addressed_to_them_alone(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    letter_id = approved_joint_letter(app, family)
    for _ in range(2):  # the second press sends nothing more
        client.post(f"/letters/{letter_id}/send", data={"personal_message": "Hello"}).close()

    received = sorted(received_after_sending(mail_server, 2), key=lambda pair: pair[0])
    assert [recipients for recipients, _ in received] == [
        ["marc@example.com"], ["sofia@example.com"]
    ]
    for recipients, message in received:
        assert message["To"] == recipients[0]
        assert message["Cc"] is None
        [attachment] = message.iter_attachments()
        assert "Marc Duval" in pdf_text(attachment.get_content())
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert sorted(m.recipient for m in messages) == ["marc@example.com", "sofia@example.com"]
        assert len({m.idempotency_key for m in messages}) == 2
        letter = db.session.get(Letter, letter_id)
        assert letter.sent_to == "sofia@example.com, marc@example.com"
    assert "Sent to sofia@example.com, marc@example.com" in page_text(
        client.get(f"/letters/{letter_id}")
    )


def test_an_addressee_without_an_address_is_skipped_and_none_at_all_is_refused(
    app, client, family, mail_server
):
    app.config.update(mail_server.settings())
    letter_id = approved_joint_letter(app, family, marc_email="")
    client.post(f"/letters/{letter_id}/send", data={"personal_message": ""}).close()
    received = received_after_sending(mail_server, 1)
    assert [recipients for recipients, _ in received] == [["sofia@example.com"]]

    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        marc_only = make_letter(
            sofia_family, status=LetterStatus.APPROVED, approved_at=utcnow(),
            addressees=[sofia_family.adults[1]],
        ).id
    client.post(f"/letters/{marc_only}/send", data={"personal_message": ""}).close()
    assert "Marc Duval has no e-mail address yet" in page_text(client.get(f"/letters/{marc_only}"))
    with app.app_context():
        assert db.session.get(Letter, marc_only).status is LetterStatus.APPROVED


# Writing


def test_a_new_letter_is_to_the_first_adult_or_the_sessions_attendees(app, client, family):
    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        session_id = make_coaching_session(
            sofia_family, attendees=list(sofia_family.adults)
        ).id
    page = page_text(client.get(f"/letters/new?client_id={family['client']}"))
    assert "<legend>To</legend>" in page
    assert ticked(page, "addressees") == [str(family["sofia"])]
    page = page_text(client.get(f"/letters/new?session_id={session_id}"))
    assert ticked(page, "addressees") == [str(family["sofia"]), str(family["marc"])]

    data = {
        **csrf(page), "coaching_session_id": str(session_id), "template": "blank",
        "addressees_shown": "1", "addressees": [str(family["marc"])],
    }
    response = client.post(f"/letters/new?session_id={session_id}", data=data)
    assert response.status_code == 302
    with app.app_context():
        letter = db.session.scalars(select(Letter).order_by(Letter.id.desc())).first()
        assert [adult.first_name for adult in letter.addressees] == ["Marc"]
        assert letter.body.startswith("Dear Marc,")


def test_no_addressee_is_refused_with_400_keeping_what_was_chosen(app, client, family):
    page = page_text(client.get(f"/letters/new?client_id={family['client']}"))
    data = {**csrf(page), "coaching_session_id": "0", "template": "blank", "addressees_shown": "1"}
    response = client.post(f"/letters/new?client_id={family['client']}", data=data)
    assert response.status_code == 400
    assert "Tick whom the letter is to" in page_text(response)
    assert 'value="blank" checked' in page_text(response) or re.search(
        r'<input[^>]*checked[^>]*value="blank"|<input[^>]*value="blank"[^>]*checked',
        page_text(response),
    )

    with app.app_context():
        letter_id = make_letter(db.session.get(Client, family["client"])).id
    edit = page_text(client.get(f"/letters/{letter_id}/edit"))
    typed = "Words the coach typed and must not lose"
    response = client.post(f"/letters/{letter_id}/edit", data={
        **csrf(edit), "subject": "Kept", "body": typed, "version": "1", "save": "Save",
        "addressees_shown": "1",
    })
    assert response.status_code == 400
    assert typed in page_text(response) and "Tick whom the letter is to" in page_text(response)


def test_an_adult_of_another_family_is_refused(app, client, family, coach_id):
    with app.app_context():
        stranger = make_client(db.session.get(User, coach_id), "Helen", email="h@example.com")
        stranger_id, stranger_family = stranger.first_adult.id, stranger.id
        letter_id = make_letter(db.session.get(Client, family["client"])).id
    edit = page_text(client.get(f"/letters/{letter_id}/edit"))
    response = client.post(f"/letters/{letter_id}/edit", data={
        **csrf(edit), "subject": "S", "body": "B", "version": "1", "save": "Save",
        "addressees_shown": "1", "addressees": [str(stranger_id)],
    })
    assert response.status_code == 400
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert [adult.first_name for adult in letter.addressees] == ["Sofia"]
        with pytest.raises(ValueError, match="its own family"):
            draft_letter(
                db.session.get(User, coach_id), letter.client,
                addressees=[db.session.get(Client, stranger_family).first_adult],
            )


def test_changing_an_approved_letters_addressees_returns_it_to_draft(app, client, family):
    with app.app_context():
        letter_id = make_letter(
            db.session.get(Client, family["client"]),
            status=LetterStatus.APPROVED, approved_at=utcnow(),
        ).id
    edit = page_text(client.get(f"/letters/{letter_id}/edit"))
    assert ticked(edit, "addressees") == [str(family["sofia"])]
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        subject, body, version = letter.subject, letter.body, letter.version
    response = client.post(f"/letters/{letter_id}/edit", data={
        **csrf(edit), "subject": subject, "body": body, "version": str(version),
        "save": "Save", "addressees_shown": "1",
        "addressees": [str(family["sofia"]), str(family["marc"])],
    })
    assert response.status_code == 302
    with app.app_context():
        letter = db.session.get(Letter, letter_id)
        assert [adult.first_name for adult in letter.addressees] == ["Sofia", "Marc"]
        assert letter.status is LetterStatus.DRAFT


def test_a_one_adult_familys_forms_ask_nothing_new(app, client, coach_id):
    with app.app_context():
        helen = make_client(db.session.get(User, coach_id), "Helen", email="h@example.com")
        letter_id = make_letter(helen).id
        helen_id = helen.id
    assert "<legend>To</legend>" not in page_text(client.get(f"/letters/new?client_id={helen_id}"))
    assert "<legend>To</legend>" not in page_text(client.get(f"/letters/{letter_id}/edit"))


# Merge fields and the PDF


def test_the_editor_lists_the_joint_letter_fields_and_they_fill_in(app, client, family, coach_id):
    page = page_text(client.get("/letters/templates/new"))
    for path in ("letter.addressee_names", "letter.addressee_full_names"):
        assert path in page
        assert FIELDS_BY_PATH[path].example_text in page
    with app.app_context():
        coach = db.session.get(User, coach_id)
        template = LetterTemplate(
            coach_id=coach_id, name="Joint", subject="For {{ letter.addressee_names }}",
            body="Dear {{ letter.addressee_names }} ({{ letter.addressee_full_names }}), "
            "hello {{ client.first_name }} {{ client.last_name }}.",
        )
        db.session.add(template)
        sofia_family = db.session.get(Client, family["client"])
        sofia_family.adults[1].preferred_name = "Marco"
        letter = draft_letter(
            coach, sofia_family, template=template, addressees=list(sofia_family.adults)
        )
        assert letter.subject == "For Sofia and Marco"
        assert letter.body.strip() == (
            "Dear Sofia and Marco (Sofia Marin and Marc Duval), hello Sofia Marin."
        )


def test_the_pdf_names_every_addressee_with_their_address(app, family):
    with app.app_context(), app.test_request_context():
        letter = db.session.get(Letter, family["joint"])
        words = pdf_text(letter_pdf(letter))
        assert "Sofia Marin" in words and "sofia@example.com" in words
        assert "Marc Duval" in words and "marc@example.com" in words
        alone = pdf_text(letter_pdf(db.session.get(Letter, family["alone"])))
        assert "Sofia Marin" in alone and "Marc Duval" not in alone


# The migration


def test_the_migration_gives_every_existing_letter_its_first_adult(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER), revision="5d1c8e3f7a26")
        statements = [
            "INSERT INTO practices (id, name, created_at, require_two_factor) "
            "VALUES (1, 'Practice', :now, false)",
            "INSERT INTO users (id, practice_id, email, name, password_hash, role, is_owner, "
            "active, bio, timezone, session_token, created_at) VALUES (1, 1, "
            "'coach@example.com', 'Maya', 'x', 'coach', true, true, '', 'Europe/London', "
            "'token', :now)",
            "INSERT INTO clients (id, coach_id, situation, goals, notes, identifying_words, "
            "created_at, updated_at) VALUES (1, 1, '', '', '', '', :now, :now), "
            "(2, 1, '', '', '', '', :now, :now)",
            "INSERT INTO adults (id, client_id, position, first_name, last_name, preferred_name,"
            " pronouns, email, phone, preferred_contact, relation_to_children, created_at) "
            "VALUES (1, 1, 0, 'Sofia', '', '', '', '', '', 'email', '', :now), "
            "(2, 1, 1, 'Marc', '', '', '', '', '', 'email', '', :now), "
            "(3, 2, 0, 'Helen', '', '', '', '', '', 'email', '', :now)",
            "INSERT INTO letters (id, coach_id, client_id, subject, body, status, version, "
            "created_at, updated_at) VALUES (1, 1, 1, '', '', 'sent', 1, :now, :now), "
            "(2, 1, 2, '', '', 'draft', 1, :now, :now)",
        ]
        for statement in statements:
            db.session.execute(text(statement), {"now": now})
        db.session.commit()

        upgrade(directory=str(MIGRATIONS_FOLDER))

        addressees = db.session.execute(text(
            "SELECT letter_id, adult_id FROM letter_addressees ORDER BY letter_id"
        )).all()
        assert [tuple(row) for row in addressees] == [(1, 1), (2, 3)]
        db.session.commit()
        db.engine.dispose()
