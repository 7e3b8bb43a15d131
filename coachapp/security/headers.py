"""Response headers that tell browsers what a coachapp page may do: run only coachapp's own
scripts and styles, never be framed by another site, never be kept in a cache when private,
and (over HTTPS) never be fetched over plain HTTP again."""

import secrets

from flask import Flask, Response, current_app, g, request, session
from werkzeug.exceptions import SecurityError

# A year, the value browsers' HSTS preload lists expect.
HSTS_VALUE = "max-age=31536000; includeSubDomains"
UNTRUSTED_HOST_MESSAGE = "coachapp does not answer at this address.\n"


def content_security_policy(frame_ancestors: str = "'none'", style_nonce: str | None = None) -> str:
    """The policy for one response: coachapp's own files only, no plugins, no <base>,
    forms post only to coachapp; inline styles only with this response's nonce."""
    directives = ["default-src 'self'"]
    if style_nonce:
        directives.append(f"style-src 'self' 'nonce-{style_nonce}'")
    directives += [
        "object-src 'none'",
        "base-uri 'none'",
        f"frame-ancestors {frame_ancestors}",
        "form-action 'self'",
    ]
    return "; ".join(directives)


def use_style_nonce() -> str:
    """A nonce for this response's inline <style>, allowed by this response's policy alone.

    Call it before rendering: templates print it as ``csp_nonce``. Documents rendered to
    PDF never call it, so their HTML (and the PDF cache keyed by it) stays the same.
    """
    if "csp_style_nonce" not in g:
        g.csp_style_nonce = secrets.token_urlsafe(18)
    return g.csp_style_nonce


def allow_framing_by_coachapp() -> None:
    """Let coachapp's own pages show this response in a frame (the letter preview)."""
    g.csp_frame_ancestors_self = True


def is_private_response() -> bool:
    """Anything shown to a signed-in person, or by a view that is not public."""
    if request.endpoint == "static":
        return False
    if "_user_id" in session:
        return True
    if request.endpoint is None:
        return False  # an unknown address: nothing private on the 404 page
    view = current_app.view_functions.get(request.endpoint)
    return not getattr(view, "is_public", False)


def set_security_headers(response: Response) -> Response:
    """Add the headers every response carries; a view's own stricter choice is kept."""
    headers = response.headers
    framed = g.get("csp_frame_ancestors_self", False)
    policy = content_security_policy("'self'" if framed else "'none'", g.get("csp_style_nonce"))
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS_VALUE)
    if is_private_response():
        cache_control = headers.get("Cache-Control", "")
        # A public image keeps its own caching, even for a signed-in reader.
        own_public_caching = "max-age" in cache_control and not _view_is_private()
        if "no-store" not in cache_control and not own_public_caching:
            headers["Cache-Control"] = "no-store"
    return response


def _view_is_private() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and not getattr(view, "is_public", False)


def refuse_untrusted_host():
    """A Host outside TRUSTED_HOSTS gets a plain 400 before anything else runs.

    Flask checks TRUSTED_HOSTS while matching the URL; without a URL adapter, no page
    (not even the error page) could build its links, so the answer is plain text.
    """
    if isinstance(request.routing_exception, SecurityError):
        return Response(UNTRUSTED_HOST_MESSAGE, 400, mimetype="text/plain")
    return None


def template_nonce() -> dict:
    return {"csp_nonce": g.get("csp_style_nonce")}


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.context_processor(template_nonce)
    # First of all hooks: CSRF checks and sign-in checks would render pages needing links.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_untrusted_host)
