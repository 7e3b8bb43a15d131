"""The coach records, or withdraws, a client's consent to share a letter on the blog, on
the letter's own page (the routes are the letters blueprint's: /letters/<id>/consent)."""

from flask import flash, redirect, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.blog.consent_forms import ConsentForm, WithdrawConsentForm
from coachapp.blog.consents import ConsentRefused, give_consent, sharing_state, withdraw_consent
from coachapp.blog.models import ConsentMethod
from coachapp.extensions import db
from coachapp.letters.blueprints import bp
from coachapp.letters.models import Letter
from coachapp.letters.services import get_letter_or_404
from coachapp.letters.signals import letter_page_opening
from coachapp.letters.views import letter_page


@letter_page_opening.connect
def sharing_panel(letter: Letter) -> dict:
    """The letter page's "Sharing on the blog" panel: the consent ledger, posts and forms."""
    return {
        "sharing": sharing_state(letter),
        "consent_form": ConsentForm(formdata=None),
        "withdraw_form": WithdrawConsentForm(formdata=None),
    }


@bp.post("/<int:letter_id>/consent")
@coach_required
def record_consent(letter_id: int):
    """Record consent the client gave by e-mail or in person, with the coach's note."""
    letter = get_letter_or_404(letter_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return letter_page(letter, consent_form=form, status=422)
    try:
        give_consent(letter, current_user, ConsentMethod(form.method.data), form.note.data)
    except ConsentRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Consent recorded. You can now make a post from this letter.", "success")
    return redirect(url_for("letters.detail", letter_id=letter.id, _anchor="sharing"))


@bp.post("/<int:letter_id>/consent/withdraw")
@coach_required
def withdraw(letter_id: int):
    """Record that the client withdrew consent; posts from the letter go offline at once."""
    letter = get_letter_or_404(letter_id)
    form = WithdrawConsentForm()
    if form.validate_on_submit():
        try:
            taken_down = withdraw_consent(letter, current_user, form.note.data)
        except ConsentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            offline = f" {taken_down} post(s) taken off the blog." if taken_down else ""
            flash(f"Consent withdrawn.{offline}", "success")
    return redirect(url_for("letters.detail", letter_id=letter.id, _anchor="sharing"))
