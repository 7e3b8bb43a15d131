"""Every page a coach, a client or an anonymous reader can reach in the demo practice is valid
HTML: the Nu HTML Checker (vnu-jar from npm, which tests/install-packages.sh installs into
.tools/) finds no error in any of them. Every PDF they can download, alone or inside an
archive, is a tagged PDF/UA-1 and PDF/A-3b document (tests/pdf_standards.py). The pages come
from one walk (tests/demo_walk.py), so a page or PDF added later is checked as soon as a link
leads to it.

The checker's Java start-up costs seconds, so it runs once over every page.
"""

import io
import json
import re
import shutil
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from coachapp.extensions import db
from tests.conftest import make_test_app
from tests.demo_walk import walk_demo
from tests.pdf_standards import standards_problems

REPO_ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = REPO_ROOT / ".tools" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHECKER_TIMEOUT_SECONDS = 300


def why_checker_unavailable() -> str | None:
    """Why the Nu HTML Checker cannot run here, or None when it can."""
    if shutil.which("java") is None:
        return (
            "java is missing (Debian's default-jre-headless, which tests/install-packages.sh "
            "installs as root)"
        )
    if not VNU_JAR.is_file():
        return (
            f"the Nu HTML Checker is missing: no {VNU_JAR.relative_to(REPO_ROOT)} (npm's "
            "vnu-jar, which tests/install-packages.sh installs)"
        )
    return None


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory, sqlite_template):
    """Every response of one walk of the demo practice, CSRF tokens in the forms as in use."""
    folder = tmp_path_factory.mktemp("demo-walk")
    database = folder / "coachapp.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = make_test_app(folder / "instance", f"sqlite:///{database}", WTF_CSRF_ENABLED=True)
    yield walk_demo(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def html_pages(demo_pages, role: str) -> list[str]:
    return [page.url for page in demo_pages if page.role == role and page.is_html_page]


def test_the_walk_reaches_the_pages_of_every_role(demo_pages):
    def reached(role: str, pattern: str) -> bool:
        return any(re.fullmatch(pattern, url) for url in html_pages(demo_pages, role))

    assert len(html_pages(demo_pages, "coach")) >= 80
    assert len(html_pages(demo_pages, "client")) >= 5
    assert len(html_pages(demo_pages, "reader")) >= 10
    for role, pattern in [
        ("coach", r"/dashboard"),
        ("coach", r"/clients/\d+"),
        ("coach", r"/sessions/\d+"),
        ("coach", r"/letters/\d+"),
        ("coach", r"/posts/\d+/edit"),
        ("client", r"/portal/"),
        ("client", r"/portal/letters/\d+"),
        ("client-apart", r"/portal/letters/\d+"),
        ("reader", r"/blog/"),
        ("reader", r"/blog/[a-z0-9-]+"),
    ]:
        assert reached(role, pattern), f"the {role} never reached {pattern}"
    downloads = Counter((page.role, page.content_type) for page in demo_pages)
    assert downloads["coach", "application/pdf"] and downloads["client", "application/pdf"]
    assert downloads["client", "application/zip"] and downloads["reader", "application/atom+xml"]
    portal = "".join(page.body.decode() for page in demo_pages if page.url == "/portal/")
    assert "children thrive with more than one loving adult" in portal  # a shared summary


def test_every_page_passes_the_nu_html_checker(demo_pages, tmp_path):
    reason = why_checker_unavailable()
    if reason:
        pytest.skip(reason)
    pages = {}
    for number, page in enumerate(p for p in demo_pages if p.is_html_page):
        path = tmp_path / f"page-{number:04}.html"
        path.write_bytes(page.body)
        pages[path.name] = page
    started = time.monotonic()
    checked = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", "--stdout",
         "--exit-zero-always", *sorted(str(tmp_path / name) for name in pages)],
        capture_output=True, text=True, timeout=CHECKER_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert checked.returncode == 0, checked.stderr
    errors = []
    for message in json.loads(checked.stdout)["messages"]:
        page = pages.get(message.get("url", "").rsplit("/", 1)[-1])
        where = f"{page.role} {page.url}" if page else message.get("url", "?")
        errors.append(f"{where} line {message.get('lastLine', '?')}: {message['message']}")
    assert not errors, (
        f"the Nu HTML Checker found {len(errors)} errors in {len(pages)} pages "
        f"({seconds:.1f} s):\n" + "\n".join(errors)
    )


def test_every_pdf_a_person_can_download_is_tagged_pdf_ua_and_pdf_a(demo_pages):
    pdfs = {}
    for page in demo_pages:
        if page.content_type == "application/pdf":
            pdfs[f"{page.role} {page.url}"] = page.body
        elif page.content_type == "application/zip":
            with zipfile.ZipFile(io.BytesIO(page.body)) as archive:
                for name in archive.namelist():
                    if name.endswith(".pdf"):
                        pdfs[f"{page.role} {page.url} {name}"] = archive.read(name)
    roles = {where.split()[0] for where in pdfs}
    assert roles == {"coach", "client", "client-apart"} and len(pdfs) >= 10, sorted(pdfs)
    problems = {where: standards_problems(pdf) for where, pdf in pdfs.items()}
    assert {where: found for where, found in problems.items() if found} == {}
