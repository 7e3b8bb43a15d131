"""Fixtures for journeys in a real browser: Debian's Chromium driven by Playwright, coachapp
served by a real server on 127.0.0.1 with CSRF on, and mail caught by a real SMTP server.

Each journey ends with a screenshot in tests/artifacts/screenshots/ (kept by CI as an
artifact; not committed).
"""

import re
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD
from tests.live_server import REPO_ROOT, LiveServer, app_on

# Headless, and quiet: this machine's closed network refuses Chromium's own connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "tests" / "artifacts" / "screenshots"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
NO_CHROMIUM = (
    "Debian's chromium is not installed: the test command installs it when run as root "
    "(apt-get install chromium); without it the browser journeys cannot run"
)


def chromium_path() -> str | None:
    """Debian's Chromium on PATH (Playwright's own browser download is not used)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium per test process."""
    path = chromium_path()
    if path is None:
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def sqlite_database_url(sqlite_template, tmp_path) -> str:
    """A migrated SQLite file of this test's own: the embedded default a coach runs."""
    path = tmp_path / "coachapp.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def prepare(sqlite_database_url, tmp_path):
    """``with prepare() as app:`` opens an app context on the live server's database."""
    return lambda: app_on(sqlite_database_url, tmp_path)


@pytest.fixture
def live_server(sqlite_database_url, tmp_path, mail_server):
    """coachapp as `flask run` serves it: CSRF on, mail to the test's SMTP server, and links
    in e-mails pointing at this server."""
    server = LiveServer(tmp_path / "instance", sqlite_database_url, **mail_server.settings())
    server.config["CANONICAL_URL"] = server.url
    with server:
        yield server


@pytest.fixture
def new_page(chromium, live_server, request):
    """``new_page(viewport=PHONE)`` opens a fresh browser profile on the live server; every
    page opened is screenshotted at the end of the test, whatever the outcome."""
    contexts = []

    def open_page(viewport=LAPTOP, **options):
        context = chromium.new_context(
            base_url=live_server.url, viewport=viewport, accept_downloads=True, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "-", request.node.name)
    for number, context in enumerate(contexts, start=1):
        for page in context.pages:
            suffix = f"-{number}" if len(contexts) > 1 else ""
            page.screenshot(path=SCREENSHOTS / f"{name}{suffix}.png", full_page=True)
        context.close()


def sign_in(page, email: str = "coach@example.com", password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does, and wait to be let in."""
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name: str) -> Path:
    """Keep a named screenshot of ``page`` beside the journeys' final ones."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
