"""The coach records, or withdraws, a client's consent to share a letter on the blog."""

from flask import flash, redirect, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.clients.consents import ConsentRefused, give_consent, withdraw_consent
from coachapp.clients.forms import ConsentForm, WithdrawConsentForm
from coachapp.clients.models import ConsentMethod
from coachapp.extensions import db
from coachapp.letters import bp
from coachapp.letters.services import get_letter_or_404
from coachapp.letters.views import letter_page


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
