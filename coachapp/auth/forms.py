"""Sign-in, profile, password, e-mail and two-step sign-in forms."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from coachapp.auth.models import REMINDER_HOURS
from coachapp.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from coachapp.formfields import NUMBER_BOX, WholeNumberField


class LoginForm(FlaskForm):
    """E-mail and password; ``next`` carries the page the person was trying to open."""

    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


def _known_time_zone(_form, field) -> None:
    if field.data not in available_timezones():
        raise ValidationError("Choose a time zone from the list, e.g. Europe/London.")


def _reminder_label(hours: int) -> str:
    if hours == 0:
        return "Off: send no reminders"
    if hours == 168:
        return "A week before"
    return f"{hours} hour{'s' if hours != 1 else ''} before"


class ProfileForm(FlaskForm):
    """What a person can change about themselves: name, time zone, and a coach's bio."""

    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired("Choose your time zone."), _known_time_zone],
        render_kw={"list": "time-zones", "autocomplete": "off"},
    )
    bio = TextAreaField(
        "About you",
        validators=[Length(max=4000)],
        render_kw={"rows": 6},
    )
    cancellation_notice_hours = WholeNumberField(
        "Notice period for cancelling (hours)",
        validators=[
            Optional(),
            NumberRange(0, 14 * 24, "Enter a number of hours from 0 to 336 (two weeks)."),
        ],
        default=24,
        **NUMBER_BOX,
    )
    session_reminder_hours = SelectField(
        "Reminders of a session by e-mail",
        choices=[SelectChoice(hours, _reminder_label(hours)) for hours in REMINDER_HOURS],
        coerce=int,
        default=24,
    )


class ForgotPasswordForm(FlaskForm):
    """The e-mail address to send a reset link to."""

    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )


class OpenLinkForm(FlaskForm):
    """The link from an invitation or reset e-mail: filled in by the page's script from the
    part after "#", or pasted by hand."""

    link = StringField(
        "The link from your e-mail",
        validators=[DataRequired("Paste the link from your e-mail."), Length(max=2000)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class SetPasswordForm(FlaskForm):
    """A new password, typed twice; ``shown_for`` names the link the page was shown for."""

    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a password."), Length(min=MIN_PASSWORD_LENGTH,
                    message=f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters.")],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        "Type it again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    shown_for = HiddenField()


def _current_password_field() -> PasswordField:
    return PasswordField(
        "Your current password",
        validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    """The current password, and the new one twice."""

    current_password = _current_password_field()
    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Choose a password of {MIN_PASSWORD_LENGTH} to "
                f"{MAX_PASSWORD_LENGTH} characters.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Type the new password again."),
            EqualTo("password", "The two new passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangeEmailForm(FlaskForm):
    """A new sign-in address, confirmed with the current password."""

    email = EmailField(
        "New e-mail address",
        validators=[DataRequired("Enter the new e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    current_password = _current_password_field()


class ConfirmPasswordForm(FlaskForm):
    """The current password, asked again before a change that matters."""

    current_password = _current_password_field()


class TwoFactorSetupForm(FlaskForm):
    """The code the authenticator app shows, proving it has the secret."""

    code = StringField(
        "The 6-digit code your app shows",
        validators=[DataRequired("Type the 6-digit code from your app."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class TwoFactorSignInForm(FlaskForm):
    """The second step of signing in: an app code, or one recovery code."""

    code = StringField(
        "Code",
        validators=[
            DataRequired("Type the code from your app, or one of your recovery codes."),
            Length(max=40),
        ],
        render_kw={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"},
    )


class PracticeTwoFactorForm(FlaskForm):
    """The owner's choice: must every coach of the practice sign in with two steps?"""

    require = BooleanField("Every coach of my practice must use two-step sign-in")
