"""The client form (with any number of children) and the buttons that change a client."""

import re

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from coachapp.clients.models import CONTACT_METHODS, Client
from coachapp.clients.services import (
    ADULT_FIELDS,
    FAMILY_FIELDS,
    TAG_MAX_LENGTH,
    AdultData,
    ClientData,
    parse_tags,
)
from coachapp.formfields import optional_email_field, phone_field, strip
from coachapp.timeutil import utcnow

MIN_CHILD_ROWS = 3
MAX_CHILDREN = 20
MAX_TAGS = 20


def plausible_birth_year(_form, field) -> None:
    """A year of birth between 1900 and next year (a child on the way)."""
    if re.fullmatch(r"[0-9]{4}", field.data) and not 1900 <= int(field.data) <= utcnow().year + 1:
        raise ValidationError(f"Enter a year between 1900 and {utcnow().year + 1}.")


def at_most(limit: int):
    """Like Length(max=...) but without a maxlength attribute, which would cut a paste short."""

    def check(_form, field) -> None:
        if len(field.data) > limit:
            raise ValidationError(f"Keep this to {limit:,} characters; it has {len(field.data):,}.")

    return check


class ChildForm(Form):
    """One row of the children list; a row left blank is ignored."""

    first_name = StringField(
        "First name",
        filters=[strip],
        validators=[Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    birth_year = StringField(
        "Year of birth",
        filters=[strip],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{4}$", message="Enter the year as four digits, e.g. 2019."),
            plausible_birth_year,
        ],
        render_kw={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"},
    )

    def validate_first_name(self, field) -> None:
        if not field.data and self.birth_year.data:
            raise ValidationError("Add the child's first name, or clear the year.")


class ClientForm(FlaskForm):
    """Who the client is, their children, what brings them, and how to reach them."""

    first_name = StringField(
        "First name",
        filters=[strip],
        validators=[DataRequired("Enter the client's first name."), Length(max=80)],
    )
    last_name = StringField("Last name", filters=[strip], validators=[Length(max=80)])
    preferred_name = StringField("Preferred name", filters=[strip], validators=[Length(max=80)])
    pronouns = StringField("Pronouns", filters=[strip], validators=[Length(max=40)])
    email = optional_email_field()
    phone = phone_field()
    children = FieldList(FormField(ChildForm), min_entries=MIN_CHILD_ROWS, max_entries=MAX_CHILDREN)
    add_child = SubmitField("Add another child")
    situation = TextAreaField("Situation", filters=[strip], validators=[at_most(20_000)])
    goals = TextAreaField("Goals", filters=[strip], validators=[at_most(20_000)])
    tags = StringField("Tags", filters=[strip], validators=[Length(max=1000)])
    preferred_contact = RadioField(
        "Preferred contact",
        choices=[SelectChoice(value, label) for value, label in CONTACT_METHODS.items()],
        default="email",
    )
    notes = TextAreaField("Notes", filters=[strip], validators=[at_most(100_000)])
    identifying_words = TextAreaField(
        "Other words that could identify this family",
        filters=[strip],
        validators=[Length(max=2000)],
        render_kw={"rows": 2},
    )

    def validate_tags(self, field) -> None:
        too_long = [name for name in field.data.split(",") if len(name.strip()) > TAG_MAX_LENGTH]
        if too_long:
            raise ValidationError(
                f"Keep each tag to {TAG_MAX_LENGTH} characters; "
                f"“{too_long[0].strip()[:TAG_MAX_LENGTH]}…” is longer."
            )
        if len(parse_tags(field.data)) > MAX_TAGS:
            raise ValidationError(f"Use at most {MAX_TAGS} tags.")

    def wants_another_child(self) -> bool:
        """True when the coach pressed "Add another child" rather than saving."""
        return self.is_submitted() and bool(self.add_child.data)

    def can_add_child(self) -> bool:
        """Whether there is room for one more child row."""
        return len(self.children.entries) < MAX_CHILDREN

    def add_child_row(self) -> None:
        """One more blank child row, focused, so the coach can type straight away."""
        if self.can_add_child():
            row = self.children.append_entry()
            row.form.first_name.render_kw = {"autocomplete": "off", "autofocus": True}

    def pad_child_rows(self) -> None:
        """At least one blank row after the children already known, and a few in all."""
        while self.can_add_child() and (
            len(self.children.entries) < MIN_CHILD_ROWS
            or self.children.entries[-1].form.first_name.data
        ):
            self.children.append_entry()

    def client_data(self) -> ClientData:
        """What the coach typed, ready for the services; blank child rows are dropped."""
        return ClientData(
            first_name=self.first_name.data,
            last_name=self.last_name.data,
            preferred_name=self.preferred_name.data,
            pronouns=self.pronouns.data,
            email=self.email.data,
            phone=_tidy_phone(self.phone.data),
            situation=self.situation.data,
            goals=self.goals.data,
            preferred_contact=self.preferred_contact.data,
            notes=self.notes.data,
            identifying_words=self.identifying_words.data,
            children=[
                (row.form.first_name.data, _year(row.form.birth_year.data))
                for row in self.children
                if row.form.first_name.data
            ],
            tags=parse_tags(self.tags.data),
        )


def _year(text: str) -> int | None:
    return int(text) if text else None


def _tidy_phone(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def client_form(client: Client | None = None) -> ClientForm:
    """What was just posted, else the client's details to edit, else a blank form."""
    if request.method == "POST":
        return ClientForm()
    form = ClientForm(data=_form_data(client)) if client else ClientForm()
    form.pad_child_rows()
    return form


def _form_data(client: Client) -> dict:
    data = {name: getattr(client, name) for name in FAMILY_FIELDS}
    data.update({name: getattr(client.first_adult, name) for name in ADULT_FIELDS})
    data["children"] = [
        {"first_name": child.first_name, "birth_year": str(child.birth_year or "")}
        for child in client.children
    ]
    data["tags"] = ", ".join(tag.name for tag in client.tags)
    return data


class ActionForm(FlaskForm):
    """No fields, only the CSRF token: for buttons that archive, restore or delete."""


class KeepApartForm(FlaskForm):
    """Keep a family's adults apart, or stop."""

    keep_apart = BooleanField("Keep the adults apart")


class RemoveAdultForm(FlaskForm):
    """Confirms that an adult leaves the family, and whether their details are erased too."""

    erase = BooleanField("Also erase their personal details")


class AdultForm(FlaskForm):
    """Another adult of the family: a second parent, a partner, a grandparent."""

    first_name = StringField(
        "First name",
        filters=[strip],
        validators=[DataRequired("Enter their first name."), Length(max=80)],
    )
    last_name = StringField("Last name", filters=[strip], validators=[Length(max=80)])
    preferred_name = StringField("Preferred name", filters=[strip], validators=[Length(max=80)])
    pronouns = StringField("Pronouns", filters=[strip], validators=[Length(max=40)])
    relation_to_children = StringField(
        "Relationship to the children",
        filters=[strip],
        validators=[Length(max=80)],
        description="In your words, e.g. Father, Stepmother, Grandmother.",
    )
    email = optional_email_field()
    phone = phone_field()
    preferred_contact = RadioField(
        "Preferred contact",
        choices=[SelectChoice(value, label) for value, label in CONTACT_METHODS.items()],
        default="email",
    )

    # Offered when the adult is added; changed later on the family's page.
    keep_apart = BooleanField(
        "Keep the adults apart",
        description=(
            "For separated parents in conflict, or for safety: they never see each other's "
            "contact details, their sessions alone, their letters or their activity. Joint "
            "sessions and joint letters are seen by both."
        ),
    )

    def adult_data(self) -> AdultData:
        return AdultData(**{name: getattr(self, name).data for name in AdultData.FIELDS})
