"""HTML to PDF with WeasyPrint: only allowed local files, within a time and a memory limit.

WeasyPrint itself (weasyprint_engine.py) is imported on the first render, not with the app.

Knows nothing of the features that call it. Renders run in a renderer process forked from
the app process, one job at a time: a document that loops, balloons or crashes the C
libraries costs that process (killed and replaced), never the app. The renderer keeps its
parsed stylesheets, fonts and caches between jobs, so isolation costs well under a
millisecond per render where forking a process per render would cost tens.
"""

import faulthandler
import functools
import hashlib
import importlib.metadata
import logging
import math
import os
import resource
import signal
import stat
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from coachapp.documents.render_job import RenderJob

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 20.0
# Address space one render may add to what the renderer already maps: a long letter
# needs a few tens of MiB, so this stops only runaway documents.
DEFAULT_MEMORY_LIMIT_BYTES = 768 * 1024 * 1024
# A renderer is replaced after this many jobs, so nothing it accumulates can grow forever.
RENDERER_MAX_JOBS = 500
# What every PDF conforms to (weasyprint_engine.PDF_OPTIONS): part of the cache key, so a
# PDF cached before a change of standard is made again rather than served.
PDF_STANDARDS = "tagged, PDF/UA-1, PDF/A-3b"


class PdfRenderError(Exception):
    """A document could not be turned into a PDF; the message can be shown to a person."""


def file_url(path: Path) -> str:
    """The ``file://`` URL WeasyPrint reads a local file by."""
    return Path(path).resolve().as_uri()


def render_pdf(
    html: str,
    *,
    base_url: str,
    allowed_roots: Sequence[Path],
    stylesheets: Sequence[Path] = (),
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
) -> bytes:
    """Render ``html`` with the print ``stylesheets`` to PDF bytes.

    Only files inside ``allowed_roots`` are read. Raises PdfRenderError when the render
    fails, takes longer than ``timeout_seconds`` or needs more than ``memory_limit_bytes``.
    """
    job = RenderJob(
        html,
        base_url,
        tuple(str(Path(root).resolve()) for root in allowed_roots),
        tuple(str(Path(path).resolve()) for path in stylesheets),
        timeout_seconds,
        memory_limit_bytes,
    )
    return _renderer.render(job)


def stylesheets_fingerprint(paths: Iterable[Path]) -> str:
    """A digest of the stylesheets' text and of the renderer, for keying cached PDFs."""
    parts = [f"weasyprint {_weasyprint_version()}", PDF_STANDARDS]
    parts += [_file_digest(Path(path).resolve()) for path in paths]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@functools.cache
def _weasyprint_version() -> str:
    # Read from the installed metadata: importing WeasyPrint costs most of a second, paid
    # only when a PDF is made.
    return importlib.metadata.version("weasyprint")


_file_digests: dict[tuple[Path, int], str] = {}


def _file_digest(path: Path) -> str:
    """The sha256 of a file, remembered until the file changes."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _file_digests:
        _file_digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _file_digests[key]


def render_in_this_process(job: RenderJob) -> bytes:
    """Render a job here, without limits (the renderer process calls this)."""
    from coachapp.documents import weasyprint_engine

    return weasyprint_engine.render(job)


class Renderer:
    """The app process's side of its renderer process: starts it, sends jobs, replaces it.

    One job at a time per app process (renders are CPU-bound, so threads would not make
    them faster). A job past its time limit gets its renderer killed; the next job starts
    a new one.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._owner_pid: int | None = None
        self._connection: Connection | None = None
        self._jobs = 0

    def render(self, job: RenderJob) -> bytes:
        """Send the job to the renderer process and wait for its PDF."""
        with self._lock:
            self._ensure_started(job)
            self._jobs += 1
            try:
                self._connection.send(job)
                if not self._connection.poll(job.timeout_seconds):
                    self.stop()
                    raise PdfRenderError(
                        f"The PDF took longer than {job.timeout_seconds:g} seconds to make, "
                        "so it was stopped. A very long letter or a very large image can "
                        "cause this."
                    )
                kind, payload = self._connection.recv()
            except (EOFError, OSError):
                kind, payload = "crash", ""
            if kind != "ok" or self._jobs >= RENDERER_MAX_JOBS:
                self.stop()
            return _result(kind, payload)

    @property
    def pid(self) -> int | None:
        """The renderer process's id, if one is running for this process."""
        return self._pid if self._owner_pid == os.getpid() else None

    def _ensure_started(self, job: RenderJob) -> None:
        """Start a renderer unless this process already has a live one."""
        ours = self._pid is not None and self._owner_pid == os.getpid()
        if ours and os.waitpid(self._pid, os.WNOHANG) == (0, 0):
            return
        # It died between jobs (e.g. the OOM killer), or it belongs to the process this
        # one was forked from (a pre-forking server): start our own.
        if self._connection is not None:
            self._connection.close()
        self._pid = self._connection = None
        # Load WeasyPrint and fontconfig and parse the stylesheets here first, so every
        # renderer inherits them (and their fonts) instead of loading them under its limits.
        from coachapp.documents import weasyprint_engine

        weasyprint_engine.font_configuration()
        for path in job.stylesheets:
            weasyprint_engine.parsed_stylesheet(path, job.allowed_roots)
        from multiprocessing.connection import Pipe  # with the first render (start-up time)

        ours, theirs = Pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover  (the renderer process; coverage cannot follow)
            ours.close()
            _serve(theirs)
        theirs.close()
        self._pid, self._owner_pid, self._connection, self._jobs = pid, os.getpid(), ours, 0

    def stop(self) -> None:
        """End the renderer process (a new one starts with the next job)."""
        if self._pid is None or self._owner_pid != os.getpid():
            self._pid = None
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._connection.close()
        self._pid = self._connection = None


