"""gunicorn's settings for coachapp (gunicorn.conf.py at the top of the checkout)."""

import gc
import importlib.util
import subprocess
import sys

from tests.live_server import REPO_ROOT


def test_gunicorn_started_in_the_checkout_reads_coachapp_s_settings():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--print-config", "coachapp:create_app()"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    settings = dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
    )
    assert settings["config"] == "./gunicorn.conf.py"
    assert settings["post_worker_init"] == "<post_worker_init()>"  # not gunicorn's own


def test_a_worker_keeps_the_loaded_app_out_of_later_garbage_collections():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", REPO_ROOT / "gunicorn.conf.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    assert gc.get_freeze_count() == 0
    try:
        settings.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 10_000  # the modules and objects loaded so far
    finally:
        gc.unfreeze()
