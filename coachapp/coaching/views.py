"""Pages for logging and reading coaching sessions, topics and note templates."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from coachapp.access import coach_required
from coachapp.audit.models import AuditAction
from coachapp.audit.services import record_event
from coachapp.auth.services import safe_next_path
from coachapp.clients.models import Client
from coachapp.coaching.blueprints import bp, search_bp
from coachapp.coaching.forms import CoachingSessionForm, NoteTemplateForm, TopicForm
from coachapp.coaching.models import CoachingSession, NoteTemplate, Repeat, SessionFormat, Topic
from coachapp.coaching.note_templates import STARTER_NOTE_TEMPLATES
from coachapp.coaching.schedule_views import checked_series, checked_times
from coachapp.coaching.scheduling import (
    announce_change,
    change_location,
    invite_attendees,
    plan_series,
    reschedule,
    sessions_of_series,
    withdraw_from_calendars,
)
from coachapp.coaching.search import (
    RESULT_LIMIT,
    search_clients,
    search_sessions,
    search_words,
)
from coachapp.coaching.services import (
    ActionItemInput,
    KeptApart,
    apply_session_form,
    coach_clients_for_choice,
    coach_note_templates,
    coach_topics,
    get_action_item_or_404,
    get_coaching_session_or_404,
    note_template_body,
    toggle_action_item,
    topic_name_taken,
)
from coachapp.extensions import db
from coachapp.ids import id_arg, parse_id
from coachapp.templating import local_today, user_zone


def _prepare_choices(form: CoachingSessionForm, selected_client_id: int | None) -> list[Client]:
    clients = coach_clients_for_choice(current_user, include_id=selected_client_id)
    form.client_id.choices = [SelectChoice("", "Choose a client")] + [
        SelectChoice(c.id, c.display_name) for c in clients
    ]
    form.topics.choices = [SelectChoice(t.id, t.name) for t in coach_topics(current_user)]
    form.note_template.choices = [SelectChoice("", "Choose a template")] + [
        SelectChoice(key, name) for key, name, _body in coach_note_templates(current_user)
    ]
    return clients


def _offered_family(form: CoachingSessionForm, clients: list[Client]) -> Client | None:
    """The family whose adults the form offers as attendees: one of several adults that
    the form was opened for (the boxes cannot follow a family chosen in the form itself)."""
    family_id = parse_id(form.attendance_family.data)
    if family_id is None or family_id != form.client_id.data:
        return None
    family = next((c for c in clients if c.id == family_id), None)
    return family if family is not None and len(family.adults) > 1 else None


def _prepare_attendance(form: CoachingSessionForm, family: Client | None) -> None:
    """Offer the family's adults as attendees and as owners of steps; without a family,
    ignore whatever was posted for boxes that were not shown."""
    adults = family.adults if family else []
    form.attendees.choices = [SelectChoice(a.id, a.display_name) for a in adults]
    # A kept-apart family's session is read only by those who attended it.
    form.shared_with.choices = [] if family and family.keep_apart else list(form.attendees.choices)
    if family and family.keep_apart:
        form.shared_with.data = []
    for_choices = [SelectChoice("", "The family")] + [
        SelectChoice(a.id, a.preferred_name or a.first_name) for a in adults
    ]
    for entry in form.action_items:
        entry.for_adult.choices = for_choices
        if family is None:
            entry.for_adult.data = None
    if family is None:
        form.attendees.data, form.shared_with.data = [], []


def _ask_who_attended(
    form: CoachingSessionForm, family: Client | None, clients: list[Client]
) -> Client | None:
    """A kept-apart family chosen in the form itself is not recorded as attending in full,
    as another family would be: the form comes back with its adults to tick."""
    if family is not None:
        return family
    chosen = next((c for c in clients if c.id == form.client_id.data), None)
    if chosen is None or not chosen.keep_apart or len(chosen.adults) < 2:
        return None
    form.attendance_family.data = str(chosen.id)
    _prepare_attendance(form, chosen)
    form.attendees.errors = [
        f"{chosen.first_names} are kept apart: tick who attended, so that only they read it."
    ]
    return chosen


def _show_refusal(form: CoachingSessionForm, refusal: KeptApart) -> None:
    """Put a keep-apart refusal beside the field it is about."""
    if refusal.step is None:
        form.attendees.errors = [*form.attendees.errors, str(refusal)]
        return
    form.action_items[refusal.step].for_adult.errors = [str(refusal)]


def _everyone_attends_hint(form: CoachingSessionForm, clients: list[Client]) -> bool:
    """Whether to say that a family chosen in the form is recorded as attending in full."""
    known = parse_id(form.attendance_family.data)
    return (known is None or known != form.client_id.data) and any(
        len(c.adults) > 1 for c in clients
    )


def _handle_form_buttons(form: CoachingSessionForm) -> bool:
    """Insert a template or add a blank step; True when the form is to be shown again."""
    if form.insert_template.data:
        body = note_template_body(current_user, form.note_template.data or "")
        if body is None:
            form.note_template.errors = ["Choose a template to insert."]
        else:
            separator = "\n\n" if (form.private_notes.data or "").strip() else ""
            form.private_notes.data = (form.private_notes.data or "").rstrip() + separator + body
        return True
    if form.add_action_item.data:
        form.action_items.append_entry()
        return True
    return False


def _save(
    form: CoachingSessionForm,
    coaching_session: CoachingSession,
    family: Client | None,
    times: tuple[datetime, int],
) -> CoachingSession:
    client = db.session.execute(
        select(Client).where(Client.id == form.client_id.data, Client.coach_id == current_user.id)
    ).scalar_one_or_none()
    if client is None:
        abort(404)
    starts_at, minutes = times
    # The place first, so that a move announced to calendars carries the new one too:
    # one change for the calendars, not two.
    relocated = change_location(coaching_session, form.location.data or "", announce=False)
    if coaching_session.id is not None and not coaching_session.is_cancelled:
        move = reschedule(coaching_session, starts_at, minutes, moved_by=current_user)
        if relocated and move is None:
            announce_change(coaching_session)
    chosen_topics = db.session.scalars(
        select(Topic).where(Topic.coach_id == current_user.id, Topic.id.in_(form.topics.data))
    ).all()
    rows = [
        ActionItemInput(
            item_id=int(entry.item_id.data) if entry.item_id.data else None,
            text=entry.text.data or "",
            due_on=entry.due_on.data,
            done=entry.done.data,
            adult_id=entry.for_adult.data,
        )
        for entry in form.action_items
    ]
    adults_by_id = {adult.id: adult for adult in client.adults}
    attendees = [adults_by_id[i] for i in form.attendees.data] if family is client else None
    shared_with = [adults_by_id[i] for i in form.shared_with.data] if family is client else []
    return apply_session_form(
        coaching_session,
        client=client,
        starts_at=starts_at,
        duration_minutes=minutes,
        session_format=SessionFormat(form.format.data),
        topics=list(chosen_topics),
        private_notes=form.private_notes.data or "",
        summary=form.summary.data or "",
        follow_up_on=form.follow_up_on.data,
        action_items=rows,
        attendees=attendees,
        shared_with=shared_with,
    )


def _session_form_page(
    form: CoachingSessionForm,
    coaching_session: CoachingSession | None,
    family: Client | None,
    clients: list[Client],
):
    _prepare_attendance(form, family)  # again, for a step row just added
    refused = any(entry.for_adult.errors for entry in form.action_items)
    status = 400 if form.errors or refused else 200
    return render_template(
        "coaching/form.html",
        form=form,
        coaching_session=coaching_session,
        family=family,
        everyone_attends_hint=_everyone_attends_hint(form, clients),
    ), status


def _anyone_to_invite(client_id: int | None) -> bool:
    """Whether the family the form opens for has an adult with an e-mail (or is not
    chosen yet): the invitation box starts ticked then."""
    if client_id is None:
        return True
    family = db.session.execute(
        select(Client).where(Client.id == client_id, Client.coach_id == current_user.id)
    ).scalar_one_or_none()
    return family is None or any(adult.email.strip() for adult in family.adults)


@bp.route("/new", methods=["GET", "POST"])
@coach_required
def new():
    """Log a session; a note template can prefill the private notes."""
    form = CoachingSessionForm()
    client_id = id_arg(request.args, "client_id")
    if request.method == "GET":
        form.client_id.data = client_id
        form.attendance_family.data = str(client_id) if client_id else ""
        form.date.data = local_today(current_user)
        form.email_invitation.data = _anyone_to_invite(client_id)
        template_key = request.args.get("template")
        if template_key:
            form.note_template.data = template_key
            form.private_notes.data = note_template_body(current_user, template_key) or ""
    clients = _prepare_choices(form, form.client_id.data or client_id)
    family = _offered_family(form, clients)
    _prepare_attendance(form, family)
    if request.method == "POST" and _handle_form_buttons(form):
        return _session_form_page(form, None, family, clients)
    if form.validate_on_submit():
        family = _ask_who_attended(form, family, clients)
        times = checked_times(form, exclude=None, check_overlap=not form.repeat.data)
        later = checked_series(form, times) if times and form.repeat.data else []
        if not form.errors and times and later is not None:
            try:
                coaching_session = _save(form, CoachingSession(), family, times)
            except KeptApart as refusal:
                _show_refusal(form, refusal)
            else:
                planned = [coaching_session]
                if form.repeat.data:
                    series = plan_series(
                        coaching_session, Repeat(form.repeat.data), later,
                        until=form.repeat_until.data, count=form.repeat_count.data,
                    )
                    planned = sessions_of_series(series)
                if form.email_invitation.data:
                    invite_attendees(planned)
                db.session.commit()
                flash("Session saved.", "success")
                return redirect(
                    url_for("coaching.detail", coaching_session_id=coaching_session.id)
                )
    return _session_form_page(form, None, family, clients)


@bp.route("/<int:coaching_session_id>")
@coach_required
def detail(coaching_session_id: int):
    """The whole session as the coach sees it, private notes included."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    record_event(
        AuditAction.NOTES_VIEWED, client_id=coaching_session.client_id, target=coaching_session
    )
    page = render_template("coaching/detail.html", coaching_session=coaching_session)
    db.session.commit()  # the visit's audit record; after rendering, which it would expire
    return page


