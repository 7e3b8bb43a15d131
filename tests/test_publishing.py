"""Consent, letters made into posts, the checker and publishing: as a coach and a client see it."""

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.blog.models import Post, PostStatus, PublicationConsent
from coachapp.clients.models import Child
from coachapp.extensions import db
from coachapp.letters.models import Letter
from tests.conftest import csrf_token_from
from tests.factories import (
    PASSWORD,
    make_client,
    make_client_login,
    make_coach,
    make_letter,
    make_sent_letter,
)

LETTER = """Dear Anna,

Thank you for Tuesday. You told me about Leo's first week at nursery and the guilt that
came with every drop-off. Many parents feel exactly this.

You can always reach me, and you wrote from anna.berg@example.com, so I will answer there.

With warmth,

Maya"""


def text(response) -> str:
    return response.get_data(as_text=True)


def sent_letter(client, body: str = LETTER) -> Letter:
    """A letter approved by the client's coach and sent."""
    return make_sent_letter(client, body=body, subject="After our talk, Anna")


@pytest.fixture
def family(app, browser):
    """Maya (signed in) with her client Anna Berg, whose son is Leo, and a sent letter."""
    with app.app_context():
        coach = make_coach()
        anna = make_client(
            coach, "Anna", last_name="Berg", email="anna.berg@example.com", children=[("Leo", 2021)]
        )
        make_client_login(anna)
        letter = sent_letter(anna)
        ids = {"coach": coach.id, "client": anna.id, "letter": letter.id}
    browser.login("coach@example.com", PASSWORD)
    return ids


def post_form(client, path: str, data: dict, page: str | None = None):
    """Submit a form the way a browser would: with the CSRF token of the page it is on."""
    token = csrf_token_from(text(client.get(page or path)))
    return client.post(path, data={"csrf_token": token, **data})


def record_consent(client, letter_id: int, note: str = "E-mail of 3 March: happy to share."):
    return post_form(
        client,
        f"/letters/{letter_id}/consent",
        {"method": "email", "note": note},
        page=f"/letters/{letter_id}",
    )


def make_post_from_letter(client, letter_id: int, **words):
    data = {
        "client_name_replacement": "my dear friend",
        "child_name_replacement": "your little one",
        "contact_replacement": "[removed]",
        "other_term_replacement": "[removed]",
        "identifying_words": "",
        "remember": "y",
        **words,
    }
    response = post_form(client, f"/posts/from-letter/{letter_id}", data)
    assert response.status_code == 302, text(response)
    return int(re.search(r"/posts/(\d+)/edit", response.location).group(1))


def publish(client, post_id: int, **data):
    return post_form(
        client, f"/posts/{post_id}/publish", {"when": "now", **data}, page=f"/posts/{post_id}/edit"
    )


def save_post(client, post_id: int, **changes):
    page = text(client.get(f"/posts/{post_id}/edit"))
    with client.application.app_context():
        post = db.session.get(Post, post_id)
        data = {
            "title": post.title,
            "slug": post.slug,
            "excerpt": post.excerpt,
            "body": post.body,
            "category_id": "0",
            "series_id": "0",
            "tags": "",
            "cover_image_alt": "",
        }
    data.update(changes)
    return client.post(f"/posts/{post_id}/edit", data={"csrf_token": csrf_token_from(page), **data})


def test_a_letter_cannot_become_a_post_without_recorded_consent(client, family):
    page = text(client.get(f"/letters/{family['letter']}"))
    assert "has not agreed to this letter being shared" in page
    assert "Publish as a post" not in page
    refused = client.get(f"/posts/from-letter/{family['letter']}")
    assert "cannot become a post" in text(refused)
    response = post_form(
        client,
        f"/posts/from-letter/{family['letter']}",
        {
            "client_name_replacement": "friend",
            "child_name_replacement": "child",
            "contact_replacement": "x",
            "other_term_replacement": "x",
        },
    )
    assert response.status_code == 200
    with client.application.app_context():
        assert db.session.scalar(select(Post)) is None


def test_the_coach_records_consent_with_how_and_when_and_it_is_kept_in_the_ledger(client, family):
    response = record_consent(client, family["letter"])
    assert response.status_code == 302
    page = text(client.get(f"/letters/{family['letter']}"))
    assert "Consent given" in page and "by e-mail" in page
    assert "E-mail of 3 March: happy to share." in page and "Publish as a post" in page
    with client.application.app_context():
        consent = db.session.scalar(select(PublicationConsent))
        assert consent.recorded_by_id == family["coach"] and consent.letter_revision_id


def test_consent_without_a_note_is_refused_and_the_choice_is_kept(client, family):
    response = record_consent(client, family["letter"], note="")
    assert response.status_code == 422
    assert "Note when and how they agreed." in text(response)
    assert re.search(r'<input checked[^>]*value="email"', text(response))
    with client.application.app_context():
        assert db.session.scalar(select(PublicationConsent)) is None


