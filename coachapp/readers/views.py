"""Following the blog by e-mail: the form, "check your inbox", confirming and leaving.

Every page is public. The pages a link opens answer an unusable link with a page saying
so (404 for a link that matches nothing, 400 for one used or expired) and change nothing.
"""

from flask import redirect, render_template, request, url_for

from coachapp.access import public_view
from coachapp.auth.tokens import LinkInvalid
from coachapp.blog.models import Series
from coachapp.blog.services import get_by_slug_or_404
from coachapp.extensions import csrf, db
from coachapp.mail import MailError
from coachapp.readers.blueprints import bp
from coachapp.readers.forms import ConfirmSubscriptionForm, SubscribeForm, UnsubscribeForm
from coachapp.readers.models import SubscriptionStatus
from coachapp.readers.sending import start_following
from coachapp.readers.services import (
    CONFIRM_LIFETIME,
    confirmed_reader_counts,
    delete_address,
    followed_name,
    pending_subscription,
    subscribe,
    subscription_by_link,
    unsubscribe,
)
from coachapp.timeutil import utcnow


def subscribe_form(series: Series | None = None) -> SubscribeForm:
    """The form for a blog page: on a series' page it offers that series."""
    return SubscribeForm(prefix="reader", formdata=None, series=series.slug if series else "")


bp.add_app_template_global(subscribe_form, "reader_subscribe_form")
bp.add_app_template_global(confirmed_reader_counts)


def _series_named_in(form: SubscribeForm) -> Series | None:
    """The series the form was shown with, if any; an unknown one is a 404."""
    if not form.series.data:
        return None
    return get_by_slug_or_404(Series, form.series.data)


@bp.route("/blog/by-email/", methods=["GET", "POST"])
@public_view
def subscribe_page():
    """Follow the blog (or a series) by e-mail: the form, and what the address is used for."""
    form = SubscribeForm(prefix="reader")
    if request.method == "GET":
        form.series.data = request.args.get("series", "")
    series = _series_named_in(form)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("readers/subscribe.html", form=form, series=series), status
    chosen = series if form.wants_series() else None
    try:
        subscribe(form.email.data, chosen, utcnow())
    except MailError:
        form.email.errors.append("Enter an e-mail address such as name@example.com.")
        return render_template("readers/subscribe.html", form=form, series=series), 400
    db.session.commit()
    # The same page whether the address is new, waiting or already following.
    return redirect(url_for(".check_inbox"), 303)


@bp.route("/blog/by-email/check-your-inbox")
@public_view
def check_inbox():
    """After subscribing: the confirmation link is on its way."""
    return render_template("readers/check_inbox.html", days=CONFIRM_LIFETIME.days)


@bp.route("/blog/by-email/confirm/<token>", methods=["GET", "POST"])
@public_view
def confirm(token: str):
    """The confirmation link: a button to press (mail scanners open links, but press
    nothing), then the subscription starts."""
    now = utcnow()
    try:
        subscription = pending_subscription(token, now)
    except LinkInvalid as invalid:
        return _link_problem(invalid.reason)
    form = ConfirmSubscriptionForm()
    if not form.validate_on_submit():
        what = followed_name(subscription)
        return render_template("readers/confirm.html", form=form, what=what)
    subscription = start_following(token, now)
    what = followed_name(subscription)
    db.session.commit()
    return render_template("readers/confirmed.html", subscription=subscription, what=what)


@bp.route(
    "/blog/by-email/unsubscribe/<int:subscription_id>/<token>",
    endpoint="unsubscribe",
    methods=["GET", "POST"],
)
@public_view
@csrf.exempt
def unsubscribe_page(subscription_id: int, token: str):
    """The link in every message: a page with a button, or a one-click POST from a mail
    program (RFC 8058: no CSRF token, the link's signature stands for it) that ends the
    subscription at once."""
    subscription = subscription_by_link(subscription_id, token)
    if subscription is None:
        return _link_problem("gone")
    what = followed_name(subscription)
    form = UnsubscribeForm()
    if request.method == "GET":
        return render_template(
            "readers/unsubscribe.html", form=form, what=what, subscription=subscription
        )
    if subscription.status is not SubscriptionStatus.UNSUBSCRIBED:
        unsubscribe(subscription)
    deleted = bool(form.delete_address.data)
    if deleted:
        delete_address(subscription)
    db.session.commit()
    return render_template("readers/unsubscribed.html", what=what, deleted=deleted)


def _link_problem(reason: str):
    """A clear page for a link that cannot be used; nothing has changed."""
    status = 404 if reason in ("unknown", "gone") else 400
    page = render_template("readers/link_problem.html", reason=reason, days=CONFIRM_LIFETIME.days)
    return page, status
