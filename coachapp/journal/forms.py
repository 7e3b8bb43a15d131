"""Forms for writing a journal entry, sharing it, and the coach's reply."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import HiddenInput

# Far beyond a day's answer; keeps one entry a readable page and a sane PDF.
ENTRY_MAX_CHARS = 50_000
REPLY_MAX_CHARS = 10_000


class EntryForm(FlaskForm):
    """One journal entry: a title (for free writing), the text, and the version it is based on."""

    title = StringField("Title", validators=[Length(max=200)])
    body = TextAreaField(
        "Your entry",
        validators=[
            DataRequired("Write something before you save."),
            Length(max=ENTRY_MAX_CHARS, message="Keep an entry under 50,000 characters."),
        ],
        render_kw={"rows": 18, "spellcheck": "true"},
    )
    # The version the writer's page shows: a save from an older one is a conflict.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()], default=0)
    save = SubmitField("Save")
    save_and_close = SubmitField("Save and close")


class ConfirmForm(FlaskForm):
    """A button that changes something (share, stop sharing, delete): only the CSRF token."""


class ReplyForm(FlaskForm):
    """The coach's reply to a shared entry, in Markdown."""

    body = TextAreaField(
        "Your reply",
        validators=[
            DataRequired("Write your reply before you send it."),
            Length(max=REPLY_MAX_CHARS, message="Keep a reply under 10,000 characters."),
        ],
        render_kw={"rows": 8, "spellcheck": "true"},
    )
    send = SubmitField("Send reply")
