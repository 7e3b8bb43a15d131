"""Starting coachapp loads only what every request needs; the rest loads when first used."""

import json
import subprocess
import sys

from tests.live_server import REPO_ROOT

# Each is needed by a few requests or commands only, and costs start-up time for all.
LOADED_ON_FIRST_USE = ("weasyprint", "PIL", "zxcvbn", "segno", "feedgen", "cryptography")

BUILD_THE_APP = """
import json, sys
from coachapp import create_app
create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": sys.argv[1]})
print(json.dumps(sorted(sys.modules)))
"""


def test_starting_coachapp_loads_no_pdf_image_password_qr_feed_or_backup_library(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", BUILD_THE_APP, str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    loaded = set(json.loads(result.stdout))
    assert [name for name in LOADED_ON_FIRST_USE if name in loaded] == []
    # …and the app still has the commands that need them.
    commands = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "coachapp", "backup", "--help"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
        env={"COACHAPP_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert "create" in commands.stdout and "restore" in commands.stdout
