"""A letter as the HTML its PDF is made from, and the PDF itself, cached by content hash.

The cache serves every document printed on a coach's letterhead: letters, and the
sessions' shared notes (coachapp.portal.services).
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession
from coachapp.diskfull import is_disk_full
from coachapp.documents.pdf import file_url, render_pdf, stylesheets_fingerprint
from coachapp.extensions import db
from coachapp.letters.letterhead import (
    coach_and_letterhead,
    css_page_size,
    image_file,
    readable_url,
    safe_accent,
    social_links,
    uploads_folder,
    web_url,
)
from coachapp.letters.models import Letter, Letterhead, RenderedPdf
from coachapp.paths import STATIC_FOLDER
from coachapp.richtext import render_markdown
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

PRINT_STYLESHEETS = (STATIC_FOLDER / "css" / "letter-print.css",)
# Dates as people write them on letters: "3 March 2026", or "March 3, 2026" on US paper.
DATE_FORMATS = {"A4": "%-d %B %Y", "Letter": "%B %-d, %Y"}


@dataclass(frozen=True)
class PrintDocument:
    """Everything a PDF is made from: the HTML, the images it shows, the paper."""

    html: str
    images: tuple[Path, ...]
    paper_size: str


def allowed_roots() -> list[Path]:
    """The only folders WeasyPrint may read: the app's static files and the uploads."""
    return [STATIC_FOLDER, uploads_folder()]


def letter_html(letter: Letter) -> str:
    """The full HTML document of the letter as it prints."""
    return letter_document(letter).html


def _ends_with_name(body: str, name: str) -> bool:
    last_line = body.rstrip().rsplit("\n", 1)[-1].strip()
    return bool(name.strip()) and last_line.casefold() == name.strip().casefold()


def letter_document(letter: Letter) -> PrintDocument:
    """The letter on its coach's letterhead, addressed to its client, dated."""
    coach, letterhead = coach_and_letterhead(letter.coach_id)
    logo = image_file(letterhead.logo_path)
    signature = image_file(letterhead.signature_image_path)
    addressees = letter.addressees or [letter.client.first_adult]
    html = render_template(
        "pdf/letter.html",
        letter=letter,
        client=letter.client,
        addressees=addressees,
        # A joint letter to adults kept apart must not give one the other's address.
        addressee_contact=not (letter.client.keep_apart and len(addressees) > 1),
        letterhead=letterhead,
        date=letter_date(letter, coach, letterhead.paper_size),
        body=_body_html(letter.body or ""),
        page_size=css_page_size(letterhead.paper_size),
        accent=safe_accent(letterhead.accent_colour),
        logo_url=file_url(logo) if logo else None,
        signature_url=file_url(signature) if signature else None,
        contact=contact_details(letterhead),
        social_links=social_links(letterhead.social_links),
        # Letters usually end with the coach's name already; don't print it twice.
        name_under_signature=not _ends_with_name(letter.body or "", letterhead.display_name),
    )
    images = tuple(path for path in (logo, signature) if path)
    return PrintDocument(html, images, letterhead.paper_size or "A4")


@lru_cache(maxsize=16)
def _body_html(body: str) -> Markup:
    """The letter's Markdown as HTML, remembered for the last few bodies.

    A letter is previewed, downloaded and sent many times unchanged; rendering its
    Markdown is the largest part of checking whether its cached PDF is still current.
    """
    return render_markdown(body)


def letter_date(letter: Letter, coach: User, paper_size: str | None) -> str:
    """The date the letter carries: when it was sent or approved, else today (coach's zone)."""
    moment: datetime = letter.sent_at or letter.approved_at or utcnow()
    day = moment.astimezone(user_zone(coach)).date()
    return day.strftime(DATE_FORMATS.get(paper_size or "", DATE_FORMATS["A4"]))


def contact_details(letterhead: Letterhead) -> list[tuple[str, str | None]]:
    """The letterhead's phone, e-mail and website as (text, link) pairs, in print order."""
    details: list[tuple[str, str | None]] = []
    if letterhead.phone:
        details.append((letterhead.phone, None))
    if letterhead.email:
        details.append((letterhead.email, f"mailto:{letterhead.email}"))
    if letterhead.website:
        url = web_url(letterhead.website)
        details.append((readable_url(url) if url else letterhead.website, url))
    return details


