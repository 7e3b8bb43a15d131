"""Walks the demo practice as a coach, two clients and an anonymous reader meet it.

Each role starts from its own pages and follows, breadth-first, every same-site link a person
could follow with a plain GET: ``<a href>``, ``<link rel=alternate>`` (the feeds),
``<iframe src>`` and GET forms submitted as they stand (the values already in them). No list
of pages is kept here, so a page added later is reached, and held to every check built on
this walk, as soon as something links to it. Downloads found by links (PDFs, the portal's
zip, feeds, the sitemap) are recorded too. Nothing is ever posted: signing out and every
action are POST forms, which the walk leaves alone, and a "Delete" link only opens its
confirmation page.

Many addresses share one route (a client's page, page 7 of a listing): at most
PAGES_PER_ROUTE of each are opened, so the walk stays at a few seconds however the demo grows.
"""

from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from coachapp.demo import (
    DEMO_APART_EMAILS,
    DEMO_CLIENT_EMAIL,
    DEMO_CLIENT_PASSWORD,
    DEMO_COACH_EMAIL,
    DEMO_COACH_PASSWORD,
    seed_demo_practice,
)
from coachapp.extensions import db
from tests.conftest import Browser

# Where each role begins: what a link from outside coachapp would open. The search results
# and a missing page are reached by no link, so they are started from too.
START_PAGES = {
    "coach": ("/dashboard", "/search?q=guilt", "/no-such-page"),
    "client": ("/portal/",),
    "client-apart": ("/portal/",),
    "reader": (
        "/", "/blog/", "/login", "/invitation", "/reset-password", "/sitemap.xml", "/robots.txt",
        "/no-such-page",
        # Reached from e-mail and from the subscribe form's POST, not by links.
        "/blog/by-email/check-your-inbox", "/blog/by-email/confirm/not-a-real-link",
        "/blog/by-email/unsubscribe/1/not-a-real-link",
    ),
}
SIGN_INS = {
    "coach": (DEMO_COACH_EMAIL, DEMO_COACH_PASSWORD),
    "client": (DEMO_CLIENT_EMAIL, DEMO_CLIENT_PASSWORD),
    # Luca, the second adult of the separated parents kept apart: his portal holds only his part.
    "client-apart": (DEMO_APART_EMAILS[1], DEMO_CLIENT_PASSWORD),
}
PAGES_PER_ROUTE = 5
# Links that change state when followed, should a page ever offer one as a plain link.
NEVER_FOLLOWED = ("/logout",)
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    """One response of the walk."""

    role: str  # "coach", "client", "client-apart" or "reader"
    url: str  # path and query string
    status: int
    content_type: str  # without parameters, e.g. "text/html"
    body: bytes

    @property
    def is_html_page(self) -> bool:
        """A page a browser shows (redirects are never shown)."""
        return self.content_type == "text/html" and self.status not in REDIRECTS


class LinkCollector(HTMLParser):
    """The addresses a person can open from a page with a plain GET."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._form_action: str | None = None  # of the GET form being read
        self._form_fields: dict[str, str] = {}
        self._select: str | None = None  # the name of the <select> being read

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        elif tag == "link" and "alternate" in attributes.get("rel", "").split():
            self.links.append(attributes.get("href", ""))
        elif tag == "iframe" and attributes.get("src"):
            self.links.append(attributes["src"])  # a page shown inside the page
        elif tag == "form" and attributes.get("method", "get").lower() == "get":
            self._form_action = attributes.get("action", "").split("?")[0]
            self._form_fields = {}
        elif self._form_action is not None and "disabled" not in attributes:
            self._read_field(tag, attributes)

    def _read_field(self, tag, attributes):
        """Keep a field's value as the form stands: what pressing its button would send."""
        name = attributes.get("name")
        kind = attributes.get("type", "text").lower()
        if tag == "input" and name and kind not in ("submit", "button", "reset", "image"):
            if kind not in ("checkbox", "radio") or "checked" in attributes:
                self._form_fields[name] = attributes.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and (
            self._select not in self._form_fields or "selected" in attributes
        ):  # the first option, unless a later one is selected
            self._form_fields[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form_action is not None:
            query = urlencode(self._form_fields)
            self.links.append(self._form_action + (f"?{query}" if query else ""))
            self._form_action = None


def walk_demo(app) -> list[Fetched]:
    """Seed the demo practice in ``app`` and walk it as each role; every response, in order.

    Fails at once when a page answers with a server error.
    """
    with app.app_context():
        seed_demo_practice()
        db.session.commit()
    fetched: list[Fetched] = []
    for role, start_pages in START_PAGES.items():
        fetched.extend(_walk_as(app, role, start_pages))
    return fetched


def walk_as(app, email: str, password: str, start_pages=START_PAGES["client"]) -> list[Fetched]:
    """Walk ``app`` signed in as someone other than the demo's people (an adult of a test's
    own family, say), from the portal unless told."""
    return _walk_as(app, "client", start_pages, (email, password))


def _walk_as(
    app, role: str, start_pages: tuple[str, ...], credentials: tuple[str, str] | None = None
) -> list[Fetched]:
    browser = Browser(app.test_client())
    credentials = credentials or SIGN_INS.get(role)
    if credentials:
        answer = browser.login(*credentials)
        assert answer.status_code in REDIRECTS, f"the {role} could not sign in"
    routes = app.url_map.bind("localhost")
    same_site = {"", "localhost", urlsplit(app.config["CANONICAL_URL"]).netloc}
    queue = deque(start_pages)
    seen = set(start_pages)
    opened_per_route: dict[tuple, int] = {}
    fetched = []
    while queue:
        url = queue.popleft()
        route = _route_of(routes, url)
        if route is None:
            continue
        opened_per_route[route] = opened_per_route.get(route, 0) + 1
        if opened_per_route[route] > PAGES_PER_ROUTE:
            continue
        response = browser.client.get(url)
        assert response.status_code < 500, f"{role} {url} answered {response.status_code}"
        page = Fetched(role, url, response.status_code, response.mimetype, response.get_data())
        fetched.append(page)
        for link in _links_from(page, response.headers.get("Location")):
            address = _same_site_path(urljoin(url, link), same_site)
            if address and address not in seen:
                seen.add(address)
                queue.append(address)
    return fetched


def _links_from(page: Fetched, location: str | None) -> list[str]:
    if page.status in REDIRECTS:
        return [location] if location else []
    if page.content_type != "text/html":
        return []
    collector = LinkCollector()
    collector.feed(page.body.decode("utf-8", "replace"))
    return collector.links


def _same_site_path(address: str, same_site: set[str]) -> str | None:
    """The path and query of a link to coachapp itself (fragment dropped), else None."""
    parts = urlsplit(address)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in same_site:
        return None
    if parts.path in NEVER_FOLLOWED or parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _route_of(routes, url: str) -> tuple | None:
    """What makes addresses alike: the route and the names in the query string.

    None for an address that answers no GET (a POST-only action).
    """
    parts = urlsplit(url)
    try:
        endpoint, _ = routes.match(parts.path, method="GET")
    except MethodNotAllowed:
        return None
    except RequestRedirect:
        endpoint = f"redirect {parts.path}"
    except NotFound:
        endpoint = f"missing {parts.path}"
    names = frozenset(pair.split("=", 1)[0] for pair in parts.query.split("&") if pair)
    return endpoint, names
