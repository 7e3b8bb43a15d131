"""Letter templates and letters: drafting from a session, revisions, conflicts, approval."""

import difflib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import abort, render_template, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from markupsafe import escape
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.models import User
from coachapp.clients.models import Adult, Client, and_list
from coachapp.coaching.models import CoachingSession
from coachapp.documents.pdf import file_url
from coachapp.extensions import db
from coachapp.letters.letterhead import get_letterhead, image_file
from coachapp.letters.merge import (
    FIELDS,
    MergeField,
    check_template,
    example_context,
    letter_context,
    remaining_markers,
    render_text,
    tidy,
)
from coachapp.letters.models import Letter, LetterRevision, LetterStatus, LetterTemplate
from coachapp.letters.rendering import letter_html
from coachapp.letters.signals import draft_deleting
from coachapp.letters.starters import STARTER_TEMPLATES, StarterTemplate
from coachapp.templating import local_today, user_zone
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

PER_PAGE = 25
SUBJECT_MAX_CHARS = 200
STATUS_FILTERS = {"all": "All letters", "draft": "Drafts", "approved": "Approved", "sent": "Sent"}
# Autosaves by one person within this time fold into one revision, so the history shows
# the coach's saves and not every twenty seconds of typing.
AUTOSAVE_FOLD = timedelta(minutes=10)
REASON_LABELS = {
    "create": "Started",
    "save": "Saved",
    "autosave": "Autosaved",
    "restore": "Restored an earlier revision",
    "approve": "Approved",
}


class LetterConflict(Exception):
    """The letter was saved elsewhere after the editor that is saving now was opened."""

    def __init__(self, letter: Letter):
        super().__init__(f"letter {letter.id} is at version {letter.version}")
        self.letter = letter


class LetterRefused(ValueError):
    """A change to a letter is not possible now; the message says why."""


def normalise_newlines(text: str) -> str:
    """Browsers send a textarea's lines ending in CR LF; coachapp stores LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# Letter templates


def get_template_or_404(template_id: int) -> LetterTemplate:
    """The signed-in coach's letter template with this id; anyone else's is a 404."""
    template = db.session.execute(
        select(LetterTemplate).where(
            LetterTemplate.id == template_id, LetterTemplate.coach_id == current_user.id
        )
    ).scalar_one_or_none()
    if template is None:
        abort(404)
    return template


def coach_templates(coach: User) -> list[LetterTemplate]:
    """The coach's letter templates by name."""
    return list(
        db.session.scalars(
            select(LetterTemplate)
            .where(LetterTemplate.coach_id == coach.id)
            .order_by(func.lower(LetterTemplate.name), LetterTemplate.id)
        )
    )


def ensure_starter_templates(coach: User) -> int:
    """Give a coach who has no letter templates yet their own copies of the starters.

    Runs whenever the coach opens the template list, so every coach has them; a starter
    the coach deleted stays deleted while they keep any other template. Returns how many
    were added.
    """
    has_any = db.session.scalar(
        select(LetterTemplate.id).where(LetterTemplate.coach_id == coach.id).limit(1)
    )
    return 0 if has_any else add_missing_starter_templates(coach)


def add_missing_starter_templates(coach: User) -> int:
    """Copy each starter the coach has no copy of; returns how many were added."""
    templates = coach_templates(coach)
    have_keys = {t.starter_key for t in templates}
    names = {t.name.lower() for t in templates}
    added = 0
    for starter in STARTER_TEMPLATES:
        if starter.key in have_keys:
            continue
        name = _free_name(starter.name, names)
        names.add(name.lower())
        added += _add_starter(coach, starter, name)
    return added


def _free_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def _add_starter(coach: User, starter: StarterTemplate, name: str) -> int:
    """Add one starter copy; another request adding it at the same moment is not an error."""
    try:
        with db.session.begin_nested():
            db.session.add(
                LetterTemplate(
                    coach_id=coach.id,
                    name=name,
                    subject=starter.subject,
                    body=starter.body,
                    starter_key=starter.key,
                )
            )
    except IntegrityError:
        return 0
    return 1


def templates_letter_count(template: LetterTemplate) -> int:
    """How many letters were started from this template."""
    return db.session.scalar(
        select(func.count(Letter.id)).where(Letter.template_id == template.id)
    ) or 0


def template_name_taken(coach: User, name: str, template: LetterTemplate | None = None) -> bool:
    """Whether another of the coach's letter templates has this name, ignoring case."""
    return any(
        other.name.lower() == name.lower() and other is not template
        for other in coach_templates(coach)
    )


