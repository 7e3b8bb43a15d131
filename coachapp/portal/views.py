"""The client's portal: their sessions, their letters, and their files."""

import logging
from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from coachapp.access import client_required
from coachapp.activity.history import client_events_page, portal_label
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.blog.consent_forms import PortalConsentForm, WithdrawConsentForm
from coachapp.blog.consents import (
    ConsentRefused,
    give_consent,
    sharing_state,
    withdraw_consent,
)
from coachapp.blog.models import ConsentMethod
from coachapp.calendar_sync.ical import Person, single_event
from coachapp.calendar_sync.invitations import attendee_title
from coachapp.documents.archive import send_archive
from coachapp.documents.pdf import PdfRenderError
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.letters.rendering import letter_pdf
from coachapp.portal.blueprints import bp
from coachapp.portal.forms import PortalSettingsForm
from coachapp.portal.services import (
    ARCHIVE_NAME,
    LETTERS_ON_HOME,
    coaching_archive,
    current_client_or_404,
    get_action_item_or_404,
    get_past_session_or_404,
    get_sent_letter_or_404,
    get_upcoming_session_or_404,
    letter_filename,
    page_of_session,
    past_sessions_page,
    records_of,
    sees_family_records,
    sent_letter_count,
    sent_letters,
    session_filename,
    session_pdf,
    signed_in_adult,
    upcoming_sessions,
)
from coachapp.programmes.forms import ConfirmForm
from coachapp.programmes.notices import NOTICE_CHOICES, choose_notices, running_enrolments
from coachapp.richtext import render_markdown
from coachapp.timeutil import utcnow

logger = logging.getLogger(__name__)


@bp.route("/")
@client_required
def index():
    """The client's past sessions, a page at a time, with only what the coach wrote for them."""
    client_record = current_client_or_404()
    return render_template(
        "portal/index.html",
        client_record=client_record,
        sessions=past_sessions_page(client_record, page_number(request.args)),
        letters=sent_letters(client_record, limit=LETTERS_ON_HOME),
        letter_count=sent_letter_count(client_record),
        sees_family_records=sees_family_records(client_record),
        viewer=signed_in_adult(client_record),
        upcoming=upcoming_sessions(client_record),
    )


@bp.route("/sessions/<int:coaching_session_id>/calendar.ics")
@client_required
def session_calendar(coaching_session_id: int):
    """One of the adult's upcoming sessions as an event to add to their calendar; the same
    event as their invitation, so the two never make a double."""
    coaching_session = get_upcoming_session_or_404(current_client_or_404(), coaching_session_id)
    coach = coaching_session.coach
    event = single_event(
        coaching_session, attendee_title(coaching_session), Person(coach.name, coach.email)
    )
    return _download(event, "text/calendar", f"session-{coaching_session.id}.ics")


@bp.post("/action-items/<int:action_item_id>/toggle")
@client_required
def toggle_item(action_item_id: int):
    """Tick one of the client's own next steps done, or open it again."""
    client_record = current_client_or_404()
    item = get_action_item_or_404(client_record, action_item_id)
    item.done_at = None if item.done_at else utcnow()
    db.session.commit()
    page = page_of_session(client_record, item.coaching_session)
    return redirect(url_for("portal.index", page=page if page > 1 else None,
                            _anchor=f"session-{item.coaching_session_id}"))


@bp.route("/sessions/<int:coaching_session_id>.pdf")
@client_required
def session_download(coaching_session_id: int):
    """A session's shared notes as a PDF: date, summary and next steps."""
    coaching_session = get_past_session_or_404(current_client_or_404(), coaching_session_id)
    try:
        document = session_pdf(coaching_session)
    except PdfRenderError as error:
        return _pdf_error(error)
    record_event(
        AuditAction.PDF_DOWNLOADED, client_id=coaching_session.client_id, target=coaching_session
    )
    db.session.commit()  # the download's audit record, and a newly rendered PDF for the cache
    logger.info("Client user %s downloaded session %s", current_user.id, coaching_session.id)
    return _download(document, "application/pdf", session_filename(coaching_session))


@bp.route("/letters")
@client_required
def letters():
    """The letters the coach has sent to the client."""
    client_record = current_client_or_404()
    return render_template(
        "portal/letters.html", client_record=client_record, letters=sent_letters(client_record)
    )


@bp.route("/letters/<int:letter_id>")
@client_required
def letter(letter_id: int):
    """One sent letter, to read in the browser, and whether it may be shared."""
    client_record = current_client_or_404()
    return _letter_page(client_record, get_sent_letter_or_404(client_record, letter_id))


def _letter_page(
    client_record, sent, consent_form: PortalConsentForm | None = None, status: int = 200
):
    sharing = sharing_state(sent)
    own = sharing.party(signed_in_adult(client_record))
    page = render_template(
        "portal/letter.html",
        letter=sent,
        body=render_markdown(sent.body),
        sharing=sharing,
        own=own,
        # Adults kept apart never learn where the others stand.
        others=[] if client_record.keep_apart else [p for p in sharing.parties if p is not own],
        consent_form=consent_form or PortalConsentForm(formdata=None),
        withdraw_form=WithdrawConsentForm(formdata=None),
    )
    return page, status


