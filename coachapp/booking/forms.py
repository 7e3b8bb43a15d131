"""Forms for a coach's booking rules and for booking, moving and cancelling in the portal."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from coachapp.booking.availability import (
    WEEKDAYS,
    AvailabilityError,
    hours_text,
    parse_days_off,
    parse_hours,
    parse_lengths,
)
from coachapp.booking.models import BookingSettings
from coachapp.booking.services import Availability
from coachapp.formfields import NUMBER_BOX, WholeNumberField

# Whole numbers in a text box: a number box cannot show back a mistyped "ten" (invalid HTML).
HOURS_HINT = "For example 09:00-12:00, 13:30-17:00. Leave empty for a day you do not work."


def _readable(parse):
    """A field check that refuses what ``parse`` cannot read, saying why."""

    def check(form, field) -> None:
        try:
            parse(field.data or "")
        except AvailabilityError as refusal:
            raise ValidationError(str(refusal)) from None

    return check


def _hours_field(day: str) -> StringField:
    return StringField(day, validators=[Length(max=200), _readable(parse_hours)])


class AvailabilityForm(FlaskForm):
    """When clients may book: weekly hours, session lengths, buffer, notice, limits."""

    enabled = BooleanField("Clients may book sessions in the portal")
    monday = _hours_field("Monday")
    tuesday = _hours_field("Tuesday")
    wednesday = _hours_field("Wednesday")
    thursday = _hours_field("Thursday")
    friday = _hours_field("Friday")
    saturday = _hours_field("Saturday")
    sunday = _hours_field("Sunday")
    lengths = StringField(
        "Session lengths offered (minutes)",
        validators=[Length(max=60), _readable(parse_lengths)],
        default="50",
    )
    buffer_minutes = WholeNumberField(
        "Buffer between sessions (minutes)",
        validators=[
            InputRequired("Give the buffer in whole minutes (0 for none)."),
            NumberRange(0, 120, "The buffer is 0 to 120 minutes."),
        ],
        default=10,
        **NUMBER_BOX,
    )
    minimum_notice_hours = WholeNumberField(
        "Minimum notice (hours)",
        validators=[
            InputRequired("Give the notice in whole hours (0 for none)."),
            NumberRange(0, 24 * 14, "The notice is 0 to 336 hours (two weeks)."),
        ],
        default=24,
        **NUMBER_BOX,
    )
    max_sessions_per_day = WholeNumberField(
        "Most sessions a day",
        validators=[Optional(), NumberRange(1, 20, "Give 1 to 20 sessions, or leave it empty.")],
        **NUMBER_BOX,
    )
    days_off = TextAreaField(
        "Days off",
        validators=[Length(max=4000), _readable(parse_days_off)],
        render_kw={"rows": 4},
    )
    save = SubmitField("Save booking settings")

    def day_fields(self):
        return [self[day.lower()] for day in WEEKDAYS]

    def validate_enabled(self, field) -> None:
        if field.data and not any(f.data and f.data.strip() for f in self.day_fields()):
            raise ValidationError("Give your hours on at least one day to take bookings.")

    def fill_from(self, settings: BookingSettings) -> None:
        """Show the coach's saved rules."""
        self.enabled.data = settings.enabled
        for weekday, day_field in enumerate(self.day_fields()):
            day_field.data = hours_text([h for h in settings.hours if h.weekday == weekday])
        self.lengths.data = ", ".join(str(length) for length in settings.lengths)
        self.buffer_minutes.data = settings.buffer_minutes
        self.minimum_notice_hours.data = settings.minimum_notice_hours
        self.max_sessions_per_day.data = settings.max_sessions_per_day
        self.days_off.data = "\n".join(day.day.isoformat() for day in settings.days_off)

    def availability(self) -> Availability:
        """What a valid form asks for."""
        return Availability(
            enabled=self.enabled.data,
            hours={
                weekday: parse_hours(day_field.data or "")
                for weekday, day_field in enumerate(self.day_fields())
            },
            lengths=parse_lengths(self.lengths.data),
            buffer_minutes=self.buffer_minutes.data,
            minimum_notice_hours=self.minimum_notice_hours.data,
            max_sessions_per_day=self.max_sessions_per_day.data,
            days_off=parse_days_off(self.days_off.data or ""),
        )


class BookSlotForm(FlaskForm):
    """One of the free times, chosen."""

    start = StringField("Free time")
    length = HiddenField()
    save = SubmitField("Book this time")


class CancelBookingForm(FlaskForm):
    """Cancel a session the client booked, saying why if they like."""

    reason = TextAreaField("Why (optional, for your coach)", validators=[Length(max=2000)],
                           render_kw={"rows": 3})
    save = SubmitField("Cancel the session")