def test_a_draft_letter_cannot_be_consented_to(client, family, app):
    with app.app_context():
        anna = db.session.get(Letter, family["letter"]).client
        draft_id = make_letter(anna, body="Draft words").id
    response = post_form(
        client,
        f"/letters/{draft_id}/consent",
        {"method": "email", "note": "yes"},
        page=f"/letters/{family['letter']}",
    )
    assert response.status_code == 302
    assert "Only an approved or sent letter" in text(client.get(f"/letters/{draft_id}"))


def test_the_anonymiser_replaces_names_and_the_checker_catches_what_the_coach_puts_back(
    client, family
):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    editor = text(client.get(f"/posts/{post_id}/edit"))
    assert "Leo" not in editor and "Anna" not in editor and "anna.berg@example.com" not in editor
    assert "your little one&#39;s first week" in editor
    assert "No names, e-mail addresses or phone numbers found" in editor

    # The coach edits the draft and, without noticing, writes the child's name back in.
    with client.application.app_context():
        body = db.session.get(Post, post_id).body
    saved = save_post(client, post_id, body=body + "\n\nGive Leo's teddy a hug from me.")
    assert saved.status_code == 302
    refused = publish(client, post_id)
    assert refused.status_code == 409
    page = text(refused)
    assert "could identify someone: “Leo”" in page
    assert "Give <mark>Leo</mark>&#39;s teddy" in page
    with client.application.app_context():
        assert db.session.get(Post, post_id).status is PostStatus.DRAFT

    save_post(client, post_id, body=body + "\n\nGive the teddy a hug from me.")
    published = publish(client, post_id)
    assert published.status_code == 302
    with client.application.app_context():
        post = db.session.get(Post, post_id)
        assert post.status is PostStatus.PUBLISHED and post.letter_revision_id is not None


def test_the_checker_reads_the_title_and_tags_too(client, family):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    save_post(client, post_id, title="For ANNA", tags="berg family")
    page = text(publish(client, post_id))
    assert "For <mark>ANNA</mark>" in page and "<mark>berg</mark> family" in page


def test_withdrawing_consent_in_the_portal_takes_the_post_off_the_blog_at_once(
    client, family, browser
):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    assert publish(client, post_id).status_code == 302
    browser.logout()

    browser.login("anna.berg@example.com", PASSWORD)
    page = text(client.get(f"/portal/letters/{family['letter']}"))
    assert "You agreed" in page and "It is shared on the blog now." in page
    withdrawn = post_form(
        client,
        f"/portal/letters/{family['letter']}/consent/withdraw",
        {"note": "I would rather keep it private now."},
        page=f"/portal/letters/{family['letter']}",
    )
    assert withdrawn.status_code == 302
    assert "Consent withdrawn" in text(client.get(withdrawn.location))
    with client.application.app_context():
        post = db.session.get(Post, post_id)
        assert post.status is PostStatus.UNPUBLISHED
        assert post.unpublished_reason == "The client withdrew consent."
        consent = db.session.scalar(select(PublicationConsent))
        assert consent.withdrawn_at is not None
        assert consent.withdrawal_note == "I would rather keep it private now."

    browser.logout()
    browser.login("coach@example.com", PASSWORD)
    refused = publish(client, post_id)
    assert refused.status_code == 409 and "consent" in text(refused)


def test_the_client_gives_consent_in_the_portal_by_ticking_the_box(client, family, browser):
    browser.logout()
    browser.login("anna.berg@example.com", PASSWORD)
    path = f"/portal/letters/{family['letter']}"
    unticked = post_form(client, f"{path}/consent", {}, page=path)
    assert unticked.status_code == 422 and "Tick the box to say you agree." in text(unticked)
    agreed = post_form(client, f"{path}/consent", {"agree": "y"}, page=path)
    assert agreed.status_code == 302
    assert "You agreed" in text(client.get(path))
    with client.application.app_context():
        consent = db.session.scalar(select(PublicationConsent))
        assert (
            consent.method.value == "portal"
            and consent.recorded_by.email == "anna.berg@example.com"
        )


def test_a_client_cannot_consent_for_another_familys_letter(client, family, app, browser):
    with app.app_context():
        other = make_client(db.session.get(User, family["coach"]), "Daniel", last_name="Osei")
        make_client_login(other)
        other_letter = sent_letter(other, body="Dear Daniel, thank you.").id
    browser.logout()
    browser.login("anna.berg@example.com", PASSWORD)
    token = csrf_token_from(text(client.get(f"/portal/letters/{family['letter']}")))
    response = client.post(
        f"/portal/letters/{other_letter}/consent", data={"csrf_token": token, "agree": "y"}
    )
    assert response.status_code == 404


