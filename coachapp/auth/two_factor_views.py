"""Two-step sign-in pages: the code after the password, setting it up, recovery codes and
turning it off; and the rule that keeps a coach on the set-up page while their practice
requires two-step sign-in and they have not set it up."""

import logging

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from coachapp.access import home_url_for, public_view
from coachapp.auth import two_factor as two_step
from coachapp.auth.blueprints import bp
from coachapp.auth.forms import ConfirmPasswordForm, TwoFactorSetupForm, TwoFactorSignInForm
from coachapp.auth.services import WrongPassword, check_current_password, record_failed_second_step
from coachapp.auth.two_factor_keys import SecretUnreadable
from coachapp.auth.views import complete_sign_in
from coachapp.extensions import db

log = logging.getLogger(__name__)

WRONG_CODE = (
    "That code is not right, or it has been used already. Type the code your app shows "
    "now, or one of your recovery codes."
)
# The database came without its two-step key (say, restored on another server).
CODES_CANNOT_BE_CHECKED = (
    "coachapp cannot check the codes of your app at the moment: the key that protects them "
    "on this server is not the one they were set up with. Sign in with one of your recovery "
    "codes, and let whoever runs coachapp for your practice know."
)
# While set-up is required, only these pages open (besides public ones).
OPEN_DURING_REQUIRED_SETUP = {"auth.two_factor_setup", "auth.logout"}


def _no_store(page: str, status: int = 200):
    """Pages with secrets or codes on them are never kept in a cache."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login/two-step", methods=["GET", "POST"])
@public_view
def two_factor():
    """The second step of signing in: a code from the app, or one recovery code."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    try:
        pending = two_step.pending_sign_in()
    except two_step.PendingSignInExpired:
        flash(
            "For your safety, the code has to follow the password within five minutes. "
            "Please sign in again.",
            "info",
        )
        return redirect(url_for("auth.login"))
    if pending is None:
        return redirect(url_for("auth.login"))
    form = TwoFactorSignInForm()
    if form.validate_on_submit():
        user, code = pending.user, form.code.data
        try:
            if two_step.looks_like_app_code(code):
                if two_step.accept_code(user, code):
                    return complete_sign_in(user, pending.next_path)
            elif two_step.use_recovery_code(user, code):
                left = two_step.unused_recovery_codes(user)
                response = complete_sign_in(user, pending.next_path)
                flash(_recovery_codes_left_message(left), "info")
                return response
        except SecretUnreadable:
            log.error("No key of TWO_FACTOR_KEYS opens the two-step secret of user %s", user.id)
            form.code.errors.append(CODES_CANNOT_BE_CHECKED)
        else:
            record_failed_second_step(user, "wrong two-step code")
            db.session.commit()
            form.code.errors.append(WRONG_CODE)
    page = render_template("auth/two_factor.html", form=form)
    return _no_store(page, 400 if form.errors else 200)


def _recovery_codes_left_message(left: int) -> str:
    if left == 0:
        return (
            "You signed in with your last recovery code. Make new ones now, from "
            "your account's two-step sign-in page."
        )
    codes = "code" if left == 1 else "codes"
    return (
        f"You signed in with a recovery code: it will not work again, and you have {left} "
        f"{codes} left. If your phone is lost, set up two-step sign-in again on a new one."
    )


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Set up two-step sign-in (QR code, then a code to confirm), or manage it once on."""
    user = current_user._get_current_object()
    if user.has_two_factor:
        if request.method == "POST":
            return redirect(url_for("auth.two_factor_setup"))
        return _manage_page()
    secret = two_step.start_setup(user)
    db.session.commit()  # a new secret is kept, so that a reload shows the same QR code
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = two_step.confirm_setup(user, form.code.data)
        except two_step.TwoFactorError as error:
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            session.pop(two_step.MUST_SET_UP, None)
            return _recovery_codes_page(codes, first_time=True)
    uri = two_step.provisioning_uri(user, secret)
    page = render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr_svg=two_step.qr_code_svg(uri),
        secret=two_step.spaced_secret(secret),
        required=two_step.is_required_for(user),
    )
    return _no_store(page, 400 if form.errors else 200)


def _manage_page(codes_form=None, off_form=None, status: int = 200):
    user = current_user._get_current_object()
    page = render_template(
        "auth/two_factor_manage.html",
        codes_form=codes_form or ConfirmPasswordForm(prefix="codes"),
        off_form=off_form or ConfirmPasswordForm(prefix="off"),
        codes_left=two_step.unused_recovery_codes(user),
        required=two_step.is_required_for(user),
    )
    return _no_store(page, status)


def _recovery_codes_page(codes: list[str], first_time: bool):
    page = render_template(
        "auth/recovery_codes.html",
        codes=codes,
        first_time=first_time,
        continue_url=home_url_for(current_user) if first_time else url_for("auth.account"),
    )
    return _no_store(page)


@bp.route("/account/two-step/recovery-codes", methods=["POST"])
@login_required
def new_recovery_codes():
    """Ten new recovery codes (the old ones stop working), after the password."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        abort(404)
    form = ConfirmPasswordForm(prefix="codes")
    if form.validate_on_submit():
        try:
            check_current_password(user, form.current_password.data)
        except WrongPassword as error:
            form.current_password.errors.append(str(error))
        else:
            codes = two_step.replace_recovery_codes(user)
            db.session.commit()
            return _recovery_codes_page(codes, first_time=False)
    return _manage_page(codes_form=form, status=400)


@bp.route("/account/two-step/disable", methods=["POST"])
@login_required
def disable_two_factor():
    """Turn two-step sign-in off, after the password (not while the practice requires it)."""
    user = current_user._get_current_object()
    if not user.has_two_factor:
        abort(404)
    form = ConfirmPasswordForm(prefix="off")
    if form.validate_on_submit():
        try:
            check_current_password(user, form.current_password.data)
            two_step.disable(user)
        except WrongPassword as error:
            form.current_password.errors.append(str(error))
        except two_step.TwoFactorError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Two-step sign-in is off. Your password alone signs you in.", "success")
            return redirect(url_for("auth.account"))
    return _manage_page(off_form=form, status=400)


@bp.before_app_request
def keep_on_two_factor_setup():
    """While the practice requires set-up, every other private page leads to the set-up page.

    Only a session flag set at sign-in is read on ordinary requests: no database query.
    """
    if not session.get(two_step.MUST_SET_UP):
        return None
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint in OPEN_DURING_REQUIRED_SETUP:
        return None
    if getattr(current_app.view_functions.get(endpoint), "is_public", False):
        return None
    if not current_user.is_authenticated or not two_step.needs_setup(current_user):
        session.pop(two_step.MUST_SET_UP, None)  # set up already, or no longer required
        return None
    return redirect(url_for("auth.two_factor_setup"))
