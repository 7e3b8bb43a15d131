"""Journal entries on the blog: the writer agrees (or no longer agrees) in the portal, and
the coach makes a draft post from an entry its writer agreed to share."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user

from coachapp.access import client_required, coach_required
from coachapp.blog.blueprints import journal_sharing_bp as bp
from coachapp.blog.blueprints import posts_bp
from coachapp.blog.forms import ConfirmForm
from coachapp.blog.journal_consents import (
    JournalConsentRefused,
    give_journal_consent,
    public_sharing,
    withdraw_journal_consent,
)
from coachapp.blog.journal_posts import (
    get_coach_shared_entry_or_404,
    get_written_entry_or_404,
    post_from_journal_entry,
)
from coachapp.blog.publishing import PublishRefused, profile_replacement_words
from coachapp.blog.services import blog_profile
from coachapp.extensions import db

# The partials journal pages include call this with their entry.
bp.add_app_template_global(public_sharing, "journal_public_sharing")


@bp.post("/<int:entry_id>/public-consent")
@client_required
def give_consent(entry_id: int):
    """The writer agrees to their entry, as it reads now, being shared without their name."""
    entry = get_written_entry_or_404(entry_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            give_journal_consent(entry, entry.adult)
        except JournalConsentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                "Thank you. Your coach may now share this answer on the blog, without your "
                "name. You can take your agreement back at any time.",
                "success",
            )
    return _back_to_entry()


@bp.post("/<int:entry_id>/public-consent/withdraw")
@client_required
def withdraw_consent(entry_id: int):
    """The writer takes their agreement back; anything published from the entry goes offline."""
    entry = get_written_entry_or_404(entry_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            taken_down = withdraw_journal_consent(entry)
        except JournalConsentRefused as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            offline = " It has been taken off the blog." if taken_down else ""
            flash(f"Your agreement is withdrawn.{offline}", "success")
    return _back_to_entry()


@posts_bp.post("/from-journal/<int:entry_id>")
@coach_required
def from_journal(entry_id: int):
    """Make an anonymised draft post from the version of the entry its writer agreed to."""
    entry = get_coach_shared_entry_or_404(entry_id, current_user)
    if not ConfirmForm().validate_on_submit():
        return _back_to_entry()
    words = profile_replacement_words(blog_profile(current_user))
    try:
        post = post_from_journal_entry(entry, current_user, words)
    except PublishRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_entry()
    db.session.commit()
    flash(
        "A draft post was made from the entry as its writer agreed to it, with names "
        "replaced. Read it through before publishing: the checker marks anything that "
        "still identifies the family.",
        "success",
    )
    return redirect(url_for("posts.edit", post_id=post.id))


def _back_to_entry():
    """Back to the page the button was on (the entry's own page), else the person's start."""
    came_from = urlsplit(request.referrer or "")
    if came_from.netloc == request.host and came_from.path.startswith("/"):
        return redirect(came_from.path)
    home = "posts.index" if current_user.is_coach else "portal.index"
    if current_user.is_client and "journal.portal_index" in current_app.view_functions:
        home = "journal.portal_index"
    return redirect(url_for(home))
