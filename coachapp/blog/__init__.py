"""The public blog and the coach's side of it: posts, publishing, comments."""

from coachapp.blog import (  # noqa: F401  (routes; consent_views adds the letter page's)
    comment_views,
    consent_views,
    journal_views,
    models,
    post_views,
    public_views,
    taxonomy_views,
)
from coachapp.blog.blueprints import (  # noqa: F401  (registered by create_app)
    bp,
    comments_bp,
    journal_sharing_bp,
    posts_bp,
)
