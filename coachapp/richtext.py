"""Markdown that coaches write, rendered to HTML that can never run a script."""

from functools import cache

import nh3
from markupsafe import Markup

# Raw HTML in the source is shown as text (see _markdown_parser), and nh3 then keeps only
# these tags, so neither a pasted <script> nor a crafted link can reach a reader's browser.
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}
# No style attributes: the Content Security Policy would refuse them anyway.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


@cache
def _markdown_parser():
    """CommonMark with tables and strikethrough, raw HTML shown as text; built once."""
    # markdown-it loads its rules on import: only once a text is rendered (start-up time).
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to safe HTML; links open only http(s) and mailto addresses."""
    html = _markdown_parser().render(text or "")
    return Markup(  # noqa: S704  (nh3 has just sanitised it)
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )
