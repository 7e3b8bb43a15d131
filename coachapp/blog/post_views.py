"""The coach's desk for the blog: posts, publishing, categories and series, the profile."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from coachapp.access import coach_required
from coachapp.blog.blueprints import posts_bp as bp
from coachapp.blog.consent_rules import joint_consent
from coachapp.blog.forms import (
    ConfirmForm,
    FromLetterForm,
    PostForm,
    ProfileForm,
    PublishForm,
)
from coachapp.blog.models import PostStatus
from coachapp.blog.post_services import (
    PostChanges,
    apply_post_changes,
    category_choices,
    delete_post,
    new_post,
    series_choices,
    update_profile,
)
from coachapp.blog.publishing import (
    CHECKED_FIELDS,
    REPLACEMENT_FIELDS,
    PublishRefused,
    author_posts,
    check_post,
    consent_for_post,
    get_own_post_or_404,
    journal_consent_for_post,
    post_consent,
    post_from_letter,
    publish_post,
    replacement_words,
    unpublish_post,
)
from coachapp.blog.services import blog_profile
from coachapp.extensions import db
from coachapp.letters.letterhead import remove_image_files
from coachapp.letters.services import get_letter_or_404
from coachapp.richtext import render_markdown
from coachapp.templating import user_zone
from coachapp.timeutil import utcnow

STATUS_TABS = ("all", *(status.value for status in PostStatus))


@bp.route("/")
@coach_required
def index():
    """The coach's posts, by status."""
    status = request.args.get("status", "all")
    if status not in STATUS_TABS:
        status = "all"
    return render_template(
        "posts/index.html",
        posts=author_posts(current_user, status),
        status=status,
        tabs=STATUS_TABS,
        now=utcnow(),
    )


@bp.route("/new", methods=["GET", "POST"])
@coach_required
def create():
    """Write a post from scratch."""
    post = new_post(current_user)
    form = _post_form(post)
    if form.validate_on_submit():
        discarded = apply_post_changes(post, PostChanges.from_form(form), current_user)
        db.session.add(post)
        db.session.commit()
        remove_image_files(discarded)
        _flash_slug(form, post)
        flash("Draft saved. Publish it when it is ready.", "success")
        return redirect(url_for(".edit", post_id=post.id))
    return _editor(post, form, status=422 if form.errors else 200)


@bp.route("/<int:post_id>/edit", methods=["GET", "POST"])
@coach_required
def edit(post_id: int):
    """Change a post; a public post is saved only while nothing identifying is in it."""
    post = get_own_post_or_404(post_id, current_user)
    form = _post_form(post)
    if form.validate_on_submit():
        if post.is_public(utcnow()) or post.status is PostStatus.SCHEDULED:
            report = check_post(post, PostChanges.from_form(form).checked_values())
            if not report.clean:
                form.form_errors.append(
                    f"{report.summary()} The post is online, so these changes were not "
                    "saved: take the words out, then save again."
                )
                return _editor(post, form, report=report, status=422)
        discarded = apply_post_changes(post, PostChanges.from_form(form), current_user)
        db.session.commit()
        remove_image_files(discarded)
        _flash_slug(form, post)
        flash("Post saved.", "success")
        return redirect(url_for(".edit", post_id=post.id))
    return _editor(post, form, status=422 if form.errors else 200)


@bp.post("/<int:post_id>/publish")
@coach_required
def publish(post_id: int):
    """Publish the post now or schedule it; refused with the reason and the hits shown."""
    post = get_own_post_or_404(post_id, current_user)
    publish_form = PublishForm()
    if not publish_form.validate():
        return _editor(post, _post_form(post), publish_form=publish_form, status=422)
    when = publish_form.scheduled_for(user_zone(current_user))
    try:
        publish_post(post, when)
    except PublishRefused as error:
        db.session.rollback()
        publish_form.form_errors.append(str(error))
        return _editor(post, _post_form(post), publish_form=publish_form, status=409)
    db.session.commit()
    if post.status is PostStatus.SCHEDULED:
        flash(f"Scheduled: the post appears on the blog on {_local(post.publish_at)}.", "success")
    else:
        flash("Published. The post is on the blog now.", "success")
    return redirect(url_for(".edit", post_id=post.id))


@bp.post("/<int:post_id>/unpublish")
@coach_required
def unpublish(post_id: int):
    """Take the post off the blog; it stays here to edit or publish again."""
    post = get_own_post_or_404(post_id, current_user)
    if ConfirmForm().validate_on_submit():
        unpublish_post(post, "You unpublished it.")
        db.session.commit()
        flash("The post is no longer on the blog.", "success")
    return redirect(url_for(".edit", post_id=post.id))