def _form_for_existing(coaching_session: CoachingSession) -> CoachingSessionForm:
    local_start = coaching_session.starts_at.astimezone(user_zone(current_user))
    local_end = coaching_session.ends_at.astimezone(user_zone(current_user))
    form = CoachingSessionForm(
        data={
            "client_id": coaching_session.client_id,
            "date": local_start.date(),
            "start_time": local_start.time().replace(second=0, microsecond=0),
            "end_time": local_end.time().replace(second=0, microsecond=0),
            # Which of two repeated clock times it is, on a day the clocks go back.
            "fold": str(local_start.fold),
            "format": coaching_session.format.value,
            "location": coaching_session.location,
            "topics": [t.id for t in coaching_session.topics],
            "attendance_family": str(coaching_session.client_id),
            "attendees": [adult.id for adult in coaching_session.attendees],
            "shared_with": [adult.id for adult in coaching_session.shared_with],
            "private_notes": coaching_session.private_notes,
            "summary": coaching_session.summary,
            "follow_up_on": coaching_session.follow_up_on,
            "action_items": [
                {"item_id": item.id, "text": item.text, "due_on": item.due_on,
                 "done": item.done_at is not None, "for_adult": item.adult_id}
                for item in coaching_session.action_items
            ] + [{}],
        }
    )
    return form


