"""Consent to publish: the coach records it, the client gives it, either withdraws it."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from coachapp.formfields import strip


class ConsentForm(FlaskForm):
    """The coach records consent an addressee gave by e-mail or in person."""

    # Whose consent: asked only when the letter is written to several adults.
    adult_id = RadioField(
        "Who agreed?",
        coerce=int,
        validate_choice=False,  # an adult not among the addressees is a 404, not a choice
        validators=[InputRequired("Say who agreed.")],
    )
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


class CoachWithdrawConsentForm(WithdrawConsentForm):
    """The coach records that one addressee no longer agrees."""

    adult_id = RadioField(
        "Who no longer agrees?",
        coerce=int,
        validate_choice=False,
        validators=[InputRequired("Say who no longer agrees.")],
    )


def asking_whose(form: FlaskForm, adults: list, is_joint: bool) -> FlaskForm:
    """The form asking whose consent it is, one of ``adults``, when the letter is joint; a
    letter to one adult never asks."""
    if not is_joint:
        del form.adult_id
        return form
    form.adult_id.choices = [SelectChoice(adult.id, adult.display_name) for adult in adults]
    if len(adults) == 1 and form.adult_id.data is None:
        form.adult_id.data = adults[0].id  # the only one left: already chosen
    return form


class PortalConsentForm(FlaskForm):
    """The client agrees, in their own portal, to a letter being shared without names."""

    agree = BooleanField(
        "I agree that this letter may be published on the blog with my name, my children's "
        "names and my contact details removed.",
        validators=[DataRequired("Tick the box to say you agree.")],
    )
