"""One document to render: what the app process hands its renderer process.

Its own module so that the renderer (weasyprint_engine) and the app's side (pdf) both
build on it, and neither on the other's module at import.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderJob:
    """One document to render, with everything the renderer process needs to know."""

    html: str
    base_url: str
    allowed_roots: tuple[str, ...]
    stylesheets: tuple[str, ...]
    timeout_seconds: float
    memory_limit_bytes: int
