"""Sessions record who attended: each adult of a family reads the sessions they came to or
that the coach shares with them, and ticks the steps that are theirs."""

import io
import re
import zipfile

import pytest
from sqlalchemy import select, text

from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.extensions import db
from tests.conftest import make_test_app, page_text, statements_for, ticked
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coaching_session,
    session_form,
)
from tests.migration_rows import upgrade_family_from

JOINT = "JOINT-SUMMARY: the two of you and bedtime"
SHARED = "SHARED-SUMMARY: Sofia's session, shared with Marc"
ALONE = "ALONE-SUMMARY: what Sofia said on her own"
PRIVATE = "PRIVATE-NOTES: never for a client"
FAMILY_STEP = "FAMILY-STEP: one story each evening"
SOFIA_STEP = "SOFIA-STEP: ten minutes for herself"
MARC_STEP = "MARC-STEP: call the nursery"
ALONE_STEP = "ALONE-STEP: write to her mother"


def sign_in(client, email: str) -> None:
    client.post("/logout")
    page = page_text(client.get("/login"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"email": email, "password": PASSWORD, "next": ""}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post("/login", data=data).status_code == 302


@pytest.fixture
def family(app, coach_id) -> dict:
    """Sofia and Marc, both signed up: a joint session, one of Sofia's shared with Marc,
    and one Sofia came to alone."""
    with app.app_context():
        sofia_family = make_client(db.session.get(User, coach_id))
        marc = add_family_adult(sofia_family)
        sofia = sofia_family.first_adult
        make_client_login(sofia_family)
        make_client_login(sofia_family, adult=marc)
        joint = make_coaching_session(
            sofia_family, days_ago=20, summary=JOINT, private_notes=PRIVATE,
            attendees=[sofia, marc],
            action_items=[FAMILY_STEP, SOFIA_STEP, MARC_STEP],
        )
        joint.action_items[1].adult_id = sofia.id
        joint.action_items[2].adult_id = marc.id
        shared = make_coaching_session(
            sofia_family, days_ago=10, summary=SHARED, private_notes=PRIVATE,
            attendees=[sofia], shared_with=[marc],
        )
        alone = make_coaching_session(
            sofia_family, days_ago=5, summary=ALONE, private_notes=PRIVATE,
            attendees=[sofia], action_items=[ALONE_STEP],
        )
        db.session.commit()
        return {
            "client": sofia_family.id, "sofia": sofia.id, "marc": marc.id,
            "joint": joint.id, "shared": shared.id, "alone": alone.id,
            "family_step": joint.action_items[0].id,
            "sofia_step": joint.action_items[1].id,
            "marc_step": joint.action_items[2].id,
            "alone_step": alone.action_items[0].id,
        }


def done(app, item_id: int) -> bool:
    with app.app_context():
        return db.session.get(ActionItem, item_id).done_at is not None


# What each adult sees in the portal


def test_marc_sees_the_joint_session_and_the_one_shared_with_him_but_not_sofias_own(
    app, client, family, renders
):
    sign_in(client, "marc@example.com")
    home = page_text(client.get("/portal/"))
    assert JOINT in home and SHARED in home
    assert ALONE not in home and ALONE_STEP not in home and PRIVATE not in home
    assert "Nothing shared with you yet" not in home

    assert client.get(f"/portal/sessions/{family['joint']}.pdf").status_code == 200
    assert client.get(f"/portal/sessions/{family['shared']}.pdf").status_code == 200
    assert all(PRIVATE not in html for html in renders)
    with zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data)) as zipped:
        sessions = [name for name in zipped.namelist() if name.startswith("sessions/")]
        index = zipped.read("index.html").decode()
    assert len(sessions) == 2
    assert all(ALONE not in html for html in renders)
    assert ALONE not in index


def test_every_portal_address_of_sofias_own_session_is_not_found_for_marc(
    app, client, family, renders
):
    sign_in(client, "marc@example.com")
    for method, url in [
        ("GET", f"/portal/sessions/{family['alone']}.pdf"),
        ("POST", f"/portal/action-items/{family['alone_step']}/toggle"),
    ]:
        response = client.open(url, method=method)
        assert response.status_code == 404, url
        assert b"%PDF" not in response.data
    assert renders == []
    assert not done(app, family["alone_step"])


def test_sofia_sees_all_her_sessions(app, client, family, renders):
    sign_in(client, "sofia@example.com")
    home = page_text(client.get("/portal/"))
    assert JOINT in home and SHARED in home and ALONE in home and PRIVATE not in home
    for name in ("joint", "shared", "alone"):
        assert client.get(f"/portal/sessions/{family[name]}.pdf").status_code == 200
    with zipfile.ZipFile(io.BytesIO(client.get("/portal/download").data)) as zipped:
        assert len([n for n in zipped.namelist() if n.startswith("sessions/")]) == 3


