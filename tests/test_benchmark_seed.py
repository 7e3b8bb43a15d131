"""The performance suite's practice can still be seeded: a small one, on both databases.

benchmarks/suite.py is not run by the tests (its figures are timings); this keeps its seed
in step with the models, so the suite runs whenever someone reaches for it.
"""

from sqlalchemy import func, select

from benchmarks.seed import PORTAL_EMAIL, seed_practice
from coachapp.clients.models import Adult, Client
from coachapp.coaching.models import CoachingSession
from coachapp.extensions import db


def test_a_small_practice_of_the_performance_suite_is_seeded(app):
    with app.app_context():
        practice = seed_practice(
            clients=5, sessions=60, letters=25, posts=3, comments=6, writers=2
        )
        assert db.session.scalar(select(func.count(CoachingSession.id))) >= 60
        families = db.session.scalars(select(Client)).all()
        assert all(len(family.adults) == 1 for family in families)
        portal = db.session.scalar(select(Adult).where(Adult.email == PORTAL_EMAIL))
        assert portal.user is not None and portal.user.email == PORTAL_EMAIL
        # Every session records its family's adult as attending, as the portal needs.
        unattended = select(func.count(CoachingSession.id)).where(~CoachingSession.attendees.any())
        assert db.session.scalar(unattended) == 0
        assert practice.client_path.startswith("/clients/")
