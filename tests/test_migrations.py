"""The schema comes from migrations, and the migrations match the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from coachapp.coaching.search import include_in_autogenerate
from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER
from tests.conftest import make_test_app


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
