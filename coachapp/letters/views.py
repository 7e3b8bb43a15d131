"""Pages for letter templates and letters: drafting, editing with a preview, history, approval."""

from flask import (
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms import SelectChoice

from coachapp.access import coach_required
from coachapp.auth.models import User
from coachapp.clients.services import get_client_or_404
from coachapp.coaching.services import coach_clients_for_choice, get_coaching_session_or_404
from coachapp.extensions import db
from coachapp.ids import id_arg, page_number
from coachapp.letters.blueprints import bp
from coachapp.letters.forms import (
    LETTER_MAX_CHARS,
    ApproveForm,
    ConfirmForm,
    LetterForm,
    LetterTemplateForm,
    NewLetterForm,
    SendLetterForm,
)
from coachapp.letters.merge import MergeError, remaining_markers
from coachapp.letters.models import Letter, LetterStatus, LetterTemplate
from coachapp.letters.sending import send_letter
from coachapp.letters.services import (
    REASON_LABELS,
    STATUS_FILTERS,
    LetterConflict,
    LetterRefused,
    SaveOutcome,
    add_missing_starter_templates,
    approve_letter,
    client_sessions,
    coach_templates,
    default_addressees,
    delete_draft,
    diff_rows,
    draft_letter,
    ensure_starter_templates,
    example_letter,
    field_examples,
    get_letter_or_404,
    get_revision_or_404,
    get_template_or_404,
    latest_revision,
    letter_markers,
    letter_revisions,
    list_letters,
    preview_document,
    restore_revision,
    save_letter,
    save_template,
    template_name_taken,
    templates_letter_count,
)
from coachapp.letters.signals import letter_page_opening
from coachapp.mail import MailError, mail_server_configured, where_mail_goes
from coachapp.outbox.services import latest_letter_message, send_soon
from coachapp.security.headers import allow_framing_by_coachapp, use_style_nonce
from coachapp.templating import format_datetime

CONFLICT_MESSAGE = (
    "This letter was saved somewhere else (another tab or window) after you opened it. "
    "Press Save to see both versions side by side; nothing you typed is lost."
)

# Letters


@bp.route("/")
@coach_required
def index():
    """The coach's letters, filtered by status (and by client, from a client's page)."""
    status = request.args.get("status", "all")
    status = status if status in STATUS_FILTERS else "all"
    client_id = id_arg(request.args, "client")
    client = get_client_or_404(client_id) if client_id else None
    pagination = list_letters(
        current_user, status, client.id if client else None, page_number(request.args)
    )
    return render_template(
        "letters/index.html",
        pagination=pagination,
        status=status,
        statuses=STATUS_FILTERS,
        client=client,
    )


@bp.route("/new", methods=["GET", "POST"])
@coach_required
def new():
    """Start a letter to a client, perhaps after a session, from a template or blank."""
    coaching_session = None
    session_id = id_arg(request.args, "session_id")
    if session_id:
        coaching_session = get_coaching_session_or_404(session_id)
    client_id = (
        coaching_session.client_id if coaching_session else id_arg(request.args, "client_id")
    )
    if not client_id:
        clients = coach_clients_for_choice(current_user)
        return render_template("letters/choose_client.html", clients=clients)
    client = get_client_or_404(client_id)
    if ensure_starter_templates(current_user):
        db.session.commit()
    templates = coach_templates(current_user)
    sessions = client_sessions(client)
    if coaching_session and coaching_session not in sessions:
        sessions.insert(0, coaching_session)
    form = _new_letter_form(templates, sessions, coaching_session)
    _offer_addressees(form, client, default_addressees(client, coaching_session))
    if form.validate_on_submit():
        chosen = next((s for s in sessions if s.id == form.coaching_session_id.data), None)
        letter = _start_letter(form, client, chosen)
        if letter is not None:
            db.session.commit()
            flash("Your draft is ready. Change anything you like: every save is kept.", "success")
            return redirect(url_for("letters.edit", letter_id=letter.id))
    return render_template(
        "letters/new.html",
        form=form,
        client=client,
        templates=templates,
        coaching_session=coaching_session,
    ), 400 if form.errors else 200


def _new_letter_form(templates, sessions, coaching_session) -> NewLetterForm:
    form = NewLetterForm()
    form.coaching_session_id.choices = [SelectChoice(0, "No particular session")] + [
        SelectChoice(s.id, format_datetime(s.starts_at)) for s in sessions
    ]
    form.template.choices = [SelectChoice(str(t.id), t.name) for t in templates] + [
        SelectChoice("blank", "A blank letter")
    ]
    if request.method == "GET":
        default_session = coaching_session or (sessions[0] if sessions else None)
        form.coaching_session_id.data = default_session.id if default_session else 0
        form.template.data = request.args.get("template", "")
    return form


def _offer_addressees(form: NewLetterForm | LetterForm, client, ticked) -> None:
    """“To” boxes for a family of several adults, ticked as given when the page opens; and
    for a letter written to no one (its addressee left the family), so the coach can choose."""
    if len(client.adults) < 2 and ticked:
        return
    form.addressees.choices = [SelectChoice(a.id, a.display_name) for a in client.adults]
    if request.method == "GET":
        form.addressees_shown.data = "1"
        form.addressees.data = [adult.id for adult in ticked]


def _chosen_addressees(form: NewLetterForm | LetterForm, client):
    """The adults ticked in the form, or None when the form did not offer the boxes."""
    if not form.addressees_offered:
        return None
    return [adult for adult in client.adults if adult.id in form.addressees.data]


def _start_letter(form: NewLetterForm, client, coaching_session) -> Letter | None:
    """Create the draft; on a template that cannot be filled in, explain it on the form."""
    template = None
    if form.template.data != "blank":
        template = get_template_or_404(int(form.template.data))
    try:
        return draft_letter(
            current_user, client, coaching_session, template, _chosen_addressees(form, client)
        )
    except MergeError as error:
        db.session.rollback()
        form.template.errors.append(
            f"“{template.name}” could not be filled in: {error} Edit the template and try again."
        )
        return None


@bp.route("/<int:letter_id>")
@coach_required
def detail(letter_id: int):
    """The letter as it reads, its status, and what can be done with it next."""
    return letter_page(get_letter_or_404(letter_id))


def letter_page(letter: Letter, status: int = 200, **shown_as_typed):
    """The letter's page, with what the features built on letters add to it (publishing's
    sharing panel); ``shown_as_typed`` replaces a part, e.g. a form with its errors."""
    approved_by = db.session.get(User, letter.approved_by_id) if letter.approved_by_id else None
    added: dict = {}
    for _, values in letter_page_opening.send(letter):
        added.update(values or {})
    added.update(shown_as_typed)
    page = render_template(
        "letters/detail.html",
        letter=letter,
        markers=letter_markers(letter),
        approve_form=ApproveForm(data={"version": letter.version}),
        approved_by=approved_by,
        send_form=SendLetterForm(),
        delivery=latest_letter_message(letter.id),
        mail_server=mail_server_configured(),
        **added,
    )
    return page, status


@bp.post("/<int:letter_id>/send")
@coach_required
def send(letter_id: int):
    """E-mail an approved letter to the client, with the coach's personal message."""
    letter = get_letter_or_404(letter_id)
    form = SendLetterForm()
    try:
        if not form.validate_on_submit():
            raise LetterRefused(
                "Keep the personal message under 5,000 characters."
                if form.personal_message.errors
                else "The page was out of date: read the letter again, then send it."
            )
        messages = send_letter(letter, current_user, form.personal_message.data or "")
    except (LetterRefused, MailError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("letters.detail", letter_id=letter_id))
    db.session.commit()
    send_soon(*messages)
    flash(f"The letter is on its way to {letter.sent_to}. {where_mail_goes()}", "success")
    return redirect(url_for("letters.detail", letter_id=letter.id))


@bp.route("/<int:letter_id>/edit", methods=["GET", "POST"])
@coach_required
def edit(letter_id: int):
    """Write the letter; a save based on an older version shows both texts instead."""
    letter = get_letter_or_404(letter_id)
    if letter.status is LetterStatus.SENT:
        flash("This letter has been sent, so it can no longer be changed.", "info")
        return redirect(url_for("letters.detail", letter_id=letter.id))
    if request.method == "GET":
        form = LetterForm(
            data={"subject": letter.subject, "body": letter.body, "version": letter.version}
        )
    else:
        form = LetterForm()
    _offer_addressees(form, letter.client, letter.addressees)
    if form.validate_on_submit():
        try:
            outcome = _save(letter, form, "save")
        except LetterConflict:
            return _conflict_page(letter, form)
        except LetterRefused as error:
            flash(str(error), "error")
            return redirect(url_for("letters.detail", letter_id=letter.id))
        db.session.commit()
        _flash_saved(outcome)
        target = "letters.detail" if form.save_and_close.data else "letters.edit"
        return redirect(url_for(target, letter_id=letter.id))
    return _editor_page(letter, form)


def _save(letter: Letter, form: LetterForm, reason: str) -> SaveOutcome:
    return save_letter(
        letter,
        subject=(form.subject.data or "").strip(),
        body=form.body.data or "",
        based_on=form.version.data,
        author=current_user,
        reason=reason,
        # Autosave keeps the text only; whom the letter is to changes on Save.
        addressees=_chosen_addressees(form, letter.client) if reason == "save" else None,
    )


def _flash_saved(outcome: SaveOutcome) -> None:
    if not outcome.changed:
        flash("Nothing had changed since the last save.", "info")
    elif outcome.returned_to_draft:
        flash(
            f"Saved as revision {outcome.revision.number}. The letter was approved; this "
            "change has returned it to draft, so approve it again when it is ready.",
            "info",
        )
    else:
        flash(f"Saved as revision {outcome.revision.number}.", "success")


def _editor_page(letter: Letter, form: LetterForm):
    markers = remaining_markers(form.subject.data or "", form.body.data or "")
    return render_template(
        "letters/edit.html", letter=letter, form=form, markers=markers
    ), 400 if form.errors else 200


def _conflict_page(letter: Letter, form: LetterForm):
    """Theirs as saved, yours in a form that can still be saved: nothing is lost."""
    yours = LetterForm(
        formdata=None,
        data={"subject": form.subject.data, "body": form.body.data, "version": letter.version},
    )
    return render_template(
        "letters/conflict.html",
        letter=letter,
        form=yours,
        latest=latest_revision(letter),
        reasons=REASON_LABELS,
        rows=diff_rows(letter.body, form.body.data or ""),
    ), 409


@bp.post("/<int:letter_id>/autosave")
@coach_required
def autosave(letter_id: int):
    """Save the editor's text as the coach types (JSON); the same conflict rule as Save."""
    letter = get_letter_or_404(letter_id)
    form = LetterForm()
    _offer_addressees(form, letter.client, letter.addressees)
    if not form.validate():
        errors = [error for errors in form.errors.values() for error in errors]
        return jsonify(ok=False, message="Not saved yet: " + " ".join(errors)), 400
    try:
        outcome = _save(letter, form, "autosave")
    except LetterConflict:
        conflict = {"conflict": True, "version": letter.version, "message": CONFLICT_MESSAGE}
        return jsonify(ok=False, **conflict), 409
    except LetterRefused as error:
        return jsonify(ok=False, message=str(error)), 409
    db.session.commit()
    message = "Saved at " + format_datetime(letter.updated_at, "%H:%M") + "."
    if outcome.returned_to_draft:
        message += " The letter was approved; this change has returned it to draft."
    return jsonify(
        ok=True,
        changed=outcome.changed,
        version=letter.version,
        status=letter.status.value,
        returned_to_draft=outcome.returned_to_draft,
        markers=letter_markers(letter),
        message=message,
    )


@bp.route("/<int:letter_id>/preview", methods=["GET", "POST"])
@coach_required
def preview(letter_id: int):
    """The letter as it prints, from the saved text (GET) or the editor's text (POST)."""
    letter = get_letter_or_404(letter_id)
    if request.method == "POST":
        form = LetterForm()
        subject, body = (form.subject.data or "").strip(), (form.body.data or "")[:LETTER_MAX_CHARS]
    else:
        subject, body = letter.subject, letter.body
    # Shown in a frame on the editor; its inline <style> (the accent colour) needs a nonce.
    use_style_nonce()
    allow_framing_by_coachapp()
    response = make_response(preview_document(letter, subject, body))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:letter_id>/approve")
@coach_required
def approve(letter_id: int):
    """Approve the letter as the coach read it; refused while anything is left to fill in."""
    letter = get_letter_or_404(letter_id)
    form = ApproveForm()
    try:
        if not form.validate_on_submit():
            raise LetterRefused("The page was out of date: read the letter again, then approve.")
        approve_letter(letter, current_user, form.version.data)
    except LetterRefused as error:
        flash(str(error), "error")
    except LetterConflict:
        flash("The letter was changed at this very moment: read it again, then approve.", "error")
    else:
        db.session.commit()
        flash("Approved. It is ready to send to the client.", "success")
    return redirect(url_for("letters.detail", letter_id=letter.id))


@bp.route("/<int:letter_id>/delete", methods=["GET", "POST"])
@coach_required
def delete(letter_id: int):
    """Ask first, then delete a draft; approved and sent letters stay on record."""
    letter = get_letter_or_404(letter_id)
    if letter.status is not LetterStatus.DRAFT:
        flash("Only a draft can be deleted: an approved or sent letter stays on record.", "error")
        return redirect(url_for("letters.detail", letter_id=letter.id))
    form = ApproveForm(data={"version": letter.version} if request.method == "GET" else None)
    if form.validate_on_submit():
        client_id = letter.client_id
        try:
            delete_draft(letter, current_user, form.version.data)
        except LetterRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("letters.detail", letter_id=letter_id))
        db.session.commit()
        flash("The draft has been deleted.", "success")
        return redirect(url_for("letters.index", client=client_id))
    return render_template(
        "letters/delete.html",
        letter=letter,
        form=form,
        revision_count=len(letter_revisions(letter)),
    ), 400 if form.errors else 200