def test_an_adult_with_no_session_of_their_own_still_sees_nothing_shared(app, client, coach_id):
    with app.app_context():
        sofia_family = make_client(db.session.get(User, coach_id))
        marc = add_family_adult(sofia_family)
        make_client_login(sofia_family, adult=marc)
        make_coaching_session(sofia_family, summary=ALONE)
    sign_in(client, "marc@example.com")
    home = page_text(client.get("/portal/"))
    assert "Nothing shared with you yet" in home and ALONE not in home


# Ticking steps


def test_a_family_step_is_anyones_and_a_personal_step_only_its_adults(app, client, family):
    sign_in(client, "marc@example.com")
    home = page_text(client.get("/portal/"))
    assert f"Mark as done: {MARC_STEP}" in home and f"Mark as done: {FAMILY_STEP}" in home
    assert f"Mark as done: {SOFIA_STEP}" not in home and SOFIA_STEP in home  # seen, not ticked
    assert "for Sofia" in home and "for you" in home

    assert client.post(f"/portal/action-items/{family['family_step']}/toggle").status_code == 302
    assert client.post(f"/portal/action-items/{family['marc_step']}/toggle").status_code == 302
    assert client.post(f"/portal/action-items/{family['sofia_step']}/toggle").status_code == 404
    assert done(app, family["family_step"]) and done(app, family["marc_step"])
    assert not done(app, family["sofia_step"])

    sign_in(client, "sofia@example.com")
    assert client.post(f"/portal/action-items/{family['sofia_step']}/toggle").status_code == 302
    assert client.post(f"/portal/action-items/{family['marc_step']}/toggle").status_code == 404
    assert client.post(f"/portal/action-items/{family['family_step']}/toggle").status_code == 302
    assert done(app, family["sofia_step"]) and done(app, family["marc_step"])
    assert not done(app, family["family_step"])


# The session form


def test_the_form_for_a_family_of_two_asks_who_attended_and_records_it(
    app, client, family
):
    form = page_text(client.get(f"/sessions/new?client_id={family['client']}"))
    assert "<legend>Who attended</legend>" in form
    assert "<legend>Also share the summary with</legend>" in form
    assert re.search(rf'name="attendees"[^>]*value="{family["marc"]}"', form)
    assert re.search(r'<option [^>]*value="">The family</option>', form)

    response = client.post(
        f"/sessions/new?client_id={family['client']}",
        data=session_form(
            family["client"], attendance_family=str(family["client"]),
            attendees=[str(family["marc"])], shared_with=[str(family["sofia"])],
            **{"action_items-0-for_adult": str(family["marc"])},
        ),
    )
    assert response.status_code == 302
    detail = page_text(client.get(response.headers["Location"]))
    assert "Attended: Marc alone · also shared with Sofia" in detail
    assert "for Marc" in detail
    timeline = page_text(client.get(f"/clients/{family['client']}"))
    assert "Marc alone" in timeline and "Sofia and Marc" in timeline  # the joint session


def test_the_form_without_an_attendee_answers_400_and_keeps_everything_typed(
    app, client, family
):
    before = _session_count(app)
    response = client.post(
        f"/sessions/new?client_id={family['client']}",
        data=session_form(
            family["client"], attendance_family=str(family["client"]),
            shared_with=[str(family["marc"])], summary="KEPT-SUMMARY",
        ),
    )
    page = page_text(response)
    assert response.status_code == 400
    assert "Tick who attended: at least one adult of the family." in page
    assert "KEPT-SUMMARY" in page and 'value="Visit the nursery together"' in page
    assert ticked(page, "shared_with") == [str(family["marc"])]
    assert ticked(page, "attendees") == []
    assert _session_count(app) == before


@pytest.mark.parametrize("field", ["attendees", "shared_with", "action_items-0-for_adult"])
def test_an_adult_of_another_family_is_refused(app, client, family, coach_id, field):
    with app.app_context():
        other = make_client(db.session.get(User, coach_id), "Daniel", last_name="Okafor")
        stranger = add_family_adult(other, "Grace").id
    data = session_form(
        family["client"], attendance_family=str(family["client"]),
        attendees=[str(family["sofia"])],
    )
    data[field] = [str(stranger)] if field != "action_items-0-for_adult" else str(stranger)
    before = _session_count(app)
    response = client.post(f"/sessions/new?client_id={family['client']}", data=data)
    assert response.status_code == 400
    assert "Some fields need another look" in page_text(response)
    assert _session_count(app) == before
    with app.app_context():
        assert db.session.scalar(
            select(ActionItem.id).where(ActionItem.adult_id == stranger)
        ) is None


