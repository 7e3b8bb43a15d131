"""How many readers the public blog serves, relative to /healthz, with a large blog.

Seeds a practice with 500 public posts (30 of them a "30 day challenge" series, every post
tagged and filed in a category) and 5,000 approved comments in a throwaway database,
serves the app with a real threaded WSGI server on 127.0.0.1, and loads it from a second
process over a few concurrent HTTP connections. It prints the requests per second of
/healthz (the trivial page: one database round trip, no template) and of the post page,
the blog home and the Atom feed, each as a ratio to /healthz measured in the same run.
Goal: every ratio at least 0.5.

    .venv/bin/python benchmarks/blog.py                 # SQLite in a temporary folder
    .venv/bin/python benchmarks/blog.py --database-url postgresql://user@host/empty_db
"""

import argparse
import http.client
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import insert, select
from werkzeug.serving import WSGIRequestHandler, make_server

from coachapp import create_app
from coachapp.auth.services import create_coach
from coachapp.blog.models import (
    BlogProfile,
    Category,
    Comment,
    CommentStatus,
    Post,
    PostStatus,
    PostTag,
    Series,
    post_tag_links,
)
from coachapp.extensions import db, init_migrations
from coachapp.paths import MIGRATIONS_FOLDER

GOAL_RATIO = 0.5
SERIES_PARTS = 30
PARAGRAPH = (
    "Some evenings are heavier than others. What you told me about bedtime, the tiredness "
    "and the small arguments over teeth and pyjamas is something I hear from many parents, "
    "and none of it means you are failing your children. It means you are tired, and that "
    "you care. Tonight, try one small thing: *sit on the floor* for five minutes before "
    "the routine starts, and let your child lead the play."
)
BODY = "\n\n".join(
    [
        "## Where the evening goes wrong",
        *[PARAGRAPH] * 3,
        "- Put your phone in another room.\n- Say what comes next, twice.\n- Breathe out first.",
        "## What you can try tonight",
        *[PARAGRAPH] * 3,
        "> You are your child's perfect parent because you are theirs.",
    ]
)


class QuietHandler(WSGIRequestHandler):
    """The development server's handler without a log line per request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def seed(post_count: int, comment_count: int) -> str:
    """Create the blog with bulk inserts; return the path of a series post to load."""
    coach = create_coach(
        "bench@example.com", "Bench Coach", "benchmark-password",
        practice_name="Harbour Parent Coaching", bio="I was a midwife for twelve years.",
    )
    db.session.flush()
    practice_id = coach.practice_id
    db.session.add(
        BlogProfile(
            coach_id=coach.id,
            social_links="Instagram https://instagram.com/harbour\nFacebook facebook.com/harbour",
        )
    )
    categories = [
        Category(practice_id=practice_id, name=name, slug=name.lower().replace(" ", "-"))
        for name in ("Calm evenings", "Returning to work", "Grandparents")
    ]
    tags = [PostTag(practice_id=practice_id, name=name, slug=name)
            for name in ("guilt", "bedtime", "sleep", "anger", "school")]
    series = Series(practice_id=practice_id, title="30 day challenge", slug="30-day-challenge",
                    description="One small step a day.", planned_parts=SERIES_PARTS)
    db.session.add_all([*categories, *tags, series])
    db.session.flush()
    now = datetime.now(UTC)
    db.session.execute(
        insert(Post),
        [
            {
                "author_id": coach.id, "title": f"Letter {number}: evenings again",
                "slug": f"letter-{number}", "excerpt": "For the parent who dreads bedtime.",
                "body": BODY, "status": PostStatus.PUBLISHED,
                "publish_at": now - timedelta(days=number, hours=1),
                "category_id": categories[number % len(categories)].id,
                "series_id": series.id if number < SERIES_PARTS else None,
                "series_position": SERIES_PARTS - number if number < SERIES_PARTS else None,
            }
            for number in range(post_count)
        ],
    )
    post_ids = db.session.scalars(select(Post.id).order_by(Post.id)).all()
    db.session.execute(
        insert(post_tag_links),
        [{"post_id": post_id, "tag_id": tags[post_id % len(tags)].id} for post_id in post_ids],
    )
    db.session.execute(
        insert(Comment),
        [
            {"post_id": post_ids[number % len(post_ids)], "author_name": f"Reader {number}",
             "body": "Thank you, this helped tonight.", "status": CommentStatus.APPROVED,
             "created_at": now - timedelta(minutes=number)}
            for number in range(comment_count)
        ],
    )
    db.session.commit()
    return f"/blog/letter-{SERIES_PARTS // 2}"


def serve(app) -> tuple[int, object]:
    """Run the app on a free port of 127.0.0.1 in a threaded WSGI server; its port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_port, server


def _fetch(port: int, path: str, count: int, failures: list) -> None:
    """GET ``path`` ``count`` times, reconnecting whenever the server closes the connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(count):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            failures.append(f"{path}: {response.status}")
        if response.will_close:
            connection.close()
    connection.close()


def requests_per_second(port: int, path: str, requests: int, connections: int) -> float:
    """Requests per second for ``requests`` GETs of ``path`` over concurrent connections."""
    failures: list[str] = []
    threads = [
        threading.Thread(target=_fetch, args=(port, path, requests // connections, failures))
        for _ in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests, e.g. {failures[0]}")
    return (requests // connections) * connections / elapsed


def load(port: int, paths: list[str], options: dict, results) -> None:
    """The second process: warm up, then measure every path in interleaved rounds."""
    for path in paths:
        requests_per_second(port, path, options["connections"] * 3, options["connections"])
    rounds: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(options["rounds"]):
        for path in paths:
            rounds[path].append(
                requests_per_second(port, path, options["requests"], options["connections"])
            )
    results.send({path: statistics.median(values) for path, values in rounds.items()})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200, help="per page and round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="coachapp-blog-bench-"))
    url = options.database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "benchmark-" * 4,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER))
        started = time.perf_counter()
        post_path = seed(options.posts, options.comments)
        print(f"seeded {options.posts} posts ({SERIES_PARTS} in a series) and "
              f"{options.comments} comments in {time.perf_counter() - started:.1f}s "
              f"on {db.engine.dialect.name}")

    port, server = serve(app)
    pages = {"/healthz": "/healthz", "post page": post_path, "blog home": "/blog/",
             "Atom feed": "/blog/feed.atom"}
    receiver, sender = multiprocessing.Pipe(duplex=False)
    worker = multiprocessing.get_context("spawn").Process(
        target=load,
        args=(port, list(pages.values()),
              {"requests": options.requests, "connections": options.connections,
               "rounds": options.rounds}, sender),
    )
    worker.start()
    results = receiver.recv()
    worker.join()
    server.shutdown()

    print(f"load: a second process, {options.connections} concurrent connections, "
          f"{options.requests} requests per page per round, median of {options.rounds} rounds")
    baseline = results["/healthz"]
    print(f"{'page':<12}{'path':<24}{'req/s':>9}{'ratio':>8}   (goal: ratio >= {GOAL_RATIO:g})")
    worst = float("inf")
    for name, path in pages.items():
        ratio = results[path] / baseline
        worst = min(worst, ratio)
        verdict = "" if path == "/healthz" else ("met" if ratio >= GOAL_RATIO else "NOT met")
        print(f"{name:<12}{path:<24}{results[path]:>9.1f}{ratio:>8.2f}   {verdict}")
    print(f"worst ratio {worst:.2f}: goal {'met' if worst >= GOAL_RATIO else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
