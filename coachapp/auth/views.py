"""Sign in and out, invitations and password reset, and the person's own details."""

from zoneinfo import available_timezones

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from coachapp.auth import bp
from coachapp.auth.access import home_url_for, public_view
from coachapp.auth.forms import ForgotPasswordForm, LoginForm, ProfileForm, SetPasswordForm
from coachapp.auth.models import TokenPurpose
from coachapp.auth.services import AccountError, authenticate, begin_session, safe_next_path
from coachapp.auth.tokens import LinkInvalid, check_token, redeem_token, request_password_reset
from coachapp.extensions import db
from coachapp.outbox.services import send_soon

WRONG_CREDENTIALS = "That e-mail address and password do not match an account."


@bp.route("/login", methods=["GET", "POST"])
@public_view
def login():
    """Show the sign-in form; on success go where the person was heading."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            begin_session(user)
            db.session.commit()
            return redirect(safe_next_path(form.next.data) or home_url_for(user))
        form.form_errors.append(WRONG_CREDENTIALS)
    status = 200 if request.method == "GET" or (not form.errors and not form.form_errors) else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out and forget everything in the session."""
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """The signed-in person's own details."""
    return render_template("auth/account.html")


@bp.route("/account/edit", methods=["GET", "POST"])
@login_required
def edit_account():
    """Change name, time zone and (for coaches) the bio readers see."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.timezone = form.timezone.data
        if current_user.is_coach:
            current_user.bio = form.bio.data or ""
        db.session.commit()
        flash("Your details are saved.", "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account_form.html", form=form, time_zones=sorted(available_timezones())
    ), 400 if form.errors else 200


# Invitations and password reset

RESET_ANSWER = (
    "If an account exists for that address, we have sent it a link to choose a new "
    "password. It works once, within the hour."
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


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public_view
def accept_invitation(token: str):
    """A client invited to the portal chooses a password, then is signed in."""
    return _set_password_page(token, TokenPurpose.INVITE)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public_view
def reset_password(token: str):
    """Choose a new password through a reset link, then be signed in."""
    return _set_password_page(token, TokenPurpose.RESET)


def _set_password_page(token: str, purpose: TokenPurpose):
    try:
        row = check_token(token, purpose)
        form = SetPasswordForm()
        if form.validate_on_submit():
            try:
                user = redeem_token(token, purpose, form.password.data)
            except AccountError as error:
                form.password.errors.append(str(error))
            else:
                return _sign_in_with_new_password(user)
    except LinkInvalid as error:
        db.session.rollback()
        response = make_response(
            render_template("auth/link_invalid.html", reason=error.reason, purpose=purpose.value),
            404 if error.reason == "unknown" else 410,
        )
        return _private(response)
    page = render_template(
        "auth/set_password.html", form=form, purpose=purpose.value, user=row.user
    )
    return _private(make_response(page, 400 if form.errors else 200))


def _sign_in_with_new_password(user):
    begin_session(user)
    db.session.commit()
    flash("Your password is set. Welcome!", "success")
    return redirect(home_url_for(user))


def _private(response):
    """The link's token is in the URL: never send it on as a Referer, never cache the page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
