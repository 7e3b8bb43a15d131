"""The outbox's one form."""

from flask_wtf import FlaskForm


class RetryForm(FlaskForm):
    """"Retry now": only the CSRF token."""
