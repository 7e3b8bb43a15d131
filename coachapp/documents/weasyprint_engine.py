"""WeasyPrint at work: the fetcher that reads only allowed local files, the fonts and
parsed stylesheets kept between renders, and one render.

Imported on the first render (by the app process just before it forks its renderer):
importing WeasyPrint costs most of a second that no other page should pay.
"""

import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from coachapp.documents.pdf import RenderJob

logger = logging.getLogger("coachapp.documents.pdf")


class LocalFilesFetcher(URLFetcher):
    """Serves ``file://`` URLs inside the allowed folders and refuses every other URL.

    No network, no ``data:`` URLs, no redirects, nothing outside the folders (symlinks
    and ``..`` are resolved first). A refused URL raises, and WeasyPrint then leaves
    that image, font or stylesheet out.
    """

    def __init__(self, allowed_roots: Iterable[Path]):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.allowed_roots = tuple(Path(root).resolve() for root in allowed_roots)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self.allowed_path(url)
        if path is None:
            logger.warning("PDF rendering refused to fetch %.200s", url)
            raise PermissionError(f"coachapp does not fetch {url[:200]}")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime_type})

    def allowed_path(self, url: str) -> Path | None:
        """The real path of a ``file://`` URL inside an allowed folder, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        inside = any(path.is_relative_to(root) for root in self.allowed_roots)
        return path if inside and path.is_file() else None


# In whichever process renders: one font configuration, so the @font-face fonts are
# decoded once, and the parsed stylesheets, reparsed only when their file changes.
_font_config: FontConfiguration | None = None
_stylesheets: dict[tuple, weasyprint.CSS] = {}


def font_configuration() -> FontConfiguration:
    """The process-wide font configuration (created on first use)."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def parsed_stylesheet(path: str, allowed_roots: tuple[str, ...]) -> weasyprint.CSS:
    """The stylesheet at ``path``, parsed once per version of the file."""
    key = (path, Path(path).stat().st_mtime_ns, allowed_roots)
    if key not in _stylesheets:
        for stale in [other for other in _stylesheets if other[0] == path]:
            del _stylesheets[stale]
        _stylesheets[key] = weasyprint.CSS(
            filename=path,
            url_fetcher=LocalFilesFetcher(Path(root) for root in allowed_roots),
            font_config=font_configuration(),
        )
    return _stylesheets[key]


def render(job: RenderJob) -> bytes:
    """Render a job in this process, without limits."""
    roots = [Path(root) for root in job.allowed_roots]
    stylesheets = [parsed_stylesheet(path, job.allowed_roots) for path in job.stylesheets]
    document = weasyprint.HTML(
        string=job.html, base_url=job.base_url, url_fetcher=LocalFilesFetcher(roots)
    )
    return document.write_pdf(stylesheets=stylesheets, font_config=font_configuration())
