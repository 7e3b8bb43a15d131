"""The schema comes from migrations, and the migrations match the models."""

from datetime import datetime

import pyotp
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from coachapp.auth.models import User
from coachapp.auth.two_factor import accept_code
from coachapp.auth.two_factor_keys import decrypt_secret
from coachapp.coaching.search import include_in_autogenerate
from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER
from tests.conftest import TEST_TWO_FACTOR_KEY, make_test_app


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": include_in_autogenerate,
            },
        )
        return compare_metadata(context, db.metadata)


def test_migrations_build_exactly_the_schema_the_models_describe(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date" in result.output
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


def test_init_db_can_run_again_without_harm(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    runner.invoke(args=["demo"])
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert "users" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_every_migration_can_be_undone_and_redone(empty_database_url, tmp_path):
    app = make_test_app(tmp_path, empty_database_url)
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER))
        downgrade(directory=str(MIGRATIONS_FOLDER), revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=str(MIGRATIONS_FOLDER))
        db.engine.dispose()
    assert _differences(app) == []
    with app.app_context():
        db.engine.dispose()


BEFORE_ENCRYPTED_SECRETS = "f4a383fd592d"


def test_two_step_secrets_kept_in_plain_text_are_encrypted_and_still_give_codes(
    empty_database_url, tmp_path, capfd
):
    secret = pyotp.random_base32()
    app = make_test_app(tmp_path, empty_database_url)
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_ENCRYPTED_SECRETS)
        db.session.execute(
            text("INSERT INTO practices (id, name, created_at) VALUES (1, 'P', :now)"),
            {"now": datetime(2026, 11, 30)},
        )
        db.session.execute(
            text(
                "INSERT INTO users (id, practice_id, email, name, role, is_owner, active, bio, "
                "timezone, session_token, created_at, totp_secret, two_factor_enabled_at) "
                "VALUES (1, 1, 'coach@example.com', 'Maya', 'coach', :yes, :yes, '', "
                "'Europe/London', 'session-token', :now, :secret, :now)"
            ),
            {"yes": True, "now": datetime(2026, 11, 30), "secret": secret},
        )
        db.session.commit()

        upgrade(directory=str(MIGRATIONS_FOLDER))

        row = db.session.execute(text("SELECT * FROM users")).one()
        assert secret not in " ".join(str(value) for value in row)
        maya = db.session.get(User, 1)
        assert decrypt_secret(maya.totp_secret_encrypted) == secret
        assert maya.has_two_factor and accept_code(maya, pyotp.TOTP(secret).now())
        db.session.commit()

        # Going back needs the key too: with another one, nothing changes.
        app.config["TWO_FACTOR_KEYS"] = [Fernet.generate_key().decode()]
        with pytest.raises(SystemExit):  # how `flask db downgrade` stops
            downgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_ENCRYPTED_SECRETS)
        assert "A two-step secret opens with none of TWO_FACTOR_KEYS" in capfd.readouterr().err
        db.session.rollback()
        app.config["TWO_FACTOR_KEYS"] = [TEST_TWO_FACTOR_KEY]
        assert decrypt_secret(db.session.get(User, 1).totp_secret_encrypted) == secret
        db.session.commit()

        downgrade(directory=str(MIGRATIONS_FOLDER), revision=BEFORE_ENCRYPTED_SECRETS)
        plain = db.session.execute(text("SELECT totp_secret FROM users")).scalar_one()
        assert plain == secret
        db.session.commit()
        db.engine.dispose()
