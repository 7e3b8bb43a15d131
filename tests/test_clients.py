"""Clients: a coach adds, edits, finds, archives and deletes the parents they work with."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coachapp.auth.models import User
from coachapp.clients.models import Adult, Child, Client, Tag
from coachapp.clients.services import (
    ClientData,
    ClientListing,
    coach_tags,
    create_client,
    list_clients,
    parse_tags,
    tags_for,
)
from coachapp.coaching.models import ActionItem, CoachingSession
from coachapp.data_rights.deletion import deletion_summary
from coachapp.extensions import db
from tests.conftest import csrf_token_from, statements_for
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_tagged_client,
)

LONG_NOTES = (
    "Sofia described the first morning at nursery in detail. " * 40
    + "She wants to talk about her mother next time."
)


@pytest.fixture
def coach_id(app, browser) -> int:
    """A coach, signed in."""
    with app.app_context():
        coach_id = make_coach().id
    browser.login("coach@example.com", PASSWORD)
    return coach_id


def add_client(app, coach_id: int, first_name: str = "Sofia", **kwargs) -> int:
    """Give the coach a client (tagged 'return to work' unless told otherwise); return its id."""
    with app.app_context():
        coach = db.session.get(User, coach_id)
        return make_tagged_client(coach, first_name, **kwargs).id


def client_form(**overrides) -> dict:
    """What a coach types into the client form for Sofia and her two children."""
    data = {
        "first_name": "Sofia",
        "last_name": "Marin",
        "preferred_name": "",
        "pronouns": "she/her",
        "email": "sofia.marin@example.com",
        "phone": "+44 7700 900123",
        "children-0-first_name": "Lena",
        "children-0-birth_year": "2024",
        "children-1-first_name": "Mateo",
        "children-1-birth_year": "2019",
        "children-2-first_name": "",
        "children-2-birth_year": "",
        "situation": "Architect on parental leave, offered her old role back.",
        "goals": "Decide about returning to work without guilt.",
        "tags": "return to work, Guilt, guilt, ",
        "preferred_contact": "text",
        "notes": "Found me through the library talk.",
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


def names_in_order(page: str, *names: str) -> list[str]:
    """The given names sorted by where they first appear on the page."""
    return sorted(names, key=page.index)


# Adding and editing


def test_coach_adds_a_client_with_two_children_and_tags(app, client, coach_id):
    response = client.post("/clients/new", data=client_form())
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Sofia Marin has been added to your clients." in page
    assert "<h1>Sofia Marin</h1>" in page
    assert "Lena" in page and "born 2024" in page
    assert "Mateo" in page and "born 2019" in page
    assert "Text message" in page
    assert ">return to work</a>" in page and ">Guilt</a>" in page
    with app.app_context():
        sofia = db.session.execute(select(Client)).scalar_one()
        assert sofia.coach_id == coach_id
        assert [(c.first_name, c.birth_year) for c in sofia.children] == [
            ("Mateo", 2019),
            ("Lena", 2024),
        ]
        assert sorted(tag.name for tag in sofia.tags) == ["Guilt", "return to work"]


def test_a_first_name_is_enough_to_add_a_client(app, client, coach_id):
    response = client.post("/clients/new", data={"first_name": "Helen"}, follow_redirects=True)
    assert "Helen has been added to your clients." in text(response)
    with app.app_context():
        helen = db.session.execute(select(Client)).scalar_one()
        [adult] = helen.adults
        assert (adult.last_name, adult.preferred_contact, helen.children) == ("", "email", [])


def test_new_client_form_starts_with_blank_child_rows(client, coach_id):
    page = text(client.get("/clients/new"))
    for row in range(3):
        assert f'name="children-{row}-first_name"' in page
    assert 'name="children-3-first_name"' not in page
    assert "Add another child" in page


def test_add_another_child_keeps_what_was_typed_and_saves_nothing(app, client, coach_id):
    data = client_form(notes=LONG_NOTES, add_child="1")
    response = client.post("/clients/new", data=data)
    page = text(response)
    assert response.status_code == 200
    assert 'name="children-3-first_name"' in page
    assert 'value="Mateo"' in page
    assert LONG_NOTES in page
    assert "autofocus" in page  # the new row, ready to type in
    with app.app_context():
        assert db.session.scalar(select(func.count(Client.id))) == 0


def test_a_fourth_child_added_in_the_new_row_is_saved(app, client, coach_id):
    data = client_form(
        **{
            "children-2-first_name": "Ana",
            "children-2-birth_year": "2021",
            "children-3-first_name": "Ivo",
            "children-3-birth_year": "2023",
        }
    )
    client.post("/clients/new", data=data)
    with app.app_context():
        names = db.session.scalars(select(Child.first_name).order_by(Child.birth_year)).all()
        assert names == ["Mateo", "Ana", "Ivo", "Lena"]


def test_edit_form_shows_the_client_as_saved(app, client, coach_id):
    client_id = add_client(app, coach_id, children=[("Lena", 2024)], tags=("guilt", "nursery"))
    page = text(client.get(f"/clients/{client_id}/edit"))
    assert 'value="Sofia"' in page
    assert 'value="Lena"' in page and 'value="2024"' in page
    assert 'value="guilt, nursery"' in page
    assert 'name="children-1-first_name"' in page  # a blank row for one more


def test_editing_changes_profile_children_and_tags(app, client, coach_id):
    client_id = add_client(
        app, coach_id, children=[("Lena", 2024), ("Mia", 2020)], tags=("nursery",)
    )
    data = client_form(
        **{
            "preferred_name": "Sofi",
            "children-0-first_name": "Lena",
            "children-0-birth_year": "2024",
            "children-1-first_name": "",
            "children-1-birth_year": "",
            "tags": "guilt",
        }
    )
    response = client.post(f"/clients/{client_id}/edit", data=data, follow_redirects=True)
    page = text(response)
    assert "Your changes to Sofi Marin are saved." in page
    assert "<h1>Sofi Marin</h1>" in page
    assert "Mia" not in page
    assert ">guilt</a>" in page and "nursery" not in page
    with app.app_context():
        coach = db.session.get(User, coach_id)
        # 'nursery' is carried by no one any more, so it leaves the tag filter.
        assert [tag.name for tag in coach_tags(coach)] == ["guilt"]
        assert db.session.scalar(select(func.count(Child.id))) == 1


def test_editing_only_tags_moves_the_client_up_in_recently_updated(app, client, coach_id):
    old = datetime.now(UTC) - timedelta(days=30)
    client_id = add_client(app, coach_id, updated_at=old)
    client.post(f"/clients/{client_id}/edit", data=client_form(tags="new tag"))
    with app.app_context():
        assert db.session.get(Client, client_id).updated_at > old + timedelta(days=29)


def test_tags_are_shared_between_a_coachs_clients_but_not_between_coaches(app):
    with app.app_context():
        maya, ruth = make_coach(), make_coach("ruth@example.com", "Ruth Adeyemi")
        create_client(maya, ClientData("Sofia", tags=["Guilt"]))
        create_client(maya, ClientData("Helen", tags=["guilt", "grief"]))
        create_client(ruth, ClientData("Daniel", tags=["guilt"]))
        db.session.commit()
        assert [tag.name for tag in coach_tags(maya)] == ["grief", "Guilt"]
        assert [tag.name for tag in coach_tags(ruth)] == ["guilt"]
        assert db.session.scalar(select(func.count(Tag.id))) == 3


def test_a_tag_with_an_accented_capital_is_found_again(app):
    with app.app_context():
        maya = make_coach()
        create_client(maya, ClientData("Sofia", tags=["Éducation"]))
        create_client(maya, ClientData("Helen", tags=["éducation", "Über"]))
        db.session.commit()
        assert [tag.name for tag in coach_tags(maya)] == ["Éducation", "Über"]
        tagged = list_clients(maya, ClientListing(tag="Éducation")).items
        assert sorted(client.first_adult.first_name for client in tagged) == ["Helen", "Sofia"]


def test_tags_are_tidied_as_typed():
    assert parse_tags(" return   to work ,Guilt,,guilt , ") == ["return to work", "Guilt"]
    assert parse_tags("") == []


# Validation and escaping


def test_invalid_email_reshows_everything_typed(app, client, coach_id):
    response = client.post(
        "/clients/new", data=client_form(email="sofia-at-example", notes=LONG_NOTES)
    )
    page = text(response)
    assert response.status_code == 400
    assert "Enter an e-mail address such as name@example.com." in page
    assert 'value="sofia-at-example"' in page
    assert LONG_NOTES in page
    assert 'value="Mateo"' in page and 'value="2019"' in page
    assert 'value="return to work, Guilt, guilt,"' in page
    assert re.search(r'value="text"[^>]*checked|checked[^>]*value="text"', page)
    with app.app_context():
        assert db.session.scalar(select(func.count(Client.id))) == 0


def test_first_name_is_required(client, coach_id):
    response = client.post("/clients/new", data=client_form(first_name="  "))
    assert response.status_code == 400
    assert "Enter the client&#39;s first name." in text(response)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"children-0-birth_year": "20x4"}, "Enter the year as four digits, e.g. 2019."),
        ({"children-0-birth_year": "1850"}, "Enter a year between 1900 and"),
        ({"children-0-first_name": ""}, "Add the child&#39;s first name, or clear the year."),
    ],
)
def test_a_child_row_that_makes_no_sense_is_pointed_out(client, coach_id, row, message):
    response = client.post("/clients/new", data=client_form(**row))
    assert response.status_code == 400
    assert message in text(response)


def test_a_tag_longer_than_forty_characters_is_refused(client, coach_id):
    response = client.post("/clients/new", data=client_form(tags="x" * 41))
    assert response.status_code == 400
    assert "Keep each tag to 40 characters" in text(response)


def test_html_typed_into_any_field_is_shown_as_text(app, client, coach_id):
    data = client_form(
        first_name="<b>Sofia</b>",
        situation="<img src=x onerror=alert(1)>",
        notes="<script>alert('notes')</script>",
        tags="<i>guilt</i>",
        **{"children-0-first_name": "<em>Lena</em>"},
    )
    response = client.post("/clients/new", data=data, follow_redirects=True)
    for page in (text(response), text(client.get("/clients/"))):
        assert "<b>Sofia</b>" not in page and "&lt;b&gt;Sofia&lt;/b&gt;" in page
        assert "<i>guilt</i>" not in page and "&lt;i&gt;guilt&lt;/i&gt;" in page
        assert "<em>Lena</em>" not in page
    detail = text(response)
    assert "<script>alert" not in detail and "&lt;script&gt;alert" in detail
    assert "<img src=x" not in detail


def test_pages_carry_no_inline_script(app, client, coach_id):
    client_id = add_client(app, coach_id)
    for path in (
        "/clients/",
        "/clients/new",
        f"/clients/{client_id}",
        f"/clients/{client_id}/edit",
        f"/clients/{client_id}/delete",
    ):
        page = text(client.get(path))
        assert not re.search(r"<script(?![^>]*\ssrc=)", page), path
        assert not re.search(r"<[^>]+\son[a-z]+=", page), path  # no inline handlers


# Archiving and restoring


def test_archived_client_leaves_the_list_and_comes_back_on_restore(app, client, coach_id):
    client_id = add_client(app, coach_id)
    response = client.post(f"/clients/{client_id}/archive", follow_redirects=True)
    assert "Sofia Marin is archived." in text(response)
    assert "Archived on" in text(response)
    assert "Sofia Marin" not in text(client.get("/clients/"))
    assert "Sofia Marin" in text(client.get("/clients/?status=archived"))

    response = client.post(f"/clients/{client_id}/restore", follow_redirects=True)
    assert "Sofia Marin is back in your active clients." in text(response)
    assert "Sofia Marin" in text(client.get("/clients/"))
    assert "Sofia Marin" not in text(client.get("/clients/?status=archived"))


def test_archive_and_delete_need_a_post(app, client, coach_id):
    client_id = add_client(app, coach_id)
    assert client.get(f"/clients/{client_id}/archive").status_code == 405
    assert client.get(f"/clients/{client_id}/delete").status_code == 200  # only asks
    with app.app_context():
        sofia = db.session.get(Client, client_id)
        assert sofia is not None and sofia.archived_at is None


def test_when_everyone_is_archived_the_list_points_to_the_archive(app, client, coach_id):
    client_id = add_client(app, coach_id)
    client.post(f"/clients/{client_id}/archive")
    page = text(client.get("/clients/"))
    assert "No active clients" in page
    assert "See archived clients" in page


# Deleting


def _sofia_with_history(app, coach_id) -> int:
    client_id = add_client(app, coach_id, children=[("Lena", 2024), ("Mateo", 2019)])
    with app.app_context():
        sofia = db.session.get(Client, client_id)
        make_coaching_session(sofia, days_ago=30, action_items=["Visit the nursery"])
        make_coaching_session(sofia, days_ago=14, action_items=["Write to her mother", "Rest"])
        make_coaching_session(sofia, days_ago=7)
    return client_id


def test_delete_confirmation_says_exactly_what_will_be_removed(app, client, coach_id):
    client_id = _sofia_with_history(app, coach_id)
    page = text(client.get(f"/clients/{client_id}/delete"))
    assert "Sofia Marin, 2 children, 3 coaching sessions and their notes and action items" in page
    assert "2 children: Mateo, Lena" in page
    assert "3 action items" in page
    assert "cannot be undone" in page
    assert "Archive instead" in page


def test_deletion_summary_speaks_of_one_child_and_no_sessions(app):
    with app.app_context():
        sofia = make_client(make_coach(), children=[("Lena", 2024)])
        assert deletion_summary(sofia).sentence() == "Sofia Marin, 1 child"


def test_deleting_removes_the_client_with_children_sessions_and_action_items(app, client, coach_id):
    client_id = _sofia_with_history(app, coach_id)
    other_id = add_client(app, coach_id, "Helen", last_name="Brooks", tags=("grief",))
    with app.app_context():
        make_coaching_session(db.session.get(Client, other_id), action_items=["Plan a day"])

    response = client.post(f"/clients/{client_id}/delete", follow_redirects=True)
    page = text(response)
    assert "Sofia Marin and everything recorded about them have been deleted." in page
    assert "Helen Brooks" in page
    assert client.get(f"/clients/{client_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Client, client_id) is None
        assert db.session.scalar(select(func.count(Child.id))) == 1  # Helen's
        sessions = db.session.scalars(select(CoachingSession.client_id)).all()
        assert sessions == [other_id]
        assert db.session.scalars(select(ActionItem.text)).all() == ["Plan a day"]
        assert [tag.name for tag in db.session.scalars(select(Tag))] == ["grief"]


def test_delete_without_a_csrf_token_is_refused(app, client, coach_id):
    app.config["WTF_CSRF_ENABLED"] = True
    client_id = add_client(app, coach_id)
    refused = client.post(f"/clients/{client_id}/delete")
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Client, client_id) is not None

    token = csrf_token_from(text(client.get(f"/clients/{client_id}/delete")))
    response = client.post(f"/clients/{client_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Client, client_id) is None


# Finding clients


def test_search_matches_first_last_and_preferred_names_ignoring_case(app, client, coach_id):
    add_client(app, coach_id, "Sofia", last_name="Marin")
    add_client(app, coach_id, "Daniel", last_name="Okafor", preferred_name="Danny")
    add_client(app, coach_id, "Helen", last_name="Brooks")
    assert_found = {
        "sof": {"Sofia Marin"},
        "OKAF": {"Danny Okafor"},
        "danny": {"Danny Okafor"},
        "sofia marin": {"Sofia Marin"},
        "n": {"Sofia Marin", "Danny Okafor", "Helen Brooks"},
        "%": set(),
    }
    for query, expected in assert_found.items():
        page = text(client.get("/clients/", query_string={"q": query}))
        found = {name for name in ("Sofia Marin", "Danny Okafor", "Helen Brooks") if name in page}
        assert found == expected, query
    assert 'value="sof"' in text(client.get("/clients/?q=sof"))


def test_search_with_no_match_says_what_to_try(app, client, coach_id):
    add_client(app, coach_id)
    page = text(client.get("/clients/?q=nobody"))
    assert "No clients match" in page
    assert "Clear search and filters" in page


def test_filter_by_tag(app, client, coach_id):
    add_client(app, coach_id, "Sofia", tags=("return to work", "guilt"))
    add_client(app, coach_id, "Helen", last_name="Brooks", tags=("grief",))
    page = text(client.get("/clients/?tag=Guilt"))
    assert "Sofia Marin" in page and "Helen Brooks" not in page
    page = text(client.get("/clients/?tag=grief"))
    assert "Helen Brooks" in page and "Sofia Marin" not in page
    assert '<option value="grief" selected>' in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", {"Sofia Marin"}),
        ("archived", {"Helen Brooks"}),
        ("all", {"Sofia Marin", "Helen Brooks"}),
        ("nonsense", {"Sofia Marin"}),
    ],
)
def test_filter_by_archived_state(app, client, coach_id, status, expected):
    add_client(app, coach_id, "Sofia")
    add_client(app, coach_id, "Helen", last_name="Brooks", archived_at=datetime.now(UTC))
    page = text(client.get("/clients/", query_string={"status": status}))
    assert {name for name in ("Sofia Marin", "Helen Brooks") if name in page} == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Adam Zeller", "Bea Young", "Clara Abbott"]),
        ("updated", ["Clara Abbott", "Bea Young", "Adam Zeller"]),
        ("newest", ["Adam Zeller", "Clara Abbott", "Bea Young"]),
    ],
)
def test_sort_by_name_recently_updated_or_newest(app, client, coach_id, sort, expected):
    now = datetime.now(UTC)
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    with app.app_context():
        coach = db.session.get(User, coach_id)
        make_client(
            coach,
            "Beatrice",
            preferred_name="Bea",
            last_name="Young",
            created_at=days(30),
            updated_at=days(2),
        )
        make_client(coach, "Adam", last_name="Zeller", created_at=days(1), updated_at=days(9))
        make_client(
            coach,
            "Zoe",
            preferred_name="Clara",
            last_name="Abbott",
            created_at=days(20),
            updated_at=days(0),
        )
    page = text(client.get("/clients/", query_string={"sort": sort}))
    assert names_in_order(page, *expected) == expected


def _many_clients(app, coach_id: int, count: int) -> None:
    """``count`` clients, each with two children and two tags, added in one go."""
    with app.app_context():
        tags = tags_for(coach_id, ["guilt", "co-parenting"])
        db.session.add_all(
            Client(
                coach_id=coach_id,
                adults=[Adult(first_name=f"Parent{number:03d}", last_name="Example")],
                children=[
                    Child(first_name="Ana", birth_year=2015),
                    Child(first_name="Ben", birth_year=2018),
                ],
                tags=tags,
            )
            for number in range(1, count + 1)
        )
        db.session.commit()


def test_pagination_shows_25_a_page_and_keeps_the_search(app, client, coach_id):
    _many_clients(app, coach_id, 30)
    page_one = text(client.get("/clients/?q=parent&sort=name"))
    assert "30 clients, showing 1\N{EN DASH}25" in page_one
    assert "Parent025 Example" in page_one and "Parent026 Example" not in page_one
    next_link = re.search(r'<a href="([^"]+)" rel="next">', page_one).group(1)
    assert "q=parent" in next_link and "page=2" in next_link
    page_two = text(client.get(next_link.replace("&amp;", "&")))
    assert "Parent026 Example" in page_two and "Parent030 Example" in page_two
    assert "Parent025 Example" not in page_two
    assert 'rel="prev"' in page_two and 'rel="next"' not in page_two


def test_a_page_past_the_end_offers_the_first_page(app, client, coach_id):
    add_client(app, coach_id)
    page = text(client.get("/clients/?page=9"))
    assert "This page is empty" in page
    assert "Go to the first page" in page


def test_the_list_takes_the_same_few_queries_for_10_or_200_clients(app, client, coach_id):
    _many_clients(app, coach_id, 10)
    with_ten = statements_for(app, client, "/clients/")
    _many_clients(app, coach_id, 190)
    with_two_hundred = statements_for(app, client, "/clients/")
    assert "Parent001 Example" in text(client.get("/clients/"))
    assert len(with_ten) == len(with_two_hundred) <= 8, with_two_hundred


def test_list_clients_service_eager_loads_children_and_tags(app):
    with app.app_context():
        coach_id = make_coach().id
        make_tagged_client(
            db.session.get(User, coach_id), "Sofia", tags=("guilt",), children=[("Lena", 2024)]
        )
        db.session.expunge_all()
        pagination = list_clients(db.session.get(User, coach_id), ClientListing())
        db.session.expunge_all()  # nothing left to lazy-load from
        sofia = pagination.items[0]
        assert [child.first_name for child in sofia.children] == ["Lena"]
        assert [tag.name for tag in sofia.tags] == ["guilt"]


# Empty states and navigation


def test_a_new_coach_is_told_how_to_start(client, coach_id):
    page = text(client.get("/clients/"))
    assert "No clients yet" in page
    assert 'href="/clients/new"' in page


def test_coach_nav_links_to_clients(client, coach_id):
    page = text(client.get("/dashboard"))
    assert '<a href="/clients/"' in page and ">Clients</a>" in page


def test_detail_page_shows_ages_contact_and_what_is_missing(app, client, coach_id):
    client_id = add_client(app, coach_id, children=[], phone="", situation="Back at work.")
    page = text(client.get(f"/clients/{client_id}"))
    assert "Back at work." in page
    assert "No children recorded yet." in page
    assert "No goals written yet." in page
    assert 'href="mailto:sofia@example.com"' in page


def test_live_search_script_is_served_and_the_form_works_without_it(client, coach_id):
    page = text(client.get("/clients/"))
    assert 'src="/static/js/live-search.js"' in page
    assert 'method="get" action="/clients/"' in page
    assert client.get("/static/js/live-search.js").status_code == 200


# Who may see what


def _other_coachs_client(app) -> int:
    with app.app_context():
        ruth = make_coach("ruth@example.com", "Ruth Adeyemi")
        return make_tagged_client(ruth, "Daniel", last_name="Okafor").id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/clients/{id}"),
        ("get", "/clients/{id}/edit"),
        ("post", "/clients/{id}/edit"),
        ("post", "/clients/{id}/archive"),
        ("post", "/clients/{id}/restore"),
        ("get", "/clients/{id}/delete"),
        ("post", "/clients/{id}/delete"),
    ],
)
def test_another_coachs_client_does_not_exist_for_this_coach(app, client, coach_id, method, path):
    daniel_id = _other_coachs_client(app)
    response = getattr(client, method)(path.format(id=daniel_id), data=client_form())
    assert response.status_code == 404
    assert "Daniel" not in text(response)
    with app.app_context():
        daniel = db.session.get(Client, daniel_id)
        assert daniel is not None and daniel.first_adult.first_name == "Daniel"
        assert daniel.archived_at is None


def test_another_coachs_clients_are_not_listed_or_found(app, client, coach_id):
    _other_coachs_client(app)
    add_client(app, coach_id)
    page = text(client.get("/clients/?status=all"))
    assert "Sofia Marin" in page and "Daniel" not in page
    assert "Daniel" not in text(client.get("/clients/?q=dan"))


def test_a_client_signed_in_to_the_portal_gets_404(app, client, browser):
    with app.app_context():
        sofia = make_tagged_client(make_coach(), "Sofia")
        client_id = sofia.id
        make_client_login(sofia)
    browser.login("sofia@example.com", PASSWORD)
    for path in ("/clients/", "/clients/new", f"/clients/{client_id}"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/clients/{client_id}/delete").status_code == 404
    with app.app_context():
        assert db.session.get(Client, client_id) is not None


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/clients/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
