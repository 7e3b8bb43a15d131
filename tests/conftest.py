"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL where it is installed)."""

import re
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import event

from coachapp import create_app
from coachapp.documents import archive
from coachapp.extensions import db, init_migrations
from coachapp.letters import rendering
from coachapp.paths import MIGRATIONS_FOLDER
from tests.postgres import PostgresCluster, why_postgres_unavailable
from tests.smtp import SmtpServer

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-for-production"
TEST_TWO_FACTOR_KEY = "haWBf3-Qsgpp50jIYXloKxVFRX5Cw95RxNU843eWdCM="  # a Fernet key
BACKENDS = ["sqlite", "postgresql"]
TEST_PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


class SharedTemplateCache(BytecodeCache):
    """Compiled templates shared by every test app of this process: each test builds a new
    app, and compiling the same templates for each one was a tenth of the suite's time.
    Jinja keys each entry by template name and a checksum of its source."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


SHARED_TEMPLATE_CACHE = SharedTemplateCache()


def make_test_app(instance_path: Path, database_url: str, **overrides):
    """An app whose instance folder and database belong to one test alone."""
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "TWO_FACTOR_KEYS": [TEST_TWO_FACTOR_KEY],
        "INSTANCE_PATH": instance_path,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # The same scrypt with a smaller cost: hundreds of sign-ins would otherwise take
        # minutes. test_auth checks the real default.
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = SHARED_TEMPLATE_CACHE
    return app


def migrate_database(instance_path: Path, database_url: str) -> None:
    """Bring a database to the latest schema, as `flask init-db` does."""
    app = make_test_app(instance_path, database_url)
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER))
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_cluster():
    reason = why_postgres_unavailable()
    if reason:
        pytest.skip(reason)
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster, tmp_path_factory) -> str:
    """Name of a migrated PostgreSQL database that each test copies."""
    url = postgres_cluster.create_database()
    migrate_database(tmp_path_factory.mktemp("pg-template"), url)
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    migrate_database(folder, f"sqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """The database the test runs on; every database test runs on both."""
    return request.param


@pytest.fixture
def database_url(request, backend, tmp_path):
    """A fresh, migrated database for one test."""
    if backend == "sqlite":
        path = tmp_path / "coachapp.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database(template=request.getfixturevalue("postgres_template"))
    yield url
    cluster.drop_database(url)


@pytest.fixture
def empty_database_url(request, backend, tmp_path):
    """A database with no tables at all, for the migration tests."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    cluster.drop_database(url)


@pytest.fixture
def app(database_url, tmp_path):
    app = make_test_app(tmp_path / "instance", database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def mail_server():
    """A real SMTP server on 127.0.0.1; ``.messages`` is what it received."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def page_text(response) -> str:
    return response.get_data(as_text=True)


def ticked(page: str, name: str) -> list[str]:
    """The values of the ticked checkboxes called ``name`` on the page."""
    values = []
    for tag in re.findall(r"<input [^>]*>", page):
        if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
            values.append(re.search(r'value="([^"]*)"', tag).group(1))
    return values


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token a page's form carries."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Browser:
    """Signs people in and out through the real sign-in form."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str, next_path: str | None = None):
        query = f"?next={next_path}" if next_path else ""
        page = self.client.get(f"/login{query}")
        data = {"email": email, "password": password, "next": next_path or ""}
        match = CSRF_FIELD.search(page.get_data(as_text=True))
        if match:
            data["csrf_token"] = match.group(1)
        return self.client.post("/login", data=data)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def coach_id(app, browser) -> int:
    """The id of a coach (coach@example.com), signed in through the real form."""
    from tests.factories import PASSWORD, make_coach

    with app.app_context():
        coach_id = make_coach().id
    browser.login("coach@example.com", PASSWORD)
    return coach_id


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Replace WeasyPrint with a stand-in that records each render and returns a fake PDF.

    Every PDF on a letterhead (letters and sessions) is rendered through this one seam.
    """
    calls: list[str] = []

    def fake_render_pdf(html: str, **_options) -> bytes:
        calls.append(html)
        return b"%PDF-fake " + str(len(calls)).encode()

    monkeypatch.setattr(rendering, "render_pdf", fake_render_pdf)
    return calls


def spy_on_archive_files(monkeypatch) -> list:
    """Every temporary file an archive is written into, in the order they were opened."""
    opened = []

    def spooled_file(**options):
        opened.append(tempfile.SpooledTemporaryFile(**options))  # noqa: SIM115  (the spy keeps it)
        return opened[-1]

    monkeypatch.setattr(archive, "tempfile", SimpleNamespace(SpooledTemporaryFile=spooled_file))
    return opened


def statements_for(app, client, path: str) -> list[str]:
    """The SQL statements one GET of ``path`` runs (the page must answer 200)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, path
    return statements