def save_template(template: LetterTemplate, *, name: str, subject: str, body: str) -> None:
    """Check the subject and body (MergeError when refused) and store them. Flushes."""
    body = normalise_newlines(body)
    check_template(subject)
    check_template(body)
    template.name, template.subject, template.body = name, subject, body
    db.session.add(template)
    db.session.flush()


@dataclass(frozen=True)
class FieldExample:
    """A merge field as the fields panel shows it: how to write it, what it prints."""

    field: MergeField
    prints: str


def field_examples(coach: User) -> list[FieldExample]:
    """Every merge field with what it prints for the example client and this coach."""
    context = example_context(coach)
    examples = []
    for merge_field in FIELDS:
        if merge_field.item_fields or merge_field.path == "session.action_items":
            prints = merge_field.example_text
        else:
            prints = render_text(merge_field.usage, context)
        examples.append(FieldExample(merge_field, prints))
    return examples


def example_letter(subject: str, body: str, coach: User) -> tuple[str, str]:
    """A template filled in for the example client (MergeError when refused)."""
    context = example_context(coach)
    return _one_line(render_text(subject, context)), tidy(render_text(body, context))


def _one_line(text: str) -> str:
    return " ".join(text.split())[:SUBJECT_MAX_CHARS]


# Letters


def get_letter_or_404(letter_id: int) -> Letter:
    """The signed-in coach's letter with this id, its client loaded; anyone else's is a 404."""
    letter = db.session.execute(
        select(Letter)
        .options(joinedload(Letter.client), joinedload(Letter.coaching_session))
        .where(Letter.id == letter_id, Letter.coach_id == current_user.id)
    ).scalar_one_or_none()
    if letter is None:
        abort(404)
    return letter


def list_letters(coach: User, status: str, client_id: int | None, page: int) -> Pagination:
    """One page of the coach's letters, most recently changed first."""
    statement = (
        select(Letter)
        .options(joinedload(Letter.client), joinedload(Letter.coaching_session))
        .where(Letter.coach_id == coach.id)
    )
    if status in (s.value for s in LetterStatus):
        statement = statement.where(Letter.status == LetterStatus(status))
    if client_id:
        statement = statement.where(Letter.client_id == client_id)
    return db.paginate(
        statement.order_by(Letter.updated_at.desc(), Letter.id.desc()),
        page=page,
        per_page=PER_PAGE,
        error_out=False,
    )


def client_sessions(client: Client, limit: int = 30) -> list[CoachingSession]:
    """The client's sessions, newest first, to choose the one a letter follows."""
    return list(
        db.session.scalars(
            select(CoachingSession)
            .where(CoachingSession.client_id == client.id)
            .order_by(CoachingSession.starts_at.desc())
            .limit(limit)
        )
    )


def merge_values(
    coach: User,
    client: Client,
    coaching_session: CoachingSession | None,
    addressees: list[Adult] | None = None,
) -> dict:
    """The merge fields for this client and session, dates in the coach's time zone."""
    return letter_context(
        client=client,
        coach=coach,
        coaching_session=coaching_session,
        zone=user_zone(coach),
        today=local_today(coach),
        addressees=addressees,
    )


def default_addressees(client: Client, coaching_session: CoachingSession | None) -> list[Adult]:
    """Who a new letter is to: the session's attendees, else the family's first adult."""
    if coaching_session is not None and coaching_session.attendees:
        return list(coaching_session.attendees)
    return [client.first_adult]


def checked_addressees(client: Client, adults: list[Adult]) -> list[Adult]:
    """The addressees in family order; LetterRefused unless one or more, all of this family."""
    if not adults:
        raise LetterRefused("Choose whom the letter is to: tick at least one adult.")
    if any(adult.client_id != client.id for adult in adults):
        raise LetterRefused("A letter can only be addressed to adults of its own family.")
    chosen = {adult.id for adult in adults}
    return [adult for adult in client.adults if adult.id in chosen]


