"""A client's data export: everything coachapp holds about one client, as JSON and PDFs.

The ZIP holds ``client.json`` (UTF-8, ISO dates and times in UTC), every session's PDF
(what the client sees in the portal) and every letter's PDF, written into a temporary file
one at a time.
"""

import json
from datetime import date, datetime
from functools import partial
from typing import IO

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from coachapp.auth.models import AccessToken, TokenPurpose, User
from coachapp.blog.models import Post, PublicationConsent
from coachapp.blog.services import canonical_url
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession
from coachapp.documents.archive import zip_into_temporary_file
from coachapp.extensions import db
from coachapp.letters.models import Letter, LetterRevision
from coachapp.letters.rendering import letter_pdf
from coachapp.portal.services import (
    letter_filename,
    session_filename,
    session_pdf,
    unique_filename,
)
from coachapp.timeutil import utcnow

# 2: the client is a family; each adult has their details and portal account in "adults".
EXPORT_FORMAT = 2
README = """Everything coachapp holds about one client.

client.json       The client's details, children, tags and portal sign-in; every session
                  (private notes, shared summary, topics, action items, follow-up date);
                  every letter with all its versions; consents to share letters; and the
                  blog posts made from their letters. Dates and times are ISO 8601, in UTC.
sessions/         Each session as the PDF the client sees in their portal (no private notes).
letters/          Each letter as a PDF on the coach's letterhead.

The private notes in client.json are the coach's own: read them through before passing
this file on.
"""


def export_filename(client: Client) -> str:
    """The download's name: the client's number and the date, never their name."""
    return f"client-{client.id}-export-{utcnow():%Y-%m-%d}.zip"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict | None:
    return {"name": user.name, "email": user.email} if user is not None else None


def client_sessions(client: Client) -> list[CoachingSession]:
    return list(
        db.session.scalars(
            select(CoachingSession)
            .options(
                selectinload(CoachingSession.action_items), selectinload(CoachingSession.topics)
            )
            .where(CoachingSession.client_id == client.id)
            .order_by(CoachingSession.starts_at, CoachingSession.id)
        )
    )


def client_letters(client: Client) -> list[Letter]:
    return list(
        db.session.scalars(
            select(Letter)
            .options(selectinload(Letter.revisions).selectinload(LetterRevision.author))
            .where(Letter.client_id == client.id)
            .order_by(Letter.created_at, Letter.id)
        )
    )


def _profile(client: Client) -> dict:
    return {
        "id": client.id,
        "adults": [_adult(adult) for adult in client.adults],
        "situation": client.situation,
        "goals": client.goals,
        "notes": client.notes,
        "identifying_words": [line for line in client.identifying_words.splitlines() if line],
        "archived_at": _iso(client.archived_at),
        "created_at": _iso(client.created_at),
        "updated_at": _iso(client.updated_at),
    }


def _adult(adult: Adult) -> dict:
    return {
        "id": adult.id,
        "first_name": adult.first_name,
        "last_name": adult.last_name,
        "preferred_name": adult.preferred_name,
        "pronouns": adult.pronouns,
        "email": adult.email,
        "phone": adult.phone,
        "preferred_contact": adult.preferred_contact,
        "relation_to_children": adult.relation_to_children,
        "portal_account": _portal_account(adult),
    }


def _portal_account(adult: Adult) -> dict:
    """An adult's portal sign-in and invitations (never a password hash or a token)."""
    user = adult.user
    if user is None:
        return {"state": "not invited"}
    invitations = db.session.scalars(
        select(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.purpose == TokenPurpose.INVITE)
        .order_by(AccessToken.created_at)
    )
    if not user.active:
        state = "closed"
    elif user.password_hash:
        state = "active"
    else:
        state = "invited, no password chosen yet"
    return {
        "state": state,
        "email": user.email,
        "created_at": _iso(user.created_at),
        "last_sign_in_at": _iso(user.last_login_at),
        "two_step_sign_in": user.has_two_factor,
        "invitations": [
            {
                "sent_at": _iso(token.created_at),
                "expires_at": _iso(token.expires_at),
                "accepted_at": _iso(token.used_at),
            }
            for token in invitations
        ],
    }


def _session(coaching_session: CoachingSession, pdf_name: str) -> dict:
    return {
        "id": coaching_session.id,
        "starts_at": _iso(coaching_session.starts_at),
        "ends_at": _iso(coaching_session.ends_at),
        "duration_minutes": coaching_session.duration_minutes,
        "format": coaching_session.format.value,
        "private_notes": coaching_session.private_notes,
        "shared_summary": coaching_session.summary,
        "topics": [topic.name for topic in coaching_session.topics],
        "action_items": [
            {"text": item.text, "due_on": _iso(item.due_on), "done_at": _iso(item.done_at)}
            for item in coaching_session.action_items
        ],
        "follow_up_on": _iso(coaching_session.follow_up_on),
        "created_at": _iso(coaching_session.created_at),
        "updated_at": _iso(coaching_session.updated_at),
        "pdf": pdf_name,
    }


