"""A client's data export: everything coachapp holds about one family, or about one adult
of it, as JSON and PDFs.

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

from coachapp.activity.history import adult_events, portal_label
from coachapp.audit.models import AuditEvent
from coachapp.auth.models import AccessToken, Role, TokenPurpose, User
from coachapp.blog.models import JournalConsent, Post, PublicationConsent
from coachapp.blog.services import canonical_url
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession
from coachapp.documents.archive import zip_into_temporary_file
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.letters.models import Letter, LetterRevision
from coachapp.letters.rendering import letter_pdf
from coachapp.portal.services import (
    letter_filename,
    records_of,
    session_filename,
    session_pdf,
    unique_filename,
)
from coachapp.programmes.models import Enrolment
from coachapp.programmes.schedule import adult_today, day_reached
from coachapp.timeutil import utcnow

# 2: the client is a family; each adult has their details and portal account in "adults".
EXPORT_FORMAT = 2
README = """Everything coachapp holds about one client.

client.json       The client's details, children, tags and portal sign-in; every session
                  (private notes, shared summary, topics, action items, follow-up date);
                  every letter with all its versions; consents to share letters; and the
                  blog posts made from their letters and journal entries; the programmes
                  each adult follows (day reached, entries written); and the journal
                  entries the adults shared with the coach, with any agreement to share
                  one on the blog (of private entries, only how many there are).
                  Dates and times are ISO 8601, in UTC.
sessions/         Each session as the PDF the client sees in their portal (no private notes).
letters/          Each letter as a PDF on the coach's letterhead.

The private notes in client.json are the coach's own: read them through before passing
this file on.
"""


ADULT_README = """What coachapp holds about one adult of a family.

client.json       Their details and portal sign-in; the sessions they attended or were
                  shown (private notes, shared summary, topics, the action items for them
                  or for the whole family); the letters written to them with all their
                  versions; consents to share those letters; the blog posts made from
                  them; and their portal activity: what they did, and who opened, sent
                  or downloaded their records; the programmes they follow and the
                  journal entries they shared with the coach (of private entries, only
                  how many there are). Dates and times are ISO 8601, in UTC.
sessions/         Each of those sessions as the PDF the portal shows (no private notes).
letters/          Each of those letters as a PDF on the coach's letterhead.

The private notes in client.json are the coach's own: read them through before passing
this file on.
"""


def export_filename(client: Client) -> str:
    """The download's name: the client's number and the date, never their name."""
    return f"client-{client.id}-export-{utcnow():%Y-%m-%d}.zip"


def adult_export_filename(adult: Adult) -> str:
    """One adult's download: the family's and the adult's numbers, never a name."""
    return f"client-{adult.client_id}-adult-{adult.id}-export-{utcnow():%Y-%m-%d}.zip"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict | None:
    return {"name": user.name, "email": user.email} if user is not None else None


def client_sessions(client: Client, only_ids=None) -> list[CoachingSession]:
    """The client's sessions, oldest first; only those with ``only_ids`` when given."""
    statement = select(CoachingSession).where(CoachingSession.client_id == client.id)
    if only_ids is not None:
        statement = statement.where(CoachingSession.id.in_(only_ids))
    return list(
        db.session.scalars(
            statement.options(
                selectinload(CoachingSession.action_items), selectinload(CoachingSession.topics)
            )
            .order_by(CoachingSession.starts_at, CoachingSession.id)
        )
    )


def client_letters(client: Client, only_ids=None) -> list[Letter]:
    """The client's letters, oldest first; only those with ``only_ids`` when given."""
    statement = select(Letter).where(Letter.client_id == client.id)
    if only_ids is not None:
        statement = statement.where(Letter.id.in_(only_ids))
    return list(
        db.session.scalars(
            statement.options(selectinload(Letter.revisions).selectinload(LetterRevision.author))
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


def _session(coaching_session: CoachingSession, pdf_name: str, for_adult: Adult | None = None):
    """A session as data; for one adult, only the action items for them or the family."""
    items = [
        item for item in coaching_session.action_items
        if for_adult is None or item.adult_id in (None, for_adult.id)
    ]
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
            for item in items
        ],
        "follow_up_on": _iso(coaching_session.follow_up_on),
        "created_at": _iso(coaching_session.created_at),
        "updated_at": _iso(coaching_session.updated_at),
        "pdf": pdf_name,
    }


