"""A letter written jointly to Sofia and Marc is shared on the blog only while both agree:
the coach records one addressee's consent, each gives or withdraws their own in the portal,
and any one of them withdrawing takes the post offline."""

import io
import json
import re
import subprocess
import zipfile

import pytest
from sqlalchemy import select, text

from coachapp.auth.models import User
from coachapp.blog.consents import give_consent
from coachapp.blog.models import ConsentMethod, Post, PostStatus, PublicationConsent
from coachapp.blog.publishing import check_post, post_from_letter
from coachapp.clients.models import Adult, Client
from coachapp.clients.services import remove_adult
from coachapp.extensions import db
from coachapp.letters.models import Letter
from tests.conftest import Browser, csrf_token_from, make_test_app, page_text
from tests.factories import (
    PASSWORD,
    add_family_adult,
    default_replacements,
    make_client,
    make_client_login,
    make_sent_letter,
)
from tests.migration_rows import upgrade_family_from
from tests.test_standards import VNU_JAR, why_checker_unavailable

JOINT_LETTER = """Dear Sofia and Marc,

Thank you both for Tuesday. Lena's bedtime has been hard on the two of you.

Sofia, you can reach me from sofia@example.com or on 07700 900 111; Marc, from
marc@example.com or on 07700 900 222.

With warmth,

Maya"""

MISSING_MARC = (
    "Publishing needs the consent of everyone the letter is written to: "
    "Marc Duval has not agreed yet."
)


@pytest.fixture
def family(app, coach_id) -> dict:
    """Maya (signed in); Sofia Marin and Marc Duval, both with a portal sign-in, their
    daughter Lena, and a letter sent to both of them."""
    with app.app_context():
        sofia_family = make_client(db.session.get(User, coach_id), phone="07700 900 111")
        marc = add_family_adult(sofia_family, phone="07700 900 222")
        sofia = sofia_family.first_adult
        make_client_login(sofia_family)
        make_client_login(sofia_family, adult=marc)
        joint = make_sent_letter(
            sofia_family, body=JOINT_LETTER, subject="After our talk", addressees=[sofia, marc]
        )
        return {
            "coach": coach_id, "client": sofia_family.id, "sofia": sofia.id, "marc": marc.id,
            "letter": joint.id,
        }


def sign_in(client, email: str) -> None:
    browser = Browser(client)
    browser.logout()
    assert browser.login(email, PASSWORD).status_code == 302


def post_form(client, path: str, data: dict, page: str):
    """Submit a form with the CSRF token of the page it is on."""
    token = csrf_token_from(page_text(client.get(page)))
    return client.post(path, data={"csrf_token": token, **data})


def record_consent(client, letter_id: int, adult_id: int | None, note: str = "Said yes."):
    data = {"method": "email", "note": note}
    if adult_id is not None:
        data["adult_id"] = str(adult_id)
    return post_form(client, f"/letters/{letter_id}/consent", data, f"/letters/{letter_id}")


def portal_consent(client, letter_id: int, withdraw: bool = False):
    path = f"/portal/letters/{letter_id}"
    if withdraw:
        return post_form(client, f"{path}/consent/withdraw", {"note": ""}, path)
    return post_form(client, f"{path}/consent", {"agree": "y"}, path)


def make_post(client, letter_id: int):
    data = {
        "client_name_replacement": "my dear friend",
        "child_name_replacement": "your little one",
        "contact_replacement": "[removed]",
        "other_term_replacement": "[removed]",
        "identifying_words": "",
    }
    path = f"/posts/from-letter/{letter_id}"
    return post_form(client, path, data, path)


def publish(client, post_id: int):
    path = f"/posts/{post_id}/publish"
    return post_form(client, path, {"when": "now"}, f"/posts/{post_id}/edit")


