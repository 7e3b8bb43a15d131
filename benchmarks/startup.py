"""How long coachapp takes to start, against a bare Flask app, measured in one run.

Each sample is a fresh Python process that imports and builds the app, as a gunicorn
worker or `flask` command does, and nothing else; the two kinds of sample alternate so
that a busy machine slows both alike. Prints the medians and their ratio (goal: coachapp
at most 2x a bare Flask app), and which heavy modules creating the app imported.

    .venv/bin/python benchmarks/startup.py [--samples 15]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0
# Modules that only some requests need; loading them at start-up is what this guards.
HEAVY_MODULES = ("weasyprint", "alembic", "pypdf", "PIL", "zxcvbn", "segno", "feedgen")

BARE_FLASK = """
import time
started = time.perf_counter()
from flask import Flask
app = Flask("bare")
print(time.perf_counter() - started)
"""

# The libraries coachapp is built on, bound to a Flask app, and none of coachapp's code: the
# floor under coachapp's start-up as long as it uses them.
LIBRARIES = """
import sys, time
started = time.perf_counter()
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
app = Flask("libraries")
app.config.update(SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI=f"sqlite:///{sys.argv[1]}/l.db")
SQLAlchemy(app)
CSRFProtect(app)
LoginManager(app)
Limiter(get_remote_address, app=app, storage_uri="memory://")
print(time.perf_counter() - started)
"""

COACHAPP = """
import json, sys, time
started = time.perf_counter()
from coachapp import create_app
app = create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": sys.argv[1]})
elapsed = time.perf_counter() - started
heavy = json.loads(sys.argv[2])
print(json.dumps([elapsed, [name for name in heavy if name in sys.modules]]))
"""


def sample(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter and return what it printed."""
    result = subprocess.run(  # noqa: S603  (our own code, in our own interpreter)
        [sys.executable, "-c", code, *args],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.strip()


def measure_startup(samples: int) -> tuple[float, float, float, list[str]]:
    """Median seconds of a bare Flask app, of its libraries alone and of coachapp, and the
    heavy modules coachapp loaded."""
    bare, libraries, coachapp, loaded = [], [], [], []
    with tempfile.TemporaryDirectory() as instance:
        for _ in range(samples):
            bare.append(float(sample(BARE_FLASK)))
            libraries.append(float(sample(LIBRARIES, instance)))
            elapsed, loaded = json.loads(sample(COACHAPP, instance, json.dumps(HEAVY_MODULES)))
            coachapp.append(elapsed)
    medians = (statistics.median(values) for values in (bare, libraries, coachapp))
    return *medians, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15)
    samples = parser.parse_args().samples
    bare_median, libraries_median, coachapp_median, loaded = measure_startup(samples)
    ratio = coachapp_median / bare_median
    print(f"bare Flask app     {bare_median * 1000:7.0f} ms  (median of {samples})")
    print(f"its libraries      {libraries_median * 1000:7.0f} ms  = "
          f"{libraries_median / bare_median:.2f}x  (SQLAlchemy, WTForms, Login, Limiter; no app)")
    print(f"coachapp           {coachapp_median * 1000:7.0f} ms  = {ratio:.2f}x  "
          f"(goal <= {GOAL_RATIO:g}x: {'met' if ratio <= GOAL_RATIO else 'NOT met'})")
    print(f"heavy modules loaded at start-up: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
