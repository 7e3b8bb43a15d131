"""The coach's programme pages: write programmes and their prompts, enrol adults, and pause,
resume or finish their enrolments."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from coachapp.access import coach_required
from coachapp.clients.services import get_client_or_404
from coachapp.extensions import db
from coachapp.ids import id_choice
from coachapp.programmes import schedule
from coachapp.programmes.blueprints import bp
from coachapp.programmes.forms import ConfirmForm, EnrolForm, ProgrammeForm, PromptForm
from coachapp.programmes.models import Programme, Prompt, Rhythm
from coachapp.programmes.services import (
    EnrolmentRefused,
    coach_adults,
    coach_programmes,
    day_releases,
    day_taken,
    delete_programme,
    delete_prompt,
    ends_in_question,
    enrol,
    finish_enrolment,
    get_adult_or_404,
    get_enrolment_or_404,
    get_programme_or_404,
    get_prompt_or_404,
    ongoing_enrolments,
    pause_enrolment,
    programme_enrolments,
    progress_of,
    resume_enrolment,
    rhythm_label,
    save_programme,
    save_prompt,
)
from coachapp.templating import local_today


@bp.route("/")
@coach_required
def index():
    """The coach's programmes, with their prompts and active enrolments counted."""
    return render_template("programmes/index.html", rows=coach_programmes(current_user))


@bp.route("/new", methods=["GET", "POST"])
@coach_required
def create():
    """Write a new private programme."""
    form = ProgrammeForm()
    if form.validate_on_submit():
        programme = Programme(coach_id=current_user.id)
        save_programme(programme, form.title.data, form.description.data or "")
        db.session.commit()
        flash(f"Programme “{programme.title}” created. Now add its days.", "success")
        return redirect(url_for(".detail", programme_id=programme.id))
    return render_template("programmes/form.html", form=form, programme=None), _status(form)


@bp.route("/<int:programme_id>")
@coach_required
def detail(programme_id: int):
    """A programme's days and who follows it."""
    programme = get_programme_or_404(programme_id, current_user)
    return render_template(
        "programmes/detail.html",
        programme=programme,
        enrolments=programme_enrolments(programme),
        without_question={p.id for p in programme.prompts if not ends_in_question(p.body)},
        confirm_form=ConfirmForm(),
    )


@bp.route("/<int:programme_id>/edit", methods=["GET", "POST"])
@coach_required
def edit(programme_id: int):
    """Rename or describe a programme."""
    programme = get_programme_or_404(programme_id, current_user)
    form = ProgrammeForm(obj=programme)
    if form.validate_on_submit():
        save_programme(programme, form.title.data, form.description.data or "")
        db.session.commit()
        flash("Programme saved.", "success")
        return redirect(url_for(".detail", programme_id=programme.id))
    page = render_template("programmes/form.html", form=form, programme=programme)
    return page, _status(form)


@bp.route("/<int:programme_id>/delete", methods=["GET", "POST"])
@coach_required
def delete(programme_id: int):
    """Confirm, then delete a programme nobody follows any more."""
    programme = get_programme_or_404(programme_id, current_user)
    form = ConfirmForm()
    ongoing = ongoing_enrolments(programme)
    if form.validate_on_submit():
        try:
            delete_programme(programme)
        except EnrolmentRefused as refusal:
            db.session.rollback()
            flash(str(refusal), "error")
            return redirect(url_for(".delete", programme_id=programme_id))
        db.session.commit()
        flash(f"Programme “{programme.title}” deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "programmes/delete.html", programme=programme, form=form, ongoing=ongoing
    )


@bp.route("/<int:programme_id>/prompts/new", methods=["GET", "POST"])
@coach_required
def add_prompt(programme_id: int):
    """Write the next day's prompt."""
    programme = get_programme_or_404(programme_id, current_user)
    next_day = max((prompt.day for prompt in programme.prompts), default=0) + 1
    form = PromptForm(data={"day": next_day} if request.method == "GET" else None)
    return _prompt_page(programme, Prompt(), form, "Day added.")


