"""Take the README's screenshots of the demo practice in Debian's Chromium.

    .venv/bin/python -m tests.browser.readme_screenshots [--output docs/screenshots]

Starts coachapp on 127.0.0.1 with the demo practice in a throwaway instance folder, signs in
as the demo coach and the demo client, and writes one PNG per page: the dashboard, a
session, the letter editor, the first page of a letter's PDF, the client's portal and a
blog post on a phone.
"""

import argparse
import io
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

from tests.browser.conftest import CHROMIUM_ARGS, LAPTOP, PHONE, chromium_path, sign_in
from tests.live_server import REPO_ROOT, LiveServer, app_on

DEMO_COACH = ("coach@example.com", "demo-coach-password")
DEMO_CLIENT = ("sofia.marin@example.com", "demo-client-password")
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "screenshots"


def seed_demo(server: LiveServer) -> None:
    """`flask demo` on the server's instance, as a new user runs it from the README."""
    command = [sys.executable, "-m", "flask", "--app", "coachapp", "demo"]
    subprocess.run(command, cwd=REPO_ROOT, env=server.environment(), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def demo_addresses(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Paths of the pages to show: Sofia's latest session and sent letter, a draft letter,
    a post of a series."""
    from coachapp.blog.models import Post
    from coachapp.clients.models import Adult, Client
    from coachapp.coaching.models import CoachingSession
    from coachapp.extensions import db
    from coachapp.letters.models import Letter, LetterStatus

    with app_on(database_url, tmp_path):
        sofia = db.session.scalars(
            select(Client).join(Client.adults).where(Adult.email == DEMO_CLIENT[0])
        ).one()
        session_id = db.session.scalars(
            select(CoachingSession.id)
            .where(CoachingSession.client_id == sofia.id)
            .order_by(CoachingSession.starts_at.desc())
        ).first()
        letter = db.session.scalars(
            select(Letter).where(Letter.client_id == sofia.id, Letter.status == LetterStatus.SENT)
        ).first()
        draft_id = db.session.scalars(
            select(Letter.id).where(Letter.status == LetterStatus.DRAFT).order_by(Letter.id)
        ).first()
        post_slug = db.session.scalars(
            select(Post.slug).where(Post.series_id.is_not(None)).order_by(Post.id)
        ).first()
    return {
        "session": f"/sessions/{session_id}",
        "letter_edit": f"/letters/{draft_id}/edit",
        "letter_pdf": f"/letters/{letter.id}/pdf",
        "portal_letter": f"/portal/letters/{letter.id}",
        "post": f"/blog/{post_slug}",
    }


def save_pdf_first_page(pdf: bytes, path: Path) -> None:
    """The PDF's first page as a PNG, drawn by PDFium (a browser shows no PDF headless)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    document[0].render(scale=1.4).to_pil().save(path)


def take_screenshots(output: Path) -> list[Path]:
    """Serve the demo practice and write the README's screenshots into ``output``."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder:
        tmp_path = Path(folder)
        database_url = f"sqlite:///{tmp_path / 'coachapp.sqlite3'}"
        server = LiveServer(tmp_path / "instance", database_url)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "coachapp", "init-db"],
            cwd=REPO_ROOT, env=server.environment(), check=True, capture_output=True,
        )  # fmt: skip
        seed_demo(server)
        paths = demo_addresses(database_url, tmp_path)
        with server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )

            def shot(page, name: str, full_page: bool = False) -> None:
                path = output / f"{name}.png"
                page.screenshot(path=path, full_page=full_page)
                written.append(path)

            coach = browser.new_context(base_url=server.url, viewport=LAPTOP).new_page()
            sign_in(coach, *DEMO_COACH)
            coach.goto("/dashboard")
            shot(coach, "dashboard")
            coach.goto(paths["session"])
            shot(coach, "session")
            coach.goto(paths["letter_edit"])
            coach.wait_for_load_state("networkidle")
            shot(coach, "letter-editor")
            pdf = coach.request.get(paths["letter_pdf"])
            save_pdf_first_page(pdf.body(), output / "letter-pdf.png")
            written.append(output / "letter-pdf.png")

            client = browser.new_context(base_url=server.url, viewport=LAPTOP).new_page()
            sign_in(client, *DEMO_CLIENT)
            client.goto("/portal/")
            shot(client, "portal")

            reader = browser.new_context(base_url=server.url, viewport=PHONE).new_page()
            reader.goto(paths["post"])
            shot(reader, "blog-post-phone")
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    for path in take_screenshots(parser.parse_args().output):
        print(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path)


if __name__ == "__main__":
    main()
