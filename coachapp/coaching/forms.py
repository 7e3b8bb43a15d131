"""Forms for logging a coaching session, its action items, topics and note templates."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from coachapp.coaching.models import Repeat, SessionFormat
from coachapp.coaching.scheduling import MAX_OCCURRENCES
from coachapp.ids import id_choice, id_choice_or_none, parse_id

BLANK_ACTION_ITEM_ROWS = 2


def within_note_limit(form, field) -> None:
    """Refuse notes longer than NOTE_MAX_CHARS; the text stays in the form to be shortened."""
    limit = current_app.config["NOTE_MAX_CHARS"]
    if field.data and len(field.data) > limit:
        raise ValidationError(
            f"This text is {len(field.data):,} characters long and the limit is {limit:,}. "
            "Your text is still here: shorten it, or move part of it to another session."
        )


class ActionItemForm(Form):
    """One agreed next step (a row inside the session form)."""

    item_id = HiddenField()
    # No Optional(): it would end validation on an empty step before validate_text runs,
    # and a due date or tick typed without a step would be dropped without a word.
    text = StringField("Next step", validators=[Length(max=500)])
    due_on = DateField("Due", validators=[Optional()])
    done = BooleanField("Done")
    # Offered for a family of several adults only; choices are the family's adults.
    for_adult = SelectField(
        "For", coerce=id_choice_or_none, choices=[SelectChoice("", "The family")]
    )

    def validate_item_id(self, field) -> None:
        if field.data and parse_id(field.data) is None:
            raise ValidationError("This step is not one of the session's: reload the page.")

    def validate_text(self, field) -> None:
        if not (field.data or "").strip() and (self.due_on.data or self.done.data):
            raise ValidationError("Write what the step is, or clear its date and tick.")


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CoachingSessionForm(FlaskForm):
    """Everything about one session; times are in the coach's own time zone."""

    client_id = SelectField(
        "Client", coerce=id_choice_or_none, validators=[DataRequired("Choose a client.")]
    )
    date = DateField("Date", validators=[DataRequired("Enter the date of the session.")])
    start_time = TimeField("Starts", validators=[DataRequired("Enter when the session starts.")])
    end_time = TimeField("Ends", validators=[DataRequired("Enter when the session ends.")])
    format = SelectField(
        "Format",
        choices=[SelectChoice(f.value, f.label) for f in SessionFormat],
        default=SessionFormat.IN_PERSON.value,
    )
    location = StringField(
        "Place or video link",
        validators=[Optional(), Length(max=500, message="Keep the place under 500 characters.")],
    )
    topics = CheckboxListField("Topics", coerce=id_choice, validators=[Optional()])
    # The family whose adults the form offered as attendees, if it offered them: another
    # family chosen in the form records all its adults, since the boxes were not shown.
    attendance_family = HiddenField()
    # No Optional(): it would stop validate_attendees from asking for at least one.
    attendees = CheckboxListField("Who attended", coerce=id_choice)
    shared_with = CheckboxListField(
        "Also share the summary with", coerce=id_choice, validators=[Optional()]
    )
    note_template = SelectField("Note template", validators=[Optional()], validate_choice=False)
    private_notes = TextAreaField(
        "Private notes", validators=[within_note_limit], render_kw={"rows": 14}
    )
    summary = TextAreaField(
        "Summary for the client", validators=[within_note_limit], render_kw={"rows": 8}
    )
    action_items = FieldList(FormField(ActionItemForm), min_entries=BLANK_ACTION_ITEM_ROWS)
    follow_up_on = DateField("Follow up on", validators=[Optional()])
    # Offered when planning a new session.
    repeat = SelectField(
        "Repeat",
        choices=[SelectChoice("", "Does not repeat")]
        + [SelectChoice(r.value, r.label) for r in Repeat],
        default="",
    )
    repeat_until = DateField("Until", validators=[Optional()])
    repeat_count = IntegerField(
        "Or this many times",
        validators=[
            Optional(),
            NumberRange(2, MAX_OCCURRENCES, f"Plan from 2 to {MAX_OCCURRENCES} sessions."),
        ],
    )
    # Offered when planning a new session ahead: attendees with an e-mail get the event.
    email_invitation = BooleanField("E-mail the invitation", default=True)
    # Asked only when the start happens twice on a daylight-saving day.
    fold = RadioField("Which one?", choices=[], validators=[Optional()], validate_choice=False)
    # Asked only when the session overlaps another.
    confirm_overlap = BooleanField("Save it anyway")
    insert_template = SubmitField("Insert template")
    add_action_item = SubmitField("Add another step")
    save = SubmitField("Save session")

    def validate_attendees(self, field) -> None:
        # Choices are offered for a family of several adults only.
        if field.choices and not field.data:
            raise ValidationError("Tick who attended: at least one adult of the family.")

    def validate_end_time(self, field) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError("The session ends before it starts: check the two times.")

    def validate_repeat(self, field) -> None:
        if not field.data:
            return
        if (self.repeat_until.data is None) == (self.repeat_count.data is None):
            raise ValidationError(
                "Say how long the series runs: until a date, or how many times (not both)."
            )
        if self.repeat_until.data and self.date.data and self.repeat_until.data <= self.date.data:
            raise ValidationError("The series ends before its second session: check the dates.")


class TopicForm(FlaskForm):
    """A topic on the coach's list."""

    name = StringField(
        "Topic", validators=[DataRequired("Name the topic."), Length(max=60)]
    )


class NoteTemplateForm(FlaskForm):
    """A coach's own note template."""

    name = StringField("Name", validators=[DataRequired("Name the template."), Length(max=120)])
    body = TextAreaField(
        "Notes it starts with",
        validators=[DataRequired("Write what the template fills in."), within_note_limit],
        render_kw={"rows": 16},
    )


class StatusForm(FlaskForm):
    """Mark a session held or a no-show (the buttons on the session's page)."""

    status = HiddenField(validators=[AnyOf(["held", "no_show"], "Choose held or no-show.")])


SCOPE_CHOICES = [
    SelectChoice("this", "Only this session"),
    SelectChoice("following", "This session and the following ones of its series"),
]


class CancelSessionForm(FlaskForm):
    """Cancel a session: who cancelled, and why."""

    # Asked for a session of a series only.
    scope = RadioField("Which sessions", choices=SCOPE_CHOICES, default="this")
    # No DataRequired: its "required" attribute is invalid HTML on a select without a blank
    # first option; the choice itself is checked against the coach and the family's adults.
    cancelled_by = SelectField("Who cancelled")
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Write why the session is cancelled."), Length(max=2000)],
        render_kw={"rows": 4},
    )
    save = SubmitField("Cancel the session")


class MoveSessionForm(FlaskForm):
    """Move a session to another day or time (in the coach's time zone)."""

    moved_by = SelectField("Who asked to move it")  # checked against its choices, as above
    # Asked for a session of a series only.
    scope = RadioField("Which sessions", choices=SCOPE_CHOICES, default="this")
    date = DateField("New date", validators=[DataRequired("Enter the new date.")])
    start_time = TimeField("Starts", validators=[DataRequired("Enter when the session starts.")])
    end_time = TimeField("Ends", validators=[DataRequired("Enter when the session ends.")])
    # Asked only when the start happens twice on a daylight-saving day.
    fold = RadioField("Which one?", choices=[], validators=[Optional()], validate_choice=False)
    # Asked only when the new time overlaps another session.
    confirm_overlap = BooleanField("Move it anyway")
    save = SubmitField("Move the session")

    def validate_end_time(self, field) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError("The session ends before it starts: check the two times.")