@bp.post("/letters/<int:letter_id>/consent")
@client_required
def give_letter_consent(letter_id: int):
    """The client agrees to the letter being shared on the blog without names."""
    client_record = current_client_or_404()
    sent = get_sent_letter_or_404(client_record, letter_id)
    form = PortalConsentForm()
    if not form.validate_on_submit():
        return _letter_page(client_record, sent, form, 422)
    try:
        give_consent(
            sent, current_user, ConsentMethod.PORTAL, adult=signed_in_adult(client_record)
        )
    except ConsentRefused as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_thanks(sharing_state(sent), client_record.keep_apart), "success")
    return redirect(url_for("portal.letter", letter_id=sent.id, _anchor="sharing"))


def _thanks(sharing, keep_apart: bool) -> str:
    """What an adult reads once they agreed: a joint letter waits for everyone (and an
    adult kept apart never learns from it whether the others agreed)."""
    if sharing.joint.stands and not (keep_apart and len(sharing.parties) > 1):
        return (
            "Thank you. Your coach may now share this letter, without names. "
            "You can change your mind here at any time."
        )
    return (
        "Thank you. Your coach may share this letter, without names, once everyone it is "
        "written to agrees. You can change your mind here at any time."
    )


@bp.post("/letters/<int:letter_id>/consent/withdraw")
@client_required
def withdraw_letter_consent(letter_id: int):
    """The client withdraws consent; any post made from the letter goes offline at once."""
    client_record = current_client_or_404()
    sent = get_sent_letter_or_404(client_record, letter_id)
    form = WithdrawConsentForm()
    if form.validate_on_submit():
        try:
            withdraw_consent(
                sent, current_user, form.note.data, adult=signed_in_adult(client_record)
            )
        except ConsentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Consent withdrawn. The letter is no longer shared on the blog.", "success")
    return redirect(url_for("portal.letter", letter_id=sent.id, _anchor="sharing"))


@bp.route("/letters/<int:letter_id>.pdf")
@client_required
def letter_download(letter_id: int):
    """One sent letter as the PDF the coach sent."""
    sent = get_sent_letter_or_404(current_client_or_404(), letter_id)
    try:
        document = letter_pdf(sent)
    except PdfRenderError as error:
        return _pdf_error(error)
    record_event(AuditAction.PDF_DOWNLOADED, client_id=sent.client_id, target=sent)
    db.session.commit()  # keeps a newly rendered PDF in the shared cache
    logger.info("Client user %s downloaded letter %s", current_user.id, sent.id)
    return _download(document, "application/pdf", letter_filename(sent))


@bp.route("/download")
@client_required
def download_everything():
    """Every letter and every session as PDFs in one zip, with an index."""
    client_record = current_client_or_404()
    try:
        archive = coaching_archive(client_record)
    except PdfRenderError as error:
        return _pdf_error(error)
    try:
        record_event(AuditAction.ARCHIVE_DOWNLOADED, client_id=client_record.id)
        db.session.commit()  # keeps newly rendered PDFs in the shared cache
    except BaseException:
        archive.close()  # no response will close it
        raise
    logger.info("Client user %s downloaded the archive", current_user.id)
    return send_archive(archive, ARCHIVE_NAME)


@bp.route("/activity")
@client_required
def activity():
    """Who has seen my records: who opened, downloaded, sent or shared them, and when."""
    client_record = current_client_or_404()
    viewer = signed_in_adult(client_record)
    pagination = client_events_page(
        client_record, viewer, records_of(viewer), page_number(request.args)
    )
    return render_template(
        "portal/activity.html",
        client_record=client_record,
        pagination=pagination,
        label=portal_label,
    )


def _download(document: bytes, mimetype: str, filename: str):
    """A private file as an attachment that no browser or proxy keeps."""
    response = send_file(
        BytesIO(document), mimetype=mimetype, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf_error(error: PdfRenderError):
    db.session.rollback()
    return render_template("portal/pdf_error.html", message=str(error)), 503


@bp.route("/settings", methods=["GET", "POST"])
@client_required
def settings():
    """The signed-in adult's own choices: reminders of their sessions by e-mail."""
    adult = signed_in_adult(current_client_or_404())
    form = PortalSettingsForm(obj=adult)
    if form.validate_on_submit():
        adult.wants_session_reminders = form.wants_session_reminders.data
        db.session.commit()
        flash(
            "Saved: you will get a reminder before each of your sessions."
            if adult.wants_session_reminders
            else "Saved: you will get no more reminders of your sessions.",
            "success",
        )
        return redirect(url_for("portal.settings"))
    return render_template(
        "portal/settings.html",
        form=form,
        adult=adult,
        coach=adult.client.coach,
        reminder_hours=adult.client.coach.session_reminder_hours,
        enrolments=running_enrolments(adult),
        notice_choices=NOTICE_CHOICES,
        notices_form=ConfirmForm(),
    ), 400 if form.errors else 200


@bp.post("/settings/programmes")
@client_required
def programme_notices():
    """How the signed-in adult hears of each programme's new prompts."""
    adult = signed_in_adult(current_client_or_404())
    if ConfirmForm().validate_on_submit():
        chosen = {
            int(name.removeprefix("notice-")): value
            for name, value in request.form.items()
            if name.startswith("notice-") and name.removeprefix("notice-").isdigit()
        }
        if choose_notices(adult, chosen):
            db.session.commit()
            flash("Saved: you will hear of new prompts as you chose.", "success")
    return redirect(url_for("portal.settings"))