# Revisions


@bp.route("/<int:letter_id>/revisions")
@coach_required
def revisions(letter_id: int):
    """Every saved version of the letter: who, when, why."""
    letter = get_letter_or_404(letter_id)
    return render_template(
        "letters/revisions.html",
        letter=letter,
        revisions=letter_revisions(letter),
        reasons=REASON_LABELS,
    )


@bp.route("/<int:letter_id>/revisions/<int:number>")
@coach_required
def revision(letter_id: int, number: int):
    """One revision, and what has changed between it and the letter now."""
    letter = get_letter_or_404(letter_id)
    old = get_revision_or_404(letter, number)
    return render_template(
        "letters/revision.html",
        letter=letter,
        revision=old,
        reasons=REASON_LABELS,
        subject_rows=diff_rows(old.subject, letter.subject),
        rows=diff_rows(old.body, letter.body),
        form=ConfirmForm(),
    )


@bp.post("/<int:letter_id>/revisions/<int:number>/restore")
@coach_required
def restore(letter_id: int, number: int):
    """Bring an old revision back as the newest one; the history keeps everything."""
    letter = get_letter_or_404(letter_id)
    old = get_revision_or_404(letter, number)
    if not ConfirmForm().validate_on_submit():
        flash("The page was out of date; try again.", "error")
        return redirect(url_for("letters.revision", letter_id=letter.id, number=number))
    try:
        outcome = restore_revision(letter, old, current_user)
    except LetterRefused as error:
        flash(str(error), "error")
        return redirect(url_for("letters.detail", letter_id=letter.id))
    except LetterConflict:
        flash("The letter was changed at this very moment; try again.", "error")
        return redirect(url_for("letters.revision", letter_id=letter.id, number=number))
    db.session.commit()
    if not outcome.changed:
        flash(f"The letter already reads as revision {number}.", "info")
    else:
        message = f"Revision {number} restored as revision {outcome.revision.number}."
        if outcome.returned_to_draft:
            message += " The letter was approved; it is a draft again."
        flash(message + " Earlier revisions are all still in the history.", "success")
    return redirect(url_for("letters.detail", letter_id=letter.id))


