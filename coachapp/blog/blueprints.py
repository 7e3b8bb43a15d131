"""The blog pages' blueprints, on which the views register."""

from flask import Blueprint

# Pages anyone may read: the blog, its feeds, sitemap.xml and robots.txt.
bp = Blueprint("blog", __name__)
# The coach's desk: writing and publishing posts, categories and series, the author profile.
posts_bp = Blueprint("posts", __name__, url_prefix="/posts")
# The coach's moderation queue for readers' comments.
comments_bp = Blueprint("comments", __name__, url_prefix="/comments")
# A client's agreement to share one of their journal entries on the blog, from the portal.
journal_sharing_bp = Blueprint("journal_sharing", __name__, url_prefix="/portal/journal")
