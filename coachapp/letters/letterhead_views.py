"""The coach's letterhead settings, its images, and letters as PDF downloads."""

from io import BytesIO
from pathlib import Path

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from coachapp.access import coach_required
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.documents.pdf import PdfRenderError
from coachapp.extensions import db
from coachapp.letters.blueprints import bp
from coachapp.letters.letterhead import (
    get_letterhead,
    image_file,
    remove_image_files,
    update_letterhead,
)
from coachapp.letters.letterhead_forms import letterhead_form
from coachapp.letters.models import Letter
from coachapp.letters.rendering import letter_pdf, sample_letter_pdf

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


@bp.route("/letterhead", methods=["GET", "POST"])
@coach_required
def letterhead():
    """How the coach's letters look: names, contact details, logo, signature, colour, paper.

    A form with errors comes back as typed with a 400, like every other coach form.
    """
    current = get_letterhead(current_user)
    form = letterhead_form(current)
    if form.validate_on_submit():
        discarded = update_letterhead(current, form.changes())
        db.session.commit()
        remove_image_files(discarded)
        flash("Your letterhead has been saved. Every letter's PDF now uses it.", "success")
        return redirect(url_for(".letterhead"))
    page = render_template("letters/letterhead.html", form=form, letterhead=current)
    return page, 400 if form.errors else 200


@bp.route("/letterhead/images/<name>")
@coach_required
def letterhead_image(name: str):
    """One of the signed-in coach's letterhead images; anyone else's is a 404."""
    current = get_letterhead(current_user)
    for relative in (current.logo_path, current.signature_image_path):
        path = image_file(relative) if relative and Path(relative).name == name else None
        if path is not None and path.suffix in IMAGE_TYPES:
            response = send_file(path, mimetype=IMAGE_TYPES[path.suffix], max_age=0)
            response.headers["Cache-Control"] = "private, no-store"
            return response
    abort(404)


@bp.route("/letterhead/sample.pdf")
@coach_required
def letterhead_sample():
    """A sample letter on the letterhead, to see it before writing to anyone."""
    try:
        pdf = sample_letter_pdf(current_user)
    except PdfRenderError as error:
        return _pdf_error(error)
    return _pdf_response(pdf, "letterhead-sample.pdf", as_attachment=False)


@bp.route("/<int:letter_id>/pdf")
@coach_required
def pdf(letter_id: int):
    """The letter as a PDF download (the file name never carries the client's name)."""
    letter = db.first_or_404(
        select(Letter)
        .options(joinedload(Letter.client))
        .where(Letter.id == letter_id, Letter.coach_id == current_user.id)
    )
    try:
        document = letter_pdf(letter)
    except PdfRenderError as error:
        return _pdf_error(error)
    record_event(AuditAction.PDF_DOWNLOADED, client_id=letter.client_id, target=letter)
    db.session.commit()  # keeps a newly rendered PDF in the shared cache
    return _pdf_response(document, f"letter-{letter.id}.pdf", as_attachment=True)


def _pdf_response(document: bytes, filename: str, *, as_attachment: bool):
    response = send_file(
        BytesIO(document),
        mimetype="application/pdf",
        as_attachment=as_attachment,
        download_name=filename,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _pdf_error(error: PdfRenderError):
    db.session.rollback()
    return render_template("errors/pdf.html", message=str(error)), 503