def draft_letter(
    coach: User,
    client: Client,
    coaching_session: CoachingSession | None = None,
    template: LetterTemplate | None = None,
    addressees: list[Adult] | None = None,
) -> Letter:
    """A new draft for the client, filled in from the template (or blank); revision 1.

    Addressed to ``addressees`` (by default the session's attendees, else the first
    adult). Raises MergeError when the template cannot be filled in, LetterRefused for
    addressees outside the family. Flushes, does not commit.
    """
    if addressees is None:
        addressees = default_addressees(client, coaching_session)
    addressees = checked_addressees(client, addressees)
    if template is not None:
        values = merge_values(coach, client, coaching_session, addressees)
        subject = _one_line(render_text(template.subject, values))
        body = tidy(render_text(template.body, values))
    else:
        subject, body = "", blank_letter_body(addressees, coach)
    letter = Letter(
        addressees=addressees,
        coach_id=coach.id,
        client=client,
        coaching_session=coaching_session,
        template_id=template.id if template else None,
        subject=subject,
        body=body,
        status=LetterStatus.DRAFT,
        version=1,
    )
    db.session.add(letter)
    db.session.flush()
    _add_revision(letter, coach, "create")
    log.info("Coach %s started letter %s for client %s", coach.id, letter.id, client.id)
    return letter


def blank_letter_body(addressees: list[Adult], coach: User) -> str:
    """A greeting to the addressees, a place for the letter and the coach's name."""
    name = and_list([adult.preferred_name or adult.first_name for adult in addressees])
    return f"Dear {name},\n\n[[your letter]]\n\nWith warmth,\n\n{coach.name}\n"


# The print stylesheet, then screen touches (a sheet of paper, the footer at the bottom).
PREVIEW_STYLESHEETS = ("css/letter-print.css", "css/letter-preview.css")


def preview_document(letter: Letter, subject: str, body: str) -> str:
    """The letter as it prints, with the editor's text: the PDF's own HTML, for a browser.

    The text goes into an unsaved copy of the letter, so nothing is stored.
    """
    unsaved = Letter(
        coach_id=letter.coach_id,
        client_id=letter.client_id,
        subject=subject[:SUBJECT_MAX_CHARS],
        body=normalise_newlines(body),
        status=letter.status,
        approved_at=letter.approved_at,
        sent_at=letter.sent_at,
    )
    unsaved.client = letter.client
    unsaved.addressees = list(letter.addressees)
    html = _browser_image_urls(letter_html(unsaved), letter.coach_id)
    links = "".join(
        f'<link rel="stylesheet" href="{escape(url_for("static", filename=name))}">'
        for name in PREVIEW_STYLESHEETS
    )
    html = html.replace("</head>", f"{links}</head>", 1)
    markers = remaining_markers(subject, body)
    if markers:
        notice = render_template("letters/_preview_markers.html", markers=markers)
        html = html.replace("<body>", f"<body>{notice}", 1)
    return html


def _browser_image_urls(html: str, coach_id: int) -> str:
    """The letterhead images as the browser can fetch them (the PDF reads them as files)."""
    letterhead = get_letterhead(db.session.get(User, coach_id))
    for relative in (letterhead.logo_path, letterhead.signature_image_path):
        path = image_file(relative)
        if path is not None:
            browser_url = url_for("letters.letterhead_image", name=path.name)
            html = html.replace(f'src="{escape(file_url(path))}"', f'src="{escape(browser_url)}"')
    return html


def letter_markers(letter: Letter) -> list[str]:
    """The [[markers]] still waiting to be filled in."""
    return remaining_markers(letter.subject, letter.body)


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: whether anything changed, and whether approval was withdrawn."""

    changed: bool
    returned_to_draft: bool = False
    revision: LetterRevision | None = None


def save_letter(
    letter: Letter,
    *,
    subject: str,
    body: str,
    based_on: int,
    author: User,
    reason: str = "save",
    addressees: list[Adult] | None = None,
) -> SaveOutcome:
    """Store the coach's text as a new revision, unless the letter moved on since ``based_on``.

    ``addressees``, when given, replace the letter's; changing them is an edit like any
    other. Raises LetterConflict when another save came first (text identical to what is
    stored is not a conflict), LetterRefused for a sent letter or addressees that cannot
    be. Flushes, does not commit.
    """
    _refuse_if_sent(letter)
    body = normalise_newlines(body)
    if addressees is not None:
        addressees = checked_addressees(letter.client, addressees)
        if addressees == list(letter.addressees):
            addressees = None
    if letter.subject == subject and letter.body == body and addressees is None:
        return SaveOutcome(changed=False)
    _claim_version(letter, based_on)
    letter.subject, letter.body = subject, body
    if addressees is not None:
        letter.addressees = addressees
    returned = _return_to_draft(letter)
    revision = _add_revision(letter, author, reason)
    log.info("User %s saved letter %s (version %s)", author.id, letter.id, letter.version)
    return SaveOutcome(changed=True, returned_to_draft=returned, revision=revision)


def restore_revision(letter: Letter, revision: LetterRevision, author: User) -> SaveOutcome:
    """Make an old revision's text the current one, as a new revision; nothing is deleted."""
    _refuse_if_sent(letter)
    if letter.subject == revision.subject and letter.body == revision.body:
        return SaveOutcome(changed=False)
    _claim_version(letter, letter.version)
    letter.subject, letter.body = revision.subject, revision.body
    returned = _return_to_draft(letter)
    new_revision = _add_revision(letter, author, "restore")
    log.info("User %s restored revision %s of letter %s", author.id, revision.number, letter.id)
    return SaveOutcome(changed=True, returned_to_draft=returned, revision=new_revision)


