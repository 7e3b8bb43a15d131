"""The coach's letterhead: names, contact details, logo and signature, colour and paper."""

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.extensions import db
from coachapp.letters.letterhead import (
    DEFAULT_ACCENT,
    ImageRejected,
    prepare_image,
    safe_accent,
    social_links,
)
from coachapp.letters.models import Letter, Letterhead
from coachapp.letters.rendering import letter_html
from tests.factories import PASSWORD, form_fields, make_client, make_coach, make_letter
from tests.test_pdf import image_count, pdf_text


def text(response) -> str:
    return response.get_data(as_text=True)


def image_bytes(format_: str = "PNG", size=(300, 120), mode="RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, (156, 79, 54) if mode == "RGB" else 0).save(output, format_)
    return output.getvalue()


def settings(client, **overrides) -> dict:
    """What the settings form posts back unchanged, with some fields changed."""
    data = form_fields(text(client.get("/letters/letterhead")), "letterhead-form")
    data.update(overrides)
    return data


def stored_letterhead(app, coach_id: int) -> Letterhead | None:
    with app.app_context():
        letterhead = db.session.scalar(select(Letterhead).where(Letterhead.coach_id == coach_id))
        if letterhead is not None:
            db.session.expunge(letterhead)
        return letterhead


def uploads(app, coach_id: int) -> list[Path]:
    folder = Path(app.instance_path) / "uploads" / "letterheads" / str(coach_id)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_new_coachs_letterhead_starts_from_their_account(client, coach_id):
    page = text(client.get("/letters/letterhead"))

    fields = form_fields(page, "letterhead-form")
    assert fields["display_name"] == "Maya Lindqvist"
    assert fields["email"] == "coach@example.com"
    assert fields["practice_name"]  # the practice the coach was created with
    assert fields["accent_colour"] == DEFAULT_ACCENT
    assert fields["paper_size"] == "A4"


def test_coach_saves_a_letterhead_with_a_logo_and_sees_it_in_the_pdf(app, client, coach_id):
    response = client.post(
        "/letters/letterhead",
        data=settings(
            client,
            display_name="Maya Lindqvist",
            practice_name="Harbour Parent Coaching",
            address="12 Quay Street\nBristol",
            phone="+44 117 496 0123",
            website="www.harbourparents.co.uk",
            social_links="Instagram https://instagram.com/harbourparents",
            signature_text="Maya",
            accent_colour="#336699",
            paper_size="Letter",
            logo=(io.BytesIO(image_bytes()), "my logo.png"),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text(response)

    letterhead = stored_letterhead(app, coach_id)
    assert letterhead.practice_name == "Harbour Parent Coaching"
    assert letterhead.accent_colour == "#336699"
    assert letterhead.paper_size == "Letter"
    [logo] = uploads(app, coach_id)
    assert letterhead.logo_path == f"letterheads/{coach_id}/{logo.name}"
    assert "my logo" not in logo.name and logo.suffix == ".png"  # a random name of ours

    page = text(client.get("/letters/letterhead"))
    image_url = f"/letters/letterhead/images/{logo.name}"
    assert image_url in page
    image = client.get(image_url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "private, no-store"

    with app.app_context():
        letter = make_letter(make_client(db.session.get(User, coach_id)))
        letter_id = letter.id
        assert "#336699" in letter_html(letter)
    document = client.get(f"/letters/{letter_id}/pdf").data
    assert image_count(document) == 1
    assert "Harbour Parent Coaching".upper() in pdf_text(document)


@pytest.mark.parametrize(
    ("upload", "filename", "message"),
    [
        (b"%PDF-1.7 not an image", "logo.png", "could not be read as an image"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.svg",
            "could not be read as an image",
        ),
        (image_bytes("GIF", mode="L"), "logo.gif", "must be a PNG, JPEG or WebP image"),
        # A real PNG padded past the limit (bytes after its end are ignored by viewers).
        (image_bytes() + b"\0" * (2 * 1024 * 1024), "logo.png", "the largest accepted is 2 MB"),
        (image_bytes(size=(6000, 10), mode="L"), "logo.png", "6000 by 10 pixels"),
    ],
    ids=["pdf", "svg", "gif", "oversized", "too-wide"],
)
def test_a_file_that_is_not_an_acceptable_image_is_refused(
    app, client, coach_id, upload, filename, message
):
    response = client.post(
        "/letters/letterhead",
        data=settings(client, practice_name="Typed before the error",
                      logo=(io.BytesIO(upload), filename)),
        content_type="multipart/form-data",
    )

    assert response.status_code == 400  # as every coach form answers a mistake
    page = text(response)
    assert message in page
    assert "choose the image again" in page
    assert 'value="Typed before the error"' in page  # what was typed is still there
    assert stored_letterhead(app, coach_id) is None
    assert uploads(app, coach_id) == []


def test_a_new_logo_replaces_the_old_file_and_remove_takes_it_away(app, client, coach_id):
    def upload(**fields):
        response = client.post("/letters/letterhead", data=settings(client, **fields),
                               content_type="multipart/form-data")
        assert response.status_code == 302, text(response)

    upload(logo=(io.BytesIO(image_bytes()), "first.png"))
    [first] = uploads(app, coach_id)
    upload(logo=(io.BytesIO(image_bytes("JPEG")), "second.jpg"),
           signature=(io.BytesIO(image_bytes("WEBP")), "signature.webp"))
    assert not first.exists()
    letterhead = stored_letterhead(app, coach_id)
    assert letterhead.logo_path.endswith(".jpg")
    assert letterhead.signature_image_path.endswith(".png")  # WebP is kept as PNG
    assert len(uploads(app, coach_id)) == 2

    upload(remove_logo="y")
    letterhead = stored_letterhead(app, coach_id)
    assert letterhead.logo_path is None
    assert letterhead.signature_image_path is not None
    assert [path.suffix for path in uploads(app, coach_id)] == [".png"]


def test_another_coachs_logo_is_not_found(app, client, browser, coach_id):
    client.post("/letters/letterhead", content_type="multipart/form-data",
                data=settings(client, logo=(io.BytesIO(image_bytes()), "logo.png")))
    [logo] = uploads(app, coach_id)
    url = f"/letters/letterhead/images/{logo.name}"
    assert client.get(url).status_code == 200

    with app.app_context():
        make_coach("other@example.com", "Other Coach")
    browser.logout()
    browser.login("other@example.com", PASSWORD)
    assert client.get(url).status_code == 404
    assert client.get("/letters/letterhead/images/..%2F..%2Fcoachapp.sqlite3").status_code == 404

    browser.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_a_colour_that_is_not_hex_is_refused_and_never_reaches_the_css(app, client, coach_id):
    response = client.post(
        "/letters/letterhead", data=settings(client, accent_colour="red; } body { display: none")
    )
    assert response.status_code == 400
    assert "Choose a colour such as #9c4f36." in text(response)
    assert safe_accent("red; } body {") == DEFAULT_ACCENT
    assert safe_accent("#ABCDEF") == "#ABCDEF"

    with app.app_context():
        coach = db.session.get(User, coach_id)
        letter = make_letter(make_client(coach))
        db.session.add(Letterhead(coach_id=coach_id, display_name="M", accent_colour="#12345g"))
        db.session.commit()
        assert "#12345g" not in letter_html(db.session.get(Letter, letter.id))


def test_social_links_and_website_must_be_web_addresses(client, coach_id):
    response = client.post(
        "/letters/letterhead",
        data=settings(client, website="not a site", social_links="Instagram javascript:alert(1)"),
    )
    assert response.status_code == 400
    page = text(response)
    assert "Enter a web address such as www.example.com." in page
    assert "does not end with a web address" in page


def test_social_links_print_as_label_and_readable_link():
    links = social_links("Instagram https://www.instagram.com/maya/\n\nmaya.coach\n")
    assert [(link.label, link.text, link.url) for link in links] == [
        ("Instagram", "instagram.com/maya", "https://www.instagram.com/maya/"),
        ("", "maya.coach", "https://maya.coach"),
    ]


def test_uploaded_photos_are_cleaned_of_their_metadata():
    photo = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "a description with a secret"  # ImageDescription
    Image.new("RGB", (2400, 1200), (10, 20, 30)).save(photo, "JPEG", exif=exif)

    prepared = prepare_image(photo.getvalue(), "logo")

    assert b"a secret" not in prepared.data
    assert Image.open(io.BytesIO(prepared.data)).size == (1200, 600)  # scaled for print
    with pytest.raises(ImageRejected):
        prepare_image(b"", "logo")


def test_a_coach_sees_a_sample_letter_on_their_letterhead(client, coach_id):
    response = client.get("/letters/letterhead/sample.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text_of_pdf = pdf_text(response.data)
    assert "Maya Lindqvist" in text_of_pdf
    assert "Alex Sample" in text_of_pdf
    assert "1 of 1" in text_of_pdf


def test_a_client_cannot_open_the_letterhead_settings(app, client, browser, coach_id):
    from tests.factories import make_client_login

    with app.app_context():
        make_client_login(make_client(db.session.get(User, coach_id)))
    browser.logout()
    browser.login("sofia@example.com", PASSWORD)
    assert client.get("/letters/letterhead").status_code == 404
    assert client.get("/letters/letterhead/sample.pdf").status_code == 404
