"""/healthz stays trivial: one query, no cookie, no rate limit, no Alembic; and it still says
at once when the database is behind or unreachable. (The basic answers: test_pages.py.)"""

import subprocess
import sys
import time

from alembic.script import ScriptDirectory
from sqlalchemy import text

from coachapp.extensions import db
from coachapp.health import expected_heads
from coachapp.paths import MIGRATIONS_FOLDER
from tests.conftest import make_test_app, statements_for
from tests.live_server import REPO_ROOT, free_port


def test_a_health_check_is_one_query_even_for_a_signed_in_coach(app, client, coach_id):
    client.get("/healthz")  # warm: the first check reads the migration files
    statements = statements_for(app, client, "/healthz")
    assert statements == ["SELECT version_num FROM alembic_version"]
    assert len(statements_for(app, client, "/dashboard")) > 1  # a page loads the coach first


def test_a_health_check_sets_no_cookie_where_a_page_would(client, coach_id):
    minutes_ago = int(time.time()) - 5 * 60
    with client.session_transaction() as session:
        session["seen_at"] = minutes_ago  # due to be refreshed by the next page
    assert "Set-Cookie" not in client.get("/healthz").headers
    with client.session_transaction() as session:
        assert session["seen_at"] == minutes_ago  # and the session is as it was
    assert "Set-Cookie" in client.get("/dashboard").headers


def test_a_health_check_is_never_rate_limited(database_url, tmp_path):
    app = make_test_app(tmp_path, database_url, RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 429]
    with app.app_context():
        db.engine.dispose()


def test_a_health_check_sees_a_schema_fall_behind_and_catch_up_at_once(app, client):
    (newest,) = expected_heads()
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["schema"] == "needs init-db"
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newest})
        db.session.commit()
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "schema": "current"}


def test_a_health_check_reports_a_postgresql_server_that_is_down(tmp_path):
    app = make_test_app(tmp_path, f"postgresql+psycopg://coachapp@127.0.0.1:{free_port()}/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable" and response.json["schema"] == "unknown"


def test_the_newest_migration_is_read_as_alembic_reads_it():
    assert expected_heads() == frozenset(ScriptDirectory(str(MIGRATIONS_FOLDER)).get_heads())


HEALTH_CHECK_IN_A_FRESH_PROCESS = """
import sys, tempfile
from coachapp import create_app
folder = tempfile.mkdtemp()
app = create_app({"INSTANCE_PATH": folder, "SECRET_KEY": "x" * 40,
                  "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/empty.sqlite3"})
status = app.test_client().get("/healthz").json["schema"]
print(status, "alembic" in sys.modules)
"""


def test_a_health_check_never_imports_alembic():
    # Alembic takes a quarter of a second to import: each worker's first check was that slow.
    result = subprocess.run(
        [sys.executable, "-c", HEALTH_CHECK_IN_A_FRESH_PROCESS],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["needs", "init-db", "False"]

