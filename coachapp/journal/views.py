"""The journal's pages: the writer's, in the portal, and the coach's, for shared entries."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from coachapp.access import client_required, coach_required
from coachapp.extensions import db
from coachapp.journal.blueprints import bp
from coachapp.journal.forms import ConfirmForm, EntryForm, ReplyForm
from coachapp.journal.models import JournalEntry
from coachapp.journal.services import (
    EntryConflict,
    add_reply,
    answer_to,
    delete_entry,
    followed_programmes,
    get_own_entry_or_404,
    get_own_reply_or_404,
    get_released_prompt_or_404,
    get_shared_entry_or_404,
    mark_read,
    own_entries,
    save_entry,
    share_entry,
    signed_in_adult_or_404,
    unshare_entry,
    write_entry,
)
from coachapp.templating import format_datetime

CONFLICT_MESSAGE = (
    "This entry was saved somewhere else (another tab or window) after you opened it. "
    "Press Save to see both versions side by side; nothing you typed is lost."
)

# The writer's pages


@bp.route("/portal/journal/")
@client_required
def portal_index():
    """The adult's programmes with today's prompt and the earlier ones, and their entries."""
    adult = signed_in_adult_or_404()
    entries = own_entries(adult)
    return render_template(
        "journal/index.html",
        programmes=followed_programmes(adult, entries),
        entries=entries,
    )


@bp.route("/portal/journal/new", methods=["GET", "POST"])
@bp.route("/portal/journal/enrolments/<int:enrolment_id>/prompts/<int:prompt_id>/answer",
          methods=["GET", "POST"])
@client_required
def portal_write(enrolment_id: int | None = None, prompt_id: int | None = None):
    """Write freely, or answer a prompt already released; one answer per prompt."""
    adult = signed_in_adult_or_404()
    enrolment = prompt = answered = None
    if enrolment_id is not None:
        enrolment, prompt = get_released_prompt_or_404(adult, enrolment_id, prompt_id)
        answered = answer_to(adult, enrolment, prompt)
        if answered is not None and request.method == "GET":
            return redirect(url_for("journal.portal_edit", entry_id=answered.id))
    form = EntryForm()
    if answered is not None and form.validate_on_submit():
        # Answered meanwhile (another tab, or kept work saved late): both texts, none lost.
        return _conflict_page(answered, form)
    if form.validate_on_submit():
        title = (form.title.data or "").strip() or (prompt.title if prompt else "")
        entry = write_entry(adult, title, form.body.data, enrolment, prompt)
        db.session.commit()
        flash("Saved. Only you can read it unless you share it with your coach.", "success")
        target = "journal.portal_entry" if form.save_and_close.data else "journal.portal_edit"
        return redirect(url_for(target, entry_id=entry.id))
    return render_template(
        "journal/edit.html", form=form, entry=None, prompt=prompt, enrolment=enrolment
    ), 400 if form.errors else 200


@bp.route("/portal/journal/entries/<int:entry_id>")
@client_required
def portal_entry(entry_id: int):
    """One entry as it reads, with the coach's replies under it."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    return render_template("journal/entry.html", entry=journal_entry, form=ConfirmForm())


