"""How fast a letter's PDF is made and served, and whether memory stays flat.

In a throwaway database, one coach with a full letterhead writes a two-page letter, and
this prints, measured in one run:

(a) rendering it through coachapp (the HTML, the content hash, the cache look-up, the
    render in the renderer process, storing the PDF) against bare WeasyPrint rendering
    the same HTML and CSS in this process to the same standard (tagged PDF/A-3b), reusing
    its CSS and font configuration.
    Goal: ratio at most 1.15.
(b) serving the unchanged letter from the PDF cache against rendering it.
    Goal: at least 50 times faster.
(c) memory after each of 50 renders of different letters in a row: this process's
    resident and peak memory, Python's own allocations (tracemalloc), and the renderer
    process's resident and peak memory. Goal: flat after the first few.

    .venv/bin/python benchmarks/letters_pdf.py
    .venv/bin/python benchmarks/letters_pdf.py --database-url postgresql://user@host/empty_db
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import weasyprint
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload
from weasyprint.text.fonts import FontConfiguration

from benchmarks.seed import add_full_letterhead
from coachapp import create_app
from coachapp.auth.services import create_coach
from coachapp.clients.models import Adult, Client
from coachapp.documents import pdf as pdf_module
from coachapp.documents.weasyprint_engine import PDF_OPTIONS
from coachapp.extensions import db, init_migrations
from coachapp.letters.models import Letter, RenderedPdf
from coachapp.letters.rendering import PRINT_STYLESHEETS, letter_html, letter_pdf
from coachapp.paths import MIGRATIONS_FOLDER, STATIC_FOLDER

RENDER_GOAL = 1.15
CACHE_GOAL = 50
PARAGRAPHS = (
    "Thank you for Tuesday, and for trusting me with what has been weighing on you since "
    "the autumn. You told me about the mornings at the nursery gate, the way Lena holds on "
    "to your coat, and the long walk back to the car. You told me you feel you are "
    "choosing your work over your daughter every single day.",
    "I want to start by saying that almost every parent I work with has stood at that gate "
    "with the same knot in their stomach. It is not a sign that you are doing something "
    "wrong. It is a sign of how much you love her, and of how seriously you take being "
    "her mother.",
    "When my own son started nursery, I sat in the car park for twenty minutes on the "
    "first day, sure that I had broken something in him. When I collected him, he was "
    "covered in paint and did not want to leave. I still remember how much lighter the "
    "drive home felt, and how long it took me to believe it.",
    "You are your child's perfect parent, because you are hers. Not because you get every "
    "morning right, but because you keep showing up, and because you notice. Children do "
    "not need a parent who never struggles; they need one who comes back, who repairs, "
    "and who tells them the truth in words they can hold.",
    "Here are two small things to try before we meet again. They are small on purpose: "
    "the point is not to change everything, but to give you one or two moments each day "
    "that belong to you and to her.",
    "First, take ten minutes for yourself after the drop-off, before you open your "
    "e-mail. A coffee, a walk around the block, a song in the car. You cannot pour from "
    "an empty cup, and the guilt is heavier when you are running on nothing.",
    "Second, each evening, write down one moment when Lena laughed. Keep the notebook by "
    "your bed. In a month you will have thirty small proofs that your days together are "
    "full of joy, even the busy ones, even the ones that start with tears at the gate.",
    "If the mornings stay hard, we can look at them together: what happens in the hour "
    "before you leave, what you say at the gate, and what Lena might need to hear from "
    "you. There is no script that fits every family, but there is usually one small "
    "change that makes the goodbye a little easier for both of you.",
    "Please be as kind to yourself this week as you would be to a friend who told you "
    "the same story. You are doing far better than you think.",
)


def letter_body(number: int) -> str:
    """A warm two-page letter; ``number`` makes each one different."""
    middle = "\n\n".join(PARAGRAPHS + PARAGRAPHS[3:6])
    return f"Dear Sofia,\n\n{middle}\n\nWith warmth, and until the {number + 1}th,\n\nMaya"


def seed() -> int:
    """A coach with a full letterhead (logo and signature images) and a client; their id."""
    coach = create_coach("bench@example.com", "Maya Lindqvist", "benchmark-password")
    db.session.flush()
    add_full_letterhead(coach)
    client = Client(coach_id=coach.id, adults=[
        Adult(first_name="Sofia", last_name="Marin", email="sofia@example.com"),
    ])
    db.session.add(client)
    db.session.commit()
    return client.id


def new_letter(client_id: int, number: int) -> Letter:
    client = db.session.get(Client, client_id)
    letter = Letter(coach_id=client.coach_id, client_id=client.id,
                    addressees=[client.first_adult],
                    subject="After our first session", body=letter_body(number))
    db.session.add(letter)
    db.session.commit()
    return letter


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def compare_with_bare_weasyprint(letter: Letter, repeat: int) -> float:
    """(a): median of each, interleaved; returns coachapp's median render time."""
    html = letter_html(letter)
    font_config = FontConfiguration()
    css = [weasyprint.CSS(filename=str(path), font_config=font_config)
           for path in PRINT_STYLESHEETS]
    base_url = STATIC_FOLDER.as_uri() + "/"

    def bare():
        weasyprint.HTML(string=html, base_url=base_url).write_pdf(
            stylesheets=css, font_config=font_config, **PDF_OPTIONS)

    def coachapp_render():
        letter_pdf(letter)
        db.session.commit()

    def forget_cached_pdf():
        db.session.execute(delete(RenderedPdf))
        db.session.commit()

    bare_times, coachapp_times = [], []
    for round_number in range(repeat + 2):
        forget_cached_pdf()
        letter = as_the_download_view_loads_it(letter.id)
        coachapp_seconds = timed(coachapp_render)
        bare_seconds = timed(bare)
        if round_number >= 2:  # two rounds to warm up
            coachapp_times.append(coachapp_seconds)
            bare_times.append(bare_seconds)
    ours, theirs = statistics.median(coachapp_times), statistics.median(bare_times)
    ratio = ours / theirs
    print(f"(a) render through coachapp {ours * 1000:7.1f} ms   bare WeasyPrint "
          f"{theirs * 1000:7.1f} ms   ratio {ratio:.3f}   (goal <= {RENDER_GOAL}) "
          f"{'within' if ratio <= RENDER_GOAL else 'ABOVE'} the goal")
    return ours