def _letter(letter: Letter, pdf_name: str) -> dict:
    return {
        "id": letter.id,
        "subject": letter.subject,
        "body": letter.body,
        "status": letter.status.value,
        "coaching_session_id": letter.coaching_session_id,
        "created_at": _iso(letter.created_at),
        "updated_at": _iso(letter.updated_at),
        "approved_at": _iso(letter.approved_at),
        "sent_at": _iso(letter.sent_at),
        "sent_to": letter.sent_to,
        "revisions": [
            {
                "number": revision.number,
                "subject": revision.subject,
                "body": revision.body,
                "reason": revision.reason,
                "author": revision.author.name if revision.author else None,
                "created_at": _iso(revision.created_at),
            }
            for revision in letter.revisions
        ],
        "pdf": pdf_name,
    }


def _consents(client: Client, revision_numbers: dict[int, int]) -> list[dict]:
    consents = db.session.scalars(
        select(PublicationConsent)
        .where(PublicationConsent.client_id == client.id)
        .order_by(PublicationConsent.given_at, PublicationConsent.id)
    )
    return [
        {
            "letter_id": consent.letter_id,
            # Whose consent it is: one adult of the family (an id of "adults", or none
            # when that adult has since been removed from the family).
            "adult_id": consent.adult_id,
            "adult_name": consent.adult_name,
            "letter_revision": revision_numbers.get(consent.letter_revision_id),
            "method": consent.method.value,
            "note": consent.note,
            "given_at": _iso(consent.given_at),
            "recorded_by": _person(consent.recorded_by),
            "withdrawn_at": _iso(consent.withdrawn_at),
            "withdrawn_by": _person(consent.withdrawn_by),
            "withdrawal_note": consent.withdrawal_note,
        }
        for consent in consents
    ]


def _posts(client: Client, letter_ids: list[int], revision_numbers: dict[int, int]) -> list[dict]:
    """The blog posts made from the client's letters, public or not."""
    posts = db.session.scalars(
        select(Post)
        .where(or_(Post.client_id == client.id, Post.letter_id.in_(letter_ids)))
        .order_by(Post.id)
    )
    now = utcnow()
    return [
        {
            "id": post.id,
            "title": post.title,
            "status": post.shown_status(now),
            "letter_id": post.letter_id,
            "letter_revision": revision_numbers.get(post.letter_revision_id),
            "publish_at": _iso(post.publish_at),
            "public_url": canonical_url("blog.post", slug=post.slug)
            if post.is_public(now)
            else None,
            "excerpt": post.excerpt,
            "body": post.body,
            "unpublished_reason": post.unpublished_reason,
            "created_at": _iso(post.created_at),
            "updated_at": _iso(post.updated_at),
        }
        for post in posts
    ]


def client_export_zip(client: Client, exported_by: User) -> IO[bytes]:
    """The client's data export as a ZIP in a temporary file, for the caller to send and
    close. Raises PdfRenderError if a PDF cannot be made.

    Newly rendered PDFs join the shared cache in the current transaction.
    """
    taken: set[str] = set()
    sessions = [
        (coaching_session, f"sessions/{unique_filename(session_filename(coaching_session), taken)}")
        for coaching_session in client_sessions(client)
    ]
    letters = [
        (letter, f"letters/{unique_filename(letter_filename(letter), taken)}")
        for letter in client_letters(client)
    ]
    revision_numbers = {
        revision.id: revision.number for letter, _ in letters for revision in letter.revisions
    }
    data = {
        "format": f"coachapp client export {EXPORT_FORMAT}",
        "exported_at": _iso(utcnow()),
        "exported_by": _person(exported_by),
        "coach": _person(client.coach),
        "client": _profile(client),
        "children": [
            {"first_name": child.first_name, "birth_year": child.birth_year}
            for child in client.children
        ],
        "tags": [tag.name for tag in client.tags],
        "sessions": [_session(item, name) for item, name in sessions],
        "letters": [_letter(letter, name) for letter, name in letters],
        "consents": _consents(client, revision_numbers),
        "posts": _posts(client, [letter.id for letter, _ in letters], revision_numbers),
    }
    client_json = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return zip_into_temporary_file([
        ("README.txt", lambda: README),
        ("client.json", lambda: client_json),
        *((name, partial(session_pdf, coaching_session)) for coaching_session, name in sessions),
        *((name, partial(letter_pdf, letter)) for letter, name in letters),
    ])
