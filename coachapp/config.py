"""Configuration: defaults, then instance/config.py, then the environment, then tests.

Every setting here can be overridden in ``instance/config.py`` or by an environment
variable with the ``FLASK_`` prefix (``FLASK_SQLALCHEMY_DATABASE_URI=...``).
``DATABASE_URL`` is accepted as well, as most hosting platforms set it.
"""

import base64
import fcntl
import os
import re
import secrets
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

import click
from flask import Flask


class DefaultConfig:
    """Settings every installation starts from."""

    SECRET_KEY: str | None = None
    PRODUCTION = False
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLITE_BUSY_TIMEOUT_SECONDS = 15
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SESSION_COOKIE_NAME = "coachapp_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # also Secure whenever the request came over HTTPS
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # scrypt with N=2**15, r=8, p=1 (32 MiB and about 0.1 s a hash). A stronger setting
    # applies to each account at its next sign-in.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105  (a method, not a password)
    # A coach may spend an hour on a note: the form's token must not expire before the
    # session does, or the note would be refused on save.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Largest text field of a multipart form, in bytes (the letter editor's autosave sends
    # one); larger gets the 413 page. Forms posted the ordinary way are bounded by
    # MAX_CONTENT_LENGTH only. A character takes at most 4 bytes, so any note within
    # NOTE_MAX_CHARS and any letter within LETTER_MAX_CHARS (100,000) fits.
    MAX_FORM_MEMORY_SIZE = 500_000
    # Longest private note or summary accepted (about 20,000 words); at most
    # MAX_FORM_MEMORY_SIZE / 4, so a note that passes this check is never refused as too big.
    NOTE_MAX_CHARS = 120_000
    PROXY_COUNT = 0
    # Host names this installation answers to, e.g. ["coach.example"]; a request for any
    # other Host gets a 400. None answers to any (fine behind a proxy that checks it).
    TRUSTED_HOSTS: list[str] | None = None
    # Rate limits per client address on sign-in, two-step codes, password links,
    # invitations and blog comments. memory:// counts per process; several processes
    # share their counts through e.g. "redis://localhost:6379".
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # A shared store that stops answering must not stop sign-ins (a 500): each process
    # counts in its own memory until the store is back, and says so in its log.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATE_LIMIT_SIGN_IN = "10 per minute;50 per hour"
    RATE_LIMIT_TWO_FACTOR = "10 per minute;50 per hour"
    RATE_LIMIT_RESET_LINKS = "5 per minute;20 per hour"  # asking for one, and using one
    RATE_LIMIT_INVITATION = "10 per minute;50 per hour"
    # An outer guard: COMMENT_RATE_LIMIT below is the blog's own, stricter, limit.
    RATE_LIMIT_COMMENTS = "10 per minute;60 per hour"
    # Following the blog by e-mail: each sign-up sends a message, so floods are refused.
    RATE_LIMIT_SUBSCRIPTIONS = "5 per minute;20 per hour"
    # Sign a session out after this long without a request, and after this long in all.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    DEFAULT_TIMEZONE = "Europe/London"
    # A letter's PDF renders in a child process stopped past these limits (a two-page
    # letter takes well under a second and 100 MB).
    PDF_RENDER_TIMEOUT_SECONDS = 20
    PDF_RENDER_MEMORY_LIMIT_MB = 768
    # Links in e-mails start with this address, never with the request's Host header.
    CANONICAL_URL = "http://127.0.0.1:5000"
    # Outgoing mail. Without MAIL_SERVER, messages are saved under instance/mail/.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_SSL = False  # SMTP over TLS from the start (usually port 465)
    MAIL_USE_STARTTLS = True  # upgrade a plain connection (usually port 587)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_SENDER = "coachapp <coachapp@localhost>"
    MAIL_TIMEOUT_SECONDS = 15
    # The outbox worker: retries wait OUTBOX_RETRY_SECONDS, doubling each time.
    OUTBOX_MAX_ATTEMPTS = 6
    OUTBOX_RETRY_SECONDS = 60
    OUTBOX_LOOP_SECONDS = 10
    # How long invitation and password-reset links stay valid.
    INVITE_TTL_DAYS = 7
    RESET_TTL_MINUTES = 60
    # Readers' comments on the blog: more than COMMENT_RATE_LIMIT from one address within
    # the window are refused (429), and a comment may carry at most COMMENT_MAX_LINKS links.
    COMMENT_RATE_LIMIT = 5
    COMMENT_RATE_WINDOW_SECONDS = 600
    COMMENT_MAX_LINKS = 2
    # Rendered public blog pages each app process keeps for readers who are not signed in
    # (checked against the database on every request); 0 turns the cache off.
    BLOG_PAGE_CACHE_SIZE = 256
    # Backups (flask backup create): the key that encrypts them, made with `flask backup key`
    # (keep a copy away from the server: without it no backup opens), and where they go
    # (default: instance/backups).
    BACKUP_KEY: str | None = None
    BACKUP_FOLDER: str | None = None
    # Two-step sign-in: the keys that encrypt each authenticator secret in the database, newest
    # first (a list, or one string of keys separated by commas). The first encrypts; any of
    # them decrypts. Written into instance/config.py on a laptop's first run; production
    # refuses to start without. Keep them with the backup key: a restored database needs them.
    TWO_FACTOR_KEYS: list[str] | None = None


