"""Sign-in, profile and password forms."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from coachapp.auth.services import MIN_PASSWORD_LENGTH


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


class ForgotPasswordForm(FlaskForm):
    """The e-mail address to send a reset link to."""

    email = EmailField(
        "E-mail",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )


class SetPasswordForm(FlaskForm):
    """A new password, typed twice."""

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
