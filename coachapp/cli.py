"""coachapp's flask commands: init-db, create-coach, demo, outbox, backup, two-step and db."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from coachapp.auth.services import AccountError, check_new_password, create_coach
from coachapp.auth.two_factor_cli import two_step_cli
from coachapp.backup.cli import backup_cli
from coachapp.extensions import db, init_migrations
from coachapp.outbox.cli import outbox_cli
from coachapp.paths import MIGRATIONS_FOLDER


class AppCommands(AppGroup):
    """The app's command group, where Flask-Migrate's `flask db` is bound only when asked for.

    Flask-Migrate imports Alembic, a quarter of a second that every worker and command
    would otherwise pay at start-up (the lazy subcommands pattern of the click docs).
    """

    MIGRATION_GROUP = "db"

    def __init__(self, app: Flask, **kwargs):
        super().__init__(app.name, **kwargs)
        self.app = app

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), self.MIGRATION_GROUP})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == self.MIGRATION_GROUP:
            init_migrations(self.app)  # adds Flask-Migrate's `db` group to this one
        return super().get_command(ctx, cmd_name)


def _printable_database_url() -> str:
    return db.engine.url.render_as_string(hide_password=True)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest version (safe to repeat)."""
    from flask_migrate import upgrade  # imports Alembic: only for this command (start-up time)

    init_migrations(current_app)
    upgrade(directory=str(MIGRATIONS_FOLDER))
    click.echo(f"Database is up to date: {_printable_database_url()}")


def _check_password(value: str, user_inputs=()) -> str:
    try:
        check_new_password(value, user_inputs)
    except AccountError as error:
        raise click.BadParameter(str(error)) from error
    return value


def _validate_password_option(ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    # --email and --name, when already read, make guesses from them refused too.
    user_inputs = [ctx.params.get("email") or "", ctx.params.get("name") or ""]
    return _check_password(value, user_inputs)


@click.command("create-coach")
@with_appcontext
@click.option("--email", required=True, help="The coach's sign-in e-mail address.")
@click.option("--name", required=True, help="The coach's name, as clients see it.")
@click.option(
    "--password",
    callback=_validate_password_option,
    help="Sign-in password; asked for (hidden) when left out.",
)
@click.option(
    "--practice", "practice_name", help="Name of the practice (default: '<name> Coaching')."
)
def create_coach_command(email: str, name: str, password: str | None, practice_name: str | None):
    """Add a coach who can sign in, with a practice of their own."""
    if password is None:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True,
            value_proc=lambda value: _check_password(value, (email, name)),
        )
    try:
        coach = create_coach(email, name, password, practice_name=practice_name)
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Coach {coach.name} <{coach.email}> can now sign in.")
    click.echo(f"Practice: {coach.practice.name}")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Fill the database with a demo practice (safe to repeat) and print its sign-ins."""
    from coachapp.demo import seed_demo_practice
    from coachapp.health import database_status

    if database_status()["schema"] != "current":
        raise click.ClickException(
            "The database is not ready: run 'flask --app coachapp init-db' first."
        )
    logins = seed_demo_practice()
    db.session.commit()
    click.echo(f"Demo practice ready in {_printable_database_url()}")
    for login in logins:
        click.echo(f"  {login.role:<7} {login.email:<28} password: {login.password}")
    if current_app.config.get("SERVER_NAME"):
        click.echo(f"Sign in at http://{current_app.config['SERVER_NAME']}/login")


commands = [
    init_db_command, create_coach_command, demo_command, outbox_cli, backup_cli, two_step_cli
]