def _letter(letter: Letter, pdf_name: str, for_adult: Adult | None = None) -> dict:
    """A letter as data; for one adult, "sent to" keeps only their own address."""
    sent_to = letter.sent_to
    if for_adult is not None and sent_to:
        own = (for_adult.email or "").strip().lower()
        sent_to = ", ".join(a.strip() for a in sent_to.split(",") if a.strip().lower() == own)
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
        "sent_to": sent_to,
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


def _consents(
    client: Client, revision_numbers: dict[int, int], letter_ids=None, person=_person
) -> list[dict]:
    """Consents to share the client's letters (only those letters', when given)."""
    statement = select(PublicationConsent).where(PublicationConsent.client_id == client.id)
    if letter_ids is not None:
        statement = statement.where(PublicationConsent.letter_id.in_(letter_ids))
    consents = db.session.scalars(
        statement.order_by(PublicationConsent.given_at, PublicationConsent.id)
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
            "recorded_by": person(consent.recorded_by),
            "withdrawn_at": _iso(consent.withdrawn_at),
            "withdrawn_by": person(consent.withdrawn_by),
            "withdrawal_note": consent.withdrawal_note,
        }
        for consent in consents
    ]


def _posts(client: Client, letter_ids: list[int], revision_numbers: dict[int, int]) -> list[dict]:
    """The blog posts made from the client's letters and journal entries, public or not."""
    made_from = or_(Post.client_id == client.id, Post.letter_id.in_(letter_ids))
    return _posts_where(made_from, revision_numbers)


def _posts_from_letters(letter_ids: list[int], revision_numbers: dict[int, int]) -> list[dict]:
    """The blog posts made from these letters (one adult's), public or not."""
    return _posts_where(Post.letter_id.in_(letter_ids), revision_numbers)


