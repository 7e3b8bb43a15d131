"""The activity log's filters: a GET form that shows again what the coach chose."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from coachapp.activity.reading import AuditFilters
from coachapp.audit.models import AuditAction

DATE_MESSAGE = "Enter a date such as 2026-03-02."
# Far enough either way for any real log, near enough that converting it cannot overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9998
FILTER_NAMES = ("client", "person", "action", "date_from", "date_to")


def within_sensible_years(form, field) -> None:
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError("That date is very far away: check the year.")


def listed_choice(message: str):
    """A select's value must be one of its options (the empty "all" option included)."""

    def check(form, field) -> None:
        if field.data not in {str(choice.value) for choice in field.choices}:
            raise ValidationError(message)

    return check


class AuditFilterForm(FlaskForm):
    """Narrow the log to a client, a person, an action and a range of days."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    client = SelectField(
        "Client",
        validate_choice=False,
        validators=[listed_choice("Choose a client from the list.")],
    )
    person = SelectField(
        "Person",
        validate_choice=False,
        validators=[listed_choice("Choose a person from the list.")],
    )
    action = SelectField(
        "What happened",
        choices=[SelectChoice("", "Everything")]
        + [SelectChoice(action.value, action.label) for action in AuditAction],
        validate_choice=False,
        validators=[listed_choice("Choose what happened from the list.")],
    )
    date_from = DateField(
        "From",
        validators=[Optional(), within_sensible_years],
        invalid_value_message=DATE_MESSAGE,
    )
    date_to = DateField(
        "To",
        validators=[Optional(), within_sensible_years],
        invalid_value_message=DATE_MESSAGE,
    )

    @classmethod
    def for_reader(cls, args, clients, people) -> "AuditFilterForm":
        """The form filled from the query string, with the reader's clients and people."""
        form = cls(formdata=args)
        form.client.choices = [SelectChoice("", "All clients")] + [
            SelectChoice(str(client.id), client.display_name) for client in clients
        ]
        form.person.choices = [SelectChoice("", "Everyone")] + [
            SelectChoice(str(person.id), f"{person.name} ({person.role.value})")
            for person in people
        ]
        # Select fields give None when left out of the query string.
        for select in (form.client, form.person, form.action):
            select.data = select.data or ""
        return form

    def validate_date_to(self, field) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date: check the two dates.")

    @property
    def is_filtered(self) -> bool:
        return bool(self.query_args())

    def query_args(self, **changes) -> dict:
        """Query-string arguments for a link to this view of the log, with ``changes``."""
        values = {name: (self[name].raw_data or [""])[0] for name in FILTER_NAMES}
        values.update(changes)
        return {name: value for name, value in values.items() if value}

    def filters(self, zone: ZoneInfo) -> AuditFilters:
        """The validated choices, with days turned into moments in the reader's time zone."""
        return AuditFilters(
            client_id=int(self.client.data) if self.client.data else None,
            actor_id=int(self.person.data) if self.person.data else None,
            action=self.action.data or "",
            since=_start_of(self.date_from.data, zone),
            before=_start_of(self.date_to.data + timedelta(days=1), zone)
            if self.date_to.data
            else None,
        )


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    """Midnight at the start of ``day`` where the reader lives, in UTC."""
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
