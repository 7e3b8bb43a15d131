"""coachapp's performance suite: a large practice on a real server, one table of ratios.

Seeds a large practice (benchmarks/seed.py: 1,000 clients, 10,000 sessions, 2,000 letters,
500 posts, 5,000 comments) into a throwaway database, serves it with gunicorn on 127.0.0.1
as production does, and loads it from this process with a bounded number of requests. Every
figure is a ratio to something measured in the same run: pages to /healthz (the trivial
endpoint: one database round trip, no template), a letter's PDF to bare WeasyPrint on the
same HTML, start-up to a bare Flask app. It ends with 20 coaches saving their work at once
for 30 s, and checks that no save failed and none was lost.

    .venv/bin/python benchmarks/suite.py                      # SQLite in a temporary folder
    .venv/bin/python benchmarks/suite.py --postgres           # a throwaway PostgreSQL cluster
    .venv/bin/python benchmarks/suite.py --database-url postgresql://user@host/empty_db

It exits with status 1 when a goal is not met.
"""

import argparse
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from flask_login import login_user  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, select, text  # noqa: E402
from sqlalchemy.orm import joinedload  # noqa: E402

from benchmarks.seed import OWNER_EMAIL, PASSWORD, PORTAL_EMAIL, seed_practice  # noqa: E402
from benchmarks.startup import measure_startup  # noqa: E402
from coachapp import create_app  # noqa: E402
from coachapp.auth.models import User  # noqa: E402
from coachapp.coaching.models import CoachingSession  # noqa: E402
from coachapp.extensions import db, init_migrations  # noqa: E402
from coachapp.letters.models import Letter, RenderedPdf  # noqa: E402
from coachapp.letters.rendering import PRINT_STYLESHEETS, letter_html, letter_pdf  # noqa: E402
from coachapp.paths import MIGRATIONS_FOLDER, STATIC_FOLDER  # noqa: E402
from coachapp.portal import services as portal_services  # noqa: E402
from tests.live_server import LiveClient, free_port  # noqa: E402
from tests.postgres import PostgresCluster, why_postgres_unavailable  # noqa: E402

SECRET_KEY = "benchmark-secret-key-" * 3
PAGE_MEDIAN_GOAL = 3.0  # at most this many times the trivial endpoint's median
PUBLIC_THROUGHPUT_GOAL = 0.5  # at least this share of the trivial endpoint's throughput
PDF_RENDER_GOAL = 1.15  # at most this many times bare WeasyPrint
PDF_CACHE_GOAL = 50  # a cached PDF at least this many times faster than a render
ARCHIVE_SECONDS_GOAL = 2.0
STARTUP_GOAL = 2.0
START_TIMEOUT_SECONDS = 60


# The server


class Gunicorn:
    """coachapp under gunicorn on a free port of 127.0.0.1, as the README's Production runs it."""

    def __init__(self, instance: Path, database_url: str, workers: int) -> None:
        self.instance, self.database_url, self.workers = instance, database_url, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("FLASK_") and key not in ("DATABASE_URL",)}
        env.update(
            COACHAPP_INSTANCE_PATH=str(self.instance),
            FLASK_SQLALCHEMY_DATABASE_URI=self.database_url,
            FLASK_SECRET_KEY=SECRET_KEY,
            FLASK_CANONICAL_URL=self.url,
            # Twenty coaches sign in from one address within a second.
            FLASK_RATE_LIMIT_SIGN_IN=json.dumps("1000 per minute"),
        )
        return env

    def __enter__(self) -> "Gunicorn":
        command = [
            sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
            "coachapp:create_app()",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own command line)
                command, cwd=REPO_ROOT, env=self.environment(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_path.read_text()}")
            try:
                if LiveClient(self.url, timeout=2).get("/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.process.kill()
        raise RuntimeError(f"gunicorn did not answer /healthz:\n{self.log_path.read_text()}")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def errors_logged(self) -> list[str]:
        return [line for line in self.log_path.read_text().splitlines()
                if "Traceback" in line or "[ERROR]" in line or "[CRITICAL]" in line]


# Measuring pages


@dataclass
class PageFigures:
    latencies: list[float] = field(default_factory=list)
    throughputs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98]

    @property
    def throughput(self) -> float:
        return statistics.median(self.throughputs)