def _posts_where(made_from, revision_numbers: dict[int, int]) -> list[dict]:
    posts = db.session.scalars(select(Post).where(made_from).order_by(Post.id))
    now = utcnow()
    return [
        {
            "id": post.id,
            "title": post.title,
            "status": post.shown_status(now),
            "letter_id": post.letter_id,
            "letter_revision": revision_numbers.get(post.letter_revision_id),
            "journal_entry_id": post.journal_entry_id,
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


def _enrolments(client: Client, adult: Adult | None = None) -> list[dict]:
    """The programmes followed: where each adult is, how many entries they wrote (a count:
    what a private entry says is theirs alone)."""
    query = select(Enrolment).where(Enrolment.client_id == client.id).order_by(Enrolment.id)
    if adult is not None:
        query = query.where(Enrolment.adult_id == adult.id)
    enrolments = list(db.session.scalars(query))
    written = dict(
        db.session.execute(
            select(JournalEntry.enrolment_id, db.func.count(JournalEntry.id))
            .where(JournalEntry.enrolment_id.in_([e.id for e in enrolments]))
            .group_by(JournalEntry.enrolment_id)
        ).all()
    )
    return [
        {
            "adult_id": enrolment.adult_id,
            "programme": enrolment.programme.title,
            "start_date": _iso(enrolment.start_date),
            "rhythm": enrolment.rhythm.value,
            "weekdays": enrolment.weekdays,
            "status": enrolment.status.value,
            "notice": enrolment.notice.value,
            "day_reached": day_reached(enrolment, adult_today(enrolment)),
            "entries_written": written.get(enrolment.id, 0),
        }
        for enrolment in enrolments
    ]


def _shared_journal(client: Client, adult: Adult | None = None) -> dict:
    """The entries shared with the coach, with the replies; private ones only counted."""
    query = (
        select(JournalEntry)
        .where(JournalEntry.client_id == client.id, JournalEntry.shared_at.is_not(None))
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    private = select(db.func.count(JournalEntry.id)).where(
        JournalEntry.client_id == client.id, JournalEntry.shared_at.is_(None)
    )
    if adult is not None:
        query = query.where(JournalEntry.adult_id == adult.id)
        private = private.where(JournalEntry.adult_id == adult.id)
    entries = db.session.scalars(query).all()
    agreements: dict[int, list[JournalConsent]] = {}
    for consent in db.session.scalars(
        select(JournalConsent)
        .where(JournalConsent.journal_entry_id.in_([entry.id for entry in entries]))
        .order_by(JournalConsent.given_at, JournalConsent.id)
    ):
        agreements.setdefault(consent.journal_entry_id, []).append(consent)
    return {
        "shared_entries": [
            {
                "id": entry.id,
                "adult_id": entry.adult_id,
                "title": entry.title,
                "programme": entry.prompt.programme.title if entry.prompt else None,
                "day": entry.prompt.day if entry.prompt else None,
                "written_at": _iso(entry.created_at),
                "updated_at": _iso(entry.updated_at),
                "shared_at": _iso(entry.shared_at),
                "text": entry.body,
                "replies": [
                    {"written_at": _iso(reply.created_at), "by": _person(reply.coach),
                     "text": reply.body}
                    for reply in entry.replies
                ],
                "public_agreements": [
                    {"version": consent.entry_version, "given_at": _iso(consent.given_at),
                     "withdrawn_at": _iso(consent.withdrawn_at)}
                    for consent in agreements.get(entry.id, [])
                ],
            }
            for entry in entries
        ],
        "private_entry_count": db.session.scalar(private) or 0,
    }


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
        "programmes": _enrolments(client),
        "journal": _shared_journal(client),
    }
    client_json = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return zip_into_temporary_file([
        ("README.txt", lambda: README),
        ("client.json", lambda: client_json),
        *((name, partial(session_pdf, coaching_session)) for coaching_session, name in sessions),
        *((name, partial(letter_pdf, letter)) for letter, name in letters),
    ])


def adult_export_zip(adult: Adult, exported_by: User) -> IO[bytes]:
    """One adult's share of the family's record as a ZIP in a temporary file, for the caller
    to send and close: their details and portal sign-in, the sessions they attended or were
    shown, the letters written to them, consents and posts from those letters, and the
    activity their portal shows them. Raises PdfRenderError if a PDF cannot be made.

    The other adults appear only where a joint record names them; while the family is
    kept apart, not even by name in a consent. Consents are the family's: those on the
    adult's letters are theirs to read.
    """
    client = adult.client
    records = records_of(adult)
    # Every letter written to them, drafts too: what the coach holds about them.
    written_to = select(Letter.id).where(Letter.addressees.any(Adult.id == adult.id))
    taken: set[str] = set()
    sessions = [
        (coaching_session, f"sessions/{unique_filename(session_filename(coaching_session), taken)}")
        for coaching_session in client_sessions(client, records.session_ids)
    ]
    letters = [
        (letter, f"letters/{unique_filename(letter_filename(letter), taken)}")
        for letter in client_letters(client, written_to)
    ]
    revision_numbers = {
        revision.id: revision.number for letter, _ in letters for revision in letter.revisions
    }
    letter_ids = [letter.id for letter, _ in letters]
    data = {
        "format": f"coachapp adult export {EXPORT_FORMAT}",
        "exported_at": _iso(utcnow()),
        "exported_by": _person(exported_by),
        "coach": _person(client.coach),
        "client": {"id": client.id, "adults_kept_apart": client.keep_apart},
        "adult": _adult(adult),
        "sessions": [_session(item, name, for_adult=adult) for item, name in sessions],
        "letters": [_letter(letter, name, for_adult=adult) for letter, name in letters],
        "consents": _consents(
            client, revision_numbers, letter_ids, partial(_person_seen_by, adult)
        ),
        "posts": _posts_from_letters(letter_ids, revision_numbers),
        "activity": [_event(event, adult) for event in adult_events(client, adult, records)],
        "programmes": _enrolments(client, adult),
        "journal": _shared_journal(client, adult),
    }
    client_json = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return zip_into_temporary_file([
        ("README.txt", lambda: ADULT_README),
        ("client.json", lambda: client_json),
        *((name, partial(session_pdf, coaching_session)) for coaching_session, name in sessions),
        *((name, partial(letter_pdf, letter)) for letter, name in letters),
    ])


def _person_seen_by(adult: Adult, user: User | None) -> dict | None:
    """Someone as one adult's export names them: the coach and the adult themselves in
    full; another adult of the family by name only, and not at all while kept apart."""
    if user is None or user.role is Role.COACH or user.id == adult.user_id:
        return _person(user)
    if adult.client.keep_apart:
        return {"name": "another adult of the family", "email": None}
    return {"name": user.name, "email": None}


def _event(event: AuditEvent, adult: Adult) -> dict:
    """One line of the adult's portal activity (no addresses: where they signed in from
    is theirs, but not the coach's)."""
    own = adult.user_id is not None and event.actor_id == adult.user_id
    return {
        "occurred_at": _iso(event.occurred_at),
        "who": "you" if own else event.actor_display_name or "coachapp",
        "what": portal_label(event),
        "record": f"{event.target_type} {event.target_id}" if event.target_type else None,
    }