@bp.route("/<int:coaching_session_id>/edit", methods=["GET", "POST"])
@coach_required
def edit(coaching_session_id: int):
    """Change a session; nothing typed is lost when the form has an error."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    form = CoachingSessionForm() if request.method == "POST" else _form_for_existing(
        coaching_session
    )
    clients = _prepare_choices(form, coaching_session.client_id)
    family = _offered_family(form, clients)
    _prepare_attendance(form, family)
    if request.method == "POST" and _handle_form_buttons(form):
        return _session_form_page(form, coaching_session, family, clients)
    if form.validate_on_submit():
        family = _ask_who_attended(form, family, clients)
        times = checked_times(form, exclude=coaching_session)
        if not form.errors and times:
            try:
                _save(form, coaching_session, family, times)
            except KeptApart as refusal:
                _show_refusal(form, refusal)
            else:
                db.session.commit()
                flash("Session updated.", "success")
                return redirect(
                    url_for("coaching.detail", coaching_session_id=coaching_session.id)
                )
    return _session_form_page(form, coaching_session, family, clients)


@bp.route("/<int:coaching_session_id>/delete", methods=["GET", "POST"])
@coach_required
def delete(coaching_session_id: int):
    """Ask first, then delete the session with its notes and action items."""
    coaching_session = get_coaching_session_or_404(coaching_session_id)
    if request.method == "POST":
        client_id = coaching_session.client_id
        withdraw_from_calendars(coaching_session)
        db.session.delete(coaching_session)
        db.session.commit()
        flash("Session deleted.", "success")
        return redirect(url_for("clients.detail", client_id=client_id))
    return render_template("coaching/delete.html", coaching_session=coaching_session)


@bp.post("/action-items/<int:action_item_id>/toggle")
@coach_required
def toggle_item(action_item_id: int):
    """Tick a next step done (or open it again) and go back to where the coach was."""
    item = get_action_item_or_404(action_item_id)
    toggle_action_item(item)
    db.session.commit()
    back = safe_next_path(request.form.get("next"))
    return redirect(
        back or url_for("coaching.detail", coaching_session_id=item.coaching_session_id)
    )


@bp.route("/topics", methods=["GET", "POST"])
@coach_required
def topics():
    """The coach's own list of topics: add, rename, remove."""
    form = TopicForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if topic_name_taken(current_user, name):
            form.name.errors.append(f"“{name}” is already on your list.")
        else:
            db.session.add(Topic(coach_id=current_user.id, name=name))
            db.session.commit()
            flash(f"Topic “{name}” added.", "success")
            return redirect(url_for("coaching.topics"))
    status = 400 if form.errors else 200
    return render_template(
        "coaching/topics.html", form=form, topics=coach_topics(current_user)
    ), status