def get_ok(browser: LiveClient, path: str) -> None:
    response = browser.get(path)
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")


def time_requests(browser: LiveClient, path: str, count: int) -> list[float]:
    """Seconds each of ``count`` GETs of ``path`` took, one after another."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        get_ok(browser, path)
        timings.append(time.perf_counter() - started)
    return timings


def requests_per_second(browser: LiveClient, path: str, count: int, connections: int) -> float:
    """Throughput of ``count`` GETs of ``path`` over ``connections`` concurrent clients."""
    failures: list[BaseException] = []

    def fetch(twin: LiveClient) -> None:
        try:
            for _ in range(count // connections):
                get_ok(twin, path)
        except (OSError, RuntimeError) as error:
            failures.append(error)

    threads = [threading.Thread(target=fetch, args=(browser.copy(),)) for _ in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} clients failed loading {path}: {failures[0]}")
    return count // connections * connections / elapsed


def measure_pages(pages: dict[str, tuple[LiveClient, str]], options) -> dict[str, PageFigures]:
    """Interleaved rounds, so that a machine slowing down slows every page alike."""
    figures = {name: PageFigures() for name in pages}
    for browser, path in pages.values():
        time_requests(browser, path, 5)  # warm up every worker's caches
    for _ in range(options.rounds):
        for name, (browser, path) in pages.items():
            figures[name].latencies += time_requests(browser, path, options.latency_requests)
            figures[name].throughputs.append(requests_per_second(
                browser, path, options.throughput_requests, options.connections))
    return figures


# Documents


def bare_weasyprint(html: str):
    """A function rendering ``html`` with bare WeasyPrint and coachapp's print stylesheets."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from coachapp.documents.weasyprint_engine import PDF_OPTIONS

    font_config = FontConfiguration()
    css = [weasyprint.CSS(filename=str(path), font_config=font_config)
           for path in PRINT_STYLESHEETS]
    base_url = STATIC_FOLDER.as_uri() + "/"
    return lambda: weasyprint.HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=css, font_config=font_config, **PDF_OPTIONS)


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure_letter_pdf(app, coach: LiveClient, letter_id: int, repeat: int) -> dict:
    """A letter's PDF through the app (nothing cached) and bare; then from the cache."""
    path = f"/letters/{letter_id}/pdf"
    with app.app_context():
        bare = bare_weasyprint(letter_html(db.session.get(Letter, letter_id)))

    def forget_cached_pdf() -> None:
        with app.app_context():
            db.session.execute(delete(RenderedPdf).where(RenderedPdf.letter_id == letter_id))
            db.session.commit()

    through_app, bare_times = [], []
    # Four rounds to warm up: each gunicorn worker starts its renderer on its first PDF.
    for round_number in range(repeat + 4):
        forget_cached_pdf()
        app_seconds, bare_seconds = timed(lambda: get_ok(coach, path)), timed(bare)
        if round_number >= 4:
            through_app.append(app_seconds)
            bare_times.append(bare_seconds)
    get_ok(coach, path)  # cached from here on
    downloads = time_requests(coach, path, repeat * 3)
    # The cache itself, without the request around it (signing in, the audit record, the
    # network): what the view does to get the PDF, as the coach who downloads it.
    with app.test_request_context(path):
        login_user(db.session.scalar(select(User).where(User.email == OWNER_EMAIL)))

        def from_cache() -> None:
            db.session.expire_all()
            letter_pdf(db.session.execute(
                select(Letter).options(joinedload(Letter.client)).where(Letter.id == letter_id)
            ).scalar_one())

        cached = [timed(from_cache) for _ in range(repeat * 3)]
    return {"app": statistics.median(through_app), "bare": statistics.median(bare_times),
            "cached": statistics.median(cached), "download": statistics.median(downloads)}