@bp.route("/<int:programme_id>/prompts/<int:prompt_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_prompt(programme_id: int, prompt_id: int):
    """Rewrite one day's prompt, or move it to another day."""
    programme = get_programme_or_404(programme_id, current_user)
    prompt = get_prompt_or_404(programme, prompt_id)
    return _prompt_page(programme, prompt, PromptForm(obj=prompt), "Day saved.")


def _prompt_page(programme: Programme, prompt: Prompt, form: PromptForm, saved: str):
    if form.validate_on_submit():
        if day_taken(programme, form.day.data, prompt):
            form.day.errors = [f"Day {form.day.data} has a prompt already: choose another day."]
        else:
            save_prompt(programme, prompt, form.day.data, form.title.data, form.body.data or "")
            db.session.commit()
            flash(saved, "success")
            if not ends_in_question(prompt.body):
                flash(
                    f"Day {prompt.day} does not end in a question: "
                    "a question at the end gives the client something to answer.",
                    "warning",
                )
            return redirect(url_for(".detail", programme_id=programme.id))
    page = render_template(
        "programmes/prompt_form.html", form=form, programme=programme, prompt=prompt
    )
    return page, _status(form)


@bp.post("/<int:programme_id>/prompts/<int:prompt_id>/delete")
@coach_required
def remove_prompt(programme_id: int, prompt_id: int):
    """Remove one day; the others keep their numbers."""
    programme = get_programme_or_404(programme_id, current_user)
    prompt = get_prompt_or_404(programme, prompt_id)
    if ConfirmForm().validate_on_submit():
        delete_prompt(programme, prompt)
        db.session.commit()
        flash(f"Day {prompt.day} removed.", "success")
    return redirect(url_for(".detail", programme_id=programme.id))


@bp.route("/enrol", methods=["GET", "POST"])
@coach_required
def enrol_adult():
    """Enrol one adult of a family: from a programme's page, or from the family's page."""
    client = _family_asked_for()
    form = _enrol_form(client)
    if form.is_submitted():
        _refuse_others(form)
    if form.validate_on_submit():
        programme = get_programme_or_404(form.programme_id.data, current_user)
        adult = get_adult_or_404(form.adult_id.data, current_user)
        try:
            enrolment = enrol(
                programme, adult, form.start_date.data, Rhythm(form.rhythm.data),
                form.chosen_weekdays(),
            )
        except EnrolmentRefused as refusal:
            db.session.rollback()
            form.adult_id.errors = [str(refusal)]
        else:
            db.session.commit()
            flash(f"{adult.display_name} is enrolled in “{programme.title}”.", "success")
            if adult.user is None:
                flash(
                    f"{adult.display_name} has no portal sign-in yet: invite them from "
                    "their family's page so they can read the prompts.",
                    "warning",
                )
            return redirect(url_for(".enrolment", enrolment_id=enrolment.id))
    return render_template("programmes/enrol.html", form=form, client=client), _status(form)


def _refuse_others(form: EnrolForm) -> None:
    """Another coach's programme or family, chosen by id, is a 404 like everywhere else."""
    if form.programme_id.data:
        get_programme_or_404(form.programme_id.data, current_user)
    if form.adult_id.data:
        get_adult_or_404(form.adult_id.data, current_user)


def _family_asked_for():
    """The family named in the address (enrolling from its page), else None."""
    try:
        client_id = id_choice(request.args.get("client_id", ""))
    except ValueError:
        return None
    return get_client_or_404(client_id)


def _enrol_form(client) -> EnrolForm:
    form = EnrolForm()
    adults = client.adults if client is not None else coach_adults(current_user)
    programmes = [row.programme for row in coach_programmes(current_user)]
    form.adult_id.choices = [
        SelectChoice("", "Choose an adult"), *(SelectChoice(a.id, _adult_label(a)) for a in adults)
    ]
    form.programme_id.choices = [
        SelectChoice("", "Choose a programme"), *(SelectChoice(p.id, p.title) for p in programmes)
    ]
    if request.method == "GET":
        form.start_date.data = local_today(current_user)
        form.programme_id.data = _asked_id("programme_id")
        form.adult_id.data = adults[0].id if len(adults) == 1 else _asked_id("adult_id")
    return form


def _asked_id(name: str) -> int | None:
    try:
        return id_choice(request.args.get(name, ""))
    except ValueError:
        return None


def _adult_label(adult) -> str:
    family = adult.client.display_name
    name = adult.display_name
    label = name if name in family else f"{name} ({family})"
    return label if adult.user is not None else f"{label}: no portal sign-in yet"


@bp.route("/enrolments/<int:enrolment_id>")
@coach_required
def enrolment(enrolment_id: int):
    """One adult's enrolment: how far they are, and each day's date."""
    enrolment = get_enrolment_or_404(enrolment_id, current_user)
    today = schedule.adult_today(enrolment)
    [progress] = progress_of([enrolment])
    return render_template(
        "programmes/enrolment.html",
        enrolment=enrolment,
        progress=progress,
        rhythm=rhythm_label(enrolment),
        days=day_releases(enrolment, today),
        confirm_form=ConfirmForm(),
    )


@bp.post("/enrolments/<int:enrolment_id>/<change>")
@coach_required
def change_enrolment(enrolment_id: int, change: str):
    """Pause, resume or finish an enrolment early."""
    enrolment = get_enrolment_or_404(enrolment_id, current_user)
    if change not in CHANGES:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".enrolment", enrolment_id=enrolment.id))
    apply, done = CHANGES[change]
    try:
        apply(enrolment)
    except EnrolmentRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        db.session.commit()
        flash(done.format(name=enrolment.adult.display_name), "success")
    return redirect(url_for(".enrolment", enrolment_id=enrolment.id))


CHANGES = {
    "pause": (pause_enrolment, "Paused: {name} gets no new prompt until you resume."),
    "resume": (resume_enrolment, "Resumed: {name}'s next prompt arrives tomorrow."),
    "finish": (finish_enrolment, "Finished: {name} keeps the days already reached."),
}


def _status(form) -> int:
    return 400 if form.errors else 200
