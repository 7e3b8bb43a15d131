"""Deleting a client: their records and portal sign-in go, posts stay only with consent."""


import pytest
from sqlalchemy import func, select, text

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import AccessToken, User
from coachapp.blog.consents import give_consent
from coachapp.blog.models import ConsentMethod, Post, PostStatus
from coachapp.blog.publishing import post_from_letter, publish_post
from coachapp.clients.models import Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db
from coachapp.letters.models import Letter
from coachapp.outbox.models import OutboxMessage
from tests.conftest import Browser
from tests.factories import (
    PASSWORD,
    default_replacements,
    make_client,
    make_client_login,
    make_coach,
    make_coaching_session,
    make_post,
    make_sent_letter,
)

REPLACEMENTS = default_replacements()


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def anna(app, browser) -> dict:
    """Maya (signed in) and her client Anna, who can sign in to the portal, with two posts
    made from her letters: one whose consent stands, one published without a consent
    on record."""
    with app.app_context():
        coach = make_coach()
        anna = make_client(coach, "Anna", last_name="Berg", email="anna.berg@example.com")
        make_client_login(anna)
        make_coaching_session(anna, private_notes="Anna's private worries about Leo.")
        consented = make_sent_letter(anna, body="Dear Anna,\n\nRest is not a reward.\n\nMaya")
        give_consent(consented, coach, ConsentMethod.EMAIL, "Said yes on 3 March.")
        kept = post_from_letter(consented, coach, REPLACEMENTS)
        kept.title = "Rest is not a reward"
        publish_post(kept)
        unconsented = make_sent_letter(anna, body="Dear Anna,\n\nSmall steps count.\n\nMaya")
        revision = unconsented.revisions[-1]
        offline = make_post(
            coach,
            title="Small steps count",
            from_letter=True,
            letter_id=unconsented.id,
            letter_revision_id=revision.id,
            client_id=anna.id,
        )
        db.session.commit()
        ids = {
            "coach": coach.id,
            "client": anna.id,
            "user": anna.first_adult.user_id,
            "kept": kept.id,
            "kept_slug": kept.slug,
            "offline": offline.id,
            "offline_slug": offline.slug,
        }
    browser.login("coach@example.com", PASSWORD)
    return ids


def delete(client, client_id: int):
    return client.post(f"/clients/{client_id}/delete", follow_redirects=True)


def test_the_confirmation_page_says_what_happens_to_posts_and_the_portal_sign_in(client, anna):
    page = text_of(client.get(f"/clients/{anna['client']}/delete"))
    assert "Anna Berg, 1 child, 1 coaching session and their notes and action items, 2 letters" in (
        page
    )
    assert "1 published post stays online: the consent for it stands." in page
    assert "1 published post goes offline: no consent stands for it." in page
    assert "Their portal sign-in (anna.berg@example.com)" in page


def test_posts_stay_online_only_where_consent_stands(app, client, anna):
    assert client.get(f"/blog/{anna['kept_slug']}").status_code == 200
    assert client.get(f"/blog/{anna['offline_slug']}").status_code == 200

    page = text_of(delete(client, anna["client"]))
    assert "Anna Berg and everything recorded about them have been deleted." in page
    assert "1 post made from their letters went offline." in page

    kept_page = client.get(f"/blog/{anna['kept_slug']}")
    assert kept_page.status_code == 200 and "Rest is not a reward" in text_of(kept_page)
    assert "Anna" not in text_of(kept_page)
    assert client.get(f"/blog/{anna['offline_slug']}").status_code == 404
    with app.app_context():
        kept = db.session.get(Post, anna["kept"])
        assert kept.status is PostStatus.PUBLISHED and kept.from_letter
        assert (kept.letter_id, kept.letter_revision_id, kept.client_id) == (None, None, None)
        offline = db.session.get(Post, anna["offline"])
        assert offline.status is PostStatus.UNPUBLISHED and offline.client_id is None
        assert "client was deleted" in offline.unpublished_reason

    # The coach cannot put the unconsented post back online.
    refused = client.post(f"/posts/{anna['offline']}/publish", data={"when": "now"})
    assert refused.status_code == 409 and "consent" in text_of(refused)


def test_the_deleted_client_can_no_longer_sign_in(app, client, anna):
    portal = app.test_client()
    assert Browser(portal).login("anna.berg@example.com", PASSWORD).status_code == 302
    assert portal.get("/portal/").status_code == 200

    delete(client, anna["client"])
    assert portal.get("/portal/").headers["Location"].startswith("/login")  # signed out
    refused = Browser(portal).login("anna.berg@example.com", PASSWORD)
    assert refused.status_code == 400 and "/portal" not in refused.headers.get("Location", "")
    with app.app_context():
        assert db.session.get(User, anna["user"]) is None


def test_an_invited_clients_sign_in_link_and_invitation_go_with_them(app, client, anna):
    with app.app_context():
        coach = db.session.get(User, anna["coach"])
        daniel = make_client(coach, "Daniel", last_name="Osei")
        daniel_id, adult_id = daniel.id, daniel.first_adult.id
    assert client.post(f"/clients/{daniel_id}/adults/{adult_id}/invite").status_code == 302
    with app.app_context():
        daniel = db.session.get(Client, daniel_id)
        login_id = daniel.first_adult.user_id
        assert db.session.scalar(select(func.count(AccessToken.id))) == 1
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1

    delete(client, daniel_id)
    with app.app_context():
        assert db.session.get(User, login_id) is None
        assert db.session.scalar(select(func.count(AccessToken.id))) == 0
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
        assert db.session.get(User, anna["user"]) is not None  # another client's stays


def test_nothing_refers_to_the_deleted_client_or_their_sign_in(app, client, anna, backend):
    with app.app_context():
        session_ids = db.session.scalars(
            select(CoachingSession.id).where(CoachingSession.client_id == anna["client"])
        ).all()
    delete(client, anna["client"])
    with app.app_context():
        gone = {"clients": anna["client"], "users": anna["user"]}
        for table in db.metadata.tables.values():
            for column in table.columns:
                for key in column.foreign_keys:
                    target = key.column.table.name
                    if target in gone:
                        count = db.session.scalar(
                            select(func.count()).select_from(table).where(column == gone[target])
                        )
                        assert count == 0, f"{table.name}.{column.name} still refers to it"
        assert db.session.scalar(select(func.count(Letter.id))) == 0
        index_key = "rowid" if backend == "sqlite" else "coaching_session_id"
        left = db.session.scalar(
            text(f"SELECT count(*) FROM coaching_session_search WHERE {index_key} = :id"),
            {"id": session_ids[0]},
        )
        assert left == 0
        if backend == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []


def test_the_audit_log_keeps_the_deletion_without_the_name(app, client, anna):
    delete(client, anna["client"])
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CLIENT_DELETED.value)
        )
        assert event.client_id == anna["client"] and event.actor_id == anna["coach"]
        assert "taken offline: 1" in event.detail
        assert "Anna" not in event.detail and "Berg" not in event.detail
