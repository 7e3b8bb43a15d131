"""Configuration layers, the embedded SQLite settings, secret keys and the instance folder."""

import fcntl
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from coachapp import create_app
from coachapp.config import StartupError, normalise_database_url, write_local_secret_key
from coachapp.extensions import db
from tests.conftest import TEST_SECRET_KEY, TEST_TWO_FACTOR_KEY

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def clean_environment(monkeypatch):
    """No FLASK_* or DATABASE_URL variables from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name in {"DATABASE_URL", "COACHAPP_INSTANCE_PATH"}:
            monkeypatch.delenv(name)
    return monkeypatch


def test_layers_apply_in_order_instance_then_environment_then_tests(tmp_path, clean_environment):
    (tmp_path / "config.py").write_text(
        "SECRET_KEY = 'from-instance'\nDEFAULT_TIMEZONE = 'Europe/Paris'\n"
        "MAX_CONTENT_LENGTH = 1\nPROXY_COUNT = 3\n"
    )
    clean_environment.setenv("FLASK_MAX_CONTENT_LENGTH", "2048")
    clean_environment.setenv("FLASK_PROXY_COUNT", "2")
    app = create_app({"INSTANCE_PATH": tmp_path, "PROXY_COUNT": 1})
    assert app.config["SECRET_KEY"] == "from-instance"
    assert app.config["DEFAULT_TIMEZONE"] == "Europe/Paris"  # instance over defaults
    assert app.config["MAX_CONTENT_LENGTH"] == 2048  # environment over instance
    assert app.config["PROXY_COUNT"] == 1  # tests over everything


def test_embedded_default_is_sqlite_in_the_instance_folder(tmp_path, clean_environment):
    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": TEST_SECRET_KEY})
    expected = f"sqlite:///{tmp_path / 'coachapp.sqlite3'}"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected


def test_database_url_is_accepted_and_given_the_psycopg_driver(tmp_path, clean_environment):
    clean_environment.setenv("DATABASE_URL", "postgres://coach:pw@db.internal:5432/coachapp")
    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": TEST_SECRET_KEY})
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri == "postgresql+psycopg://coach:pw@db.internal:5432/coachapp"


def test_flask_prefixed_database_uri_wins_over_database_url(tmp_path, clean_environment):
    clean_environment.setenv("DATABASE_URL", "postgresql://a@h/one")
    clean_environment.setenv("FLASK_SQLALCHEMY_DATABASE_URI", "postgresql://a@h/two")
    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": TEST_SECRET_KEY})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://a@h/two"


def test_other_database_urls_are_kept_as_given():
    assert normalise_database_url("sqlite:////srv/x.db") == "sqlite:////srv/x.db"
    url = "postgresql+psycopg://u@h/d"
    assert normalise_database_url(url) == url


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path, clean_environment):
    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": TEST_SECRET_KEY})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 15000
    with app.app_context():
        db.engine.dispose()


def test_first_local_run_writes_a_private_secret_key_that_later_runs_reuse(
    tmp_path, clean_environment
):
    first = create_app({"INSTANCE_PATH": tmp_path})
    config_file = tmp_path / "config.py"
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] in config_file.read_text()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    second = create_app({"INSTANCE_PATH": tmp_path})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_processes_starting_together_on_a_new_install_share_one_secret_key(tmp_path):
    # gunicorn starts its workers at once: one writes the key, the others must read it,
    # or each would sign cookies with its own key and sign-ins would fail at random.
    config_file = tmp_path / "config.py"
    first_key = "a1" * 32
    found = {}
    with config_file.open("a") as first_worker:
        fcntl.flock(first_worker, fcntl.LOCK_EX)  # the first worker is writing its key
        second_worker = threading.Thread(
            target=lambda: found.update(key=write_local_secret_key(tmp_path))
        )
        second_worker.start()
        second_worker.join(0.5)
        assert second_worker.is_alive()  # waits for the first, rather than writing its own
        first_worker.write(f"SECRET_KEY = '{first_key}'\n")
        first_worker.flush()
        fcntl.flock(first_worker, fcntl.LOCK_UN)
    second_worker.join(5)
    assert found["key"] == first_key
    assert config_file.read_text().count("SECRET_KEY") == 1


@pytest.mark.parametrize("weak_key", [None, "dev", "change-me", "short-but-not-default"])
def test_production_refuses_to_start_without_a_strong_secret_key(
    tmp_path, clean_environment, weak_key
):
    config = {"INSTANCE_PATH": tmp_path, "PRODUCTION": True}
    if weak_key is not None:
        config["SECRET_KEY"] = weak_key
    with pytest.raises(StartupError, match="refuses to start in production"):
        create_app(config)
    assert not (tmp_path / "config.py").exists()  # no key is invented in production


def test_production_starts_with_a_strong_secret_key(tmp_path, clean_environment):
    app = create_app(
        {"INSTANCE_PATH": tmp_path, "PRODUCTION": True, "SECRET_KEY": "x" * 48,
         "TWO_FACTOR_KEYS": [TEST_TWO_FACTOR_KEY]}
    )  # fmt: skip
    assert app.config["SECRET_KEY"] == "x" * 48


# The keys of two-step secrets


def test_first_local_run_writes_a_two_step_key_that_later_runs_reuse(
    tmp_path, clean_environment
):
    first = create_app({"INSTANCE_PATH": tmp_path})
    [key] = first.config["TWO_FACTOR_KEYS"]
    Fernet(key)  # a working key, made without loading cryptography at start-up
    config_file = tmp_path / "config.py"
    assert f"TWO_FACTOR_KEYS = ['{key}']" in config_file.read_text()
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    second = create_app({"INSTANCE_PATH": tmp_path})
    assert second.config["TWO_FACTOR_KEYS"] == [key]
    assert config_file.read_text().count("TWO_FACTOR_KEYS") == 1


def test_a_two_step_key_is_added_below_settings_edited_by_hand(tmp_path, clean_environment):
    config_file = tmp_path / "config.py"
    config_file.write_text(f"SECRET_KEY = {TEST_SECRET_KEY!r}\nDEFAULT_TIMEZONE = 'Europe/Paris'")

    app = create_app({"INSTANCE_PATH": tmp_path})

    assert app.config["DEFAULT_TIMEZONE"] == "Europe/Paris"
    again = create_app({"INSTANCE_PATH": tmp_path})  # the file still reads
    assert again.config["DEFAULT_TIMEZONE"] == "Europe/Paris"
    assert again.config["TWO_FACTOR_KEYS"] == app.config["TWO_FACTOR_KEYS"]


def test_production_refuses_to_start_without_a_two_step_key(tmp_path, clean_environment):
    config = {"INSTANCE_PATH": tmp_path, "PRODUCTION": True, "SECRET_KEY": "x" * 48}
    with pytest.raises(StartupError, match="refuses to start in production without a two-step"):
        create_app(config)
    assert not (tmp_path / "config.py").exists()  # no key is invented in production


def test_a_malformed_two_step_key_is_refused_without_being_shown(tmp_path, clean_environment):
    almost = TEST_TWO_FACTOR_KEY[:-2] + "="
    with pytest.raises(StartupError, match="not a two-step key") as refused:
        create_app({"INSTANCE_PATH": tmp_path, "TWO_FACTOR_KEYS": [TEST_TWO_FACTOR_KEY, almost]})
    assert almost not in str(refused.value) and TEST_TWO_FACTOR_KEY not in str(refused.value)


@pytest.mark.parametrize("written", ["json", "commas"])
def test_two_step_keys_can_come_from_the_environment(tmp_path, clean_environment, written):
    newer = Fernet.generate_key().decode()
    keys = [newer, TEST_TWO_FACTOR_KEY]
    value = json.dumps(keys) if written == "json" else ", ".join(keys)
    clean_environment.setenv("FLASK_TWO_FACTOR_KEYS", value)
    app = create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": TEST_SECRET_KEY})
    assert app.config["TWO_FACTOR_KEYS"] == keys
    assert not (tmp_path / "config.py").exists()


def test_the_flask_command_explains_a_missing_production_two_step_key(tmp_path):
    environment = {
        **os.environ, "COACHAPP_INSTANCE_PATH": str(tmp_path), "FLASK_PRODUCTION": "true",
        "FLASK_SECRET_KEY": "x" * 48,
    }  # fmt: skip
    environment.pop("FLASK_TWO_FACTOR_KEYS", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "coachapp", "init-db"],
        capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "FLASK_TWO_FACTOR_KEYS" in result.stderr and "Fernet.generate_key()" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_instance_folder_that_cannot_be_created_is_explained(tmp_path, clean_environment):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StartupError, match="cannot create that folder"):
        create_app({"INSTANCE_PATH": blocker / "instance"})


def test_the_flask_command_explains_a_bad_instance_folder_without_a_traceback(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    environment = {**os.environ, "COACHAPP_INSTANCE_PATH": str(blocker / "instance")}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "coachapp", "init-db"],
        capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=60,
    )
    assert result.returncode != 0
    assert "cannot create that folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_flask_command_explains_a_missing_production_secret(tmp_path):
    environment = {
        **os.environ, "COACHAPP_INSTANCE_PATH": str(tmp_path), "FLASK_PRODUCTION": "true",
    }
    environment.pop("FLASK_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "coachapp", "init-db"],
        capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=60,
    )
    assert result.returncode != 0
    assert "FLASK_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