def measure_archive(app, portal: LiveClient) -> dict:
    """The client's whole archive: once to fill the caches, then warm; and its memory."""
    cold = timed(lambda: get_ok(portal, "/portal/download"))
    warm = statistics.median(time_requests(portal, "/portal/download", 3))
    archive = portal.get("/portal/download").body
    with zipfile.ZipFile(io.BytesIO(archive)) as listing:
        sizes = [entry.file_size for entry in listing.infolist() if entry.filename.endswith(".pdf")]
    # The same archive built in this process, where Python's allocations can be traced.
    with app.test_request_context("/portal/download"):
        user = db.session.scalar(select(User).where(User.email == PORTAL_EMAIL))
        login_user(user)
        tracemalloc.start()
        built = portal_services.coaching_archive(portal_services.current_client_or_404())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        built.close()
    return {"cold": cold, "warm": warm, "documents": len(sizes), "largest": max(sizes),
            "total": sum(sizes), "archive": len(archive), "peak": peak}


# Many writers at once


@dataclass
class WriterTally:
    saves: int = 0
    sessions_logged: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    last_letter_body: dict[int, str] = field(default_factory=dict)
    last_notes: dict[int, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def write_for(coach: LiveClient, writer: tuple[str, int, int, int], deadline: float,
              tally: WriterTally) -> None:
    """One signed-in coach saving notes, autosaving a letter and logging sessions until
    ``deadline``."""
    email, client_id, session_id, letter_id = writer
    number = 0

    def expect(response, statuses: tuple[int, ...], what: str) -> bool:
        if response.status in statuses:
            return True
        with tally.lock:
            tally.errors.append(f"{email} {what}: HTTP {response.status}")
        return False

    try:
        letter_form = coach.form(f"/letters/{letter_id}/edit", "letter-form")
        while time.monotonic() < deadline:
            number += 1
            started = time.perf_counter()
            if number % 3 == 1:  # the letter editor's autosave, as the coach types
                letter_form["body"] = f"Dear Writer,\n\nDraft {number} of this letter."
                reply = coach.post_multipart(f"/letters/{letter_id}/autosave", letter_form,
                                             Accept="application/json")
                if expect(reply, (200,), "letter autosave"):
                    letter_form["version"] = str(reply.json()["version"])
                    with tally.lock:
                        tally.last_letter_body[letter_id] = letter_form["body"]
            elif number % 3 == 2:  # the session's notes, saved through the form
                fields = coach.form(f"/sessions/{session_id}/edit", "session-form")
                fields["private_notes"] = f"Notes, version {number}."
                fields["save"] = "Save session"
                if expect(coach.post(f"/sessions/{session_id}/edit", fields), (302,), "notes"):
                    with tally.lock:
                        tally.last_notes[session_id] = fields["private_notes"]
            else:  # a new session for the coach's client
                fields = coach.form(f"/sessions/new?client_id={client_id}", "session-form")
                fields.update(date="2026-11-20", start_time="10:00", end_time="11:00",
                              summary=f"Session {number}.", save="Save session")
                if expect(coach.post("/sessions/new", fields), (302,), "new session"):
                    with tally.lock:
                        tally.sessions_logged += 1
            with tally.lock:
                tally.saves += 1
                tally.latencies.append(time.perf_counter() - started)
    except (OSError, ValueError, KeyError) as error:
        with tally.lock:
            tally.errors.append(f"{email}: {error!r}")


def measure_writers(app, url: str, writers: list, seconds: float) -> dict:
    """All writers at once for ``seconds``; then check that every save is in the database."""
    with app.app_context():
        sessions_before = db.session.query(CoachingSession).count()
    tally = WriterTally()
    coaches = []
    for writer in writers:  # all signed in first, so that all write for the whole time
        coach = LiveClient(url, timeout=60)
        signed_in = coach.sign_in(writer[0], PASSWORD)
        if signed_in.status != 302:
            raise RuntimeError(f"{writer[0]} could not sign in: HTTP {signed_in.status}")
        coaches.append(coach)
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=write_for, args=(coach, writer, deadline, tally))
               for coach, writer in zip(coaches, writers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lost = []
    with app.app_context():
        logged = db.session.query(CoachingSession).count() - sessions_before
        if logged != tally.sessions_logged:
            lost.append(f"{tally.sessions_logged} sessions logged, {logged} in the database")
        for letter_id, body in tally.last_letter_body.items():
            if db.session.get(Letter, letter_id).body != body:
                lost.append(f"letter {letter_id} does not hold its last autosave")
        for session_id, notes in tally.last_notes.items():
            if db.session.get(CoachingSession, session_id).private_notes != notes:
                lost.append(f"session {session_id} does not hold its last notes")
    return {"saves": tally.saves, "errors": tally.errors, "lost": lost,
            "p99": statistics.quantiles(tally.latencies, n=100)[98] if tally.latencies else 0}


# The table


def machine_description(app) -> str:
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            version = db.session.scalar(text("select sqlite_version()"))
        else:
            version = db.session.scalar(text("show server_version")).split()[0]
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    return (f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores ({cpu}), "
            f"{memory_kib / 2**20:.0f} GiB, Python {platform.python_version()}, "
            f"{dialect} {version}")


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(pages: dict[str, PageFigures], kinds: dict[str, str], operations: list) -> bool:
    """The one table; returns whether every goal is met."""
    baseline = pages["/healthz"]
    all_met = True
    print(f"{'page':<22}{'median':>9}{'p99':>9}{'req/s':>8}  {'median':>7}{'p99':>7}"
          f"{'req/s':>7}   goal")
    print(f"{'':<22}{'ms':>9}{'ms':>9}{'':>8}  {'(ratio to /healthz)':>21}")
    for name, page in pages.items():
        ratios = (page.median / baseline.median, page.p99 / baseline.p99,
                  page.throughput / baseline.throughput)
        if kinds[name] == "median":
            met = ratios[0] <= PAGE_MEDIAN_GOAL
            goal = f"median <= {PAGE_MEDIAN_GOAL:g}x  {verdict(met)}"
        elif kinds[name] == "throughput":
            met = ratios[2] >= PUBLIC_THROUGHPUT_GOAL
            goal = f"req/s >= {PUBLIC_THROUGHPUT_GOAL:g}x  {verdict(met)}"
        else:
            met, goal = True, "(the trivial endpoint)"
        all_met &= met
        print(f"{name:<22}{page.median * 1000:>9.1f}{page.p99 * 1000:>9.1f}"
              f"{page.throughput:>8.0f}  {ratios[0]:>7.2f}{ratios[1]:>7.2f}{ratios[2]:>7.2f}"
              f"   {goal}")
    print()
    print(f"{'operation':<22}{'measured':<50}{'ratio':>8}   goal")
    for name, measured, ratio, goal, met in operations:
        all_met &= met
        print(f"{name:<22}{measured:<50}{ratio:>8}   {goal}  {verdict(met)}")
    return all_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url",
                       help="an empty database (default: SQLite in a temporary folder)")
    where.add_argument("--postgres", action="store_true",
                       help="start a throwaway PostgreSQL cluster (Debian's postgresql package)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the pages")
    parser.add_argument("--write-workers", type=int,
                        help="gunicorn workers for the writers (default: 2 on SQLite, 4 otherwise)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-requests", type=int, default=40, help="per page and round")
    parser.add_argument("--throughput-requests", type=int, default=120, help="per page and round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--pdf-repeat", type=int, default=10)
    parser.add_argument("--startup-samples", type=int, default=9)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--write-seconds", type=float, default=30)
    options = parser.parse_args()

    with ExitStack() as cleanup:
        instance = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="coachapp-perf-")))
        url = options.database_url or f"sqlite:///{instance / 'coachapp.sqlite3'}"
        if options.postgres:
            reason = why_postgres_unavailable()
            if reason:
                parser.error(reason)
            cluster = PostgresCluster()
            cluster.start()
            cleanup.callback(cluster.stop)
            url = cluster.create_database()
        app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": SECRET_KEY,
                          "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            init_migrations(app)
            upgrade(directory=str(MIGRATIONS_FOLDER))
            started = time.perf_counter()
            practice = seed_practice(writers=options.writers)
            db.engine.dispose()
        counts = ", ".join(f"{count:,} {name}" for name, count in practice.counts.items())
        print(f"machine: {machine_description(app)}")
        print(f"seeded {counts} in {time.perf_counter() - started:.0f} s")

        with Gunicorn(instance, url, options.workers) as server:
            coach, portal, reader = (LiveClient(server.url) for _ in range(3))
            assert coach.sign_in(OWNER_EMAIL, PASSWORD).status == 302
            assert portal.sign_in(PORTAL_EMAIL, PASSWORD).status == 302
            pages = {
                "/healthz": (reader, "/healthz"),
                "dashboard": (coach, "/dashboard"),
                "client list": (coach, "/clients/"),
                "client timeline": (coach, practice.client_path),
                "search": (coach, "/search?q=nursery+guilt"),
                "portal home": (portal, "/portal/"),
                "post page": (reader, practice.post_path),
                "blog home": (reader, "/blog/"),
                "Atom feed": (reader, "/blog/feed.atom"),
            }
            kinds = {name: "median" for name in pages}
            kinds.update({"/healthz": "baseline", "post page": "throughput",
                          "blog home": "throughput", "Atom feed": "throughput"})
            print(f"gunicorn, {options.workers} workers; load from this process: "
                  f"{options.rounds} rounds of {options.latency_requests} requests one by one "
                  f"(latency) and {options.throughput_requests} over {options.connections} "
                  "connections (throughput) per page")
            page_figures = measure_pages(pages, options)
            pdf = measure_letter_pdf(app, coach, practice.portal_letter_id, options.pdf_repeat)
            archive = measure_archive(app, portal)
            server_errors = server.errors_logged()

        bare_start, libraries_start, app_start, heavy = measure_startup(options.startup_samples)
        write_workers = options.write_workers or (2 if url.startswith("sqlite") else 4)
        with Gunicorn(instance, url, write_workers) as server:
            writes = measure_writers(app, server.url, practice.writers, options.write_seconds)
            server_errors += server.errors_logged()

    mib = 2**20
    operations = [
        ("letter PDF", f"{pdf['app'] * 1000:.0f} ms through the app, "
         f"{pdf['bare'] * 1000:.0f} ms bare WeasyPrint", f"{pdf['app'] / pdf['bare']:.2f}x",
         f"<= {PDF_RENDER_GOAL}x", pdf["app"] / pdf["bare"] <= PDF_RENDER_GOAL),
        ("cached letter PDF",
         f"{pdf['cached'] * 1000:.1f} ms (download {pdf['download'] * 1000:.1f} ms), "
         f"render {pdf['app'] * 1000:.0f} ms",
         f"{pdf['app'] / pdf['cached']:.0f}x", f">= {PDF_CACHE_GOAL}x faster",
         pdf["app"] / pdf["cached"] >= PDF_CACHE_GOAL),
        ("archive, warm cache", f"{archive['warm']:.2f} s for {archive['documents']} PDFs "
         f"(first {archive['cold']:.1f} s)", "", f"<= {ARCHIVE_SECONDS_GOAL:g} s",
         archive["warm"] <= ARCHIVE_SECONDS_GOAL),
        # The tests check "one at a time" exactly, with documents of 1 MiB each
        # (tests/test_archive.py); here the PDFs are small beside Python's working memory.
        ("archive, memory", f"peak {archive['peak'] / mib:.1f} MiB; its PDFs: largest "
         f"{archive['largest'] / mib:.2f}, all {archive['total'] / mib:.1f} MiB", "",
         "< all its PDFs", archive["peak"] < archive["total"]),
        ("start-up", f"{app_start * 1000:.0f} ms, bare Flask {bare_start * 1000:.0f}, "
         f"its libraries {libraries_start * 1000:.0f} ms",
         f"{app_start / bare_start:.2f}x", f"<= {STARTUP_GOAL:g}x",
         app_start / bare_start <= STARTUP_GOAL),
        (f"{options.writers} writers, {options.write_seconds:g} s",
         f"{writes['saves']:,} saves on {write_workers} workers, p99 {writes['p99'] * 1000:.0f} "
         f"ms, {len(writes['errors'])} errors, {len(writes['lost'])} lost", "",
         "0 errors, 0 lost", not writes["errors"] and not writes["lost"]),
    ]
    print()
    all_met = print_table(page_figures, kinds, operations)
    if heavy:
        print(f"heavy modules loaded at start-up: {', '.join(heavy)}")
    for problem in (writes["errors"] + writes["lost"] + server_errors)[:10]:
        print(f"  {problem}")
    print(f"\n{'every goal is met' if all_met else 'NOT every goal is met'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
