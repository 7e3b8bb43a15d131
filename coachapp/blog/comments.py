"""Readers' comments: what a post shows, submitting one, and the author's moderation."""

import hashlib
import hmac
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import abort, current_app
from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from coachapp.auth.models import User
from coachapp.blog.models import Comment, CommentStatus, Post
from coachapp.blog.services import blog_profile
from coachapp.extensions import db
from coachapp.timeutil import utcnow

log = logging.getLogger(__name__)

QUEUE_PAGE_SIZE = 50
COMMENT_MAX_CHARS = 5000

# Only web addresses become links, so "javascript:", "data:" and the like stay plain text.
# The first character after // must start a host name: "https://." is not an address.
URL_PATTERN = re.compile(r"\bhttps?://[^\s<>\"'`/?#.][^\s<>\"'`]*", re.IGNORECASE)
# Punctuation that usually ends the sentence around an address rather than the address.
TRAILING_PUNCTUATION = ".,;:!?*"


def approved_comments(post: Post) -> list[Comment]:
    """The post's approved comments and the author's replies, oldest first, in one query."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.post_id == post.id, Comment.status == CommentStatus.APPROVED)
            .order_by(Comment.created_at, Comment.id)
        )
    )


def comment_threads(comments: Iterable[Comment]) -> list[tuple[Comment, list[Comment]]]:
    """Readers' comments in order, each with the author's replies that answer it."""
    comments = list(comments)
    replies: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is not None:
            replies[comment.parent_id].append(comment)
    # A reply whose comment is no longer shown is left out: an answer needs its question.
    return [(comment, replies[comment.id]) for comment in comments if comment.parent_id is None]


# Showing a comment


def render_comment_text(text: str | None) -> Markup:
    """Plain text as safe HTML: paragraphs, line breaks, and web addresses as nofollow links."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [paragraph for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(
            Markup("<br>\n").join(_linkify(line) for line in paragraph.strip().split("\n"))
        )
        for paragraph in paragraphs
    )


def _linkify(line: str) -> Markup:
    """One line of text, escaped, with each web address made a nofollow link."""
    parts: list[Markup] = []
    position = 0
    for match in URL_PATTERN.finditer(line):
        url, trailing = _split_trailing_punctuation(match.group())
        parts.append(escape(line[position : match.start()]))
        if URL_PATTERN.fullmatch(url):
            parts.append(Markup('<a href="{0}" rel="nofollow ugc noopener">{0}</a>').format(url))
        else:
            parts.append(escape(url))
        parts.append(escape(trailing))
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def _split_trailing_punctuation(url: str) -> tuple[str, str]:
    """'https://a.example/x).' → ('https://a.example/x', ').'); balanced brackets stay."""
    end = len(url)
    while end:
        last = url[end - 1]
        unbalanced = last == ")" and url.count("(", 0, end) < url.count(")", 0, end)
        if last not in TRAILING_PUNCTUATION and not unbalanced:
            break
        end -= 1
    return url[:end], url[end:]


def count_links(text: str | None) -> int:
    """How many web addresses the text holds."""
    return len(URL_PATTERN.findall(text or ""))


# Submitting a comment


def sender_hash(remote_addr: str | None, secret_key: str) -> str:
    """A keyed hash of the sender's address: stable per address, and the address is not kept."""
    return hmac.new(secret_key.encode(), (remote_addr or "").encode(), hashlib.sha256).hexdigest()


def rate_limit_wait(sender: str, now: datetime | None = None) -> timedelta | None:
    """How long this sender must wait before commenting again, or None when they may now.

    The comments themselves are counted in the database rather than in this process's
    memory, so the limit holds across several app processes and restarts. Two requests
    racing may both slip through, which is fine for a brake on spam.
    """
    now = now or utcnow()
    limit = current_app.config["COMMENT_RATE_LIMIT"]
    window = timedelta(seconds=current_app.config["COMMENT_RATE_WINDOW_SECONDS"])
    recent = db.session.scalars(
        select(Comment.created_at)
        .where(Comment.sender_hash == sender, Comment.created_at > now - window)
        .order_by(Comment.created_at.desc())
        .limit(limit)
    ).all()
    if not recent or len(recent) < limit:
        return None
    # The sender may comment again once the oldest of these leaves the window.
    return recent[-1] + window - now


def blocked_word_found(text: str, blocked_words: str) -> bool:
    """Whether the text holds one of the words or phrases (one a line), whole and in any case."""
    for line in blocked_words.splitlines():
        words = line.split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"
        if re.search(pattern, text, re.IGNORECASE):
            return True
    return False


