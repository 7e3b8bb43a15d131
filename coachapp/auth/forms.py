"""Sign-in and profile forms."""

from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError


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
