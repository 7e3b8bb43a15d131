"""Forms of the coach's calendar settings."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField

from coachapp.calendar_sync.models import ClientNaming


class CalendarFeedForm(FlaskForm):
    """How the coach's calendar names families."""

    client_naming = RadioField(
        "Name families in your calendar by",
        choices=[SelectChoice(n.value, n.label) for n in ClientNaming],
        default=ClientNaming.FIRST_NAME.value,
    )
    save = SubmitField("Save")


class CalendarAddressForm(FlaskForm):
    """Create a new secret address, or revoke it (only the CSRF token)."""
