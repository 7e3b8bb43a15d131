"""Keep apart: separated parents in conflict, or a safety concern. Each adult of the family
sees only their own and joint records: never the other's contact details, sessions alone,
letters or activity, on any page, PDF or archive."""

import io
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import User
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.coaching.services import KeptApart, record_attendance
from coachapp.extensions import db
from coachapp.letters.models import Letter
from coachapp.letters.rendering import letter_html
from tests.conftest import Browser, page_text
from tests.demo_walk import walk_as
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_sent_letter,
    session_form,
)

SOFIA_PHONE = "+44 7700 900123"
MARC_PHONE = "+44 7700 900456"
JOINT = "JOINT-SUMMARY: the two of you and the handover"
SHARED = "SHARED-SUMMARY: Sofia's session, once shared with Marc"
SOFIA_ALONE = "SOFIA-ALONE: what Sofia said on her own"
MARC_ALONE = "MARC-ALONE: what Marc said on his own"
JOINT_LETTER = "JOINT-LETTER: to both of you about the school holidays"
SOFIA_LETTER = "SOFIA-LETTER: to Sofia alone"


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia and Marc, both signed up, not yet kept apart: a joint session, one of Sofia's
    shared with Marc, one each alone, a joint letter and one to Sofia."""
    with app.app_context():
        sofia_family = make_client(db.session.get(User, coach_id), phone=SOFIA_PHONE)
        marc = add_family_adult(sofia_family, phone=MARC_PHONE)
        sofia = sofia_family.first_adult
        make_client_login(sofia_family)
        make_client_login(sofia_family, adult=marc)
        joint = make_coaching_session(
            sofia_family, days_ago=20, summary=JOINT, attendees=[sofia, marc]
        )
        shared = make_coaching_session(
            sofia_family, days_ago=15, summary=SHARED, attendees=[sofia], shared_with=[marc]
        )
        make_coaching_session(sofia_family, days_ago=10, summary=SOFIA_ALONE, attendees=[sofia])
        make_coaching_session(sofia_family, days_ago=5, summary=MARC_ALONE, attendees=[marc])
        joint_letter = make_sent_letter(sofia_family, body=JOINT_LETTER, addressees=[sofia, marc])
        make_sent_letter(sofia_family, body=SOFIA_LETTER, addressees=[sofia])
        db.session.commit()
        return {
            "client": sofia_family.id, "sofia": sofia.id, "marc": marc.id,
            "joint": joint.id, "shared": shared.id, "joint_letter": joint_letter.id,
        }


def keep_apart(client, family) -> str:
    """The coach keeps the family apart from its page; the page they land on."""
    response = client.post(f"/clients/{family['client']}/keep-apart", data={"keep_apart": "y"})
    assert response.status_code == 302
    return page_text(client.get(response.headers["Location"]))


def everything_read(fetched) -> str:
    """Every page, PDF and archive member an adult opened, as text."""
    texts = []
    for page in fetched:
        if page.body.startswith(b"%PDF"):
            texts.append(pdf_words(page.body))
        elif page.body.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(page.body)) as zipped:
                for name in zipped.namelist():
                    member = zipped.read(name)
                    texts.append(
                        pdf_words(member) if name.endswith(".pdf") else member.decode()
                    )
        else:
            texts.append(page.body.decode(errors="replace"))
    return "\n".join(texts)


def pdf_words(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


# Turning it on and off


def test_keeping_apart_is_shown_on_the_family_and_recorded_in_the_activity_log(
    app, client, family
):
    page = keep_apart(client, family)
    assert "Sofia and Marc are now kept apart" in page
    assert "One session that was shared with someone who did not attend no longer is." in page
    assert "kept apart" in page and "Stop keeping them apart" in page

    response = client.post(f"/clients/{family['client']}/keep-apart", data={})
    assert "Sofia and Marc are no longer kept apart." in page_text(
        client.get(response.headers["Location"])
    )
    with app.app_context():
        details = db.session.scalars(
            select(AuditEvent.detail)
            .where(AuditEvent.action == AuditAction.KEEP_APART_CHANGED,
                   AuditEvent.client_id == family["client"])
            .order_by(AuditEvent.id)
        ).all()
        assert details == ["Adults kept apart", "Adults no longer kept apart"]
        shared = db.session.get(CoachingSession, family["shared"])
        assert shared.shared_with == []  # not silently shared again when they stop
    log = page_text(client.get("/audit/"))
    assert "Changed whether a family" in log


def test_the_coach_keeps_a_new_adult_apart_as_they_add_them(app, client, coach_id):
    with app.app_context():
        family_id = make_client(db.session.get(User, coach_id)).id
    form = page_text(client.get(f"/clients/{family_id}/adults/new"))
    assert "Keep the adults apart" in form
    response = client.post(
        f"/clients/{family_id}/adults/new",
        data={"first_name": "Marc", "last_name": "Duval", "email": "marc@example.com",
              "preferred_contact": "email", "keep_apart": "y"},
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "Marc Duval is now part of the family. Sofia and Marc are now kept apart" in page
    with app.app_context():
        assert db.session.get(Client, family_id).keep_apart


def test_the_setting_is_not_offered_to_another_coach(app, client, family):
    with app.app_context():
        make_coach(email="other@example.com")
    client.post("/logout")
    Browser(client).login("other@example.com", PASSWORD)
    response = client.post(f"/clients/{family['client']}/keep-apart", data={"keep_apart": "y"})
    assert response.status_code == 404
    with app.app_context():
        assert not db.session.get(Client, family["client"]).keep_apart


# What each adult sees


def test_marc_walking_his_whole_portal_reads_nothing_of_sofias_own(app, client, family):
    keep_apart(client, family)
    read = everything_read(walk_as(app, "marc@example.com", PASSWORD))
    assert JOINT in read and JOINT_LETTER in read and MARC_ALONE in read
    for hers in (SOFIA_ALONE, SHARED, SOFIA_LETTER, "sofia@example.com", SOFIA_PHONE):
        assert hers not in read, hers
    assert "Marc Duval" in read and "Sofia Marin" in read  # the joint letter names both


def test_sofia_walking_her_whole_portal_reads_nothing_of_marcs_own(app, client, family):
    keep_apart(client, family)
    read = everything_read(walk_as(app, "sofia@example.com", PASSWORD))
    assert JOINT in read and SHARED in read and SOFIA_ALONE in read and SOFIA_LETTER in read
    for his in (MARC_ALONE, "marc@example.com", MARC_PHONE):
        assert his not in read, his


def test_without_keep_apart_a_session_shared_with_marc_is_his_to_read(app, client, family):
    client.post("/logout")
    read = everything_read(walk_as(app, "marc@example.com", PASSWORD))
    assert SHARED in read and SOFIA_ALONE not in read


def test_a_joint_letter_names_both_but_gives_neither_address_while_kept_apart(app, family):
    with app.app_context(), app.test_request_context():
        letter = db.session.get(Letter, family["joint_letter"])
        together = letter_html(letter)
        assert "sofia@example.com" in together and "marc@example.com" in together
        letter.client.keep_apart = True
        apart = letter_html(letter)
        assert "Sofia Marin" in apart and "Marc Duval" in apart
        assert "sofia@example.com" not in apart and "marc@example.com" not in apart


# The session form


def test_the_form_offers_no_sharing_and_keeps_a_step_for_someone_absent_out(
    app, client, family
):
    keep_apart(client, family)
    url = f"/sessions/new?client_id={family['client']}"
    form = page_text(client.get(url))
    assert "<legend>Also share the summary with</legend>" not in form
    assert "Sofia and Marc are kept apart: only those who attended read this session" in form

    response = client.post(url, data=session_form(
        family["client"], attendance_family=str(family["client"]),
        attendees=[str(family["sofia"])], summary="Typed with care",
        **{"action_items-0-for_adult": str(family["marc"])},
    ))
    assert response.status_code == 400
    page = page_text(response)
    assert "Marc did not attend, and Sofia and Marc are kept apart" in page
    assert "Typed with care" in page and "Visit the nursery together" in page
    with app.app_context():
        assert db.session.scalar(
            select(CoachingSession).where(CoachingSession.summary == "Typed with care")
        ) is None


def test_sharing_posted_anyway_is_not_recorded(app, client, family):
    keep_apart(client, family)
    response = client.post(f"/sessions/new?client_id={family['client']}", data=session_form(
        family["client"], attendance_family=str(family["client"]), summary="Sofia alone",
        attendees=[str(family["sofia"])], shared_with=[str(family["marc"])],
    ))
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalar(
            select(CoachingSession).where(CoachingSession.summary == "Sofia alone")
        )
        assert [a.first_name for a in saved.attendees] == ["Sofia"]
        assert saved.shared_with == []


def test_a_kept_apart_family_chosen_in_the_form_is_asked_who_attended(app, client, family):
    keep_apart(client, family)
    response = client.post("/sessions/new", data=session_form(
        family["client"], summary="Chosen from the list"
    ))
    assert response.status_code == 400
    page = page_text(response)
    assert "Sofia and Marc are kept apart: tick who attended" in page
    assert "<legend>Who attended</legend>" in page and "Chosen from the list" in page
    response = client.post("/sessions/new", data=session_form(
        family["client"], summary="Chosen from the list",
        attendance_family=str(family["client"]), attendees=[str(family["marc"])],
    ))
    assert response.status_code == 302
    assert "Attended: Marc alone" in page_text(client.get(response.headers["Location"]))


def test_sharing_beyond_who_attended_is_refused_below_the_form_too(app, family):
    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        sofia_family.keep_apart = True
        sofia, marc = sofia_family.adults
        coaching_session = db.session.get(CoachingSession, family["joint"])
        with pytest.raises(KeptApart):
            record_attendance(coaching_session, [sofia], shared_with=[marc])
        record_attendance(coaching_session, [sofia, marc])  # a joint session stays joint


def test_a_joint_sessions_pdf_says_who_attended_and_whose_each_step_is(app, family):
    from coachapp.coaching.models import ActionItem
    from coachapp.portal.services import session_document

    with app.app_context(), app.test_request_context():
        joint = db.session.get(CoachingSession, family["joint"])
        joint.action_items = [
            ActionItem(position=0, text="One story each evening"),
            ActionItem(position=1, text="Call the nursery", adult_id=family["marc"]),
        ]
        db.session.flush()
        html = session_document(joint).html
        assert "Attended by Sofia and Marc" in html
        assert "Call the nursery <span class=\"due\">for Marc</span>" in html
        assert "One story each evening <span" not in html  # the family's: no name
