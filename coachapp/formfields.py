"""Form fields several features share: trimmed text, an optional e-mail, a phone number,
a whole number."""

from wtforms import EmailField, IntegerField, TelField
from wtforms.validators import Email, Length, Optional, Regexp
from wtforms.widgets import TextInput

# A number typed in a text box: a number box would show mistyped text back as invalid HTML.
NUMBER_BOX = {"widget": TextInput(), "render_kw": {"inputmode": "numeric", "autocomplete": "off"}}


class WholeNumberField(IntegerField):
    """A whole number in a text box (give it **NUMBER_BOX), refusing other text by quoting it."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"“{valuelist[0]}” is not a whole number.") from None


def strip(value) -> str:
    """Drop the spaces a paste leaves around a value; a field left out of the post is empty."""
    return (value or "").strip()


def optional_email_field(label: str = "E-mail") -> EmailField:
    """An e-mail address that may be left empty but must look like one when given."""
    return EmailField(
        label,
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254),
            Email("Enter an e-mail address such as name@example.com."),
        ],
    )


def phone_field(label: str = "Phone") -> TelField:
    """A phone number written the way people write them: digits, spaces, + ( ) - . /"""
    return TelField(
        label,
        filters=[strip],
        validators=[
            Length(max=40),
            Regexp(r"^[0-9+()./\-\s]*$", message="Use digits, spaces and + ( ) - only."),
        ],
    )