def content_hash(document: PrintDocument) -> str:
    """A digest of everything that shapes the PDF; any change to any of it changes the digest."""
    digest = hashlib.sha256()
    digest.update(document.html.encode())
    digest.update(stylesheets_fingerprint(PRINT_STYLESHEETS).encode())
    for path in document.images:
        stat = path.stat()
        digest.update(f"\n{path}\n{stat.st_size}\n{stat.st_mtime_ns}".encode())
    digest.update(f"\npaper {document.paper_size}".encode())
    return digest.hexdigest()


def render_document(document: PrintDocument) -> bytes:
    """Render the document to PDF within the configured time and memory limits."""
    config = current_app.config
    return render_pdf(
        document.html,
        base_url=STATIC_FOLDER.as_uri() + "/",
        allowed_roots=allowed_roots(),
        stylesheets=PRINT_STYLESHEETS,
        timeout_seconds=config["PDF_RENDER_TIMEOUT_SECONDS"],
        memory_limit_bytes=config["PDF_RENDER_MEMORY_LIMIT_MB"] * 1024 * 1024,
    )


def letter_pdf(letter: Letter) -> bytes:
    """The letter's PDF: from the cache when nothing has changed, else rendered and cached.

    Raises PdfRenderError when it cannot be rendered. A new PDF joins the cache in the
    current transaction (the caller commits); it replaces the letter's older PDFs.
    """
    return cached_pdf(letter_document(letter), letter)


def cached_pdf(document: PrintDocument, owner: Letter | CoachingSession) -> bytes:
    """The document's PDF from the cache, or rendered and cached as ``owner``'s only PDF.

    Raises PdfRenderError when it cannot be rendered; the caller commits.
    """
    key = content_hash(document)
    cached = db.session.execute(
        select(RenderedPdf.pdf).where(RenderedPdf.content_hash == key)
    ).scalar_one_or_none()
    if cached is not None:
        return cached
    pdf = render_document(document)
    _store(owner, key, pdf)
    return pdf


def _store(owner: Letter | CoachingSession, key: str, pdf: bytes) -> None:
    """Cache a PDF; if another process stored the same one meanwhile, keep theirs.

    When the database has no room for it (PostgreSQL says so here; SQLite only at the
    caller's commit, which then answers with the disk-full page), only the cache is
    lost: the PDF is still returned.
    """
    owner_column = (
        RenderedPdf.letter_id if isinstance(owner, Letter) else RenderedPdf.coaching_session_id
    )
    try:
        with db.session.begin_nested():
            # The owner's earlier PDFs show what it no longer is: nothing will ask for them.
            db.session.execute(
                delete(RenderedPdf).where(owner_column == owner.id, RenderedPdf.content_hash != key)
            )
            db.session.add(RenderedPdf(content_hash=key, pdf=pdf, **{owner_column.key: owner.id}))
    except IntegrityError:
        # The unique content_hash refused a second copy: the savepoint is rolled back and
        # the other process's identical PDF serves the next request.
        pass
    except OperationalError as error:
        if not is_disk_full(error):
            raise
        log.warning(
            "The PDF of %s %s was not cached: the disk is full", type(owner).__name__, owner.id
        )



SAMPLE_BODY = """Dear Alex,

This is how your letters will look: your letterhead at the top, the date and your
client's name, then the letter you write, and your signature at the end.

Every page carries your contact details at the foot, with its page number.

With warmth,"""


def sample_letter_pdf(coach: User) -> bytes:
    """A short sample letter on the coach's letterhead (rendered each time, not cached)."""
    _, letterhead = coach_and_letterhead(coach.id)
    signed = letterhead.signature_text or image_file(letterhead.signature_image_path)
    body = SAMPLE_BODY if signed else f"{SAMPLE_BODY}\n\n{letterhead.display_name}"
    client = Client(adults=[Adult(first_name="Alex", last_name="Sample", email="alex@example.com")])
    letter = Letter(coach_id=coach.id, subject="A sample letter", body=body)
    letter.client = client
    return render_document(letter_document(letter))
