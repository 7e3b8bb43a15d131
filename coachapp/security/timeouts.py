"""Idle and absolute session timeouts.

``begin_session`` stamps a session with ``signed_in_at`` and ``seen_at`` (epoch seconds).
Every request of a signed-in person checks both against SESSION_IDLE_MINUTES and
SESSION_MAX_HOURS from the session alone (no query); ``seen_at`` is rewritten at most once
a minute (or a tenth of the idle limit, if shorter), so the cookie is not re-sent on every
request. A session past either limit is signed out, and what its last form carried is kept
for after the next sign-in.
"""

from flask import (
    Flask,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_url, logout_user

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.extensions import db
from coachapp.security.headers import allow_framing_by_coachapp
from coachapp.security.kept_work import keep_request_work
from coachapp.timeutil import utcnow

SEEN_AT_REFRESH_SECONDS = 60
IDLE = "idle"
TOO_LONG = "too long"


def expiry_reason(signed_in_at, seen_at, now: int) -> str | None:
    """IDLE, TOO_LONG or None for a session with these stamps at ``now``."""
    config = current_app.config
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return TOO_LONG  # a session without its stamps cannot be trusted to be recent
    if now - signed_in_at >= config["SESSION_MAX_HOURS"] * 3600:
        return TOO_LONG
    if now - seen_at >= config["SESSION_IDLE_MINUTES"] * 60:
        return IDLE
    return None


def check_session_age():
    """Sign out a session left idle, or open, too long; otherwise note the activity."""
    if request.endpoint in (None, "static") or "_user_id" not in session:
        return None
    now = int(utcnow().timestamp())
    reason = expiry_reason(session.get("signed_in_at"), session.get("seen_at"), now)
    if reason is None:
        # Within a tenth of the idle limit (at most a minute) is close enough.
        idle_seconds = current_app.config["SESSION_IDLE_MINUTES"] * 60
        if now - session["seen_at"] >= min(SEEN_AT_REFRESH_SECONDS, idle_seconds // 10):
            session["seen_at"] = now
        return None
    return end_expired_session(reason)


def signed_out_message(reason: str, kept: bool) -> str:
    config = current_app.config
    if reason == IDLE:
        minutes = config["SESSION_IDLE_MINUTES"]
        message = f"You were signed out after {minutes} minute{'s' if minutes != 1 else ''} "
        message += "without activity."
    else:
        hours = config["SESSION_MAX_HOURS"]
        message = f"You were signed out because you had been signed in for {hours} "
        message += f"hour{'s' if hours != 1 else ''}."
    if kept:
        message += " What you were typing is kept: sign in to save it."
    else:
        message += " Please sign in again."
    return message


def end_expired_session(reason: str):
    """Keep the request's typed work, note the sign-out in the audit log, end the session,
    then answer as the request expects: JSON, a framed notice, or the sign-in page."""
    kept = False
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        kept = keep_request_work(user)
        detail = "idle timeout" if reason == IDLE else "maximum session length"
        record_event(
            AuditAction.SESSION_EXPIRED,
            actor=user,
            client_id=_client_id_of(user),
            detail=detail + ("; typed work kept" if kept else ""),
        )
        db.session.commit()
    logout_user()
    session.clear()
    message = signed_out_message(reason, kept)
    if wants_json():
        return jsonify(ok=False, signed_out=True, message=message), 401
    if request.headers.get("Sec-Fetch-Dest") == "iframe":
        # The sign-in page may not be framed; the frame (the letter preview) says why.
        allow_framing_by_coachapp()
        return render_template("security/signed_out_frame.html", message=message), 401
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False):
        if request.method == "GET":
            flash(message, "info")
        return None  # a public page carries on for the reader who is now signed out
    flash(message, "info")
    if request.method == "GET":
        return redirect(login_url("auth.login", next_url=request.url))
    return redirect(url_for("auth.login"), 303)


def _client_id_of(user) -> int | None:
    from coachapp.auth.services import client_id_of

    return client_id_of(user)


def wants_json() -> bool:
    """A fetch from coachapp's scripts (they ask for JSON), not a page in the browser."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def init_app(app: Flask) -> None:
    # Before CSRF and sign-in checks: an expired session is handled as signed out.
    app.before_request_funcs.setdefault(None, []).insert(0, check_session_age)
