"""Sign in and out, and the person's own details, password and e-mail address
(invitations and password reset: link_views.py)."""

from zoneinfo import available_timezones

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError

from coachapp.access import home_url_for, public_view
from coachapp.auth import two_factor as two_step
from coachapp.auth.blueprints import bp
from coachapp.auth.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    LoginForm,
    PracticeTwoFactorForm,
    ProfileForm,
)
from coachapp.auth.models import User
from coachapp.auth.services import (
    AccountError,
    WrongPassword,
    authenticate,
    begin_session,
    change_email,
    change_password,
    record_failed_sign_in,
    safe_next_path,
    sign_in,
    sign_out,
)
from coachapp.extensions import db

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
            next_path = safe_next_path(form.next.data)
            if user.has_two_factor:
                # The password was right; the session starts only after the code.
                two_step.begin_pending_sign_in(user, next_path)
                return redirect(url_for("auth.two_factor"))
            return complete_sign_in(user, next_path)
        record_failed_sign_in(form.email.data)
        db.session.commit()
        form.form_errors.append(WRONG_CREDENTIALS)
    status = 200 if request.method == "GET" or (not form.errors and not form.form_errors) else 400
    return render_template("auth/login.html", form=form), status


def complete_sign_in(user: User, next_path: str | None):
    """Start the session and go on; a coach whose practice requires two-step sign-in but
    who has not set it up goes to the set-up page first (and stays there until done)."""
    sign_in(user)
    db.session.commit()
    if two_step.needs_setup(user):
        session[two_step.MUST_SET_UP] = True
        flash(
            "Your practice asks every coach to use two-step sign-in. "
            "It takes two minutes to set up, and then you can carry on.",
            "info",
        )
        return redirect(url_for("auth.two_factor_setup"))
    return redirect(next_path or home_url_for(user))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out here and everywhere else: a copy of this session's cookie stops working."""
    sign_out(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """The signed-in person's own details, and their sign-in settings."""
    practice_form = None
    if current_user.is_coach and current_user.is_owner:
        practice_form = PracticeTwoFactorForm(require=current_user.practice.require_two_factor)
    return render_template("auth/account.html", practice_form=practice_form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_page():
    """Choose a new password; other browsers are signed out, this one stays signed in."""
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(user, form.current_password.data, form.password.data)
        except WrongPassword as error:
            form.current_password.errors.append(str(error))
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            _stay_signed_in(user)
            flash("Your password is changed. Any other browser has been signed out.", "success")
            return redirect(url_for("auth.account"))
    page = render_template("auth/change_password.html", form=form)
    return private_response(make_response(page, 400 if form.errors else 200))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email_page():
    """Sign in with a different e-mail address from now on."""
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            change_email(user, form.current_password.data, form.email.data)
            db.session.flush()
        except WrongPassword as error:
            form.current_password.errors.append(str(error))
        except AccountError as error:
            form.email.errors.append(str(error))
        except IntegrityError:  # taken by another account at this very moment
            db.session.rollback()
            form.email.errors.append(
                "That address belongs to another account. Choose a different one."
            )
        else:
            _stay_signed_in(user)
            flash(
                f"From now on, sign in with {user.email}. "
                "Any other browser has been signed out.",
                "success",
            )
            return redirect(url_for("auth.account"))
    page = render_template("auth/change_email.html", form=form)
    return private_response(make_response(page, 400 if form.errors else 200))


def _stay_signed_in(user: User) -> None:
    """After a change that rotated the session token: a fresh session for this browser."""
    begin_session(user)
    db.session.commit()


@bp.route("/account/practice/two-step", methods=["POST"])
@login_required
def practice_two_factor():
    """The practice owner requires (or stops requiring) two-step sign-in for every coach."""
    if not (current_user.is_coach and current_user.is_owner):
        abort(404)
    form = PracticeTwoFactorForm()
    if form.validate_on_submit():
        try:
            signed_out = two_step.set_practice_requirement(
                current_user.practice, form.require.data, current_user._get_current_object()
            )
        except two_step.TwoFactorError as error:
            form.require.errors.append(str(error))
        else:
            db.session.commit()
            flash(_requirement_message(form.require.data, signed_out), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", practice_form=form), 400


def _requirement_message(required: bool, signed_out: int) -> str:
    if not required:
        return "Two-step sign-in is now each coach's own choice."
    message = "Every coach of your practice now signs in with two steps."
    if signed_out == 1:
        message += " One coach who had not set it up was signed out and will do so next time."
    elif signed_out:
        message += (
            f" {signed_out} coaches who had not set it up were signed out and will do so "
            "next time."
        )
    return message


@bp.route("/account/edit", methods=["GET", "POST"])
@login_required
def edit_account():
    """Change name, time zone and (for coaches) the bio readers see."""
    form = ProfileForm(obj=current_user)
    if not current_user.is_coach:  # clients have no notice period to set
        del form.cancellation_notice_hours
        del form.session_reminder_hours
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.timezone = form.timezone.data
        if current_user.is_coach:
            current_user.bio = form.bio.data or ""
            if form.cancellation_notice_hours.data is not None:  # blank keeps it
                current_user.cancellation_notice_hours = form.cancellation_notice_hours.data
            current_user.session_reminder_hours = form.session_reminder_hours.data
        db.session.commit()
        flash("Your details are saved.", "success")
        return redirect(url_for("auth.account"))
    return render_template(
        "auth/account_form.html", form=form, time_zones=sorted(available_timezones())
    ), 400 if form.errors else 200


def private_response(response):
    """A page about a password: never cached, and its address never sent on as a Referer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
