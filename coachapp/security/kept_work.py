"""Kept work: what someone typed into a form as their session timed out, kept until they
sign in again and choose to save it (posted to where it was going) or discard it."""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import exists, select
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from coachapp.auth.models import KeptWork, User
from coachapp.auth.signals import signed_in
from coachapp.extensions import db
from coachapp.ids import parse_id

# Set at sign-in when kept work is waiting: the next page shows it (no query per request).
WAITING_FLAG = "kept_work_waiting"
# The hidden field that tells coachapp a form came from the kept-work page.
KEPT_ID_FIELD = "kept_work_id"
# Work sent in the background is saved by hand through the page's own form.
SAVED_THROUGH = {
    "letters.autosave": "letters.edit",
    "letters.preview": "letters.edit",
    "journal.portal_autosave": "journal.portal_edit",
}
# Sign-in, sign-out, passwords and codes are never kept; of the account pages only the
# details form (name, time zone, bio) is.
KEPT_ACCOUNT_PAGES = {"auth.edit_account"}
# Of a client's forms only the journal's are kept: an entry can be long, written for a
# while, and is theirs alone; the rest of the portal is a tick or a click.
KEPT_CLIENT_PAGES = {"journal.portal_write", "journal.portal_edit", "journal.portal_autosave"}
NEVER_KEPT_FIELDS = re.compile(r"csrf_token|password|secret", re.IGNORECASE)
PATH_MAX = 2000

WHERE_IT_CAME_FROM = {
    "coaching.new": "A new session",
    "coaching.edit": "Changes to a session",
    "coaching.edit_note_template": "A note template",
    "clients.create": "A new client",
    "clients.edit": "Changes to a client's details",
    "letters.new": "A new letter",
    "letters.edit": "Changes to a letter",
    "letters.send": "A letter's covering message",
    "letters.edit_template": "A letter template",
    "posts.create": "A new blog post",
    "posts.edit": "Changes to a blog post",
    "posts.profile": "Your author profile",
    "comments.reply": "A reply to a comment",
    "auth.edit_account": "Changes to your details",
    "journal.portal_write": "A new journal entry",
    "journal.portal_edit": "Changes to a journal entry",
}


@dataclass(frozen=True)
class KeptField:
    """One field as the person typed it, with a readable name."""

    name: str
    value: str
    label: str

    @property
    def is_long(self) -> bool:
        return "\n" in self.value or len(self.value) > 80


def keep_request_work(user: User) -> bool:
    """Keep what this (expired) request's form carried for ``user``; True if anything was.

    Only a POST with a valid CSRF token is kept: a coach's, or a client's journal entry
    (the portal's other forms are a tick or a click, quickly done again); never passwords,
    tokens or files. Adds the row in the caller's transaction.
    """
    endpoint = request.endpoint or ""
    if request.method != "POST" or endpoint.startswith("kept_work."):
        return False
    if not user.is_coach and endpoint not in KEPT_CLIENT_PAGES:
        return False
    if endpoint.startswith("auth.") and endpoint not in KEPT_ACCOUNT_PAGES:
        return False
    try:
        posted = request.form
        if not _csrf_token_is_valid(posted.get("csrf_token")):
            return False
    except HTTPException:  # e.g. a form too large to read
        return False
    fields = [
        [name, value]
        for name, value in posted.items(multi=True)
        if name != KEPT_ID_FIELD and not NEVER_KEPT_FIELDS.search(name)
    ]
    path = _path_to_save_to(endpoint)
    if not any(value.strip() for _, value in fields) or len(path) > PATH_MAX:
        return False
    db.session.add(KeptWork(user_id=user.id, path=path, fields=fields))
    return True


def _csrf_token_is_valid(token: str | None) -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(token or request.headers.get("X-CSRFToken"))
    except (ValidationError, CSRFError):
        return False
    return True


def _path_to_save_to(endpoint: str) -> str:
    if endpoint in SAVED_THROUGH:
        return url_for(SAVED_THROUGH[endpoint], **(request.view_args or {}))
    return request.full_path.removesuffix("?")


@signed_in.connect
def note_waiting_kept_work(user: User) -> None:
    """At sign-in: remember in the session whether kept work waits for ``user`` (one query),
    so it is offered once, on the next page."""
    if has_kept_work(user.id):
        session[WAITING_FLAG] = True


def has_kept_work(user_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(KeptWork.user_id == user_id))))


def kept_work_of(user: User) -> list[KeptWork]:
    """The person's kept work, oldest first."""
    return list(
        db.session.scalars(
            select(KeptWork).where(KeptWork.user_id == user.id).order_by(KeptWork.id)
        )
    )


def get_kept_work_or_404(kept_id: int, user: User) -> KeptWork:
    """One piece of the person's own kept work; anyone else's does not exist for them."""
    kept = db.session.get(KeptWork, kept_id)
    if kept is None or kept.user_id != user.id:
        abort(404)
    return kept


def where_it_came_from(kept: KeptWork) -> str:
    """A plain description of the form the work was typed into."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(urlsplit(kept.path).path, method="POST")
    except HTTPException:
        endpoint = ""
    return WHERE_IT_CAME_FROM.get(endpoint, "Something you were typing")


def kept_fields(kept: KeptWork) -> list[KeptField]:
    """The kept fields in the order they were posted, with readable names."""
    return [KeptField(name, value, field_label(name)) for name, value in kept.fields]


def field_label(name: str) -> str:
    """'private_notes' -> 'Private notes'; 'action_items-0-text' -> 'Action items 1: text'."""
    row = re.fullmatch(r"(.+)-(\d+)-(.+)", name)
    if row:
        return f"{field_label(row[1])} {int(row[2]) + 1}: {row[3].replace('_', ' ')}"
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def show_kept_work_once():
    """Right after sign-in, the first ordinary page leads to the kept work instead.

    Sign-in pages (including a required two-step set-up) come first; only a session
    flag is read, so ordinary requests cost no query.
    """
    if WAITING_FLAG not in session or request.method != "GET":
        return None
    if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
        return None  # a script's fetch or a frame, not the page the person is looking at
    endpoint = request.endpoint or ""
    if endpoint in ("", "static") or endpoint.startswith(("auth.", "kept_work.")):
        return None
    if getattr(current_app.view_functions.get(endpoint), "is_public", False):
        return None
    if "_user_id" not in session:
        return None
    session.pop(WAITING_FLAG)
    return redirect(url_for("kept_work.index"))


def forget_saved_work(response: Response) -> Response:
    """Once kept work is saved where it was going (a redirect, not the form again),
    it is no longer needed; any other kept work is shown next."""
    if request.method != "POST" or not 300 <= response.status_code < 400:
        return response
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return response
    kept_id = parse_id(request.form.get(KEPT_ID_FIELD))
    if kept_id is None:
        return response
    user_id = _signed_in_user_id()
    if user_id is None:
        return response
    kept = db.session.get(KeptWork, kept_id)
    if kept is not None and kept.user_id == user_id:
        db.session.delete(kept)
        db.session.commit()
        if has_kept_work(user_id):
            session[WAITING_FLAG] = True
    return response


def _signed_in_user_id() -> int | None:
    from flask_login import current_user

    return current_user.id if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    app.before_request(show_kept_work_once)
    app.after_request(forget_saved_work)
