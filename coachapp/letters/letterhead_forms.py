"""The letterhead settings form: names, contact details, images, colour and paper."""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.fields import ColorField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from coachapp.formfields import optional_email_field, phone_field, strip
from coachapp.letters.letterhead import (
    HEX_COLOUR,
    IMAGE_KINDS,
    PAPER_SIZES,
    ImageRejected,
    LetterheadChanges,
    PreparedImage,
    prepare_image,
    web_url,
)
from coachapp.letters.models import Letterhead

MAX_SOCIAL_LINKS = 8
TEXT_FIELDS = (
    "display_name", "practice_name", "address", "email", "phone", "website",
    "social_links", "signature_text", "accent_colour", "paper_size",
)


class LetterheadForm(FlaskForm):
    """How the coach's letters look at the top, at the foot and where they sign."""

    display_name = StringField(
        "Your name as it appears on letters",
        filters=[strip],
        validators=[DataRequired("Enter the name your letters come from."), Length(max=120)],
    )
    practice_name = StringField("Practice name", filters=[strip], validators=[Length(max=120)])
    address = TextAreaField(
        "Address", filters=[strip], validators=[Length(max=500)], render_kw={"rows": 3}
    )
    email = optional_email_field()
    phone = phone_field()
    website = StringField("Website", filters=[strip], validators=[Length(max=200)])
    social_links = TextAreaField(
        "Social links",
        filters=[strip],
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    logo = FileField("Logo")
    remove_logo = BooleanField("Remove the logo")
    signature = FileField("Signature image")
    remove_signature = BooleanField("Remove the signature image")
    signature_text = StringField(
        "Typed signature", filters=[strip], validators=[Length(max=120)]
    )
    accent_colour = ColorField(
        "Accent colour",
        filters=[strip],
        validators=[Regexp(HEX_COLOUR.pattern + "$", message="Choose a colour such as #9c4f36.")],
    )
    paper_size = RadioField(
        "Paper size",
        choices=[SelectChoice(value, label) for value, label in PAPER_SIZES.items()],
        default="A4",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared_images: dict[str, PreparedImage] = {}

    def validate_website(self, field) -> None:
        if field.data and web_url(field.data) is None:
            raise ValidationError("Enter a web address such as www.example.com.")

    def validate_social_links(self, field) -> None:
        check_social_links(field.data)

    def validate_logo(self, field) -> None:
        self._prepare(field, "logo", "logo")

    def validate_signature(self, field) -> None:
        self._prepare(field, "signature", "signature image")

    def _prepare(self, field, kind: str, what: str) -> None:
        prepared = prepared_upload(field, what)
        if prepared is not None:
            self.prepared_images[kind] = prepared

    def changes(self) -> LetterheadChanges:
        """What the coach submitted, ready for update_letterhead."""
        boxes = (self.remove_logo, self.remove_signature)
        removed = {kind for kind, box in zip(IMAGE_KINDS, boxes, strict=True) if box.data}
        fields = {name: getattr(self, name).data for name in TEXT_FIELDS}
        return LetterheadChanges(fields, dict(self.prepared_images), removed)


def check_social_links(text: str) -> None:
    """One "Label https://…" link per line, at most MAX_SOCIAL_LINKS; else a ValidationError."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_SOCIAL_LINKS:
        raise ValidationError(f"Keep to {MAX_SOCIAL_LINKS} links, one per line.")
    for line in lines:
        if web_url(line.split()[-1]) is None:
            raise ValidationError(
                f"“{line[:60]}” does not end with a web address. Write one link per "
                "line, e.g. Instagram https://instagram.com/yourname"
            )


def prepared_upload(field, what: str) -> PreparedImage | None:
    """The field's uploaded image checked and re-encoded, None if nothing was uploaded."""
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return prepare_image(upload.read(), what)
    except ImageRejected as error:
        raise ValidationError(str(error)) from error


def letterhead_form(letterhead: Letterhead) -> LetterheadForm:
    """What was just posted, else the letterhead's current values."""
    if request.method == "POST":
        return LetterheadForm()
    return LetterheadForm(data={name: getattr(letterhead, name) for name in TEXT_FIELDS})
