"""Flask extensions, created unbound here and bound to the app in the factory (Flask-Migrate:
by the commands that need it)."""

import enum
import sqlite3

from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from coachapp.paths import MIGRATIONS_FOLDER

# Stable constraint names let Alembic alter tables on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every coachapp model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def value_enum(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column that stores each member's value ('coach'), not its name."""
    return Enum(
        enum_class,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` (once), adding `flask db`; call before using flask_migrate.

    create_app leaves this to the commands that change the schema: Flask-Migrate imports
    Alembic, which would add a quarter of a second to every start-up.
    """
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate  # imports Alembic: only when needed (start-up time)

    Migrate(app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True)


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, _connection_record) -> None:
    """WAL so readers never wait for a writer, and foreign keys enforced.

    The busy timeout comes from the ``timeout`` connect argument (see config.py).
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
