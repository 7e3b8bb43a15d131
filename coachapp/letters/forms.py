"""Forms for letter templates, starting a letter, the letter editor and approval."""

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from coachapp.coaching.forms import CheckboxListField
from coachapp.ids import id_choice
from coachapp.letters.merge import OUTPUT_MAX_CHARS, MergeError, check_template
from coachapp.letters.services import SUBJECT_MAX_CHARS

# About 15,000 words: far beyond a two-page letter, and as long as a template may fill in.
LETTER_MAX_CHARS = OUTPUT_MAX_CHARS


def valid_template(_form, field) -> None:
    """Refuse a subject or body a letter template may not contain, saying why and where."""
    try:
        check_template(field.data or "")
    except MergeError as error:
        raise ValidationError(str(error)) from None


class LetterTemplateForm(FlaskForm):
    """A coach's letter template: Markdown with merge fields."""

    name = StringField("Name", validators=[DataRequired("Name the template."), Length(max=120)])
    subject = StringField(
        "Subject", validators=[Length(max=SUBJECT_MAX_CHARS), valid_template]
    )
    body = TextAreaField(
        "Letter",
        validators=[DataRequired("Write the letter the template starts with."), valid_template],
        render_kw={"rows": 24, "spellcheck": "true"},
    )
    save = SubmitField("Save template")
    try_example = SubmitField("Try it with the example client")


class AddresseesMixin:
    """“To”: the adults of a family of several whom the letter is written to.

    Offered (choices set, ``addressees_shown`` posted) for a family of several adults only.
    """

    addressees_shown = HiddenField()
    # No Optional(): it would stop validate_addressees from asking for at least one.
    addressees = CheckboxListField("To", coerce=id_choice, choices=[])

    def validate_addressees(self, field) -> None:
        if self.addressees_offered and not field.data:
            raise ValidationError("Tick whom the letter is to: at least one adult.")

    @property
    def addressees_offered(self) -> bool:
        return bool(self.addressees.choices) and self.addressees_shown.data == "1"


class NewLetterForm(AddresseesMixin, FlaskForm):
    """What a new letter starts from: a template or a blank page, the session it follows and
    (in a family of several adults) whom it is to."""

    coaching_session_id = SelectField("The session it follows", coerce=id_choice)
    template = RadioField(
        "Start from", validators=[DataRequired("Choose a template or a blank letter.")]
    )
    start = SubmitField("Start writing")


class LetterForm(AddresseesMixin, FlaskForm):
    """The letter editor; ``version`` is the version of the letter the editor was opened on."""

    subject = StringField("Subject", validators=[Length(max=SUBJECT_MAX_CHARS)])
    body = TextAreaField(
        "Letter",
        validators=[Length(max=LETTER_MAX_CHARS)],
        render_kw={"rows": 26, "spellcheck": "true"},
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    save = SubmitField("Save")
    save_and_close = SubmitField("Save and close")
    preview = SubmitField("Preview")


class ApproveForm(FlaskForm):
    """Approve the letter as it was shown (``version``)."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SendLetterForm(FlaskForm):
    """The coach's personal message to go with the letter's PDF."""

    personal_message = TextAreaField(
        "Personal message",
        validators=[Length(max=5000)],
        render_kw={"rows": 5},
    )
