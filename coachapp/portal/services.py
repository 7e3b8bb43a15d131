"""What a client may see of their coaching, scoped to the signed-in client, and its PDFs.

Every query here starts from the signed-in person's own Client record, so another
client's session, action item or letter is simply not found (a 404, never a 403).
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import IO

from flask import abort, render_template
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from coachapp.activity.history import RecordsOfAdult
from coachapp.blog.models import Post
from coachapp.clients.models import Adult, Client, and_list
from coachapp.coaching.models import ActionItem, CoachingSession, SessionStatus
from coachapp.documents.archive import zip_into_temporary_file
from coachapp.documents.pdf import file_url
from coachapp.extensions import db
from coachapp.journal.models import JournalEntry
from coachapp.journal.services import own_entries
from coachapp.letters.letterhead import coach_and_letterhead, css_page_size, image_file, safe_accent
from coachapp.letters.models import Letter, LetterStatus
from coachapp.letters.rendering import PrintDocument, cached_pdf, letter_pdf, render_document
from coachapp.richtext import render_markdown
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

ARCHIVE_NAME = "my-coaching.zip"
# The portal's home lists this many sessions (each with its summary) and letters a page.
SESSIONS_PER_PAGE = 10
LETTERS_ON_HOME = 5
UPCOMING_ON_HOME = 20


def current_client_or_404() -> Client:
    """The family of the signed-in adult; a client sign-in without one sees nothing."""
    client_record = db.session.execute(
        select(Client)
        .options(joinedload(Client.adults))
        .where(Client.adults.any(Adult.user_id == current_user.id))
    ).unique().scalar_one_or_none()
    if client_record is None:
        abort(404)
    return client_record


def signed_in_adult(client_record: Client) -> Adult:
    """The adult of the family who is signed in."""
    return next(adult for adult in client_record.adults if adult.user_id == current_user.id)


def sees_family_records(client_record: Client) -> bool:
    """Whether the portal's home greets the signed-in adult as the family's first adult
    (what the coach writes for the family) rather than as another adult of it."""
    return signed_in_adult(client_record) is client_record.first_adult


def _session_seen_by(adult: Adult):
    """Sessions the adult attended or with whom the coach shares them; only those they
    attended while the family is kept apart."""
    attended = CoachingSession.attendees.any(Adult.id == adult.id)
    if adult.client.keep_apart:
        return attended
    return attended | CoachingSession.shared_with.any(Adult.id == adult.id)


def _letter_to(adult: Adult):
    """Letters written to the adult (jointly or to them alone), once sent."""
    return (Letter.status == LetterStatus.SENT) & Letter.addressees.any(Adult.id == adult.id)


def records_of(adult: Adult) -> RecordsOfAdult:
    """The sessions, letters and blog posts that are the adult's own, as the portal shows
    them: what their "Who has seen my records" and their data export are about."""
    letter_ids = select(Letter.id).where(Letter.client_id == adult.client_id, _letter_to(adult))
    return RecordsOfAdult(
        session_ids=select(CoachingSession.id).where(
            CoachingSession.client_id == adult.client_id, _session_seen_by(adult)
        ),
        letter_ids=letter_ids,
        post_ids=select(Post.id).where(
            or_(
                Post.letter_id.in_(letter_ids),
                Post.journal_entry_id.in_(
                    select(JournalEntry.id).where(JournalEntry.adult_id == adult.id)
                ),
            )
        ),
        joint_letter_ids=select(Letter.id).where(
            Letter.id.in_(letter_ids), Letter.addressees.any(Adult.id != adult.id)
        ),
    )


def _shared_sessions_query(client_record: Client):
    # Only sessions that have happened: an upcoming one has nothing written for the client.
    return (
        select(CoachingSession)
        .options(selectinload(CoachingSession.action_items))
        .where(
            CoachingSession.client_id == client_record.id,
            CoachingSession.starts_at <= utcnow(),
            CoachingSession.status != SessionStatus.CANCELLED,
            _session_seen_by(signed_in_adult(client_record)),
        )
    )


def past_sessions(client_record: Client) -> list[CoachingSession]:
    """The client's sessions that have taken place, newest first."""
    query = _shared_sessions_query(client_record).order_by(CoachingSession.starts_at.desc())
    return list(db.session.scalars(query))


def past_sessions_page(client_record: Client, page: int):
    """One page of the client's past sessions, newest first (the portal's home)."""
    query = _shared_sessions_query(client_record).order_by(
        CoachingSession.starts_at.desc(), CoachingSession.id.desc()
    )
    return db.paginate(query, page=page, per_page=SESSIONS_PER_PAGE, error_out=False)


def page_of_session(client_record: Client, coaching_session: CoachingSession) -> int:
    """The page of the portal's home that shows ``coaching_session``."""
    newer = db.session.scalar(
        select(func.count()).select_from(
            _shared_sessions_query(client_record)
            .where(
                (CoachingSession.starts_at > coaching_session.starts_at)
                | (
                    (CoachingSession.starts_at == coaching_session.starts_at)
                    & (CoachingSession.id > coaching_session.id)
                )
            )
            .subquery()
        )
    )
    return newer // SESSIONS_PER_PAGE + 1


