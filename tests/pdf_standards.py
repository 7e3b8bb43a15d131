"""What a screen reader and an archive need from a PDF, read back with pikepdf and pypdf.

``standards_problems`` lists every way a PDF falls short of what coachapp promises: tagged
(a structure tree, marked content, the document's language and title shown as its name),
identified as PDF/UA-1 and PDF/A-3b in its XMP metadata, every figure with alternative
text, every font embedded, an sRGB output intent. ``reading_order`` gives the text of the
structure tree's elements in the order a screen reader follows them.
"""

import io
from collections.abc import Iterator

import pikepdf
from pypdf import PdfReader

RDF_TEXT_ROLES = ("/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/LI", "/LBody", "/Span")


def structure_elements(document: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every structure element, depth first, in the tree's (the reading) order."""
    root = document.Root.get("/StructTreeRoot")
    if root is None:
        return
    stack = list(reversed(_kids(root)))
    while stack:
        kid = stack.pop()
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/MCR" and "/S" in kid:
            yield kid
            stack.extend(reversed(_kids(kid)))


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def xmp_values(document: pikepdf.Pdf) -> dict[str, object]:
    """The XMP metadata as pikepdf reads it, keyed by prefixed names (``pdfuaid:part``)."""
    metadata = document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
    return {key: metadata.get(key) for key in (
        "pdfuaid:part", "pdfaid:part", "pdfaid:conformance", "dc:title",
    )}


def standards_problems(pdf: bytes, *, title: str | None = None, lang: str = "en") -> list[str]:
    """Everything that keeps ``pdf`` from being the tagged PDF/UA-1 and PDF/A-3b file
    coachapp promises (empty when it is one)."""
    problems = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        root = document.Root
        if "/StructTreeRoot" not in root:
            problems.append("no structure tree (/StructTreeRoot)")
        if not bool(root.get("/MarkInfo", {}).get("/Marked", False)):
            problems.append("not marked as tagged (/MarkInfo /Marked)")
        if str(root.get("/Lang", "")) != lang:
            problems.append(f"document language is {str(root.get('/Lang', ''))!r}, not {lang!r}")
        if not bool(root.get("/ViewerPreferences", {}).get("/DisplayDocTitle", False)):
            problems.append("viewers are not told to show the title (/DisplayDocTitle)")
        if "/OutputIntents" not in root:
            problems.append("no output intent (PDF/A needs one)")
        xmp = xmp_values(document)
        if xmp["pdfuaid:part"] != "1":
            problems.append(f"XMP does not identify PDF/UA-1 (pdfuaid:part={xmp['pdfuaid:part']})")
        if (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) != ("3", "B"):
            problems.append(
                f"XMP does not identify PDF/A-3b ({xmp['pdfaid:part']}, "
                f"{xmp['pdfaid:conformance']})"
            )
        info_title = str(document.docinfo.get("/Title", ""))
        if not info_title.strip() or not xmp["dc:title"]:
            problems.append("no document title")
        elif title is not None and title not in info_title:
            problems.append(f"title {info_title!r} does not name {title!r}")
        roles = [str(element.S) for element in structure_elements(document)]
        if "/P" not in roles:
            problems.append("no paragraph is tagged")
        for figure in (e for e in structure_elements(document) if e.S == "/Figure"):
            if not str(figure.get("/Alt", "")).strip():
                problems.append("a figure has no alternative text")
        for page_number, page in enumerate(document.pages, start=1):
            for name, font in page.Resources.get("/Font", {}).items():
                if not _embedded(font):
                    problems.append(f"page {page_number}: font {name} is not embedded")
    return problems


def _embedded(font: pikepdf.Dictionary) -> bool:
    descendants = font.get("/DescendantFonts")
    described = descendants[0] if descendants else font
    descriptor = described.get("/FontDescriptor", {})
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def structure_roles(pdf: bytes) -> list[str]:
    """The structure types (``/H1``, ``/P``, ``/L``, ``/Figure``…) in reading order."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [str(element.S) for element in structure_elements(document)]


def figure_alternatives(pdf: bytes) -> list[str]:
    """The alternative text of every figure, in reading order."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [str(e.get("/Alt", "")) for e in structure_elements(document) if e.S == "/Figure"]


def reading_order(pdf: bytes) -> str:
    """The document's text as a screen reader follows it: the text of each piece of marked
    content, in the order the structure tree refers to it. Untagged text is left out."""
    texts = _marked_content_texts(pdf)
    pieces = []
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page_numbers = {page.objgen: number for number, page in enumerate(document.pages)}
        for element in structure_elements(document):
            page = element.get("/Pg")
            for kid in _kids(element):
                if isinstance(kid, int):
                    mcid, kid_page = kid, page
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    mcid, kid_page = int(kid.MCID), kid.get("/Pg", page)
                else:
                    continue
                if kid_page is None:
                    continue
                pieces.append(texts.get((page_numbers[kid_page.objgen], int(mcid)), ""))
    return " ".join(" ".join(pieces).split())


def _marked_content_texts(pdf: bytes) -> dict[tuple[int, int], str]:
    """The text drawn inside each marked-content sequence, by (page number, MCID)."""
    texts: dict[tuple[int, int], str] = {}
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        open_ids: list[int | None] = []

        def before(operator, operands, cm, tm, open_ids=open_ids):
            if operator == b"BDC":
                properties = operands[1] if len(operands) > 1 else {}
                mcid = properties.get("/MCID") if hasattr(properties, "get") else None
                open_ids.append(None if mcid is None else int(mcid))
            elif operator == b"BMC":
                open_ids.append(None)
            elif operator == b"EMC" and open_ids:
                open_ids.pop()

        def text(chunk, cm, tm, font, size, open_ids=open_ids, number=number):
            current = next((mcid for mcid in reversed(open_ids) if mcid is not None), None)
            if current is not None and chunk:
                key = (number, current)
                texts[key] = texts.get(key, "") + chunk

        page.extract_text(visitor_operand_before=before, visitor_text=text)
    return texts
