"""Starting coachapp loads only what every request needs; the rest loads when first used."""

import json
import subprocess
import sys

from tests.live_server import REPO_ROOT

# Each is needed by a few requests or commands only, and costs start-up time for all.
LOADED_ON_FIRST_USE = (
    *("weasyprint", "PIL", "zxcvbn", "segno", "feedgen", "cryptography"),
    *("flask_migrate", "alembic", "email_validator", "markdown_it"),
)

BUILD_THE_APP = """
import json, sys
from coachapp import create_app
create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": sys.argv[1]})
print(json.dumps(sorted(sys.modules)))
"""


def run_flask(*args: str, instance_path) -> str:
    """What `flask --app coachapp <args>` prints, run as a user would run it."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "coachapp", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        env={"COACHAPP_INSTANCE_PATH": str(instance_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return result.stdout


def test_starting_coachapp_loads_none_of_the_libraries_only_some_requests_need(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", BUILD_THE_APP, str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = set(json.loads(result.stdout))
    assert [name for name in LOADED_ON_FIRST_USE if name in loaded] == []
    # …and the app still has the commands that need them.
    backup_help = run_flask("backup", "--help", instance_path=tmp_path)
    assert "create" in backup_help and "restore" in backup_help


def test_the_migration_commands_are_listed_and_load_when_asked_for(tmp_path):
    assert "Perform database migrations." in run_flask("--help", instance_path=tmp_path)
    db_help = run_flask("db", "--help", instance_path=tmp_path)
    for command in ("migrate", "upgrade", "downgrade", "current", "history"):
        assert f"\n  {command} " in db_help
