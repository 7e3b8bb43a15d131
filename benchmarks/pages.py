"""How fast the coach's busiest pages are with a large practice, relative to /account.

Seeds one coach with 1,000 clients and 10,000 sessions (with topics and action items) in a
throwaway database, signs in, and times each page with Flask's test client. It prints the
median of each page and its ratio to the median of /account, the trivial signed-in page
(the same sign-in check and layout, no coaching data), measured in the same run.
Goal: every ratio at most 3.

    .venv/bin/python benchmarks/pages.py                 # SQLite in a temporary folder
    .venv/bin/python benchmarks/pages.py --database-url postgresql://user@host/empty_db
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert, select

from coachapp import create_app
from coachapp.auth.services import create_coach
from coachapp.clients.models import Child, Client
from coachapp.coaching.models import (
    ActionItem,
    CoachingSession,
    Topic,
    coaching_session_topics,
)
from coachapp.coaching.search import reindex_sessions
from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER

GOAL_RATIO = 3.0
PASSWORD = "benchmark-password"  # noqa: S105  (a throwaway database)
# Notes read like prose: a large vocabulary of everyday words (made-up syllable words stand
# in for it) with a few themes that recur, so a search matches some sessions, not all.
THEMES = (
    "guilt", "nursery", "sleep", "career", "custody", "weekend", "relapse", "sponsor", "school",
    "patience", "grandparents", "boundaries", "confidence", "bedtime", "homework", "anger", "calm",
)
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro"
VOCABULARY = [a + b + c for a in SYLLABLES.split()[:14] for b in SYLLABLES.split()
              for c in ("", "n", "s")][:3000]


def _note(rng: random.Random, length: int) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(length)]
    for _ in range(2):  # each note touches two themes
        words[rng.randrange(length)] = rng.choice(THEMES)
    return " ".join(words).capitalize() + "."


def seed(client_count: int, sessions_per_client: int) -> int:
    """Create the practice with bulk inserts; return the id of a client to open."""
    rng = random.Random(7)  # noqa: S311  (repeatable sample data, not secrets)
    coach = create_coach("bench@example.com", "Bench Coach", PASSWORD)
    db.session.commit()
    topic_ids = db.session.scalars(select(Topic.id).where(Topic.coach_id == coach.id)).all()
    now = datetime.now(UTC)
    db.session.execute(
        insert(Client),
        [
            {"coach_id": coach.id, "first_name": f"Parent{i}", "last_name": f"Family{i}",
             "email": f"parent{i}@example.com", "created_at": now, "updated_at": now}
            for i in range(client_count)
        ],
    )
    client_ids = db.session.scalars(select(Client.id).where(Client.coach_id == coach.id)).all()
    db.session.execute(
        insert(Child), [{"client_id": cid, "first_name": "Kid", "birth_year": 2018}
                        for cid in client_ids]
    )
    session_rows = [
        {"coach_id": coach.id, "client_id": cid,
         "starts_at": now - timedelta(days=rng.randint(-20, 400), hours=rng.randint(0, 8)),
         "duration_minutes": 60, "private_notes": _note(rng, 120), "summary": _note(rng, 40),
         "created_at": now, "updated_at": now,
         "follow_up_on": (now + timedelta(days=rng.randint(-10, 30))).date()
         if rng.random() < 0.2 else None}
        for cid in client_ids for _ in range(sessions_per_client)
    ]
    db.session.execute(insert(CoachingSession), session_rows)
    session_ids = db.session.scalars(select(CoachingSession.id)).all()
    db.session.execute(
        insert(ActionItem),
        [{"coaching_session_id": sid, "position": 0, "text": _note(rng, 8),
          "due_on": (now + timedelta(days=rng.randint(-30, 30))).date(),
          "done_at": now if rng.random() < 0.8 else None}  # most steps get done
         for sid in session_ids],
    )
    db.session.execute(
        insert(coaching_session_topics),
        [{"coaching_session_id": sid, "topic_id": rng.choice(topic_ids)} for sid in session_ids],
    )
    connection = db.session.connection()
    for start in range(0, len(session_ids), 1000):
        reindex_sessions(connection, set(session_ids[start : start + 1000]))
    db.session.commit()
    return client_ids[len(client_ids) // 2]


def median_seconds(http, path: str, repeat: int) -> float:
    """Median wall time of GET ``path`` after two warm-up requests."""
    for _ in range(2):
        assert http.get(path).status_code == 200, path
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = http.get(path)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, path
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--sessions-per-client", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="coachapp-bench-"))
    url = options.database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "benchmark-" * 4,
                      "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER))
        started = time.perf_counter()
        client_id = seed(options.clients, options.sessions_per_client)
        print(f"seeded {options.clients} clients and "
              f"{options.clients * options.sessions_per_client} sessions "
              f"in {time.perf_counter() - started:.1f}s on {db.engine.dialect.name}")

    http = app.test_client()
    http.post("/login", data={"email": "bench@example.com", "password": PASSWORD})
    baseline = median_seconds(http, "/account", options.repeat)
    pages = {
        "dashboard": "/dashboard",
        "client timeline": f"/clients/{client_id}",
        "client list": "/clients/",
        "search": "/search?q=nursery+guilt",
    }
    print(f"{'page':<18}{'median ms':>10}{'ratio':>8}   (goal: ratio <= {GOAL_RATIO:g})")
    print(f"{'/account':<18}{baseline * 1000:>10.2f}{1:>8.2f}")
    worst = 0.0
    for name, path in pages.items():
        seconds = median_seconds(http, path, options.repeat)
        ratio = seconds / baseline
        worst = max(worst, ratio)
        print(f"{name:<18}{seconds * 1000:>10.2f}{ratio:>8.2f}")
    print(f"worst ratio {worst:.2f}: {'within' if worst <= GOAL_RATIO else 'ABOVE'} the goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
