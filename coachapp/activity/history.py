"""A client's own history in the audit log: who opened, downloaded, sent or shared their
records, for the portal.
"""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.clients.models import Client
from coachapp.extensions import db

PER_PAGE = 50

# What a client reads in "Who has seen my records": the same events, in their words.
PORTAL_LABELS = {
    AuditAction.CLIENT_VIEWED: "Opened your record",
    AuditAction.NOTES_VIEWED: "Read the notes of one of your sessions",
    AuditAction.PDF_DOWNLOADED: "Downloaded a PDF",
    AuditAction.ARCHIVE_DOWNLOADED: "Downloaded all your letters and sessions",
    AuditAction.LETTER_SENT: "Sent you a letter",
    AuditAction.POST_PUBLISHED: "Published a blog post made from your letter, without names",
    AuditAction.POST_UNPUBLISHED: "Took a blog post made from your letter off the blog",
    AuditAction.CONSENT_GIVEN: "Recorded consent to share a letter on the blog",
    AuditAction.CONSENT_WITHDRAWN: "Withdrew consent to share a letter on the blog",
    AuditAction.CLIENT_EXPORTED: "Exported your records",
}


def client_events_page(client_record: Client, page: int, only_by: int | None = None) -> Pagination:
    """One page of the events about a client, for the client (two queries); with
    ``only_by``, only what that user did (an adult who does not see the family's records).

    Only events since the client was added: on SQLite a new client can be given the
    number of a deleted one, and must not see that family's history.
    """
    statement = (
        select(AuditEvent)
        .where(
            AuditEvent.client_id == client_record.id,
            AuditEvent.occurred_at >= client_record.created_at,
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if only_by is not None:
        statement = statement.where(AuditEvent.actor_id == only_by)
    else:
        # What another adult of the family did (their sign-ins, say) is theirs to see.
        others = [adult.user_id for adult in client_record.adults[1:] if adult.user_id]
        if others:
            statement = statement.where(
                or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id.not_in(others))
            )
    return db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)


def portal_label(event: AuditEvent) -> str:
    """What happened, in the client's words."""
    try:
        action = AuditAction(event.action)
    except ValueError:
        return event.action_label
    return PORTAL_LABELS.get(action, action.label)
