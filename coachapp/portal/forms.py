"""The portal's settings form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField


class PortalSettingsForm(FlaskForm):
    """What an adult decides for themselves: e-mail reminders of their sessions."""

    wants_session_reminders = BooleanField("E-mail me a reminder before each of my sessions")
