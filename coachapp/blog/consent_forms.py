"""Consent to publish: the coach records it, the client gives it, either withdraws it."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from coachapp.formfields import strip


class ConsentForm(FlaskForm):
    """The coach records consent the client gave by e-mail or in person."""

    method = RadioField(
        "How did the client agree?",
        choices=[
            SelectChoice("email", "By e-mail"),
            SelectChoice("in_person", "In person or on a call"),
        ],
        validators=[DataRequired("Say how the client agreed.")],
    )
    note = TextAreaField(
        "Note",
        filters=[strip],
        validators=[DataRequired("Note when and how they agreed."), Length(max=2000)],
        render_kw={"rows": 2},
    )


class WithdrawConsentForm(FlaskForm):
    """Withdrawing consent, with an optional note of why or how."""

    note = TextAreaField(
        "Note", filters=[strip], validators=[Length(max=2000)], render_kw={"rows": 2}
    )


class PortalConsentForm(FlaskForm):
    """The client agrees, in their own portal, to a letter being shared without names."""

    agree = BooleanField(
        "I agree that this letter may be published on the blog with my name, my children's "
        "names and my contact details removed.",
        validators=[DataRequired("Tick the box to say you agree.")],
    )