def is_known_commenter(author: User, email: str) -> bool:
    """Whether a comment from this e-mail was approved on any of the author's posts."""
    if not email:
        return False
    found = db.session.scalar(
        select(Comment.id)
        .join(Comment.post)
        .where(
            Post.author_id == author.id,
            Comment.status == CommentStatus.APPROVED,
            func.lower(Comment.author_email) == email.lower(),
        )
        .limit(1)
    )
    return found is not None


def initial_status(post: Post, author_name: str, author_email: str, body: str) -> CommentStatus:
    """Spam with a blocked word; approved from an e-mail the author trusts; else pending."""
    profile = blog_profile(post.author)
    if blocked_word_found("\n".join((author_name, author_email, body)), profile.blocked_words):
        return CommentStatus.SPAM
    if profile.approve_known_commenters and is_known_commenter(post.author, author_email):
        return CommentStatus.APPROVED
    return CommentStatus.PENDING


def submit_comment(
    post: Post, author_name: str, author_email: str, body: str, sender: str
) -> Comment:
    """Store a reader's comment with the status the author's settings give it (flushed)."""
    now = utcnow()
    status = initial_status(post, author_name, author_email, body)
    comment = Comment(
        post_id=post.id,
        author_name=author_name,
        author_email=author_email,
        body=body,
        status=status,
        sender_hash=sender,
        created_at=now,
        approved_at=now if status is CommentStatus.APPROVED else None,
    )
    db.session.add(comment)
    db.session.flush()
    log.info("Comment %s on post %s received as %s", comment.id, post.id, status.value)
    return comment


# The author's moderation


def moderation_counts(coach: User) -> dict[CommentStatus, int]:
    """How many comments on the coach's posts are pending, approved and spam (one query)."""
    rows = db.session.execute(
        select(Comment.status, func.count(Comment.id))
        .join(Comment.post)
        .where(Post.author_id == coach.id)
        .group_by(Comment.status)
    ).all()
    counts = dict.fromkeys(CommentStatus, 0)
    counts.update({status: count for status, count in rows})
    return counts


def pending_comment_count(coach: User) -> int:
    """How many comments on the coach's posts wait for the coach (one query)."""
    count = db.session.scalar(
        select(func.count(Comment.id))
        .join(Comment.post)
        .where(Post.author_id == coach.id, Comment.status == CommentStatus.PENDING)
    )
    return count or 0


def moderation_queue(coach: User, status: CommentStatus, page: int = 1) -> Pagination:
    """Comments with this status on the coach's posts, newest first, with their posts."""
    statement = (
        select(Comment)
        .join(Comment.post)
        .options(contains_eager(Comment.post))
        .where(Post.author_id == coach.id, Comment.status == status)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
    return db.paginate(statement, page=page, per_page=QUEUE_PAGE_SIZE, error_out=False)


def get_comment_or_404(comment_id: int, coach: User) -> Comment:
    """A comment on one of the coach's own posts; any other comment is a 404."""
    comment = db.session.scalar(
        select(Comment)
        .join(Comment.post)
        .options(contains_eager(Comment.post))
        .where(Comment.id == comment_id, Post.author_id == coach.id)
    )
    if comment is None:
        abort(404)
    return comment


def approve_comment(comment: Comment, now: datetime | None = None) -> None:
    """Publish the comment under its post."""
    comment.status = CommentStatus.APPROVED
    comment.approved_at = now or utcnow()
    log.info("Comment %s on post %s published", comment.id, comment.post_id)


def mark_as_spam(comment: Comment) -> None:
    """Take the comment off the post and keep it with the spam."""
    comment.status = CommentStatus.SPAM
    comment.approved_at = None
    log.info("Comment %s on post %s marked as spam", comment.id, comment.post_id)


def delete_comment(comment: Comment) -> None:
    """Delete the comment for good; the database deletes the author's replies to it too."""
    comment_id, post_id = comment.id, comment.post_id
    db.session.delete(comment)
    db.session.flush()
    log.info("Comment %s on post %s deleted with its replies", comment_id, post_id)


def reply_as_author(
    comment: Comment, coach: User, body: str, now: datetime | None = None
) -> Comment:
    """Publish the coach's reply under a reader's comment, publishing that comment too.

    Replying to a reply answers the reader's comment it belongs to, so threads stay one deep.
    """
    now = now or utcnow()
    if comment.status is not CommentStatus.APPROVED:
        approve_comment(comment, now)
    reply = Comment(
        post_id=comment.post_id,
        parent_id=comment.parent_id or comment.id,
        author_name=coach.name[:80],
        author_email="",
        body=body,
        status=CommentStatus.APPROVED,
        user_id=coach.id,
        created_at=now,
        approved_at=now,
    )
    db.session.add(reply)
    db.session.flush()
    log.info("Coach %s replied to comment %s as %s", coach.id, reply.parent_id, reply.id)
    return reply
