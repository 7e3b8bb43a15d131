"""The public front page and /healthz."""

from flask import Response, jsonify, render_template, request
from sqlalchemy import select

from coachapp.access import public_view
from coachapp.auth.models import Practice, Role, User
from coachapp.blog.services import newest_public_posts
from coachapp.extensions import db
from coachapp.health import database_status
from coachapp.public.blueprints import bp

FRONT_PAGE_POSTS = 3


@bp.route("/")
@public_view
def home():
    """The practice's front door: who the coaches are, the newest posts, a way to sign in."""
    practice = db.session.scalars(select(Practice).order_by(Practice.id).limit(1)).first()
    coaches = []
    if practice is not None:
        coaches = db.session.scalars(
            select(User)
            .where(User.practice_id == practice.id, User.role == Role.COACH, User.active)
            .order_by(User.is_owner.desc(), User.name)
        ).all()
    return render_template(
        "public/home.html",
        practice=practice,
        coaches=coaches,
        posts=newest_public_posts(FRONT_PAGE_POSTS),
    )


@bp.route("/healthz")
@public_view
def healthz():
    """A JSON health report for load balancers: 200 when the database answers, else 503."""
    status = database_status()
    healthy = status["database"] == "ok" and status["schema"] == "current"
    return jsonify(status="ok" if healthy else "unavailable", **status), 200 if healthy else 503


def answer_health_checks_first() -> tuple[Response, int] | None:
    """The first request hook: /healthz answers before the session's timeouts, sign-in,
    CSRF, rate limits and kept work are looked at, none of which it needs."""
    if request.endpoint == "public.healthz":
        return healthz()
    return None