def _upcoming_query(client_record: Client):
    # Only sessions the adult is expected at: one planned with another adult alone is
    # none of their business.
    return select(CoachingSession).where(
        CoachingSession.client_id == client_record.id,
        CoachingSession.starts_at > utcnow(),
        CoachingSession.status == SessionStatus.PLANNED,
        CoachingSession.attendees.any(Adult.id == signed_in_adult(client_record).id),
    )


def upcoming_sessions(client_record: Client) -> list[CoachingSession]:
    """The planned sessions ahead that the signed-in adult attends, soonest first."""
    query = _upcoming_query(client_record).order_by(CoachingSession.starts_at).limit(
        UPCOMING_ON_HOME
    )
    return list(db.session.scalars(query))


def get_upcoming_session_or_404(
    client_record: Client, coaching_session_id: int
) -> CoachingSession:
    """One of the signed-in adult's planned sessions ahead; any other id is a 404."""
    return db.first_or_404(
        _upcoming_query(client_record).where(CoachingSession.id == coaching_session_id)
    )


def get_past_session_or_404(client_record: Client, coaching_session_id: int) -> CoachingSession:
    """One of the client's own past sessions; any other id is a 404."""
    query = _shared_sessions_query(client_record).where(
        CoachingSession.id == coaching_session_id
    )
    return db.first_or_404(query)


def get_action_item_or_404(client_record: Client, action_item_id: int) -> ActionItem:
    """An action item the signed-in adult may tick, of a past session they see; any other
    id is a 404."""
    adult = signed_in_adult(client_record)
    query = (
        select(ActionItem)
        .join(ActionItem.coaching_session)
        .where(
            ActionItem.id == action_item_id,
            CoachingSession.client_id == client_record.id,
            CoachingSession.starts_at <= utcnow(),
            CoachingSession.status != SessionStatus.CANCELLED,
            _session_seen_by(adult),
            ActionItem.adult_id.is_(None) | (ActionItem.adult_id == adult.id),
        )
    )
    return db.first_or_404(query)


def _sent_letters_query(client_record: Client):
    # Drafts and approved letters are the coach's work in progress: never the client's.
    return select(Letter).where(
        Letter.client_id == client_record.id,
        # A letter is read by those it is written to, never by the rest of the family.
        _letter_to(signed_in_adult(client_record)),
    )


