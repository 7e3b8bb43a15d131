"""The coach records, or withdraws, an addressee's consent to share a letter on the blog,
on the letter's own page (the routes are the letters blueprint's: /letters/<id>/consent)."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.blog.consent_forms import CoachWithdrawConsentForm, ConsentForm, asking_whose
from coachapp.blog.consent_rules import consent_parties
from coachapp.blog.consents import (
    ConsentRefused,
    SharingState,
    give_consent,
    sharing_state,
    withdraw_consent,
)
from coachapp.blog.models import ConsentMethod
from coachapp.clients.models import Adult
from coachapp.extensions import db
from coachapp.letters.blueprints import bp
from coachapp.letters.models import Letter
from coachapp.letters.services import get_letter_or_404
from coachapp.letters.signals import letter_page_opening
from coachapp.letters.views import letter_page


def _consent_form(letter: Letter, sharing: SharingState, **kwargs) -> ConsentForm:
    """Recording consent: whose, among those who have not agreed, on a joint letter."""
    waiting = [party.adult for party in sharing.parties if party.standing is None]
    return asking_whose(ConsentForm(**kwargs), waiting, len(sharing.parties) > 1)


def _withdraw_form(letter: Letter, sharing: SharingState, **kwargs) -> CoachWithdrawConsentForm:
    """Withdrawing: whose, among those who agreed, on a joint letter."""
    agreed = [party.adult for party in sharing.parties if party.standing is not None]
    # Its own prefix: on a joint letter it sits beside the form that records consent.
    form = CoachWithdrawConsentForm(prefix="withdraw", **kwargs)
    return asking_whose(form, agreed, len(sharing.parties) > 1)


def _chosen_adult(letter: Letter, form) -> Adult | None:
    """The addressee the form names (None when the letter is to one adult); anyone else,
    another family's adult included, is a 404."""
    if form.adult_id is None:
        return None
    adult = next((a for a in consent_parties(letter) if a.id == form.adult_id.data), None)
    if adult is None:
        abort(404)
    return adult


@letter_page_opening.connect
def sharing_panel(letter: Letter) -> dict:
    """The letter page's "Sharing on the blog" panel: the consent ledger, posts and forms."""
    sharing = sharing_state(letter)
    return {
        "sharing": sharing,
        "consent_form": _consent_form(letter, sharing, formdata=None),
        "withdraw_form": _withdraw_form(letter, sharing, formdata=None),
    }


@bp.post("/<int:letter_id>/consent")
@coach_required
def record_consent(letter_id: int):
    """Record consent an addressee gave by e-mail or in person, with the coach's note."""
    letter = get_letter_or_404(letter_id)
    form = _consent_form(letter, sharing_state(letter))
    if not form.validate_on_submit():
        return letter_page(letter, consent_form=form, status=422)
    adult = _chosen_adult(letter, form)
    try:
        give_consent(
            letter, current_user, ConsentMethod(form.method.data), form.note.data, adult=adult
        )
    except ConsentRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_recorded_message(sharing_state(letter)), "success")
    return redirect(url_for("letters.detail", letter_id=letter.id, _anchor="sharing"))


def _recorded_message(sharing: SharingState) -> str:
    if sharing.joint.stands:
        return "Consent recorded. You can now make a post from this letter."
    return f"Consent recorded. {sharing.joint.refusal()}"


@bp.post("/<int:letter_id>/consent/withdraw")
@coach_required
def withdraw(letter_id: int):
    """Record that an addressee withdrew consent; posts from the letter go offline at once."""
    letter = get_letter_or_404(letter_id)
    form = _withdraw_form(letter, sharing_state(letter))
    if form.validate_on_submit():
        adult = _chosen_adult(letter, form)
        try:
            taken_down = withdraw_consent(letter, current_user, form.note.data, adult=adult)
        except ConsentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            offline = f" {taken_down} post(s) taken off the blog." if taken_down else ""
            flash(f"Consent withdrawn.{offline}", "success")
    elif form.errors:
        return letter_page(letter, withdraw_form=form, status=422)
    return redirect(url_for("letters.detail", letter_id=letter.id, _anchor="sharing"))
