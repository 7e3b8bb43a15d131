"""The README's two commands are the ones CI and new users actually run."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _command_under(heading: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split(f"## {heading}\n", 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.DOTALL).group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = (REPO_ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == _command_under("Run the tests")


def test_readme_run_command_sets_up_migrates_seeds_and_serves():
    command = _command_under("Try it")
    assert "\n" not in command  # one copy-paste line
    steps = [step.strip() for step in command.split("&&")]
    assert steps[0] == "python3 -m venv .venv"
    assert any(step.endswith("init-db") for step in steps)
    assert any(step.endswith("demo") for step in steps)
    assert steps[-1].endswith("flask --app coachapp run")


def test_instance_folder_is_kept_but_its_contents_are_never_committed():
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "/instance/*" in ignored and "!/instance/.gitkeep" in ignored
    assert (REPO_ROOT / "instance" / ".gitkeep").exists()