def sent_letters(client_record: Client, limit: int | None = None) -> list[Letter]:
    """The letters sent to the client, newest first (the newest ``limit`` when given)."""
    query = _sent_letters_query(client_record).order_by(Letter.sent_at.desc(), Letter.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def sent_letter_count(client_record: Client) -> int:
    return db.session.scalar(
        select(func.count()).select_from(_sent_letters_query(client_record).subquery())
    )


def get_sent_letter_or_404(client_record: Client, letter_id: int) -> Letter:
    """A letter that was sent to this client; drafts, approved letters and others' are a 404."""
    return db.first_or_404(_sent_letters_query(client_record).where(Letter.id == letter_id))


def local_day(moment: datetime) -> str:
    """The ISO date of a stored moment in the signed-in client's time zone."""
    return moment.astimezone(user_zone()).date().isoformat()


def session_filename(coaching_session: CoachingSession) -> str:
    """A session PDF's file name: its date, never the client's name."""
    return f"session-{local_day(coaching_session.starts_at)}.pdf"


def letter_filename(letter: Letter) -> str:
    """A letter PDF's file name: its number, never the client's name."""
    return f"letter-{letter.id}.pdf"


@dataclass(frozen=True)
class SharedActionItem:
    """What the session PDF shows of an action item."""

    text: str
    due_on: date | None
    done: bool
    # Whose step it is in a family of several adults ("Sofia"); "" for the family's.
    for_whom: str = ""


def session_document(coaching_session: CoachingSession) -> PrintDocument:
    """The session's shared notes as a printable page: date, summary, action items.

    The private notes are not passed to the template at all, so no template change
    can print them.
    """
    _coach, letterhead = coach_and_letterhead(coaching_session.coach_id)
    logo = image_file(letterhead.logo_path)
    zone = user_zone()
    several_adults = len(coaching_session.client.adults) > 1
    html = render_template(
        "pdf/session.html",
        letterhead=letterhead,
        accent=safe_accent(letterhead.accent_colour),
        page_size=css_page_size(letterhead.paper_size),
        logo_url=file_url(logo) if logo else None,
        date=coaching_session.starts_at.astimezone(zone).strftime("%-d %B %Y"),
        summary=render_markdown(coaching_session.summary),
        attended=and_list([a.preferred_name or a.first_name for a in coaching_session.attendees])
        if several_adults
        else "",
        action_items=[
            SharedActionItem(
                item.text,
                item.due_on,
                item.done_at is not None,
                item.adult.preferred_name or item.adult.first_name
                if several_adults and item.adult
                else "",
            )
            for item in coaching_session.action_items
        ],
    )
    return PrintDocument(html, (logo,) if logo else (), letterhead.paper_size or "A4")


def session_pdf(coaching_session: CoachingSession) -> bytes:
    """The session's shared notes as a PDF: from the cache when nothing has changed, else
    rendered and cached (the caller commits). Raises PdfRenderError when it cannot be made.
    """
    return cached_pdf(session_document(coaching_session), coaching_session)


def unique_filename(name: str, taken: set[str]) -> str:
    """``name``, or ``name`` with -2, -3, … before its extension when already taken."""
    stem, _, extension = name.rpartition(".")
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{stem}-{number}.{extension}", number + 1
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class PrintedEntry:
    """What the journal PDF shows of one entry."""

    title: str
    written: str
    prompt: str
    shared: bool
    body: str
    replies: list[dict]


def _entry_title(entry: JournalEntry) -> str:
    if entry.title:
        return entry.title
    return f"Day {entry.prompt.day}" if entry.prompt else "An entry"


def _prompt_label(entry: JournalEntry) -> str:
    if entry.prompt is None:
        return ""
    return f"day {entry.prompt.day} of {entry.prompt.programme.title}"


def journal_document(adult: Adult, entries: list[JournalEntry]) -> PrintDocument:
    """The adult's journal, oldest entry first, with the coach's replies, as a printable page."""
    zone = user_zone()

    def day(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%-d %B %Y")

    printed = [
        PrintedEntry(
            _entry_title(entry), day(entry.created_at), _prompt_label(entry),
            entry.is_shared, render_markdown(entry.body),
            [{"coach": reply.coach.name if reply.coach else "your coach",
              "written": day(reply.created_at), "body": render_markdown(reply.body)}
             for reply in entry.replies],
        )
        for entry in reversed(entries)
    ]
    html = render_template(
        "pdf/journal.html", writer=adult.full_name, made_on=day(utcnow()), entries=printed
    )
    return PrintDocument(html, (), "A4")


def journal_pdf(adult: Adult, entries: list[JournalEntry]) -> bytes:
    """The journal as a PDF, rendered each time: it is the writer's alone, never cached."""
    return render_document(journal_document(adult, entries))


JOURNAL_CSV_COLUMNS = (
    "written_at", "updated_at", "title", "programme", "day", "shared_with_coach_at", "text",
    "coach_replies",
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def journal_rows(entries: list[JournalEntry]) -> list[dict]:
    """The journal as data, oldest first: what journal.json and journal.csv hold."""
    return [
        {
            "written_at": _iso(entry.created_at),
            "updated_at": _iso(entry.updated_at),
            "title": entry.title,
            "programme": entry.prompt.programme.title if entry.prompt else None,
            "day": entry.prompt.day if entry.prompt else None,
            "shared_with_coach_at": _iso(entry.shared_at),
            "text": entry.body,
            "coach_replies": [
                {"written_at": _iso(reply.created_at), "text": reply.body}
                for reply in entry.replies
            ],
        }
        for entry in reversed(entries)
    ]


def journal_json(entries: list[JournalEntry]) -> str:
    return json.dumps({"entries": journal_rows(entries)}, ensure_ascii=False, indent=2) + "\n"


def journal_csv(entries: list[JournalEntry]) -> str:
    """One row per entry; the replies joined, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=JOURNAL_CSV_COLUMNS)
    writer.writeheader()
    for row in journal_rows(entries):
        replies = "\n\n".join(reply["text"] for reply in row["coach_replies"])
        writer.writerow({**row, "coach_replies": replies})
    return out.getvalue()


def coaching_archive(client_record: Client) -> IO[bytes]:
    """Every sent letter and every past session as PDFs in one zip, with an index.html,
    and the signed-in adult's own journal (all of it, shared or not) as a PDF and as data.

    The zip is a temporary file for the caller to send and close, written one PDF at a
    time. Raises PdfRenderError if a PDF cannot be made; new PDFs join the cache in the
    current transaction.
    """
    taken: set[str] = set()
    letters = [(f"letters/{unique_filename(letter_filename(letter), taken)}", letter)
               for letter in sent_letters(client_record)]
    sessions = [(f"sessions/{unique_filename(session_filename(s), taken)}", s)
                for s in past_sessions(client_record)]
    adult = signed_in_adult(client_record)
    entries = own_entries(adult)
    journal = [
        ("journal/journal.pdf", partial(journal_pdf, adult, entries)),
        ("journal/journal.json", partial(journal_json, entries)),
        ("journal/journal.csv", partial(journal_csv, entries)),
    ] if entries else []
    index = render_template(
        "portal/archive_index.html", client_record=client_record,
        letters=letters, sessions=sessions, made_at=utcnow(), journal_entries=len(entries),
    )
    return zip_into_temporary_file([
        ("index.html", lambda: index),
        *journal,
        *((name, partial(letter_pdf, letter)) for name, letter in letters),
        *((name, partial(session_pdf, coaching_session)) for name, coaching_session in sessions),
    ])