# Secret keys copied from examples; production refuses them.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {"", "dev", "development", "secret", "changeme", "change-me", "change me", "coachapp"}
)
MIN_PRODUCTION_SECRET_KEY_LENGTH = 32
# A key as write_local_secret_key writes it.
WRITTEN_SECRET_KEY = re.compile(r"^SECRET_KEY = '([0-9a-f]{64})'$", re.MULTILINE)
# A Fernet key, as cryptography's Fernet.generate_key() makes it: 32 random bytes, base64.
TWO_FACTOR_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")
WRITTEN_TWO_FACTOR_KEYS = re.compile(
    rf"^TWO_FACTOR_KEYS = \['({TWO_FACTOR_KEY.pattern})'\]$", re.MULTILINE
)
MAKE_A_TWO_FACTOR_KEY = (
    "python3 -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\""
)


class StartupError(click.ClickException):
    """A configuration problem explained in one sentence instead of a traceback."""


def ensure_instance_folder(path: Path) -> None:
    """Create the instance folder if needed and make sure coachapp can write to it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StartupError(
            f"coachapp keeps its settings and database in {path}, but cannot create that "
            f"folder ({error.strerror}). Create it, or point COACHAPP_INSTANCE_PATH elsewhere."
        ) from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise StartupError(
            f"coachapp keeps its settings and database in {path}, but this user cannot write "
            "to it. Make it writable, or point COACHAPP_INSTANCE_PATH elsewhere."
        )


def load_layered_config(app: Flask, test_config: dict | None) -> None:
    """Apply the configuration layers in order: defaults, instance, environment, tests."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env()
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"] or default_sqlite_url(app)
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = dict(engine_options.get("connect_args", {}))
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_SECONDS"])
        # sqlite3 begins a transaction at its first write, taking the write lock and a fresh
        # view together: of two saves of one letter at the same instant, the second waits,
        # then finds its version taken (the conflict page). A transaction begun before the
        # reads keeps an old view that SQLite will not write from once the other save has
        # committed ("database is locked"). Python 3.12 names this legacy and plans another
        # default, so keep it.
        if hasattr(sqlite3, "LEGACY_TRANSACTION_CONTROL"):  # Python 3.12 and later
            connect_args.setdefault("autocommit", sqlite3.LEGACY_TRANSACTION_CONTROL)
        engine_options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    ensure_secret_key(app)
    ensure_two_factor_keys(app)


