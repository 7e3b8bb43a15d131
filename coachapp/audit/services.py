"""Writing to the audit log. Every feature calls record_event; nothing else writes there."""

import logging

from flask import has_request_context, request
from flask_login import current_user

from coachapp.audit.models import AuditAction, AuditEvent
from coachapp.extensions import db

log = logging.getLogger(__name__)

DETAIL_MAX = 300
USER_AGENT_MAX = 200


def clean_text(value: str, limit: int) -> str:
    """One line of printable text: control characters (newlines too) become visible escapes,
    so nobody can forge a second log line or hide text from the reader."""
    cleaned = "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in value
    )
    return cleaned[:limit]


def record_event(
    action: AuditAction,
    *,
    client_id: int | None = None,
    target=None,
    detail: str = "",
    actor=None,
    practice_id: int | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add one event to the audit log (in the caller's transaction; flushes nothing).

    ``actor`` defaults to the signed-in person; ``actor_label`` names someone who is not
    signed in (e.g. the e-mail address typed into a failed sign-in). ``target`` is any
    model instance (its table name and id are kept). ``detail`` is a short description
    written by coachapp, never text a coach or client typed into their notes.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        action=action.value,
        client_id=client_id,
        detail=clean_text(detail, DETAIL_MAX),
    )
    if actor is not None:
        event.actor_id = actor.id
        event.actor_name = clean_text(actor_label or f"{actor.name} <{actor.email}>", 254)
        event.actor_role = actor.role.value
        event.practice_id = practice_id or actor.practice_id
    else:
        event.actor_name = clean_text(actor_label or "", 254)
        event.practice_id = practice_id
    if target is not None:
        event.target_type = target.__tablename__
        event.target_id = target.id
    if has_request_context():
        event.ip_address = (request.remote_addr or "")[:45]
        event.user_agent = clean_text(request.user_agent.string or "", USER_AGENT_MAX)
    db.session.add(event)
    return event