# Letter templates


@bp.route("/templates")
@coach_required
def templates():
    """The coach's letter templates; a coach's first visit brings the starter templates."""
    if ensure_starter_templates(current_user):
        db.session.commit()
    return render_template(
        "letters/templates.html", templates=coach_templates(current_user), form=ConfirmForm()
    )


@bp.post("/templates/starters")
@coach_required
def add_starters():
    """Bring back any starter template the coach deleted."""
    if ConfirmForm().validate_on_submit():
        added = add_missing_starter_templates(current_user)
        db.session.commit()
        flash(
            f"{added} starter template{'s' if added != 1 else ''} added."
            if added
            else "You already have every starter template.",
            "success" if added else "info",
        )
    return redirect(url_for("letters.templates"))


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_template(template_id: int | None = None):
    """Write or change a letter template; the fields panel shows what each field prints."""
    template = get_template_or_404(template_id) if template_id else None
    form = LetterTemplateForm(obj=template)
    example = None
    if form.validate_on_submit():
        name, subject, body = form.name.data.strip(), form.subject.data or "", form.body.data
        try:
            if form.try_example.data:
                example = example_letter(subject, body, current_user)
            elif template_name_taken(current_user, name, template):
                form.name.errors.append(f"You already have a template called “{name}”.")
            else:
                template = template or LetterTemplate(coach_id=current_user.id)
                save_template(template, name=name, subject=subject, body=body)
                db.session.commit()
                flash(f"Template “{name}” saved.", "success")
                return redirect(url_for("letters.templates"))
        except MergeError as error:
            db.session.rollback()
            form.body.errors.append(str(error))
    return render_template(
        "letters/template_form.html",
        form=form,
        template=template,
        fields=field_examples(current_user),
        example=example,
    ), 400 if form.errors else 200


@bp.route("/templates/<int:template_id>/delete", methods=["GET", "POST"])
@coach_required
def delete_template(template_id: int):
    """Ask first, then delete a template; letters started from it keep their text."""
    template = get_template_or_404(template_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = template.name
        db.session.delete(template)
        db.session.commit()
        flash(f"Template “{name}” deleted. Letters written from it are unchanged.", "success")
        return redirect(url_for("letters.templates"))
    return render_template(
        "letters/template_delete.html",
        template=template,
        form=form,
        letter_count=templates_letter_count(template),
    )