_renderer = Renderer()


def _result(kind: str, payload) -> bytes:
    """The PDF the renderer sent, or the reason it did not send one."""
    if kind == "ok":
        return payload
    if kind == "error":
        logger.error("PDF rendering failed: %s", payload)
        raise PdfRenderError("The PDF could not be made. Please try again in a moment.")
    if kind == "memory":
        logger.error("PDF rendering ran out of memory")
        raise PdfRenderError(
            "The PDF needed more memory than coachapp allows, so it was stopped. "
            "A very large image can cause this."
        )
    logger.error("The PDF renderer process stopped unexpectedly")
    raise PdfRenderError(
        "The PDF could not be made: the program that draws it stopped unexpectedly, "
        "most often for lack of memory. Please try again in a moment."
    )


def _serve(connection: "Connection") -> None:  # pragma: no cover  (runs in the renderer)
    """The renderer process: render jobs until the app process goes away, then exit."""
    status = 0
    try:
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
            signal.signal(number, signal.SIG_DFL)
        # A crash here is reported by the app process; no traceback dump on its stderr.
        faulthandler.disable()
        _close_inherited_connections(keep=connection.fileno())
        while True:
            try:
                job = connection.recv()
            except (EOFError, OSError):
                break
            kind, payload = _run_limited(job)
            connection.send((kind, payload))
            if kind != "ok":
                break
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _run_limited(job: RenderJob) -> tuple[str, bytes | str]:  # pragma: no cover
    """Render one job under an address-space limit and an alarm that ends the process."""
    # The app process kills us at the time limit; the alarm is for when it cannot.
    signal.alarm(math.ceil(job.timeout_seconds) + 5)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes()
    if mapped:
        resource.setrlimit(resource.RLIMIT_AS, (mapped + job.memory_limit_bytes, hard))
    try:
        return "ok", render_in_this_process(job)
    except MemoryError:
        return "memory", ""
    except Exception as error:
        return "error", f"{type(error).__name__}: {error}"
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        signal.alarm(0)


def _mapped_bytes() -> int:
    """The virtual memory this process maps now (VmSize), or 0 where Linux does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _close_inherited_connections(keep: int) -> None:  # pragma: no cover  (in the renderer)
    """Let go of the sockets and pipes the fork handed the renderer (the database, the
    listening socket, a worker's pipes to its supervisor), but its own and stdio.

    A pipe held here would keep the far end waiting for an end of file that never comes.
    Each becomes /dev/null rather than a closed number, so an object still holding the
    number can never write into a file that later reuses it.
    """
    if not os.path.isdir("/proc/self/fd"):
        return
    devnull = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        descriptor = int(name)
        if descriptor in (0, 1, 2, keep, devnull):
            continue
        try:
            mode = os.fstat(descriptor).st_mode
            if stat.S_ISSOCK(mode) or stat.S_ISFIFO(mode):
                os.dup2(devnull, descriptor)
        except OSError:
            pass
    os.close(devnull)
