"""WeasyPrint at work: the fetcher that reads only allowed local files, the fonts and
parsed stylesheets kept between renders, and one render to the standards coachapp keeps.

Every PDF is tagged for screen readers and identifies itself as PDF/UA-1 (ISO 14289-1,
universal accessibility) and as PDF/A-3b (ISO 19005-3, long-term archiving): one file
that a client can read aloud today and keep for decades.

Imported on the first render (by the app process just before it forks its renderer):
importing WeasyPrint costs most of a second that no other page should pay.
"""

import logging
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import SubElement, fromstring, register_namespace, tostring

import weasyprint
from weasyprint.document import DocumentMetadata
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from coachapp.documents.render_job import RenderJob

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


# PDF/A-3b with a structure tree (headings, paragraphs, lists, figures with their alt
# text, the document language and title): WeasyPrint's own options. The PDF/UA-1 claim is
# added to the XMP metadata by AccessibleArchiveMetadata.
PDF_OPTIONS = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFUA_ID = "http://www.aiim.org/pdfua/ns/id/"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
# PDF/A validators expect the extension schema's own prefixes exactly.
for prefix, namespace in (
    ("pdfuaid", PDFUA_ID),
    ("pdfaExtension", PDFA_EXTENSION),
    ("pdfaSchema", PDFA_SCHEMA),
    ("pdfaProperty", PDFA_PROPERTY),
):
    register_namespace(prefix, namespace)


class AccessibleArchiveMetadata(DocumentMetadata):
    """WeasyPrint's XMP metadata for PDF/A, plus the PDF/UA-1 identification.

    PDF/A allows only the XMP schemas it predefines unless the file describes the others,
    so the pdfuaid schema comes with its PDF/A extension schema description. Both go in
    WeasyPrint's own rdf:RDF, as an XMP packet holds exactly one.
    """

    def generate_rdf_metadata(self, variant, version, conformance):
        own = super().generate_rdf_metadata(variant, version, conformance)
        rdf = fromstring(own)  # noqa: S314  (WeasyPrint's own XML, never a person's input)
        identification = SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
        SubElement(identification, f"{{{PDFUA_ID}}}part").text = "1"
        extension = SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
        schemas = SubElement(SubElement(extension, f"{{{PDFA_EXTENSION}}}schemas"), f"{{{RDF}}}Bag")
        schema = SubElement(schemas, f"{{{RDF}}}li", {f"{{{RDF}}}parseType": "Resource"})
        for name, text in (
            ("schema", "PDF/UA Universal Accessibility Schema"),
            ("namespaceURI", PDFUA_ID),
            ("prefix", "pdfuaid"),
        ):
            SubElement(schema, f"{{{PDFA_SCHEMA}}}{name}").text = text
        properties = SubElement(SubElement(schema, f"{{{PDFA_SCHEMA}}}property"), f"{{{RDF}}}Seq")
        part = SubElement(properties, f"{{{RDF}}}li", {f"{{{RDF}}}parseType": "Resource"})
        for name, text in (
            ("name", "part"),
            ("valueType", "Integer"),
            ("category", "internal"),
            ("description", "Indicates which part of ISO 14289 the document conforms to"),
        ):
            SubElement(part, f"{{{PDFA_PROPERTY}}}{name}").text = text
        return tostring(rdf, encoding="utf-8")


def render(job: RenderJob) -> bytes:
    """Render a job in this process, without limits."""
    roots = [Path(root) for root in job.allowed_roots]
    stylesheets = [parsed_stylesheet(path, job.allowed_roots) for path in job.stylesheets]
    html = weasyprint.HTML(
        string=job.html, base_url=job.base_url, url_fetcher=LocalFilesFetcher(roots)
    )
    document = html.render(
        stylesheets=stylesheets, font_config=font_configuration(), **PDF_OPTIONS
    )
    document.metadata = AccessibleArchiveMetadata(**vars(document.metadata))
    return document.write_pdf(**PDF_OPTIONS)
