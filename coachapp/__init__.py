"""coachapp: the workplace of a parent coach."""

from pathlib import Path

from flask import Flask, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from coachapp.config import ensure_instance_folder, load_layered_config
from coachapp.extensions import csrf, db, login_manager
from coachapp.ids import DatabaseIdConverter
from coachapp.paths import STATIC_FOLDER, TEMPLATE_FOLDER, default_instance_path
from coachapp.security import init_app as init_request_guards
from coachapp.storable_text import CoachappRequest, StorableTextConverter


def create_app(test_config: dict | None = None) -> Flask:
    """Build a coachapp application; ``test_config`` overrides every other setting."""
    configured_instance = (test_config or {}).get("INSTANCE_PATH")
    instance_path = Path(configured_instance).resolve() if configured_instance else None
    instance_path = instance_path or default_instance_path()
    ensure_instance_folder(instance_path)
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
    )
    load_layered_config(app, test_config)
    app.session_interface = HttpsAwareSessionInterface()
    app.request_class = CoachappRequest
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_context(app)
    init_request_guards(app)
    register_health_check(app)
    if app.config["PROXY_COUNT"]:
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    return app


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request arrived over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if super().get_cookie_secure(app):
            return True
        return has_request_context() and request.is_secure


def register_extensions(app: Flask) -> None:
    """Bind the database, CSRF protection and sign-in to the app (migrations: see cli.py)."""
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from coachapp.auth.models import User

    @login_manager.user_loader
    def load_user(session_token: str) -> User | None:
        return db.session.execute(
            select(User).where(User.session_token == session_token, User.active)
        ).scalar_one_or_none()


def register_url_converters(app: Flask) -> None:
    """Before any route: an ``<int:...>`` is an id the database can hold, and the text of
    an address (a slug, a token) is text it can store."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = StorableTextConverter


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature; every page needs sign-in unless marked public."""
    from coachapp import (
        activity,
        auth,
        blog,
        booking,
        calendar,
        calendar_sync,
        clients,
        coaching,
        dashboard,
        data_rights,  # noqa: F401  (export and deletion pages, on the clients blueprint)
        journal,
        letters,
        outbox,
        portal,
        programmes,
        public,
        readers,
        reminders,  # noqa: F401  (queues due reminders when the outbox worker runs)
    )
    from coachapp.access import require_login_unless_public
    from coachapp.blog import page_cache

    app.before_request(require_login_unless_public)
    blueprints = (
        *(public.bp, auth.bp, dashboard.bp, clients.bp, coaching.bp, coaching.search_bp),
        *(letters.bp, outbox.bp, portal.bp, blog.bp, blog.posts_bp, blog.comments_bp),
        blog.journal_sharing_bp,
        activity.bp, booking.bp, programmes.bp, readers.bp,
        calendar.bp, calendar_sync.bp, journal.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    page_cache.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    """Render errors/<code>.html; a server error first rolls back the database session.

    Flask turns any unhandled exception into a 500 (and logs it), so the 500 handler
    covers crashes too, while tests still see the original exception. A full disk is not
    a crash: the coach gets the 507 page, saying nothing was saved and the text is still
    in the form. A request that asks for JSON (the letter editor's autosave) gets
    {"ok": false, "message": ...}, which the editor shows beside the text.
    """
    from flask import jsonify
    from sqlalchemy.exc import OperationalError

    from coachapp.diskfull import InsufficientStorage, is_disk_full

    # Short answers the letter editor shows beside the text, by status code.
    json_messages = {
        413: "Not saved: this is more than coachapp accepts at once. Your text is still here: "
        "shorten it, then save again.",
        507: "Not saved: the server's disk is full. Your text is still here: copy it somewhere "
        "safe, and tell your practice's administrator.",
    }
    stale_page_message = (
        "Not saved: this page is too old. Copy your text, reload the page, then save again."
    )

    def wants_json() -> bool:
        best = request.accept_mimetypes.best_match(("text/html", "application/json"))
        return best == "application/json"

    def render_error(error: HTTPException, template: str = "", json_message: str = ""):
        if error.code and error.code >= 500:
            db.session.rollback()
        if wants_json():
            message = json_message or json_messages.get(error.code, error.description)
            return jsonify(ok=False, message=message), error.code
        templates = [template] if template else [f"errors/{error.code}.html", "errors/error.html"]
        return render_template(templates, error=error), error.code

    def render_csrf_error(error: CSRFError):
        return render_error(error, "errors/csrf.html", stale_page_message)

    def render_disk_full(error: Exception):
        if not is_disk_full(error):
            raise error  # any other failure stays a crash: logged, and the 500 page
        app.logger.error("The disk is full: %s %s saved nothing", request.method, request.path)
        return render_error(InsufficientStorage())

    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(OperationalError, render_disk_full)
    app.register_error_handler(OSError, render_disk_full)


def register_health_check(app: Flask) -> None:
    """Last, since it goes first: /healthz answers before every other request hook."""
    from coachapp.public.views import answer_health_checks_first

    app.before_request_funcs.setdefault(None, []).insert(0, answer_health_checks_first)


def register_commands(app: Flask) -> None:
    """Add coachapp's flask commands (cli.py lists them); `flask db` loads when asked for."""
    from coachapp.cli import AppCommands, commands

    # In place of Flask's group, keeping any command a blueprint added: `db` loads lazily.
    app.cli = AppCommands(app, commands=app.cli.commands)
    for command in commands:
        app.cli.add_command(command)


def register_template_context(app: Flask) -> None:
    """Filters and the practice name for every template."""
    from coachapp.templating import register_template_helpers

    register_template_helpers(app)
