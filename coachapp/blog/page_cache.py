"""Rendered public blog pages kept in memory, for readers who are not signed in.

Each app process keeps its own few hundred pages, and checks them against the database on
every request with one small query: the blog's revision (bumped by database triggers on
every change to a table a public page reads, whichever process or program made it) and how
many posts are public by now (a scheduled post goes public by the clock alone, with no
write). A page rendered at one state is only ever served at that same state, so a change
shows at once everywhere, and a post taken offline is a 404 at once.

Only what every anonymous reader would be shown alike is kept: the comment form's CSRF
token is stored as a placeholder and each reader gets their own, as an uncached page would
give them. Security headers are added after the view, on cached and fresh pages alike.
"""

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Select, func, select

from coachapp.blog.models import BlogRevision, Post
from coachapp.blog.services import public_now
from coachapp.extensions import db
from coachapp.timeutil import utcnow

EXTENSION_KEY = "coachapp.blog_page_cache"
# What a view may set on a page that can be shared: anything else (a cookie, a policy of
# its own) means the response belongs to one reader.
SHAREABLE_HEADERS = {"content-type", "content-length"}


@dataclass(frozen=True)
class CachedPage:
    """A rendered page as every anonymous reader gets it, at one state of the blog."""

    state: tuple[int, int]
    body: bytes
    content_type: str
    # The render made a CSRF token: each reader gets their own, stored in their session.
    uses_csrf_token: bool


class PageCache:
    """The newest rendering of each address, at most ``max_pages`` of them, least recently
    used dropped first. Shared by the threads of one process."""

    def __init__(self, max_pages: int) -> None:
        self.max_pages = max_pages
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.lock = threading.Lock()
        # Stands in for the CSRF token in stored bodies; no page can contain it by chance.
        self.token_placeholder = f"csrf-token-{secrets.token_hex(16)}".encode()

    def get(self, address: str, state: tuple[int, int]) -> CachedPage | None:
        with self.lock:
            page = self.pages.get(address)
            if page is None or page.state != state:
                return None
            self.pages.move_to_end(address)
            return page

    def put(self, address: str, page: CachedPage) -> None:
        with self.lock:
            self.pages[address] = page
            self.pages.move_to_end(address)
            while len(self.pages) > self.max_pages:
                self.pages.popitem(last=False)


def init_app(app: Flask) -> None:
    """Give the app its own cache; BLOG_PAGE_CACHE_SIZE = 0 turns it off."""
    size = app.config["BLOG_PAGE_CACHE_SIZE"]
    if size > 0:
        app.extensions[EXTENSION_KEY] = PageCache(size)


@cache
def _state_statement() -> Select:
    # No row yet means nothing has changed since the table was made: revision 0.
    revision = select(BlogRevision.revision).where(BlogRevision.id == 1).scalar_subquery()
    public_by_now = select(func.count(Post.id)).where(public_now()).scalar_subquery()
    return select(func.coalesce(revision, 0), public_by_now)


def blog_state() -> tuple[int, int]:
    """(revision, posts public by now), in one query."""
    revision, public_by_now = db.session.execute(_state_statement(), {"now": utcnow()}).one()
    return revision, public_by_now


def reader_may_share() -> bool:
    """A GET or HEAD by someone not signed in and with no message waiting to be shown."""
    if request.method not in ("GET", "HEAD"):
        return False
    return "_flashes" not in session and not current_user.is_authenticated


def shared_with_readers(view: Callable) -> Callable:
    """Serve the view's page from the cache to anonymous readers while the blog is unchanged.

    Only a 200 whose only headers are its type and length is kept: an error page, a
    redirect or a page that sets something of its own is rendered afresh every time.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        pages: PageCache | None = current_app.extensions.get(EXTENSION_KEY)
        if pages is None or not reader_may_share():
            return view(*args, **kwargs)
        state = blog_state()
        # The prefix a proxy may add (X-Forwarded-Prefix) changes every link on the page.
        address = request.script_root + request.full_path
        page = pages.get(address, state)
        if page is not None:
            return _response_from(page, pages.token_placeholder)
        response = make_response(view(*args, **kwargs))
        page = _page_to_keep(response, state, pages.token_placeholder)
        if page is not None:
            pages.put(address, page)
        return response

    return wrapped


def _csrf_token_made() -> str | None:
    """The CSRF token this request's render put in its forms, if it made one."""
    return g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def _page_to_keep(response: Response, state, placeholder: bytes) -> CachedPage | None:
    if response.status_code != 200 or response.is_streamed:
        return None
    if {name.lower() for name, _ in response.headers.items()} - SHAREABLE_HEADERS:
        return None
    if g.get("csp_style_nonce"):
        return None  # a nonce belongs to one response
    body = response.get_data()
    token = _csrf_token_made()
    if token:
        body = body.replace(token.encode(), placeholder)
    return CachedPage(state, body, response.content_type, uses_csrf_token=bool(token))


def _response_from(page: CachedPage, placeholder: bytes) -> Response:
    body = page.body
    if page.uses_csrf_token:
        # generate_csrf() keeps the reader's session as a fresh render would.
        body = body.replace(placeholder, generate_csrf().encode())
    return Response(body, 200, content_type=page.content_type)