@bp.route("/portal/journal/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@client_required
def portal_edit(entry_id: int):
    """Change an entry; a save based on an older version shows both texts instead."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    if request.method == "GET":
        form = EntryForm(data={"title": journal_entry.title, "body": journal_entry.body,
                               "version": journal_entry.version})
    else:
        form = EntryForm()
    if form.validate_on_submit():
        try:
            changed = _save(journal_entry, form)
        except EntryConflict:
            db.session.rollback()
            return _conflict_page(journal_entry, form)
        db.session.commit()
        flash("Saved." if changed else "Nothing had changed since the last save.",
              "success" if changed else "info")
        target = "journal.portal_entry" if form.save_and_close.data else "journal.portal_edit"
        return redirect(url_for(target, entry_id=journal_entry.id))
    return render_template(
        "journal/edit.html", form=form, entry=journal_entry, prompt=journal_entry.prompt,
        enrolment=journal_entry.enrolment,
    ), 400 if form.errors else 200


def _save(journal_entry: JournalEntry, form: EntryForm) -> bool:
    title = (form.title.data or "").strip()
    return save_entry(journal_entry, title, form.body.data, form.version.data)


def _conflict_page(journal_entry: JournalEntry, form: EntryForm):
    """Theirs as saved, yours in a form that can still be saved: nothing is lost."""
    yours = EntryForm(
        formdata=None,
        data={"title": form.title.data, "body": form.body.data, "version": journal_entry.version},
    )
    return render_template("journal/conflict.html", entry=journal_entry, form=yours), 409


@bp.post("/portal/journal/entries/<int:entry_id>/autosave")
@client_required
def portal_autosave(entry_id: int):
    """Save the editor's text as the adult types (JSON); the same conflict rule as Save."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    form = EntryForm()
    if not form.validate():
        errors = [error for errors in form.errors.values() for error in errors]
        return jsonify(ok=False, message="Not saved yet: " + " ".join(errors)), 400
    try:
        changed = _save(journal_entry, form)
    except EntryConflict:
        db.session.rollback()
        conflict = {"conflict": True, "version": journal_entry.version, "message": CONFLICT_MESSAGE}
        return jsonify(ok=False, **conflict), 409
    db.session.commit()
    return jsonify(
        ok=True,
        changed=changed,
        version=journal_entry.version,
        message="Saved at " + format_datetime(journal_entry.updated_at, "%H:%M") + ".",
    )


@bp.post("/portal/journal/entries/<int:entry_id>/share")
@client_required
def portal_share(entry_id: int):
    """Share the entry with the coach."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    if _confirmed():
        share_entry(journal_entry)
        db.session.commit()
        flash("Shared with your coach. You can stop sharing it at any time.", "success")
    return redirect(url_for("journal.portal_entry", entry_id=journal_entry.id))


@bp.post("/portal/journal/entries/<int:entry_id>/unshare")
@client_required
def portal_unshare(entry_id: int):
    """Take the entry back: the coach no longer sees it anywhere."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    if _confirmed():
        unshare_entry(journal_entry)
        db.session.commit()
        flash("No longer shared: your coach cannot see this entry any more.", "success")
    return redirect(url_for("journal.portal_entry", entry_id=journal_entry.id))


@bp.route("/portal/journal/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@client_required
def portal_delete(entry_id: int):
    """Ask first, then delete the entry and any replies to it."""
    journal_entry = get_own_entry_or_404(signed_in_adult_or_404(), entry_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        delete_entry(journal_entry)
        db.session.commit()
        flash("The entry has been deleted.", "success")
        return redirect(url_for("journal.portal_index"))
    return render_template("journal/delete.html", entry=journal_entry, form=form)


def _confirmed() -> bool:
    if ConfirmForm().validate_on_submit():
        return True
    flash("The page was out of date; try again.", "error")
    return False


# The coach's pages


@bp.route("/journal/entries/<int:entry_id>", methods=["GET", "POST"])
@coach_required
def coach_entry(entry_id: int):
    """A shared entry, its replies and a form to reply; opening it marks it read."""
    journal_entry = get_shared_entry_or_404(current_user, entry_id)
    form = ReplyForm()
    if form.validate_on_submit():
        add_reply(journal_entry, current_user, form.body.data)
        mark_read(journal_entry)
        db.session.commit()
        flash("Your reply is under the entry in their portal.", "success")
        return redirect(url_for("journal.coach_entry", entry_id=journal_entry.id))
    page = render_template("journal/coach_entry.html", entry=journal_entry, form=form)
    status = 400 if form.errors else 200
    mark_read(journal_entry)
    db.session.commit()  # after rendering, so the page still shows it as new this once
    return page, status


@bp.route("/journal/replies/<int:reply_id>/edit", methods=["GET", "POST"])
@coach_required
def edit_reply(reply_id: int):
    """Change one's own reply; the writer reads the new text under their entry."""
    reply = get_own_reply_or_404(current_user, reply_id)
    form = ReplyForm(obj=reply)
    if form.validate_on_submit():
        reply.body = form.body.data
        db.session.commit()
        flash("Reply changed.", "success")
        return redirect(url_for("journal.coach_entry", entry_id=reply.entry_id))
    return render_template(
        "journal/reply_form.html", reply=reply, form=form, delete_form=ConfirmForm(formdata=None)
    ), 400 if form.errors else 200


@bp.post("/journal/replies/<int:reply_id>/delete")
@coach_required
def delete_reply(reply_id: int):
    """Take one's own reply away from under the entry."""
    reply = get_own_reply_or_404(current_user, reply_id)
    entry_id = reply.entry_id
    if _confirmed():
        db.session.delete(reply)
        db.session.commit()
        flash("Reply deleted.", "success")
    return redirect(url_for("journal.coach_entry", entry_id=entry_id))
