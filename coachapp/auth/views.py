"""Sign in and out, and the signed-in person's own details."""

from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from coachapp.auth import bp
from coachapp.auth.access import home_url_for, public_view
from coachapp.auth.forms import LoginForm, ProfileForm
from coachapp.auth.services import authenticate, record_sign_in, safe_next_path
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
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            login_user(user)
            record_sign_in(user)
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