def approve_letter(letter: Letter, approver: User, based_on: int) -> LetterRevision:
    """Approve the letter as the approver read it (version ``based_on``). Flushes.

    Refused (LetterRefused) while [[markers]] remain, when it is empty, already
    approved or sent, or changed since the approver's page was opened.
    """
    _refuse_if_sent(letter)
    if letter.status is LetterStatus.APPROVED:
        raise LetterRefused("This letter is already approved.")
    if based_on != letter.version:
        raise LetterRefused(
            "The letter was changed after you opened this page. Read it again, then approve it."
        )
    markers = letter_markers(letter)
    if markers:
        listed = ", ".join(f"[[{marker}]]" for marker in markers)
        raise LetterRefused(f"Fill in what is still missing before approving: {listed}.")
    if not letter.body.strip():
        raise LetterRefused("The letter is empty: write it before approving it.")
    _claim_version(letter, based_on)
    letter.status = LetterStatus.APPROVED
    letter.approved_at = utcnow()
    letter.approved_by_id = approver.id
    log.info("User %s approved letter %s", approver.id, letter.id)
    return _add_revision(letter, approver, "approve")


def delete_draft(letter: Letter, coach: User, based_on: int) -> None:
    """Delete a draft the coach read at version ``based_on``, with its revisions. Flushes.

    Refused (LetterRefused) for an approved or sent letter, a letter with a publication
    consent on record (the consent ledger is never erased), or a draft changed since the
    confirmation was shown (another tab may have saved new words).
    """
    if letter.status is not LetterStatus.DRAFT:
        raise LetterRefused(
            "Only a draft can be deleted: an approved or sent letter stays on record."
        )
    if based_on != letter.version:
        raise LetterRefused(
            "The draft was changed after you opened this page: read it again before deleting it."
        )
    draft_deleting.send(letter)  # publishing keeps a draft with consent on record
    deleted = db.session.execute(
        delete(Letter)
        .where(
            Letter.id == letter.id,
            Letter.version == based_on,
            Letter.status == LetterStatus.DRAFT,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted != 1:  # approved or saved in another tab at this very moment
        raise LetterRefused(
            "The draft was changed after you opened this page: read it again before deleting it."
        )
    db.session.expunge(letter)
    record_event(
        AuditAction.LETTER_DELETED, client_id=letter.client_id, target=letter, actor=coach
    )
    log.info("User %s deleted draft letter %s", coach.id, letter.id)


def _refuse_if_sent(letter: Letter) -> None:
    if letter.status is LetterStatus.SENT:
        raise LetterRefused("This letter has been sent, so it can no longer be changed.")


def _claim_version(letter: Letter, based_on: int) -> None:
    """Move the letter to the next version only if it is still at ``based_on``.

    A conditional UPDATE, so two processes saving the same version cannot both win.
    """
    if based_on != letter.version:
        raise LetterConflict(letter)
    claimed = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.version == based_on)
        .values(version=based_on + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.refresh(letter)
        raise LetterConflict(letter)
    letter.version = based_on + 1


def _return_to_draft(letter: Letter) -> bool:
    """A changed approved letter needs approving again; True if it was approved."""
    if letter.status is not LetterStatus.APPROVED:
        return False
    letter.status = LetterStatus.DRAFT
    letter.approved_at = None
    letter.approved_by_id = None
    return True


def _add_revision(letter: Letter, author: User, reason: str) -> LetterRevision:
    latest = latest_revision(letter)
    now = utcnow()
    if (
        reason == "autosave"
        and latest is not None
        and latest.reason == "autosave"
        and latest.author_id == author.id
        and now - latest.created_at < AUTOSAVE_FOLD
    ):
        latest.subject, latest.body, latest.created_at = letter.subject, letter.body, now
        db.session.flush()
        return latest
    revision = LetterRevision(
        letter_id=letter.id,
        number=(latest.number if latest else 0) + 1,
        subject=letter.subject,
        body=letter.body,
        author_id=author.id,
        reason=reason,
        created_at=now,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def latest_revision(letter: Letter) -> LetterRevision | None:
    """The letter's newest revision."""
    return db.session.scalars(
        select(LetterRevision)
        .where(LetterRevision.letter_id == letter.id)
        .order_by(LetterRevision.number.desc())
        .limit(1)
    ).first()


def letter_revisions(letter: Letter) -> list[LetterRevision]:
    """Every revision of the letter, newest first, with its author."""
    return list(
        db.session.scalars(
            select(LetterRevision)
            .options(selectinload(LetterRevision.author))
            .where(LetterRevision.letter_id == letter.id)
            .order_by(LetterRevision.number.desc())
        )
    )


def get_revision_or_404(letter: Letter, number: int) -> LetterRevision:
    """Revision ``number`` of a letter the coach owns (checked by the caller)."""
    revision = db.session.execute(
        select(LetterRevision)
        .options(joinedload(LetterRevision.author))
        .where(LetterRevision.letter_id == letter.id, LetterRevision.number == number)
    ).scalar_one_or_none()
    if revision is None:
        abort(404)
    return revision


# A readable diff


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: the old and the new line, split into marked pieces.

    Each piece is (kind, text), kind being "same", "del" or "ins"; kind of the row is
    "same", "changed", "removed", "added" or "gap" (unchanged lines left out).
    """

    kind: str
    old: list[tuple[str, str]] = field(default_factory=list)
    new: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0


DIFF_CONTEXT_LINES = 2
# A line sharing less than this with its old self is shown as rewritten, not word by word.
DIFF_REWRITTEN_BELOW = 0.4
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def diff_rows(old: str, new: str) -> list[DiffRow]:
    """Line by line, and word by word inside changed lines; long unchanged runs are folded."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(_unchanged(old_lines[i1:i2], first=not rows, last=i2 == len(old_lines)))
            continue
        olds, news = old_lines[i1:i2], new_lines[j1:j2]
        for index in range(max(len(olds), len(news))):
            rows.append(_changed_row(_at(olds, index), _at(news, index)))
    return rows


def _at(lines: list[str], index: int) -> str | None:
    return lines[index] if index < len(lines) else None


def _unchanged(lines: list[str], *, first: bool, last: bool) -> list[DiffRow]:
    keep_before = 0 if first else DIFF_CONTEXT_LINES
    keep_after = 0 if last else DIFF_CONTEXT_LINES
    if len(lines) <= keep_before + keep_after + 1:
        return [DiffRow("same", [("same", line)], [("same", line)]) for line in lines]
    head = lines[:keep_before]
    tail = lines[len(lines) - keep_after :] if keep_after else []
    skipped = len(lines) - len(head) - len(tail)
    return (
        [DiffRow("same", [("same", line)], [("same", line)]) for line in head]
        + [DiffRow("gap", skipped=skipped)]
        + [DiffRow("same", [("same", line)], [("same", line)]) for line in tail]
    )


def _changed_row(old: str | None, new: str | None) -> DiffRow:
    if old is None:
        return DiffRow("added", [], [("ins", new or "")])
    if new is None:
        return DiffRow("removed", [("del", old)], [])
    old_words, new_words = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    if matcher.ratio() < DIFF_REWRITTEN_BELOW:
        return DiffRow("changed", [("del", old)], [("ins", new)])
    old_parts: list[tuple[str, str]] = []
    new_parts: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            old_parts.append(("same", "".join(old_words[i1:i2])))
            new_parts.append(("same", "".join(new_words[j1:j2])))
            continue
        if i2 > i1:
            old_parts.append(("del", "".join(old_words[i1:i2])))
        if j2 > j1:
            new_parts.append(("ins", "".join(new_words[j1:j2])))
    return DiffRow("changed", _joined(old_parts), _joined(new_parts))


def _joined(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join changes separated only by spaces, so a rewritten phrase reads as one change."""
    joined: list[tuple[str, str]] = []
    for index, (kind, piece) in enumerate(parts):
        between_changes = (
            kind == "same"
            and not piece.strip()
            and 0 < index < len(parts) - 1
            and parts[index + 1][0] != "same"
            and joined[-1][0] != "same"
        )
        if between_changes:
            kind = joined[-1][0]
        if joined and joined[-1][0] == kind:
            joined[-1] = (kind, joined[-1][1] + piece)
        else:
            joined.append((kind, piece))
    return joined