def test_another_coach_cannot_see_or_publish_my_posts(client, family, app, browser):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    browser.logout()
    with app.app_context():
        make_coach("other@example.com", "Other Coach")
    browser.login("other@example.com", PASSWORD)
    assert client.get(f"/posts/{post_id}/edit").status_code == 404
    assert client.get(f"/posts/from-letter/{family['letter']}").status_code == 404
    token = csrf_token_from(text(client.get("/posts/")))
    for action in ("publish", "unpublish", "delete"):
        response = client.post(f"/posts/{post_id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404


def test_a_post_can_be_scheduled_and_appears_when_its_time_comes(client, family, app):
    response = post_form(
        client,
        "/posts/new",
        {
            "title": "Day 1: Noticing",
            "body": "Notice one thing.",
            "category_id": "0",
            "series_id": "0",
        },
    )
    post_id = int(re.search(r"/posts/(\d+)/edit", response.location).group(1))
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    scheduled = publish(client, post_id, when="later", publish_date=tomorrow, publish_time="09:00")
    assert scheduled.status_code == 302
    assert client.get("/blog/day-1-noticing").status_code == 404
    with app.app_context():
        post = db.session.get(Post, post_id)
        assert post.status is PostStatus.SCHEDULED
        post.publish_at = datetime.now(UTC) - timedelta(minutes=1)  # time passes
        db.session.commit()
    assert client.get("/blog/day-1-noticing").status_code == 200


def test_scheduling_without_a_date_is_refused(client, family):
    response = post_form(
        client,
        "/posts/new",
        {"title": "Later", "body": "Words.", "category_id": "0", "series_id": "0"},
    )
    post_id = int(re.search(r"/posts/(\d+)/edit", response.location).group(1))
    refused = publish(client, post_id, when="later")
    assert refused.status_code == 422 and "Choose the day the post should appear." in text(refused)


def test_a_slug_clash_gets_a_unique_slug(client, family):
    ids = []
    for _ in range(2):
        response = post_form(
            client,
            "/posts/new",
            {
                "title": "Letting go",
                "slug": "letting-go",
                "body": "Words.",
                "category_id": "0",
                "series_id": "0",
            },
        )
        ids.append(int(re.search(r"/posts/(\d+)/edit", response.location).group(1)))
    with client.application.app_context():
        assert [db.session.get(Post, post_id).slug for post_id in ids] == [
            "letting-go",
            "letting-go-2",
        ]


def test_a_post_without_a_title_is_refused_and_the_text_is_kept(client, family):
    response = post_form(
        client,
        "/posts/new",
        {"title": "", "body": "Every word I typed.", "category_id": "0", "series_id": "0"},
    )
    assert response.status_code == 422
    assert "Give the post a title." in text(response) and "Every word I typed." in text(response)


def test_a_public_post_is_not_saved_with_a_name_in_it(client, family):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    publish(client, post_id)
    response = save_post(client, post_id, excerpt="A letter to Anna.")
    assert response.status_code == 422
    assert "were not saved" in text(response) and "A letter to Anna." in text(response)
    with client.application.app_context():
        assert db.session.get(Post, post_id).excerpt == ""


def test_extra_identifying_words_are_removed_and_remembered_for_the_client(client, family, app):
    with app.app_context():
        anna = db.session.get(Letter, family["letter"]).client
        letter_id = sent_letter(anna, body=LETTER + "\n\nSee you at Riverside Primary.").id
    record_consent(client, letter_id)
    post_id = make_post_from_letter(
        client,
        letter_id,
        identifying_words="Riverside Primary",
        other_term_replacement="the school",
    )
    with app.app_context():
        assert "See you at the school." in db.session.get(Post, post_id).body
    again = text(client.get(f"/posts/from-letter/{letter_id}"))
    assert "Riverside Primary</textarea>" in again and 'value="the school"' in again


def test_a_child_added_after_consent_is_still_caught(client, family, app):
    record_consent(client, family["letter"])
    post_id = make_post_from_letter(client, family["letter"])
    with app.app_context():
        db.session.add(Child(client_id=family["client"], first_name="Tomas"))
        post = db.session.get(Post, post_id)
        post.body += "\n\nAnd Tomas, too."
        db.session.commit()
    assert "“Tomas”" in text(publish(client, post_id))


def new_post_id(client, **fields) -> int:
    data = {"title": "Letting go", "body": "Words.", "category_id": "0", "series_id": "0", **fields}
    response = post_form(client, "/posts/new", data)
    assert response.status_code == 302, text(response)
    return int(re.search(r"/posts/(\d+)/edit", response.location).group(1))


def png_bytes() -> bytes:
    from PIL import Image

    output = BytesIO()
    Image.new("RGB", (40, 30), "#9c4f36").save(output, "PNG")
    return output.getvalue()


def test_categories_and_series_are_added_used_and_removed_without_losing_posts(client, family):
    post_form(
        client, "/posts/categories", {"category-name": "Personal development"}, page="/posts/groups"
    )
    post_form(
        client,
        "/posts/series",
        {"series-title": "30 day challenge", "series-planned_parts": "30"},
        page="/posts/groups",
    )
    groups = text(client.get("/posts/groups"))
    assert "Personal development" in groups and "30 day challenge" in groups
    with client.application.app_context():
        from coachapp.blog.models import Category, Series

        category_id = db.session.scalar(select(Category.id))
        series_id = db.session.scalar(select(Series.id))
    post_id = new_post_id(
        client,
        title="Day 7",
        category_id=str(category_id),
        series_id=str(series_id),
        series_position="7",
    )
    publish(client, post_id)
    assert "Day 7 of 30" in text(client.get("/blog/day-7"))

    post_form(client, f"/posts/categories/{category_id}/delete", {}, page="/posts/groups")
    with client.application.app_context():
        post = db.session.get(Post, post_id)
        assert post is not None and post.category_id is None and post.series_id == series_id


def test_a_series_part_needs_its_number(client, family):
    post_form(client, "/posts/series", {"series-title": "Challenge"}, page="/posts/groups")
    with client.application.app_context():
        from coachapp.blog.models import Series

        series_id = db.session.scalar(select(Series.id))
    response = post_form(
        client,
        "/posts/new",
        {"title": "Part", "body": "Typed words.", "category_id": "0", "series_id": str(series_id)},
    )
    assert response.status_code == 422
    assert "Say which part of the series" in text(response) and "Typed words." in text(response)


def test_a_cover_image_is_uploaded_and_shown_on_the_published_post(client, family):
    post_id = new_post_id(client)
    page = text(client.get(f"/posts/{post_id}/edit"))
    response = client.post(
        f"/posts/{post_id}/edit",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "Letting go",
            "slug": "letting-go",
            "body": "Words.",
            "category_id": "0",
            "series_id": "0",
            "cover_image_alt": "A quiet harbour",
            "cover_image": (BytesIO(png_bytes()), "c.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    publish(client, post_id)
    cover = client.get(f"/blog/posts/{post_id}/cover")
    assert cover.status_code == 200 and cover.data.startswith(b"\x89PNG")
    assert 'alt="A quiet harbour"' in text(client.get("/blog/letting-go"))


def test_a_file_that_is_not_an_image_is_refused_as_a_cover(client, family):
    post_id = new_post_id(client)
    page = text(client.get(f"/posts/{post_id}/edit"))
    response = client.post(
        f"/posts/{post_id}/edit",
        data={
            "csrf_token": csrf_token_from(page),
            "title": "Letting go",
            "body": "Kept words.",
            "category_id": "0",
            "series_id": "0",
            "cover_image": (BytesIO(b"<svg onload=alert(1)>"), "c.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "could not be read as an image" in text(response) and "Kept words." in text(response)


def test_unpublishing_and_deleting_take_a_post_off_the_blog(client, family):
    post_id = new_post_id(client)
    publish(client, post_id)
    assert client.get("/blog/letting-go").status_code == 200
    post_form(client, f"/posts/{post_id}/unpublish", {}, page=f"/posts/{post_id}/edit")
    assert client.get("/blog/letting-go").status_code == 404
    assert "You unpublished it." in text(client.get("/posts/?status=unpublished"))
    assert "cannot be undone" in text(client.get(f"/posts/{post_id}/delete"))
    deleted = post_form(client, f"/posts/{post_id}/delete", {})
    assert deleted.status_code == 302
    with client.application.app_context():
        assert db.session.get(Post, post_id) is None


def test_the_author_profile_is_saved_and_shown_to_readers(client, family):
    bad = post_form(
        client,
        "/posts/profile",
        {
            "bio": "A mother of two.",
            "social_links": "Instagram not-a-link",
            "client_name_replacement": "friend",
            "child_name_replacement": "little one",
            "contact_replacement": "[removed]",
            "other_term_replacement": "[removed]",
        },
    )
    assert bad.status_code == 422
    assert "does not end with a web address" in text(bad) and "A mother of two." in text(bad)
    saved = post_form(
        client,
        "/posts/profile",
        {
            "bio": "A mother of two.",
            "social_links": "Instagram https://instagram.com/maya",
            "client_name_replacement": "friend",
            "child_name_replacement": "little one",
            "contact_replacement": "[removed]",
            "other_term_replacement": "[removed]",
        },
    )
    assert saved.status_code == 302
    author_page = text(client.get(f"/blog/authors/{family['coach']}"))
    assert "A mother of two." in author_page and "https://instagram.com/maya" in author_page
    assert 'value="little one"' in text(client.get("/posts/profile"))