def sharing_section(page: str) -> str:
    """The text of the page's "sharing" panel."""
    section = re.search(r'<section[^>]*id="sharing".*?</section>', page, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", section).split())


def test_a_joint_letter_is_published_once_both_agree_and_goes_offline_when_one_withdraws(
    app, client, family
):
    letter_id = family["letter"]
    panel = sharing_section(page_text(client.get(f"/letters/{letter_id}")))
    assert "Sofia Marin : Not yet" in panel and "Marc Duval : Not yet" in panel
    assert "Who agreed?" in panel

    # The coach records Sofia's consent, given by e-mail; Marc has not agreed.
    assert record_consent(client, letter_id, family["sofia"]).status_code == 302
    panel = sharing_section(page_text(client.get(f"/letters/{letter_id}")))
    assert "Sofia Marin : Agreed by e-mail" in panel and "Marc Duval : Not yet" in panel
    assert MISSING_MARC in panel and "Publish as a post" not in panel
    assert MISSING_MARC in page_text(client.get(f"/posts/from-letter/{letter_id}"))
    refused = make_post(client, letter_id)
    assert refused.status_code == 200 and MISSING_MARC in page_text(refused)
    with app.app_context():
        assert db.session.scalar(select(Post)) is None

    # Marc agrees in his portal, where he sees that Sofia already has.
    sign_in(client, "marc@example.com")
    portal = sharing_section(page_text(client.get(f"/portal/letters/{letter_id}")))
    assert "Sofia Marin: agreed on" in portal and "I agree" in portal
    assert portal_consent(client, letter_id).status_code == 302
    assert "You agreed" in page_text(client.get(f"/portal/letters/{letter_id}"))

    # Now the coach makes the post and publishes it.
    sign_in(client, "coach@example.com")
    made = make_post(client, letter_id)
    assert made.status_code == 302
    post_id = int(re.search(r"/posts/(\d+)/edit", made.location).group(1))
    assert publish(client, post_id).status_code == 302
    with app.app_context():
        slug = db.session.get(Post, post_id).slug
    assert client.get(f"/blog/{slug}").status_code == 200
    assert f"/blog/{slug}" in page_text(client.get("/blog/feed.atom"))

    # Sofia withdraws in her portal: the post is offline at once, and stays so.
    sign_in(client, "sofia@example.com")
    assert portal_consent(client, letter_id, withdraw=True).status_code == 302
    assert client.get(f"/blog/{slug}").status_code == 404
    assert f"/blog/{slug}" not in page_text(client.get("/blog/feed.atom"))
    with app.app_context():
        assert db.session.get(Post, post_id).status is PostStatus.UNPUBLISHED
        standing = db.session.scalars(
            select(PublicationConsent).where(PublicationConsent.withdrawn_at.is_(None))
        ).all()
        assert [consent.adult_id for consent in standing] == [family["marc"]]

    sign_in(client, "coach@example.com")
    again = publish(client, post_id)
    assert again.status_code == 409
    assert (
        "Publishing needs the consent of everyone the letter is written to: "
        "Sofia Marin withdrew their consent." in page_text(again)
    )
    assert "Sofia Marin withdrew their consent" in page_text(client.get(f"/posts/{post_id}/edit"))
    panel = sharing_section(page_text(client.get(f"/letters/{letter_id}")))
    assert "Sofia Marin : Withdrew on" in panel and "Marc Duval : Agreed in the portal" in panel


def test_the_coach_withdraws_one_addressees_consent_with_the_form_as_shown(app, client, family):
    record_consent(client, family["letter"], family["sofia"])
    record_consent(client, family["letter"], family["marc"])
    app.config["WTF_CSRF_ENABLED"] = True
    page = page_text(client.get(f"/letters/{family['letter']}"))
    form = re.search(r'<form[^>]*action="[^"]*/consent/withdraw".*?</form>', page, re.S)[0]
    token = re.search(r'name="withdraw-csrf_token"[^>]*value="([^"]+)"', form)[1]
    assert 'name="withdraw-adult_id"' in form and "Who no longer agrees?" in form
    response = client.post(
        f"/letters/{family['letter']}/consent/withdraw",
        data={"withdraw-csrf_token": token, "withdraw-adult_id": str(family["marc"]),
              "withdraw-note": "Phoned: no longer happy."},
    )  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        marcs = db.session.scalar(
            select(PublicationConsent).where(PublicationConsent.adult_id == family["marc"])
        )
        assert marcs.withdrawn_at is not None
        assert marcs.withdrawal_note == "Phoned: no longer happy."


def test_kept_apart_an_adult_sees_only_their_own_consent(app, client, family):
    record_consent(client, family["letter"], family["sofia"])
    with app.app_context():
        db.session.get(Client, family["client"]).keep_apart = True
        db.session.commit()

    sign_in(client, "marc@example.com")
    portal = sharing_section(page_text(client.get(f"/portal/letters/{family['letter']}")))
    assert "shared only when everyone it is written to agrees" in portal
    assert "Sofia" not in portal and "agreed on" not in portal
    assert "I agree" in portal

    # Sofia has agreed too, but nothing Marc reads says so.
    agreed = portal_consent(client, family["letter"])
    page = page_text(client.get(agreed.location))
    assert "once everyone it is written to agrees" in page
    portal = sharing_section(page)
    assert "You agreed on" in portal and "Sofia" not in portal


def test_kept_apart_who_has_seen_my_records_never_says_whether_the_other_agreed(
    app, client, family
):
    record_consent(client, family["letter"], family["sofia"])
    sign_in(client, "marc@example.com")
    together = page_text(client.get("/portal/activity"))
    assert "Recorded consent to share a letter on the blog" in together

    with app.app_context():
        db.session.get(Client, family["client"]).keep_apart = True
        db.session.commit()
    apart = page_text(client.get("/portal/activity"))
    assert "Recorded consent to share a letter on the blog" not in apart
    portal_consent(client, family["letter"])  # his own consent is his to see
    own = page_text(client.get("/portal/activity"))
    assert own.count("Recorded consent to share a letter on the blog") == 1


def test_a_letter_to_sofia_alone_asks_no_one_whose_consent_it_is(app, client, family):
    with app.app_context():
        sofia_family = db.session.get(Client, family["client"])
        alone = make_sent_letter(sofia_family, body="Dear Sofia,\n\nRest.\n\nMaya").id
    panel = sharing_section(page_text(client.get(f"/letters/{alone}")))
    assert "Who agreed?" not in panel and "Not yet" not in panel and "Marc Duval" not in panel
    assert "Sofia Marin has not agreed to this letter being shared" in panel
    assert record_consent(client, alone, None).status_code == 302
    assert "Consent given" in page_text(client.get(f"/letters/{alone}"))
    with app.app_context():
        consent = db.session.scalar(select(PublicationConsent))
        assert consent.adult_id == family["sofia"]


def test_the_coach_must_say_whose_consent_it_is_and_the_note_is_kept(app, client, family):
    response = record_consent(client, family["letter"], None, note="Phoned on Monday.")
    assert response.status_code == 422
    page = page_text(response)
    assert "Say who agreed." in page and "Phoned on Monday." in page
    with app.app_context():
        assert db.session.scalar(select(PublicationConsent)) is None


def test_another_familys_adult_cannot_be_named_in_the_consent_forms(app, client, family):
    with app.app_context():
        coach = db.session.get(User, family["coach"])
        stranger = make_client(coach, "Daniel", last_name="Osei").first_adult.id
    assert record_consent(client, family["letter"], stranger).status_code == 404
    record_consent(client, family["letter"], family["sofia"])
    withdrawn = post_form(
        client,
        f"/letters/{family['letter']}/consent/withdraw",
        {"withdraw-adult_id": str(stranger), "withdraw-note": ""},
        f"/letters/{family['letter']}",
    )
    assert withdrawn.status_code == 404
    with app.app_context():
        [consent] = db.session.scalars(select(PublicationConsent)).all()
        assert consent.adult_id == family["sofia"] and consent.withdrawn_at is None


def test_once_marc_leaves_the_family_sofias_consent_alone_decides(app, client, family):
    record_consent(client, family["letter"], family["marc"])
    with app.app_context():
        remove_adult(db.session.get(Adult, family["marc"]))
        db.session.commit()
    panel = sharing_section(page_text(client.get(f"/letters/{family['letter']}")))
    assert "Consent of a former member of the family, given by e-mail" in panel
    assert "Publish as a post" not in panel

    record_consent(client, family["letter"], None)
    assert make_post(client, family["letter"]).status_code == 302


def test_a_joint_letter_loses_both_adults_names_contacts_and_the_childs_name(app, family):
    with app.app_context():
        letter = db.session.get(Letter, family["letter"])
        coach = db.session.get(User, family["coach"])
        for adult in letter.addressees:
            give_consent(letter, coach, ConsentMethod.EMAIL, "Yes.", adult=adult)
        post = post_from_letter(letter, coach, default_replacements())
        for term in ("Sofia", "Marc", "Marin", "Duval", "Lena", "sofia@example.com",
                     "marc@example.com", "07700 900 111", "07700 900 222"):
            assert term not in post.body
        assert check_post(post).clean
        found = check_post(post, {"body": post.body + "\n\nLove to Lena, from Marc Duval, "
                                  "07700 900 222."}).found
        assert found == ["Lena", "Marc Duval", "07700 900 222"]


def test_the_export_says_whose_each_consent_is(app, client, family, renders):
    record_consent(client, family["letter"], family["marc"])
    page = page_text(client.get(f"/clients/{family['client']}"))
    response = client.post(
        f"/clients/{family['client']}/export", data={"csrf_token": csrf_token_from(page)}
    )
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("client.json"))
    [consent] = data["consents"]
    assert consent["adult_id"] == family["marc"] and consent["adult_name"] == "Marc Duval"


