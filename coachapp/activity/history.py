"""A client's own history in the audit log: who opened, downloaded, sent or shared their
records, for the portal and for one adult's data export.

Every adult of a family reads it by one rule (``events_seen_by``): events about the records
that are theirs, and never another adult's own actions while the family is kept apart.
"""

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.auth.models import Role
from coachapp.clients.models import Adult, Client
from coachapp.clients.services import KEEP_APART_DETAILS
from coachapp.extensions import db

PER_PAGE = 50

# What a client reads in "Who has seen my records": the same events, in their words.
PORTAL_LABELS = {
    AuditAction.CLIENT_VIEWED: "Opened your record",
    AuditAction.NOTES_VIEWED: "Read the notes of one of your sessions",
    AuditAction.PDF_DOWNLOADED: "Downloaded a PDF",
    AuditAction.ARCHIVE_DOWNLOADED: "Downloaded all your letters and sessions",
    AuditAction.LETTER_SENT: "Sent you a letter",
    AuditAction.POST_PUBLISHED: (
        "Published a blog post made from your letter or journal, without names"
    ),
    AuditAction.POST_UNPUBLISHED: "Took a blog post made from your letter or journal off the blog",
    AuditAction.CONSENT_GIVEN: "Recorded consent to share a letter on the blog",
    AuditAction.CONSENT_WITHDRAWN: "Withdrew consent to share a letter on the blog",
    AuditAction.CLIENT_EXPORTED: "Exported your records",
    AuditAction.ADULT_ADDED: "Added you to your family's record",
    AuditAction.JOURNAL_ENTRY_SHARED: "Shared a journal entry with your coach",
    AuditAction.JOURNAL_ENTRY_UNSHARED: "Stopped sharing a journal entry with your coach",
    AuditAction.JOURNAL_ENTRY_READ: "Read a journal entry you shared",
    AuditAction.JOURNAL_REPLY_ADDED: "Replied to a journal entry you shared",
    AuditAction.ENROLLED: "Enrolled you in a programme of daily prompts",
    AuditAction.ENROLMENT_PAUSED: "Paused your programme",
    AuditAction.ENROLMENT_RESUMED: "Resumed your programme",
    AuditAction.ENROLMENT_FINISHED: "Finished your programme",
}
# A writer's agreement to share a journal entry on the blog, as they read it.
JOURNAL_CONSENT_LABELS = {
    AuditAction.CONSENT_GIVEN: "Agreed to share a journal entry on the blog, without your name",
    AuditAction.CONSENT_WITHDRAWN: "Withdrew your agreement to share a journal entry on the blog",
}
KEPT_APART_LABELS = {
    True: "Kept the adults of your family apart: each of you sees only your own records",
    False: "Stopped keeping the adults of your family apart",
}

# Events about the family's own record, which every adult of the family shares.
FAMILY_RECORD_ACTIONS = (AuditAction.CLIENT_VIEWED.value, AuditAction.CLIENT_EXPORTED.value)
CONSENT_ACTIONS = (AuditAction.CONSENT_GIVEN.value, AuditAction.CONSENT_WITHDRAWN.value)
# A journal is its writer's alone: its events are aimed at the writer (target "adults")
# and no one else in the family reads them, kept apart or not.
JOURNAL_ACTIONS = (
    AuditAction.JOURNAL_ENTRY_SHARED.value,
    AuditAction.JOURNAL_ENTRY_UNSHARED.value,
    AuditAction.JOURNAL_ENTRY_READ.value,
    AuditAction.JOURNAL_REPLY_ADDED.value,
)


@dataclass(frozen=True)
class RecordsOfAdult:
    """The ids of the records one adult sees, as subqueries the features above supply."""

    session_ids: Select
    letter_ids: Select
    post_ids: Select
    # Their letters written to someone else too: whose consent an event there is about
    # is not theirs to learn while the family is kept apart.
    joint_letter_ids: Select


def events_seen_by(client_record: Client, adult: Adult, records: RecordsOfAdult) -> ColumnElement:
    """Which of the family's events this adult reads: their own actions, the keep-apart
    change, and what the coach (or coachapp) did to the family's record, to them, or to a
    session, letter or post of theirs. Another adult's actions on a session or letter both
    share show too, named, unless the family is kept apart. Journal events show to their
    writer only."""
    by_viewer = AuditEvent.actor_id == adult.user_id if adult.user_id else false()
    by_another_adult = and_(
        AuditEvent.actor_role == Role.CLIENT.value,
        or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != (adult.user_id or 0)),
    )
    about_shared_records = or_(
        and_(AuditEvent.target_type == "coaching_sessions",
             AuditEvent.target_id.in_(records.session_ids)),
        and_(AuditEvent.target_type == "letters", AuditEvent.target_id.in_(records.letter_ids)),
        and_(AuditEvent.target_type == "posts", AuditEvent.target_id.in_(records.post_ids)),
    )
    about_their_records = or_(
        and_(AuditEvent.action.in_(FAMILY_RECORD_ACTIONS),
             AuditEvent.target_type.in_(("", "clients"))),
        and_(AuditEvent.target_type == "adults", AuditEvent.target_id == adult.id),
        about_shared_records,
    )
    seen = [by_viewer, AuditEvent.action == AuditAction.KEEP_APART_CHANGED.value]
    if client_record.keep_apart:
        consent_on_joint_letter = and_(
            AuditEvent.action.in_(CONSENT_ACTIONS),
            AuditEvent.target_type == "letters",
            AuditEvent.target_id.in_(records.joint_letter_ids),
        )
        seen.append(and_(~by_another_adult, about_their_records, ~consent_on_joint_letter))
    else:
        seen.append(and_(~by_another_adult, about_their_records))
        seen.append(and_(by_another_adult, about_shared_records))
    of_their_journal = and_(AuditEvent.target_type == "adults", AuditEvent.target_id == adult.id)
    return and_(or_(*seen), or_(AuditEvent.action.not_in(JOURNAL_ACTIONS), of_their_journal))


def _family_events(client_record: Client, adult: Adult, records: RecordsOfAdult) -> Select:
    """Only events since the client was added: on SQLite a new client can be given the
    number of a deleted one, and must not see that family's history."""
    return (
        select(AuditEvent)
        .where(
            AuditEvent.client_id == client_record.id,
            AuditEvent.occurred_at >= client_record.created_at,
            events_seen_by(client_record, adult, records),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def client_events_page(
    client_record: Client, adult: Adult, records: RecordsOfAdult, page: int
) -> Pagination:
    """One page of the events this adult of the family reads (two queries)."""
    statement = _family_events(client_record, adult, records)
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


def adult_events(client_record: Client, adult: Adult, records: RecordsOfAdult) -> list[AuditEvent]:
    """Every event this adult of the family reads, newest first (for their data export)."""
    return list(db.session.scalars(_family_events(client_record, adult, records)))


def portal_label(event: AuditEvent) -> str:
    """What happened, in the client's words."""
    try:
        action = AuditAction(event.action)
    except ValueError:
        return event.action_label
    if action is AuditAction.KEEP_APART_CHANGED:
        return KEPT_APART_LABELS[event.detail != KEEP_APART_DETAILS[False]]
    if event.target_type == "journal_entries" and action in JOURNAL_CONSENT_LABELS:
        return JOURNAL_CONSENT_LABELS[action]
    return PORTAL_LABELS.get(action, action.label)
