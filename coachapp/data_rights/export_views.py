"""A coach downloads everything recorded about one of their clients (POST
/clients/<id>/export), or one adult's share of it (POST
/clients/<id>/adults/<adult_id>/export), on the clients blueprint."""

from flask import flash, redirect, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.clients.blueprints import bp
from coachapp.clients.forms import ActionForm
from coachapp.clients.services import get_adult_or_404, get_client_or_404
from coachapp.data_rights.export import (
    adult_export_filename,
    adult_export_zip,
    client_export_zip,
    export_filename,
)
from coachapp.documents.archive import send_archive
from coachapp.documents.pdf import PdfRenderError
from coachapp.extensions import db


@bp.post("/<int:client_id>/export")
@coach_required
def export(client_id: int):
    """The client's data as a ZIP: client.json and every session's and letter's PDF."""
    client = get_client_or_404(client_id)
    if not ActionForm().validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for(".detail", client_id=client.id))
    try:
        archive = client_export_zip(client, current_user)
    except PdfRenderError as error:
        db.session.rollback()
        flash(f"The export could not be made: {error} Please try again in a moment.", "error")
        return redirect(url_for(".detail", client_id=client_id))
    try:
        record_event(AuditAction.CLIENT_EXPORTED, client_id=client.id, target=client)
        filename = export_filename(client)
        db.session.commit()  # the audit record, and newly rendered PDFs for the cache
    except BaseException:
        archive.close()  # no response will close it
        raise
    return send_archive(archive, filename)


@bp.post("/<int:client_id>/adults/<int:adult_id>/export", endpoint="export_adult")
@coach_required
def export_adult(client_id: int, adult_id: int):
    """One adult's data as a ZIP: what concerns them, never the others' own records."""
    client = get_client_or_404(client_id)
    adult = get_adult_or_404(client, adult_id)
    if not ActionForm().validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for(".detail", client_id=client.id))
    try:
        archive = adult_export_zip(adult, current_user)
    except PdfRenderError as error:
        db.session.rollback()
        flash(f"The export could not be made: {error} Please try again in a moment.", "error")
        return redirect(url_for(".detail", client_id=client_id))
    try:
        # Aimed at the adult, so only they read it in their portal's activity.
        record_event(AuditAction.CLIENT_EXPORTED, client_id=client.id, target=adult,
                     detail="One adult's data")
        filename = adult_export_filename(adult)
        db.session.commit()  # the audit record, and newly rendered PDFs for the cache
    except BaseException:
        archive.close()  # no response will close it
        raise
    return send_archive(archive, filename)
