"""Request guards: security headers, trusted hosts, rate limits, session timeouts and the
work kept when a session times out."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the guards; call once the feature blueprints are registered."""
    from coachapp.security import headers, kept_work, rate_limits, timeouts, views

    # Both insert their hook first in line: the host check ends up before the timeout check.
    timeouts.init_app(app)
    headers.init_app(app)
    rate_limits.init_app(app)
    kept_work.init_app(app)
    app.register_blueprint(views.bp)
    if app.config["PRODUCTION"] and app.config["PROPAGATE_EXCEPTIONS"] is None:
        # Never a traceback in production, even with debugging left on by mistake.
        app.config["PROPAGATE_EXCEPTIONS"] = False
