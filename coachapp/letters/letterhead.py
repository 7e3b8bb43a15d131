"""Each coach's letterhead: its defaults, its uploaded images, and how its values print."""

import io
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from coachapp.auth.models import User
from coachapp.extensions import db
from coachapp.letters.models import Letterhead

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_ACCENT = "#9c4f36"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Stored value → what the coach reads, and the CSS @page size it prints as.
PAPER_SIZES = {"A4": "A4 (210 by 297 mm)", "Letter": "US Letter (8.5 by 11 in)"}
CSS_PAGE_SIZES = {"A4": "A4", "Letter": "letter"}

IMAGE_KINDS = ("logo", "signature")
IMAGE_FORMATS = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".png"}  # WebP is stored as PNG
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_SIDE = 5000
# Larger images are scaled down on upload: plenty for print (60 mm at 300 dpi is 709 px).
IMAGE_STORED_SIDE = 1200


class ImageRejected(ValueError):
    """An uploaded file is not an image coachapp accepts; the message says why."""


@dataclass(frozen=True)
class PreparedImage:
    """An uploaded image, checked and re-encoded, ready to be written to disk."""

    data: bytes
    suffix: str


@dataclass(frozen=True)
class SocialLink:
    """One line of a letterhead's social links: 'Instagram https://instagram.com/maya'."""

    label: str
    text: str
    url: str | None


def get_letterhead(coach: User) -> Letterhead:
    """The coach's letterhead, or a new unsaved one filled in from their account."""
    letterhead = db.session.execute(
        select(Letterhead).where(Letterhead.coach_id == coach.id)
    ).scalar_one_or_none()
    return letterhead or default_letterhead(coach)


def coach_and_letterhead(coach_id: int) -> tuple[User, Letterhead]:
    """The coach and their letterhead (or the default one), read in a single query."""
    coach, letterhead = db.session.execute(
        select(User, Letterhead)
        .outerjoin(Letterhead, Letterhead.coach_id == User.id)
        .where(User.id == coach_id)
    ).one()
    return coach, letterhead or default_letterhead(coach)


def default_letterhead(coach: User) -> Letterhead:
    """A new, unsaved letterhead filled in from the coach's account."""
    return Letterhead(
        coach_id=coach.id,
        display_name=coach.name,
        practice_name=coach.practice.name if coach.practice else "",
        email=coach.email,
        address="",
        phone="",
        website="",
        social_links="",
        signature_text="",
        accent_colour=DEFAULT_ACCENT,
        paper_size="A4",
    )


def safe_accent(value: str | None) -> str:
    """The accent colour if it is exactly #rrggbb (it goes into CSS), else the default."""
    return value if value and HEX_COLOUR.fullmatch(value) else DEFAULT_ACCENT


def css_page_size(paper_size: str | None) -> str:
    """The CSS @page size for a stored paper size; A4 for anything unknown."""
    return CSS_PAGE_SIZES.get(paper_size or "", "A4")


def web_url(text: str) -> str | None:
    """An http(s) link for what a coach typed ('maya.coach' → https://maya.coach), or None."""
    text = text.strip()
    if not text or any(character.isspace() for character in text):
        return None
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc:
        return None
    return text


def readable_url(url: str) -> str:
    """A link as people write it on paper: no scheme, no 'www.', no trailing slash."""
    text = re.sub(r"^https?://", "", url.strip())
    return text.removeprefix("www.").rstrip("/")


def social_links(text: str | None) -> list[SocialLink]:
    """The letterhead's social links, one per line: an optional label, then the link."""
    links = []
    for line in (text or "").splitlines():
        words = line.split()
        if not words:
            continue
        url = web_url(words[-1])
        label = " ".join(words[:-1]) if url else ""
        links.append(SocialLink(label, readable_url(url) if url else line.strip(), url))
    return links


def prepare_image(data: bytes, what: str) -> PreparedImage:
    """Check an upload is a PNG, JPEG or WebP image of sensible size; re-encode it.

    Re-encoding drops anything hidden in the file (and the photo's location in EXIF),
    turns phone photos upright and scales large images down.
    """
    if len(data) > IMAGE_MAX_BYTES:
        raise ImageRejected(
            f"The {what} is {len(data) / 1024 / 1024:.1f} MB; the largest accepted is "
            f"{IMAGE_MAX_BYTES // 1024 // 1024} MB. Save it smaller and upload it again."
        )
    from PIL import Image, UnidentifiedImageError  # loaded with the first upload

    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in IMAGE_FORMATS:
            raise ImageRejected(f"The {what} must be a PNG, JPEG or WebP image.")
        if max(image.size) > IMAGE_MAX_SIDE:
            raise ImageRejected(
                f"The {what} is {image.width} by {image.height} pixels; the largest accepted "
                f"is {IMAGE_MAX_SIDE} pixels on each side."
            )
        image.load()
        return _reencoded(image)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRejected(
            f"The {what} could not be read as an image. Upload a PNG, JPEG or WebP file."
        ) from error


def _reencoded(image: "Image.Image") -> PreparedImage:
    """The image upright, at most IMAGE_STORED_SIDE pixels, as clean PNG or JPEG bytes."""
    from PIL import ImageOps

    source_format = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((IMAGE_STORED_SIDE, IMAGE_STORED_SIDE))
    output = io.BytesIO()
    if source_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        image.save(output, "JPEG", quality=90)
        return PreparedImage(output.getvalue(), ".jpg")
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA")
    image.save(output, "PNG")
    return PreparedImage(output.getvalue(), ".png")


def uploads_folder() -> Path:
    """instance/uploads, where coaches' files live (never under static/)."""
    return Path(current_app.instance_path) / "uploads"


def image_file(relative_path: str | None) -> Path | None:
    """The stored file for a letterhead image path, if it exists inside the uploads folder."""
    if not relative_path:
        return None
    root = uploads_folder().resolve()
    path = (root / relative_path).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def store_image(coach_id: int, image: PreparedImage, folder: str = "letterheads") -> str:
    """Write the image under uploads/<folder>/<coach_id>/ with a random name; its path."""
    relative = f"{folder}/{coach_id}/{secrets.token_urlsafe(18)}{image.suffix}"
    path = uploads_folder() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(image.data)
    os.replace(partial, path)
    return relative


def remove_image_files(relative_paths: list[str]) -> None:
    """Delete images no letterhead uses any more (after the change was committed)."""
    for relative in relative_paths:
        path = image_file(relative)
        if path is not None:
            path.unlink(missing_ok=True)


@dataclass
class LetterheadChanges:
    """What the coach submitted: the text fields, and what to do with each image."""

    fields: dict
    new_images: dict  # kind → PreparedImage
    removed_images: set  # kinds whose image the coach asked to remove


def update_letterhead(letterhead: Letterhead, changes: LetterheadChanges) -> list[str]:
    """Apply the changes; return the image files to delete once they are committed."""
    for name, value in changes.fields.items():
        setattr(letterhead, name, value)
    letterhead.accent_colour = safe_accent(letterhead.accent_colour)
    discarded = []
    for kind in IMAGE_KINDS:
        attribute = "logo_path" if kind == "logo" else "signature_image_path"
        old_path = getattr(letterhead, attribute)
        if kind in changes.new_images:
            new_path = store_image(letterhead.coach_id, changes.new_images[kind])
            setattr(letterhead, attribute, new_path)
        elif kind in changes.removed_images:
            setattr(letterhead, attribute, None)
        if old_path and old_path != getattr(letterhead, attribute):
            discarded.append(old_path)
    db.session.add(letterhead)
    db.session.flush()
    return discarded