def default_sqlite_url(app: Flask) -> str:
    """The embedded database: a SQLite file in the instance folder."""
    return f"sqlite:///{Path(app.instance_path) / 'coachapp.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver (as platforms give them)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_secret_key(app: Flask) -> None:
    """Refuse a weak key in production; on a laptop, create one on first run."""
    key = app.config.get("SECRET_KEY") or ""
    if app.config["PRODUCTION"]:
        if key.strip().lower() in PLACEHOLDER_SECRET_KEYS:
            raise StartupError(
                "coachapp refuses to start in production without a secret key: set "
                "FLASK_SECRET_KEY (or SECRET_KEY in instance/config.py) to a long random "
                'value, e.g. the output of: python3 -c "import secrets; print(secrets.token_hex())"'
            )
        if len(key) < MIN_PRODUCTION_SECRET_KEY_LENGTH:
            raise StartupError(
                f"coachapp refuses to start in production with a secret key shorter than "
                f"{MIN_PRODUCTION_SECRET_KEY_LENGTH} characters: set FLASK_SECRET_KEY to a "
                "long random value."
            )
        return
    if not key:
        app.config["SECRET_KEY"] = write_local_secret_key(Path(app.instance_path))


def write_local_secret_key(instance_path: Path) -> str:
    """The SECRET_KEY of instance/config.py, added there (the file private to this user) if
    it has none yet.

    Several processes may start at once on a new installation (gunicorn's workers): the
    first to hold the file's lock writes the key and the others read it, so that every
    process signs cookies with the same key.
    """
    return _add_local_setting(
        instance_path,
        WRITTEN_SECRET_KEY,
        lambda key: f"SECRET_KEY = {key!r}\n",
        new_value=lambda: secrets.token_hex(32),
        what="a secret key",
    )


def parse_two_factor_keys(value) -> list[str]:
    """TWO_FACTOR_KEYS as a list, from a list or from one string (commas or spaces apart)."""
    if not value:
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,]+", value)
    return [str(key).strip() for key in value if str(key).strip()]


def ensure_two_factor_keys(app: Flask) -> None:
    """Refuse a malformed two-step key; in production, refuse to start without one; on a
    laptop, create one on first run (as for SECRET_KEY)."""
    keys = parse_two_factor_keys(app.config.get("TWO_FACTOR_KEYS"))
    if not all(TWO_FACTOR_KEY.fullmatch(key) for key in keys):
        raise StartupError(
            "TWO_FACTOR_KEYS holds something that is not a two-step key (each is 44 "
            f"characters ending in '='). Make one with: {MAKE_A_TWO_FACTOR_KEY}"
        )
    if not keys and app.config["PRODUCTION"]:
        raise StartupError(
            "coachapp refuses to start in production without a two-step key, which encrypts "
            "the authenticator secrets in the database: set FLASK_TWO_FACTOR_KEYS (or "
            "TWO_FACTOR_KEYS in instance/config.py) to a key made with: "
            f"{MAKE_A_TWO_FACTOR_KEY} and keep a copy with the backup key."
        )
    app.config["TWO_FACTOR_KEYS"] = keys or [write_local_two_factor_key(Path(app.instance_path))]


def write_local_two_factor_key(instance_path: Path) -> str:
    """The two-step key of instance/config.py, added there if it has none yet (under the
    same lock as the secret key, so that processes starting together share one)."""
    return _add_local_setting(
        instance_path,
        WRITTEN_TWO_FACTOR_KEYS,
        lambda key: f"TWO_FACTOR_KEYS = [{key!r}]\n",
        # What Fernet.generate_key() returns, without loading cryptography at start-up.
        new_value=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"),
        what="a two-step key",
    )


def _add_local_setting(
    instance_path: Path,
    written: re.Pattern,
    line_for: Callable[[str], str],
    new_value: Callable[[], str],
    what: str,
) -> str:
    """The value of a setting coachapp writes into instance/config.py (the file private to
    this user), read there or, if it is not there yet, made and added under the file's lock."""
    config_file = instance_path / "config.py"
    try:
        descriptor = os.open(config_file, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            handle.seek(0)
            contents = handle.read()
            existing = written.findall(contents)
            if existing:
                return existing[-1]
            value = new_value()
            if not contents:
                handle.write("# Local settings for this coachapp installation. Keep private.\n")
            elif not contents.endswith("\n"):
                handle.write("\n")  # a last line edited by hand stays as it was
            handle.write(line_for(value))
    except OSError as error:
        raise StartupError(
            f"coachapp could not write {what} to {config_file} ({error.strerror})."
        ) from error
    return value
