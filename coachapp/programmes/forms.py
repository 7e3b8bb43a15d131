"""Forms for writing programmes and enrolling adults in them."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from coachapp.formfields import NUMBER_BOX, WholeNumberField, strip
from coachapp.ids import id_choice_or_none
from coachapp.programmes.models import Rhythm
from coachapp.programmes.services import WEEKDAY_NAMES

PROMPT_MAX_CHARS = 20_000
LONGEST_PROGRAMME = 366


class ProgrammeForm(FlaskForm):
    """A programme's name and what it is for."""

    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired("Give the programme a title."), Length(max=120)],
    )
    description = TextAreaField(
        "What it is for",
        validators=[Length(max=PROMPT_MAX_CHARS)],
        render_kw={"rows": 5},
    )


class PromptForm(FlaskForm):
    """One day's prompt."""

    day = WholeNumberField(
        "Day",
        validators=[
            InputRequired("Give the day its number, from 1."),
            NumberRange(min=1, max=LONGEST_PROGRAMME, message="Use a day from 1 to 366."),
        ],
        **NUMBER_BOX,
    )
    title = StringField(
        "Title",
        filters=[strip],
        validators=[DataRequired("Give the prompt a title."), Length(max=200)],
    )
    body = TextAreaField(
        "Text", validators=[Length(max=PROMPT_MAX_CHARS)], render_kw={"rows": 10}
    )


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes, each with its own label."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EnrolForm(FlaskForm):
    """Who follows the programme, from when, on which days."""

    adult_id = SelectField("Who", coerce=id_choice_or_none, validate_choice=False)
    programme_id = SelectField("Programme", coerce=id_choice_or_none, validate_choice=False)
    start_date = DateField(
        "First day", validators=[DataRequired("Enter the date of the first day.")]
    )
    rhythm = RadioField(
        "How often a new prompt arrives",
        choices=[
            SelectChoice(Rhythm.DAILY.value, "Every day"),
            SelectChoice(Rhythm.WEEKDAYS.value, "Weekdays (Monday to Friday)"),
            SelectChoice(Rhythm.CHOSEN_DAYS.value, "On the days chosen below"),
        ],
        default=Rhythm.DAILY.value,
    )
    weekdays = CheckboxesField(
        "Days of the week",
        choices=[
            SelectChoice(str(number), name) for number, name in enumerate(WEEKDAY_NAMES, start=1)
        ],
    )

    def validate_adult_id(self, field) -> None:
        if field.data is None or field.data not in _offered(field):
            raise ValidationError("Choose who will follow the programme.")

    def validate_programme_id(self, field) -> None:
        if field.data is None or field.data not in _offered(field):
            raise ValidationError("Choose a programme.")

    def validate_weekdays(self, field) -> None:
        if self.rhythm.data == Rhythm.CHOSEN_DAYS.value and not field.data:
            raise ValidationError("Choose at least one day of the week.")

    def chosen_weekdays(self) -> list[int]:
        return [int(day) for day in self.weekdays.data or []]


def _offered(field) -> set:
    return {choice.value for choice in field.choices}


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