def test_a_family_chosen_in_the_form_is_recorded_as_attending_in_full(app, client, family):
    form = page_text(client.get("/sessions/new"))
    assert "<legend>Who attended</legend>" not in form
    assert (
        "Everyone in the family is recorded as attending; change it on the session's page"
        in form
    )
    # Boxes that were never shown count for nothing, whatever is posted.
    response = client.post(
        "/sessions/new",
        data=session_form(family["client"], attendees=[str(family["marc"])]),
    )
    assert response.status_code == 302
    detail = page_text(client.get(response.headers["Location"]))
    assert "Attended: Sofia and Marc" in detail

    edit = page_text(client.get(response.headers["Location"] + "/edit"))
    assert "<legend>Who attended</legend>" in edit
    assert ticked(edit, "attendees") == [str(family["sofia"]), str(family["marc"])]


def test_a_one_adult_familys_form_is_unchanged_and_records_its_adult(app, client, coach_id):
    with app.app_context():
        daniel = make_client(db.session.get(User, coach_id), "Daniel", last_name="Okafor")
        daniel_id, adult_id = daniel.id, daniel.first_adult.id
    form = page_text(client.get(f"/sessions/new?client_id={daniel_id}"))
    assert "Who attended" not in form and "Also share" not in form
    assert "The family</option>" not in form and "Everyone in the family" not in form
    response = client.post(f"/sessions/new?client_id={daniel_id}", data=session_form(daniel_id))
    assert response.status_code == 302
    detail = page_text(client.get(response.headers["Location"]))
    assert "Attended:" not in detail
    with app.app_context():
        session = db.session.scalars(select(CoachingSession)).one()
        assert [adult.id for adult in session.attendees] == [adult_id]


def _session_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(CoachingSession.id)).all())


# What it costs


def test_the_portal_home_and_client_page_cost_the_same_with_many_shared_sessions(
    app, client, family
):
    client_page = f"/clients/{family['client']}"
    coach_page = len(statements_for(app, client, client_page))
    sign_in(client, "marc@example.com")
    few = len(statements_for(app, client, "/portal/"))
    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        sofia, marc = sofia_family.adults
        for day in range(25):
            make_coaching_session(
                sofia_family, days_ago=30 + day, attendees=[sofia, marc],
                action_items=["More"],
            )
    assert len(statements_for(app, client, "/portal/")) == few
    sign_in(client, "coach@example.com")
    assert len(statements_for(app, client, client_page)) == coach_page


# The migration


def test_the_migration_gives_every_existing_session_its_first_adult(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    with app.app_context():
        upgrade_family_from(app, "b7e2d4a91c30", [
            "INSERT INTO coaching_sessions (id, coach_id, client_id, starts_at, "
            "duration_minutes, format, private_notes, summary, created_at, updated_at) "
            "VALUES (1, 1, 1, :now, 60, 'video', '', '', :now, :now), "
            "(2, 1, 1, :now, 60, 'video', '', '', :now, :now)",
            "INSERT INTO action_items (id, coaching_session_id, position, text) "
            "VALUES (1, 1, 0, 'Step')",
        ])

        attendees = db.session.execute(text(
            "SELECT coaching_session_id, adult_id FROM session_attendees "
            "ORDER BY coaching_session_id"
        )).all()
        assert [tuple(row) for row in attendees] == [(1, 1), (2, 1)]
        assert db.session.execute(text("SELECT COUNT(*) FROM session_shared_with")).scalar() == 0
        assert db.session.execute(text("SELECT adult_id FROM action_items")).scalar() is None
        db.session.commit()
        db.engine.dispose()


def test_removing_an_adult_keeps_the_session_and_gives_their_steps_to_the_family(
    app, client, family
):
    client.post(f"/clients/{family['client']}/adults/{family['marc']}/remove")
    with app.app_context():
        joint = db.session.get(CoachingSession, family["joint"])
        assert [adult.first_name for adult in joint.attendees] == ["Sofia"]
        assert db.session.get(ActionItem, family["marc_step"]).adult_id is None
        assert db.session.get(CoachingSession, family["shared"]).shared_with == []



def test_the_demo_couple_attend_their_sessions_together(app, runner):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with app.app_context():
        sessions = db.session.scalars(
            select(CoachingSession).join(CoachingSession.client).join(Client.adults)
            .where(Adult.email == "amira.haddad@example.com")
        ).all()
        assert sessions
        for coaching_session in sessions:
            assert coaching_session.attendance == "Amira and Karim"
        others = db.session.scalars(
            select(CoachingSession).join(CoachingSession.client).where(
                CoachingSession.id.not_in([s.id for s in sessions]), Client.keep_apart.is_(False)
            )
        ).all()
        assert others and all(len(s.attendees) == 1 for s in others)