@bp.route("/<int:post_id>/delete", methods=["GET", "POST"])
@coach_required
def delete(post_id: int):
    """Delete a post and its comments, after asking."""
    post = get_own_post_or_404(post_id, current_user)
    form = ConfirmForm()
    if form.validate_on_submit():
        title, discarded = post.title, delete_post(post)
        db.session.commit()
        remove_image_files(discarded)
        flash(f"“{title}” was deleted.", "success")
        return redirect(url_for(".index"))
    return render_template("posts/delete.html", post=post, form=form)


@bp.route("/from-letter/<int:letter_id>", methods=["GET", "POST"])
@coach_required
def from_letter(letter_id: int):
    """Make an anonymised draft post from a letter everyone it is written to agreed to share."""
    letter = get_letter_or_404(letter_id)
    consent = joint_consent(letter)
    profile = blog_profile(current_user)
    form = _from_letter_form(profile, letter.client)
    if consent.stands and form.validate_on_submit():
        words = {name: getattr(form, name).data for name in REPLACEMENT_FIELDS}
        letter.client.identifying_words = form.identifying_words.data
        if form.remember.data:
            for name, value in words.items():
                setattr(profile, name, value)
            db.session.add(profile)
        try:
            post = post_from_letter(letter, current_user, replacement_words(words))
        except PublishRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("letters.detail", letter_id=letter.id))
        db.session.commit()
        flash(
            "A draft post was made from the letter, with names replaced. Read it through "
            "before publishing: the checker marks anything that still identifies the family.",
            "success",
        )
        return redirect(url_for(".edit", post_id=post.id))
    status = 422 if form.errors else 200
    page = render_template("posts/from_letter.html", letter=letter, consent=consent, form=form)
    return page, status


@bp.route("/profile", methods=["GET", "POST"])
@coach_required
def profile():
    """The author profile readers see, comment moderation, and the anonymiser's words."""
    current = blog_profile(current_user)
    form = _profile_form(current)
    if form.validate_on_submit():
        discarded = update_profile(current_user, current, form)
        db.session.commit()
        remove_image_files(discarded)
        flash("Your blog profile has been saved.", "success")
        return redirect(url_for(".profile"))
    page = render_template("posts/profile.html", form=form, profile=current)
    return page, 422 if form.errors else 200


def _post_form(post) -> PostForm:
    if request.method == "POST" and request.endpoint in ("posts.create", "posts.edit"):
        form = PostForm()
    else:
        form = PostForm(
            data={
                "title": post.title,
                "slug": post.slug,
                "excerpt": post.excerpt,
                "body": post.body,
                "category_id": post.category_id or 0,
                "tags": ", ".join(tag.name for tag in post.tags),
                "series_id": post.series_id or 0,
                "series_position": post.series_position,
                "cover_image_alt": post.cover_image_alt,
            }
        )
    form.category_id.choices = category_choices(current_user)
    form.series_id.choices = series_choices(current_user)
    form.answer_day = post.answer_day
    return form


def _from_letter_form(profile, client) -> FromLetterForm:
    if request.method == "POST":
        return FromLetterForm()
    data = {name: getattr(profile, name) for name in REPLACEMENT_FIELDS}
    return FromLetterForm(data={**data, "identifying_words": client.identifying_words})


def _profile_form(current) -> ProfileForm:
    if request.method == "POST":
        return ProfileForm()
    fields = (*REPLACEMENT_FIELDS, "social_links", "approve_known_commenters", "blocked_words")
    data = {name: getattr(current, name) for name in fields}
    return ProfileForm(data={**data, "bio": current_user.bio})


def _editor(post, form, publish_form=None, report=None, status: int = 200):
    """The post editor with the checker's report, the publish panel and a preview."""
    report = report or (check_post(post) if post.id else None)
    publish_form = publish_form or PublishForm()
    return render_template(
        "posts/edit.html",
        post=post,
        form=form,
        publish_form=publish_form,
        confirm_form=ConfirmForm(),
        report=report,
        consent=consent_for_post(post) if post.id else None,
        post_consent=post_consent(post) if post.letter_id else None,
        journal_consent=journal_consent_for_post(post) if post.from_journal else None,
        preview=render_markdown(post.body) if post.id else None,
        checked_fields=CHECKED_FIELDS,
        now=utcnow(),
    ), status


def _flash_slug(form: PostForm, post) -> None:
    wanted = form.slug.data
    if wanted and wanted != post.slug:
        flash(f"“{wanted}” was taken or unusable, so the post's address is “{post.slug}”.", "info")


def _local(moment) -> str:
    return moment.astimezone(user_zone(current_user)).strftime("%-d %B %Y at %H:%M")
