"""The audit log: an append-only record of who did what to which records, when and from where."""

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coachapp.extensions import db
from coachapp.timeutil import UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    """Everything the audit log records. The value is stored; the label is shown."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    SESSION_EXPIRED = "session_expired"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (an action name)
    EMAIL_CHANGED = "email_changed"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    RECOVERY_CODE_USED = "recovery_code_used"
    CLIENT_VIEWED = "client_viewed"
    NOTES_VIEWED = "notes_viewed"
    PDF_DOWNLOADED = "pdf_downloaded"
    ARCHIVE_DOWNLOADED = "archive_downloaded"
    LETTER_SENT = "letter_sent"
    LETTER_DELETED = "letter_deleted"
    POST_PUBLISHED = "post_published"
    POST_UNPUBLISHED = "post_unpublished"
    CONSENT_GIVEN = "consent_given"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CLIENT_EXPORTED = "client_exported"
    CLIENT_DELETED = "client_deleted"
    ADULT_ADDED = "adult_added"
    ADULT_REMOVED = "adult_removed"
    KEEP_APART_CHANGED = "keep_apart_changed"
    AUDIT_EXPORTED = "audit_exported"
    JOURNAL_ENTRY_SHARED = "journal_entry_shared"
    JOURNAL_ENTRY_UNSHARED = "journal_entry_unshared"
    JOURNAL_ENTRY_READ = "journal_entry_read"
    JOURNAL_REPLY_ADDED = "journal_reply_added"
    ENROLLED = "enrolled"
    ENROLMENT_PAUSED = "enrolment_paused"
    ENROLMENT_RESUMED = "enrolment_resumed"
    ENROLMENT_FINISHED = "enrolment_finished"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    AuditAction.SIGN_IN: "Signed in",
    AuditAction.SIGN_IN_FAILED: "Sign-in failed",
    AuditAction.SIGN_OUT: "Signed out",
    AuditAction.SESSION_EXPIRED: "Signed out after inactivity",
    AuditAction.PASSWORD_CHANGED: "Changed password",
    AuditAction.EMAIL_CHANGED: "Changed e-mail address",
    AuditAction.TWO_FACTOR_ENABLED: "Turned on two-step sign-in",
    AuditAction.TWO_FACTOR_DISABLED: "Turned off two-step sign-in",
    AuditAction.RECOVERY_CODE_USED: "Signed in with a recovery code",
    AuditAction.CLIENT_VIEWED: "Opened a client's record",
    AuditAction.NOTES_VIEWED: "Read session notes",
    AuditAction.PDF_DOWNLOADED: "Downloaded a PDF",
    AuditAction.ARCHIVE_DOWNLOADED: "Downloaded an archive",
    AuditAction.LETTER_SENT: "Sent a letter",
    AuditAction.LETTER_DELETED: "Deleted a draft letter",
    AuditAction.POST_PUBLISHED: "Published a post",
    AuditAction.POST_UNPUBLISHED: "Unpublished a post",
    AuditAction.CONSENT_GIVEN: "Recorded consent to publish",
    AuditAction.CONSENT_WITHDRAWN: "Withdrew consent to publish",
    AuditAction.CLIENT_EXPORTED: "Exported a client's data",
    AuditAction.CLIENT_DELETED: "Deleted a client",
    AuditAction.ADULT_ADDED: "Added an adult to a family",
    AuditAction.ADULT_REMOVED: "Removed an adult from a family",
    AuditAction.KEEP_APART_CHANGED: "Changed whether a family's adults are kept apart",
    AuditAction.AUDIT_EXPORTED: "Exported the audit log",
    AuditAction.JOURNAL_ENTRY_SHARED: "Shared a journal entry with the coach",
    AuditAction.JOURNAL_ENTRY_UNSHARED: "Stopped sharing a journal entry",
    AuditAction.JOURNAL_ENTRY_READ: "Read a shared journal entry",
    AuditAction.JOURNAL_REPLY_ADDED: "Replied to a shared journal entry",
    AuditAction.ENROLLED: "Enrolled an adult in a programme",
    AuditAction.ENROLMENT_PAUSED: "Paused an adult's programme",
    AuditAction.ENROLMENT_RESUMED: "Resumed an adult's programme",
    AuditAction.ENROLMENT_FINISHED: "Finished an adult's programme",
}


class AuditEvent(db.Model):
    """One thing that happened. Rows are never updated or deleted: the database refuses it.

    People and clients are kept as plain ids (no foreign keys) with the actor's name as it
    was, so that the record outlives a deleted client or account. Nothing here ever holds
    note text, passwords, tokens or cookies.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_practice_time", "practice_id", "occurred_at"),
        Index("ix_audit_events_client_time", "client_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    practice_id: Mapped[int | None] = mapped_column()
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(254), default="")
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[int | None] = mapped_column()
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column()
    detail: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    @property
    def actor_display_name(self) -> str:
        """The actor's name as recorded, without the e-mail address kept beside it."""
        name, separator, rest = self.actor_name.rpartition(" <")
        return name if separator and rest.endswith(">") else self.actor_name

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action
