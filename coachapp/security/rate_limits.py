"""Rate limits on the forms that guess-and-try attacks aim at: sign-in, the two-step code,
password links, invitations, blog comments and sign-ups to follow the blog by e-mail.

Flask-Limiter counts POSTs per client address (``request.remote_addr``, which ProxyFix
corrects behind a proxy). Each app has its own limiter, so its counters live in its own
storage: RATELIMIT_STORAGE_URI, in memory by default (per process; several processes share
counters through e.g. redis://).
"""

import math
import time
from collections.abc import Callable

from flask import Flask, current_app, render_template, request, url_for
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from coachapp.auth.forms import ForgotPasswordForm, LoginForm

# Endpoint -> the setting holding its limits ("10 per minute;50 per hour").
GUARDED_ENDPOINTS = {
    "auth.login": "RATE_LIMIT_SIGN_IN",
    "auth.two_factor": "RATE_LIMIT_TWO_FACTOR",
    "auth.forgot_password": "RATE_LIMIT_RESET_LINKS",
    # Posting a link's token or a new password; older links carry the token in the address.
    "auth.reset_password": "RATE_LIMIT_RESET_LINKS",
    "auth.reset_password_link": "RATE_LIMIT_RESET_LINKS",
    "auth.accept_invitation": "RATE_LIMIT_INVITATION",
    "auth.invitation_link": "RATE_LIMIT_INVITATION",
    "blog.add_comment": "RATE_LIMIT_COMMENTS",
    "readers.subscribe_page": "RATE_LIMIT_SUBSCRIPTIONS",
}
EXTENSION_KEY = "coachapp.limiter"

PAUSED_RESET_LINKS = (
    "There were many attempts to choose a password from your connection in a short time, "
    "so coachapp is pausing them for a little while."
)
PAUSED_INVITATIONS = (
    "There were many attempts to accept an invitation from your connection in a short "
    "time, so coachapp is pausing them for a little while."
)
WHY_PAUSED = {
    "auth.login": "There were many sign-in attempts from your connection in a short time, "
    "so to keep accounts safe coachapp is pausing sign-in here for a little while.",
    "auth.two_factor": "There were many sign-in codes from your connection in a short time, "
    "so to keep your account safe coachapp is pausing for a little while.",
    "auth.forgot_password": "There were many requests for password links from your "
    "connection in a short time, so coachapp is pausing them for a little while.",
    "auth.reset_password": PAUSED_RESET_LINKS,
    "auth.reset_password_link": PAUSED_RESET_LINKS,
    "auth.accept_invitation": PAUSED_INVITATIONS,
    "auth.invitation_link": PAUSED_INVITATIONS,
    "readers.subscribe_page": "There were many sign-ups to follow the blog from your "
    "connection in a short time, so coachapp is pausing them for a little while.",
}


def init_app(app: Flask) -> None:
    """Give this app its own limiter and put the limits on the guarded forms present.

    Call after the blueprints are registered: the views are wrapped where they are.
    """
    limiter = Limiter(key_func=get_remote_address, key_prefix="coachapp")
    limiter.init_app(app)
    if app.config["PRODUCTION"] and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        # gunicorn runs several processes; each would let through its own share of attempts.
        app.logger.warning(
            "Rate limits are counted in this process's memory (RATELIMIT_STORAGE_URI is "
            "memory://): with several workers, set it to a shared store such as redis://."
        )
    app.extensions[EXTENSION_KEY] = limiter
    for endpoint, setting in GUARDED_ENDPOINTS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue  # a form this installation does not have
        guard = limiter.limit(_limits_from(setting), methods=["POST"])
        app.view_functions[endpoint] = guard(view)
    app.register_error_handler(RateLimitExceeded, render_too_many_attempts)


def _limits_from(setting: str) -> Callable[[], str]:
    # Read on each request, so the setting can differ per app (and per test).
    return lambda: current_app.config[setting]


def seconds_to_wait() -> int:
    """Seconds until the limit this request broke lets the next attempt through."""
    limit = current_app.extensions[EXTENSION_KEY].current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.window.reset_time - time.time()))


def wait_in_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"


def render_too_many_attempts(error: RateLimitExceeded):
    """The friendly 429 page, with a Retry-After and the e-mail address as it was typed."""
    seconds = seconds_to_wait()
    retry_form = retry_action = None
    if request.endpoint in ("auth.login", "auth.forgot_password"):
        form_class = LoginForm if request.endpoint == "auth.login" else ForgotPasswordForm
        retry_form, retry_action = form_class(), url_for(request.endpoint)
    page = render_template(
        "errors/429.html",
        error=error,
        why=WHY_PAUSED.get(request.endpoint or ""),
        wait_words=wait_in_words(seconds),
        retry_form=retry_form,
        retry_action=retry_action,
    )
    return page, 429, {"Retry-After": str(seconds)}