def test_the_migration_gives_existing_consents_the_letters_first_addressee(
    empty_database_url, tmp_path
):
    app = make_test_app(tmp_path, empty_database_url)
    with app.app_context():
        upgrade_family_from(app, "c3e9a7d25f14", [
            "INSERT INTO letters (id, coach_id, client_id, subject, body, status, version, "
            "created_at, updated_at) VALUES (1, 1, 1, '', '', 'sent', 1, :now, :now), "
            "(2, 1, 1, '', '', 'sent', 1, :now, :now), (3, 1, 1, '', '', 'sent', 1, :now, :now)",
            # Letter 1 is to Marc alone, letter 2 to both, letter 3 (older) names no one.
            "INSERT INTO letter_addressees (letter_id, adult_id) VALUES (1, 2), (2, 2), (2, 1)",
            "INSERT INTO letter_revisions (id, letter_id, number, subject, body, reason, "
            "created_at) VALUES (1, 1, 1, '', '', 'approve', :now), "
            "(2, 2, 1, '', '', 'approve', :now), (3, 3, 1, '', '', 'approve', :now)",
            "INSERT INTO publication_consents (id, client_id, letter_id, letter_revision_id, "
            "method, note, given_at, withdrawal_note) VALUES "
            "(1, 1, 1, 1, 'email', '', :now, ''), (2, 1, 2, 2, 'email', '', :now, ''), "
            "(3, 1, 3, 3, 'email', '', :now, '')",
        ])

        owners = db.session.execute(
            text("SELECT id, adult_id FROM publication_consents ORDER BY id")
        ).all()
        assert [tuple(row) for row in owners] == [(1, 2), (2, 1), (3, 1)]
        db.session.commit()
        db.engine.dispose()


