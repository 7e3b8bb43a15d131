"""The forms a reader fills in to follow the blog and to leave it."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectChoice
from wtforms.validators import DataRequired, Email, Length

from coachapp.formfields import strip

SCOPE_SERIES = "series"
SCOPE_BLOG = "blog"


class SubscribeForm(FlaskForm):
    """An address, and on a series' page whether to follow the series or the whole blog."""

    email = EmailField(
        "Your e-mail address",
        filters=[strip],
        validators=[
            DataRequired("Please enter your e-mail address."),
            Length(max=254),
            Email("Enter an e-mail address such as name@example.com."),
        ],
        render_kw={"autocomplete": "email"},
    )
    # The slug of the series whose page the form is on; empty on the blog's own pages.
    series = HiddenField(filters=[strip])
    scope = RadioField(
        "What would you like to receive?",
        choices=[
            SelectChoice(SCOPE_SERIES, "This series, one day at a time, from day 1"),
            SelectChoice(SCOPE_BLOG, "Every new post of the blog"),
        ],
        default=SCOPE_SERIES,
        validate_choice=False,  # absent on the blog's own pages: the whole blog then
    )

    def wants_series(self) -> bool:
        """Whether the reader chose the series the form was shown with."""
        return bool(self.series.data) and self.scope.data != SCOPE_BLOG


class ConfirmSubscriptionForm(FlaskForm):
    """The button that confirms: a link opened by a mail scanner confirms nothing."""


class UnsubscribeForm(FlaskForm):
    """Leaving, by the button on the page or by a mail program's one-click POST (RFC 8058),
    which carries no CSRF token: the link's signature is what proves it came from the mail."""

    class Meta:
        csrf = False

    delete_address = BooleanField("Also delete my e-mail address from coachapp")