def _get_topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.coach_id != current_user.id:
        abort(404)
    return topic


@bp.post("/topics/<int:topic_id>/rename")
@coach_required
def rename_topic(topic_id: int):
    """Rename a topic everywhere it is used."""
    topic = _get_topic_or_404(topic_id)
    form = TopicForm()
    name = (form.name.data or "").strip()
    if not form.validate_on_submit():
        flash(" ".join(form.name.errors) or "The topic could not be renamed.", "error")
    elif topic_name_taken(current_user, name, topic):
        flash(f"“{name}” is already on your list.", "error")
    else:
        topic.name = name
        db.session.commit()
        flash("Topic renamed.", "success")
    return redirect(url_for("coaching.topics"))


@bp.post("/topics/<int:topic_id>/delete")
@coach_required
def delete_topic(topic_id: int):
    """Remove a topic from the list and from the sessions it was on."""
    topic = _get_topic_or_404(topic_id)
    db.session.delete(topic)
    db.session.commit()
    flash(f"Topic “{topic.name}” removed.", "success")
    return redirect(url_for("coaching.topics"))


@bp.route("/note-templates")
@coach_required
def note_templates():
    """The starter note templates and the coach's own."""
    own = db.session.scalars(
        select(NoteTemplate)
        .where(NoteTemplate.coach_id == current_user.id)
        .order_by(NoteTemplate.name)
    ).all()
    return render_template(
        "coaching/note_templates.html", own=own, starters=STARTER_NOTE_TEMPLATES
    )


def _get_note_template_or_404(note_template_id: int) -> NoteTemplate:
    template = db.session.get(NoteTemplate, note_template_id)
    if template is None or template.coach_id != current_user.id:
        abort(404)
    return template


@bp.route("/note-templates/new", methods=["GET", "POST"])
@bp.route("/note-templates/<int:note_template_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_note_template(note_template_id: int | None = None):
    """Write a note template of the coach's own."""
    template = _get_note_template_or_404(note_template_id) if note_template_id else None
    form = NoteTemplateForm(obj=template)
    if form.validate_on_submit():
        template = template or NoteTemplate(coach_id=current_user.id)
        template.name = form.name.data.strip()
        template.body = form.body.data
        db.session.add(template)
        db.session.commit()
        flash("Note template saved.", "success")
        return redirect(url_for("coaching.note_templates"))
    status = 400 if form.errors else 200
    return render_template(
        "coaching/note_template_form.html", form=form, template=template
    ), status


@bp.post("/note-templates/<int:note_template_id>/delete")
@coach_required
def delete_note_template(note_template_id: int):
    """Remove one of the coach's note templates (sessions keep their notes)."""
    template = _get_note_template_or_404(note_template_id)
    db.session.delete(template)
    db.session.commit()
    flash(f"Note template “{template.name}” deleted.", "success")
    return redirect(url_for("coaching.note_templates"))


@search_bp.route("/search")
@coach_required
def search():
    """One box: clients by name and sessions by any word in them, best matches first."""
    query = request.args.get("q", "").strip()[:200]
    words = search_words(query)
    clients = search_clients(db.session, current_user.id, words)
    sessions = search_sessions(db.session, current_user.id, words)
    return render_template(
        "coaching/search.html",
        query=query,
        words=words,
        clients=clients,
        sessions=sessions,
        result_limit=RESULT_LIMIT,
    )