def as_the_download_view_loads_it(letter_id: int) -> Letter:
    """The letter read afresh, with its client, as each request to the download view does."""
    db.session.expire_all()
    return db.session.execute(
        select(Letter).options(joinedload(Letter.client)).where(Letter.id == letter_id)
    ).scalar_one()


def compare_cache_with_rendering(letter: Letter, render_seconds: float, repeat: int) -> None:
    """(b): the unchanged letter, served from the cache."""
    letter_pdf(letter)
    db.session.commit()
    times = []
    for _ in range(repeat):
        fresh = as_the_download_view_loads_it(letter.id)
        times.append(timed(lambda: letter_pdf(fresh)))  # noqa: B023  (called at once)
    cached = statistics.median(times)
    speedup = render_seconds / cached
    print(f"(b) served from the cache  {cached * 1000:7.2f} ms   rendering "
          f"{render_seconds * 1000:7.1f} ms   {speedup:.0f}x faster   (goal >= {CACHE_GOAL}x) "
          f"{'within' if speedup >= CACHE_GOAL else 'BELOW'} the goal")


def memory_kib(pid: int | str, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory_over_renders(client_id: int, count: int) -> None:
    """(c): memory after each of ``count`` renders of different letters."""
    print(f"(c) memory after each of {count} renders of different letters (MiB)")
    print(f"    {'render':>6} {'app RSS':>8} {'app peak':>9} {'python':>7} {'py peak':>8} "
          f"{'renderer RSS':>13} {'renderer peak':>14}")
    tracemalloc.start()
    rows = []
    for number in range(1, count + 1):
        letter_pdf(new_letter(client_id, number))
        db.session.commit()
        db.session.expunge_all()
        renderer = pdf_module._renderer.pid
        current, peak = tracemalloc.get_traced_memory()
        row = (memory_kib("self", "VmRSS") / 1024, memory_kib("self", "VmHWM") / 1024,
               current / 2**20, peak / 2**20,
               memory_kib(renderer, "VmRSS") / 1024, memory_kib(renderer, "VmHWM") / 1024)
        rows.append(row)
        print(f"    {number:>6} {row[0]:>8.1f} {row[1]:>9.1f} {row[2]:>7.2f} {row[3]:>8.2f} "
              f"{row[4]:>13.1f} {row[5]:>14.1f}")
    tracemalloc.stop()
    settled, last = rows[9], rows[-1]
    print(f"    from render 10 to render {count}: app RSS {last[0] - settled[0]:+.1f} MiB, "
          f"python {last[2] - settled[2]:+.2f} MiB, renderer RSS {last[4] - settled[4]:+.1f} MiB, "
          f"renderer peak {last[5] - settled[5]:+.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--renders", type=int, default=50)
    options = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="coachapp-bench-"))
    url = options.database_url or f"sqlite:///{instance / 'bench.sqlite3'}"
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "benchmark-" * 4,
                      "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        init_migrations(app)
        upgrade(directory=str(MIGRATIONS_FOLDER))
        client_id = seed()
        letter = new_letter(client_id, 0)
        pages = len(PdfReader(io.BytesIO(letter_pdf(letter))).pages)
        db.session.commit()
        print(f"a {pages}-page letter on a letterhead with a logo and a signature, "
              f"on {db.engine.dialect.name}; medians of {options.repeat} runs")
        render_seconds = compare_with_bare_weasyprint(letter, options.repeat)
        compare_cache_with_rendering(letter, render_seconds, options.repeat)
        memory_over_renders(client_id, options.renders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
