"""Templates and static files are found from the checkout and from an installed wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

from coachapp.paths import REPO_ROOT, STATIC_FOLDER, TEMPLATE_FOLDER


def test_templates_and_static_resolve_to_the_top_level_folders(app):
    assert Path(app.template_folder) == REPO_ROOT / "templates" == TEMPLATE_FOLDER
    assert Path(app.static_folder) == REPO_ROOT / "static" == STATIC_FOLDER
    assert Path(app.template_folder).is_absolute()
    assert (TEMPLATE_FOLDER / "base.html").is_file()
    assert (STATIC_FOLDER / "css" / "coachapp.css").is_file()


def test_the_stylesheet_is_served_without_any_cdn(client):
    response = client.get("/static/css/coachapp.css")
    assert response.status_code == 200
    assert b"--accent" in response.data
    page = client.get("/login").get_data(as_text=True)
    assert "/static/css/coachapp.css" in page
    assert "https://" not in page and "http://" not in page


def test_an_installed_wheel_carries_and_finds_templates_static_and_migrations(tmp_path):
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheel_dir), str(REPO_ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(wheel_dir.glob("coachapp-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "coachapp/templates/base.html" in names
    assert "coachapp/static/css/coachapp.css" in names
    assert any(n.startswith("coachapp/migrations/versions/") for n in names)
    zipfile.ZipFile(wheel).extractall(target)
    probe = (
        "from coachapp import create_app; "
        "app = create_app({'INSTANCE_PATH': 'inst', 'SECRET_KEY': 'k'}); "
        "print(app.template_folder); print(app.static_folder); "
        "print(app.jinja_env.get_template('base.html').filename)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    template_folder, static_folder, base_template = result.stdout.split()
    assert template_folder == str(target / "coachapp" / "templates")
    assert static_folder == str(target / "coachapp" / "static")
    assert Path(base_template).is_file()
