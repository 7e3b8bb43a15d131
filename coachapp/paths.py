"""Where coachapp finds its templates, static files and instance folder."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def _is_source_checkout() -> bool:
    """True when coachapp runs from its repository rather than an installed wheel."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "templates").is_dir()


def _shipped_folder(name: str) -> Path:
    """A top-level folder of the repository, or its copy inside an installed wheel."""
    inside_package = PACKAGE_DIR / name
    if inside_package.is_dir():
        return inside_package
    return REPO_ROOT / name


TEMPLATE_FOLDER = _shipped_folder("templates")
STATIC_FOLDER = _shipped_folder("static")
MIGRATIONS_FOLDER = PACKAGE_DIR / "migrations"


def default_instance_path() -> Path:
    """The instance folder: COACHAPP_INSTANCE_PATH, the checkout's instance/, or ./instance."""
    configured = os.environ.get("COACHAPP_INSTANCE_PATH")
    if configured:
        return Path(configured).expanduser().resolve()
    if _is_source_checkout():
        return REPO_ROOT / "instance"
    return Path.cwd() / "instance"