def test_the_pages_of_a_joint_letters_consent_are_valid_html(app, client, family, tmp_path):
    reason = why_checker_unavailable()
    if reason:
        pytest.skip(reason)
    letter_id = family["letter"]
    record_consent(client, letter_id, family["sofia"])
    pages = {
        "letter": page_text(client.get(f"/letters/{letter_id}")),
        "letter-with-errors": page_text(record_consent(client, letter_id, None, note="")),
        "from-letter-refused": page_text(client.get(f"/posts/from-letter/{letter_id}")),
    }
    sign_in(client, "marc@example.com")
    pages["portal"] = page_text(client.get(f"/portal/letters/{letter_id}"))
    portal_consent(client, letter_id)
    sign_in(client, "coach@example.com")
    post_id = int(re.search(r"/posts/(\d+)/edit", make_post(client, letter_id).location)[1])
    sign_in(client, "sofia@example.com")
    portal_consent(client, letter_id, withdraw=True)
    pages["portal-withdrawn"] = page_text(client.get(f"/portal/letters/{letter_id}"))
    sign_in(client, "coach@example.com")
    pages["letter-withdrawn"] = page_text(client.get(f"/letters/{letter_id}"))
    pages["post-refused"] = page_text(client.get(f"/posts/{post_id}/edit"))
    for name, page in pages.items():
        (tmp_path / f"{name}.html").write_text(page)
    checked = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
         "--exit-zero-always", *sorted(str(path) for path in tmp_path.glob("*.html"))],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    errors = [
        f"{message.get('url', '?').rsplit('/', 1)[-1]}: {message['message']}"
        for message in json.loads(checked.stdout)["messages"]
    ]
    assert errors == [], "\n".join(errors)
