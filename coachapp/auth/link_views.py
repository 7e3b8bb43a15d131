"""Invitation and password-reset links: asking for a reset link, opening a link, and
choosing the password it allows.

The e-mailed link carries its token after the "#", which never reaches a server: the page
at the link's address hands it over in a form post (its script does, or the person pastes
the link). Links e-mailed before carry it in the address, which is visited once and left
at once. Either way the token is then kept in the signed session, so no later address,
page, Referer, flashed message or log line holds it.
"""

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from coachapp.access import public_view
from coachapp.auth import two_factor as two_step
from coachapp.auth.blueprints import bp
from coachapp.auth.forms import ForgotPasswordForm, OpenLinkForm, SetPasswordForm
from coachapp.auth.models import TokenPurpose, User
from coachapp.auth.services import AccountError
from coachapp.auth.tokens import (
    ENDPOINTS,
    LinkInvalid,
    check_token,
    forget_opened_link,
    opened_link,
    redeem_token,
    remember_opened_link,
    request_password_reset,
    token_in,
)
from coachapp.auth.views import complete_sign_in, private_response
from coachapp.extensions import db
from coachapp.outbox.services import send_soon

RESET_ANSWER = (
    "If an account exists for that address, we have sent it a link to choose a new "
    "password. It works once, within the hour."
)
NOT_A_LINK = (
    "That is not the link from your e-mail. Copy the whole link from the e-mail, "
    "then paste it here."
)
LINK_NOT_KEPT = (
    "This browser no longer holds your link (perhaps it was closed in between). Open the "
    "link from your e-mail again, or paste it here."
)
NEWER_LINK_OPENED = (
    "Another link was opened in this browser after this page was shown, so this page is "
    "now for {email}. Check that this is you, then choose the password again."
)


@bp.route("/forgot-password", methods=["GET", "POST"])
@public_view
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        message = request_password_reset(form.email.data)
        db.session.commit()
        if message is not None:
            send_soon(message)
        flash(RESET_ANSWER, "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/invitation", methods=["GET", "POST"])
@public_view
def accept_invitation():
    """A client invited to the portal chooses a password, then is signed in."""
    return _set_password_page(TokenPurpose.INVITE)


@bp.route("/reset-password", methods=["GET", "POST"])
@public_view
def reset_password():
    """Choose a new password through a reset link, then be signed in."""
    return _set_password_page(TokenPurpose.RESET)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public_view
def invitation_link(token: str):
    """An invitation e-mailed with its token in the address: keep the token, leave the address."""
    return _token_in_address(token, TokenPurpose.INVITE)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public_view
def reset_password_link(token: str):
    """A reset link e-mailed with its token in the address: keep the token, leave the address."""
    return _token_in_address(token, TokenPurpose.RESET)


def _token_in_address(token: str, purpose: TokenPurpose):
    remember_opened_link(purpose, token)
    if request.method == "POST":  # a form shown before the token moved out of addresses
        return _set_password_page(purpose)
    return private_response(redirect(url_for(ENDPOINTS[purpose]), 303))


def _open_link(purpose: TokenPurpose):
    form = OpenLinkForm()
    if form.validate_on_submit():
        token = token_in(form.link.data)
        if token is not None:
            remember_opened_link(purpose, token)
            return private_response(redirect(url_for(ENDPOINTS[purpose]), 303))
        form.link.errors.append(NOT_A_LINK)
    form.link.data = ""  # whatever was pasted is never shown again
    return _open_link_page(purpose, form, 400)


def _open_link_page(purpose: TokenPurpose, form: OpenLinkForm | None = None, status: int = 200):
    page = render_template(
        "auth/open_link.html",
        form=form or OpenLinkForm(),
        purpose=purpose.value,
        action=url_for(ENDPOINTS[purpose]),
    )
    return private_response(make_response(page, status))


def _set_password_page(purpose: TokenPurpose):
    """The form for the link opened last in this browser; its page says whom it is for.

    The same address takes the token of a link being opened (a form with ``link``).
    """
    if request.method == "POST" and "link" in request.form:
        return _open_link(purpose)
    token = opened_link(purpose)
    if token is None:
        return _no_link_yet(purpose)
    try:
        row = check_token(token, purpose)
        # Which link the page was shown for: another tab may have opened a newer one since.
        form = SetPasswordForm(shown_for=str(row.id))
        if form.validate_on_submit():
            if form.shown_for.data != str(row.id):
                form.shown_for.data = str(row.id)
                form.form_errors.append(NEWER_LINK_OPENED.format(email=row.user.email))
                return _password_form_page(form, row.user, purpose, 409)
            user = redeem_token(token, purpose, form.password.data)
            return _sign_in_with_new_password(user, purpose)
    except LinkInvalid as error:
        db.session.rollback()
        page = render_template("auth/link_invalid.html", reason=error.reason, purpose=purpose.value)
        return private_response(make_response(page, 404 if error.reason == "unknown" else 410))
    except AccountError as error:  # a password that is refused, with the reason
        form.password.errors.append(str(error))
    return _password_form_page(form, row.user, purpose, 400 if form.errors else 200)


def _no_link_yet(purpose: TokenPurpose):
    if request.method == "GET":
        return _open_link_page(purpose)
    form = OpenLinkForm(formdata=None)
    form.form_errors.append(LINK_NOT_KEPT)
    return _open_link_page(purpose, form, 400)


def _password_form_page(form: SetPasswordForm, user: User, purpose: TokenPurpose, status: int):
    page = render_template("auth/set_password.html", form=form, purpose=purpose.value, user=user)
    return private_response(make_response(page, status))


def _sign_in_with_new_password(user: User, purpose: TokenPurpose):
    forget_opened_link(purpose)
    if current_user.is_authenticated and current_user.id != user.id:
        # Someone else was signed in here: their session in this browser ends.
        logout_user()
        session.clear()
    if user.has_two_factor:
        # A reset link proves the e-mail address, not the phone: the code is still needed.
        db.session.commit()
        two_step.begin_pending_sign_in(user, None)
        flash("Your password is set. Now type the code from your app to sign in.", "success")
        return redirect(url_for("auth.two_factor"))
    response = complete_sign_in(user, None)
    flash("Your password is set. Welcome!", "success")
    return response
