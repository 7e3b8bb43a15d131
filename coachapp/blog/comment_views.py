"""Readers' comments: posting one on a public post, and the author's moderation queue."""

import logging
import math
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from werkzeug.exceptions import NotFound, TooManyRequests

from coachapp.access import coach_required, public_view
from coachapp.blog import public_views
from coachapp.blog.blueprints import bp, comments_bp
from coachapp.blog.comment_forms import CommentForm, ReplyForm
from coachapp.blog.comments import (
    approve_comment,
    comment_threads,
    delete_comment,
    get_comment_or_404,
    mark_as_spam,
    moderation_counts,
    moderation_queue,
    rate_limit_wait,
    render_comment_text,
    reply_as_author,
    sender_hash,
    submit_comment,
)
from coachapp.blog.models import CommentStatus, Post
from coachapp.blog.services import get_readable_post_or_404
from coachapp.extensions import db
from coachapp.ids import page_number
from coachapp.security.rate_limits import render_too_many_attempts, seconds_to_wait
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

THANKS_PENDING = "Thank you for your comment. It will appear here once the author has read it."
THANKS_PUBLISHED = "Thank you for your comment. It is now published below the post."
QUEUE_TABS = {
    CommentStatus.PENDING: "Pending",
    CommentStatus.APPROVED: "Approved",
    CommentStatus.SPAM: "Spam",
}
QUEUE_STATUSES = {status.value: status for status in QUEUE_TABS}

bp.add_app_template_filter(render_comment_text, "comment_text")
bp.add_app_template_filter(comment_threads, "comment_threads")


def post_url(post: Post, anchor: str = "comments") -> str:
    """The public page of the post, at its comments (or at one comment)."""
    return url_for("blog.post", slug=post.slug, _anchor=anchor)


# The reader's side


@bp.route("/blog/<slug>/comments", methods=["POST"])
@public_view
def add_comment(slug: str):
    """Take a reader's comment on a public post; it waits for the author unless trusted."""
    post = get_readable_post_or_404(slug)
    form = CommentForm()
    if form.filled_by_robot():
        # The same thanks a person gets, so a robot cannot tell it was caught.
        log.info("Comment on post %s dropped: the trap field was filled in", post.id)
        flash(THANKS_PENDING, "success")
        return redirect(post_url(post), 303)
    sender = sender_hash(request.remote_addr, current_app.config["SECRET_KEY"])
    wait = rate_limit_wait(sender)
    if wait is not None:
        log.info("Comment on post %s refused: too many from one address", post.id)
        return render_rate_limited(post, form, wait)
    if not form.validate_on_submit():
        return public_views.render_post_page(post, comment_form=form, status=422)
    comment = submit_comment(
        post, form.author_name.data, form.author_email.data, form.body.data, sender
    )
    db.session.commit()
    published = comment.status is CommentStatus.APPROVED
    flash(THANKS_PUBLISHED if published else THANKS_PENDING, "success")
    return redirect(post_url(post), 303)


def render_rate_limited(post: Post, form: CommentForm, wait: timedelta):
    """The friendly 429 page: when to try again, with the comment kept to send later."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    page = render_template(
        "errors/429.html",
        error=TooManyRequests(),
        post=post,
        comment_form=form,
        wait_minutes=math.ceil(seconds / 60),
        post_url=post_url(post),
    )
    return page, 429, {"Retry-After": str(seconds)}


@bp.errorhandler(RateLimitExceeded)
def too_many_requests(error: RateLimitExceeded):
    """Past a rate limit on a blog page: a comment's own 429 page keeps the comment."""
    if request.endpoint == "blog.add_comment":
        try:
            post = get_readable_post_or_404((request.view_args or {}).get("slug", ""))
        except NotFound:
            post = None
        if post is not None:
            return render_rate_limited(post, CommentForm(), timedelta(seconds=seconds_to_wait()))
    return render_too_many_attempts(error)


# The author's moderation queue


@comments_bp.route("/")
@coach_required
def index():
    """Comments on the coach's posts: pending (first), approved or spam, with counts."""
    status = QUEUE_STATUSES.get(request.args.get("status", ""), CommentStatus.PENDING)
    return render_template(
        "comments/index.html",
        status=status,
        tabs=QUEUE_TABS,
        counts=moderation_counts(current_user),
        pagination=moderation_queue(current_user, status, page_number(request.args)),
        reply_form=ReplyForm(formdata=None),
        now=utcnow(),
        post_url=post_url,
    )


@comments_bp.route("/<int:comment_id>/approve", methods=["POST"])
@coach_required
def approve(comment_id: int):
    """Publish a comment under its post."""
    comment = get_comment_or_404(comment_id, current_user)
    came_from = comment.status
    approve_comment(comment)
    db.session.commit()
    flash(f"{comment.author_name}'s comment is approved: it shows on the post.", "success")
    return redirect(url_for(".index", status=came_from.value), 303)


@comments_bp.route("/<int:comment_id>/spam", methods=["POST"])
@coach_required
def spam(comment_id: int):
    """Move a comment to spam, off the post."""
    comment = get_comment_or_404(comment_id, current_user)
    came_from = comment.status
    mark_as_spam(comment)
    db.session.commit()
    flash(f"{comment.author_name}'s comment was moved to spam.", "success")
    return redirect(url_for(".index", status=came_from.value), 303)


@comments_bp.route("/<int:comment_id>/delete", methods=["POST"])
@coach_required
def delete(comment_id: int):
    """Delete a comment (and any reply to it) for good."""
    comment = get_comment_or_404(comment_id, current_user)
    came_from, name = comment.status, comment.author_name
    delete_comment(comment)
    db.session.commit()
    flash(f"{name}'s comment was deleted for good.", "success")
    return redirect(url_for(".index", status=came_from.value), 303)


@comments_bp.route("/<int:comment_id>/reply", methods=["POST"])
@coach_required
def reply(comment_id: int):
    """Publish the coach's answer under a reader's comment."""
    comment = get_comment_or_404(comment_id, current_user)
    came_from = comment.status
    form = ReplyForm()
    if not form.validate_on_submit():
        # On its own page, so what the coach typed is kept whatever tab the comment is on.
        return render_template("comments/reply.html", comment=comment, form=form), 422
    reply_as_author(comment, current_user, form.body.data)
    db.session.commit()
    flash(f"Your reply to {comment.author_name} is published on “{comment.post.title}”.", "success")
    return redirect(url_for(".index", status=came_from.value), 303)
