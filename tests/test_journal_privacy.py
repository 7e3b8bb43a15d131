"""An entry its writer keeps private is invisible to the coach everywhere: every page a
coach can reach, search, the exports and the activity log."""

import io
import zipfile
from types import SimpleNamespace

import pytest

from coachapp.extensions import db
from coachapp.journal.models import JournalReply
from tests.conftest import Browser
from tests.demo_walk import walk_as
from tests.factories import (
    PASSWORD,
    add_family_adult,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
)
from tests.test_journal import make_enrolment, make_entry
from tests.test_keep_apart import everything_read

# Words no page of coachapp would print unless it printed the entries that hold them.
PRIVATE_MARKERS = (
    "Zebraquill is the part of me that wants to run away.",
    "Zebratitle",
    "Marcprivate wonders whether he is enough.",
    "Withdrawnotter was shared once and taken back.",
)
SHARED_TITLE = "Otterlight in the morning"
SHARED_BODY = "Otterbody: we laughed at breakfast for the first time in weeks."


@pytest.fixture
def family(app) -> dict:
    """Sofia, on day 2 of a programme, and Marc: private entries, one taken back after the
    coach replied, and one shared entry."""
    with app.app_context():
        coach = make_coach()
        sofia = make_client(coach, "Sofia")
        marc = add_family_adult(sofia, "Marc")
        make_client_login(sofia)
        make_coaching_session(sofia, days_ago=3, summary="We talked about mornings.")
        enrolment = make_enrolment(sofia)
        day_one = enrolment.programme.prompts[0]
        adult = sofia.first_adult
        make_entry(adult, body=PRIVATE_MARKERS[0], title=PRIVATE_MARKERS[1],
                   enrolment_id=enrolment.id, prompt_id=day_one.id)
        make_entry(marc, body=PRIVATE_MARKERS[2])
        taken_back = make_entry(adult, body=PRIVATE_MARKERS[3])
        db.session.add(JournalReply(entry_id=taken_back.id, body="A reply to what was taken back"))
        shared = make_entry(adult, body=SHARED_BODY, title=SHARED_TITLE, shared=True)
        db.session.commit()
        return {"client": sofia.id, "sofia": adult.id, "shared": shared.id,
                "private": taken_back.id}


def test_no_coach_page_search_export_or_log_shows_a_private_entry(app, client, family):
    client_page = f"/clients/{family['client']}"
    start_pages = (
        "/dashboard", client_page, "/search?q=Zebraquill", "/search?q=Marcprivate",
        "/audit/", "/audit/export.csv", f"/journal/entries/{family['private']}",
    )
    fetched = walk_as(app, "coach@example.com", PASSWORD, start_pages=start_pages)
    reached = {page.url for page in fetched if page.status == 200}
    assert client_page in reached and f"/journal/entries/{family['shared']}" in reached
    assert len(reached) > 20  # the walk went well beyond the journal's own pages

    browser = Browser(client)
    browser.login("coach@example.com", PASSWORD)
    exports = [
        client.post(f"{client_page}/export"),
        client.post(f"{client_page}/adults/{family['sofia']}/export"),
    ]
    assert all(export.status_code == 200 for export in exports)
    read = everything_read(fetched) + everything_read(
        [SimpleNamespace(body=export.data) for export in exports]
    )
    for marker in PRIVATE_MARKERS:
        # Search pages repeat the word searched for: what must never show is the rest.
        unseen = marker.split(maxsplit=1)[-1]
        assert unseen not in read, marker
    assert "A reply to what was taken back" not in read

    assert SHARED_TITLE in next(page.body.decode() for page in fetched if page.url == client_page)
    assert SHARED_BODY in read


def test_the_export_names_how_many_entries_are_private_and_no_more(app, client, family):
    Browser(client).login("coach@example.com", PASSWORD)
    export = client.post(f"/clients/{family['client']}/export")
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        data = archive.read("client.json").decode()
    assert '"private_entry_count": 3' in data and "Otterbody" in data


def test_stopping_sharing_hides_the_entry_from_the_coach_at_once(app, client, family):
    client_page = f"/clients/{family['client']}"
    Browser(client).login("sofia@example.com", PASSWORD)
    client.post(f"/portal/journal/entries/{family['shared']}/unshare")
    client.post("/logout")
    fetched = walk_as(app, "coach@example.com", PASSWORD, start_pages=("/dashboard", client_page))
    read = everything_read(fetched)
    assert "Nothing shared with you yet" in read
    assert "Otterlight" not in read and "Otterbody" not in read
