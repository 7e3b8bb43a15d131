"""coachapp as a real server in a child process, and a small browser-like client for it.

The server is ``flask run`` (threaded, no reloader) on a free port of 127.0.0.1, with its
own instance folder and database, as `flask --app coachapp run` runs on a laptop: CSRF is
on and TESTING is off. It can be stopped, killed with SIGKILL (as a crash or a power cut
would) and started again on the same database and port::

    with app_on(database_url, tmp_path):  # prepare the database with the factories
        make_coach()
    with LiveServer(tmp_path / "instance", database_url) as server:
        browser = LiveClient(server.url)
        browser.sign_in("coach@example.com", PASSWORD)
        page = browser.get("/dashboard")
        server.kill()
        server.start()  # the same port, the same database; the browser's cookies still work

LiveClient keeps cookies like a browser; ``form()`` reads a form's fields, CSRF token
included, as a browser would post them back. It never follows a redirect unless asked,
so tests see where a response points. It is built on urllib only; one LiveClient
belongs to one thread (``copy()`` gives another thread the same signed-in session).
"""

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from coachapp.extensions import db
from tests.conftest import TEST_SECRET_KEY, TEST_TWO_FACTOR_KEY, csrf_token_from, make_test_app
from tests.factories import form_fields

REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


@contextmanager
def app_on(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app context on a live server's database, to prepare it or read it back.

    The app's instance folder is ``tmp_path / "instance"``. Its connections are closed on
    leaving, so nothing of the test's own lingers beside the server's.
    """
    app = make_test_app(tmp_path / "instance", database_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


class ServerDidNotStart(RuntimeError):
    """The server exited or never answered /healthz; the message ends with its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """``flask run`` on 127.0.0.1 for one test; its output goes to ``log_path``.

    ``config`` becomes FLASK_* environment variables (JSON-encoded, as Flask reads them),
    e.g. ``{"WTF_CSRF_ENABLED": False}``.
    """

    def __init__(self, instance_path: Path, database_url: str, **config) -> None:
        self.instance_path = Path(instance_path)
        self.instance_path.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.instance_path / f"server-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        """The child's environment: this one without Flask or database settings, plus ours."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("FLASK_")
            and key not in ("DATABASE_URL", "COACHAPP_INSTANCE_PATH")
        }
        env.update(
            COACHAPP_INSTANCE_PATH=str(self.instance_path),
            FLASK_SQLALCHEMY_DATABASE_URI=self.database_url,
            FLASK_SECRET_KEY=TEST_SECRET_KEY,
            FLASK_TWO_FACTOR_KEYS=json.dumps([TEST_TWO_FACTOR_KEY]),
            PYTHONUNBUFFERED="1",
        )
        for name, value in self.config.items():
            env[f"FLASK_{name}"] = json.dumps(value)
        return env

    def command(self) -> list[str]:
        """How the server is started: ``flask run``, as on a laptop."""
        return [
            sys.executable, "-m", "flask", "--app", "coachapp", "run",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--no-reload", "--no-debugger", "--with-threads",
        ]  # fmt: skip

    def start(self) -> "LiveServer":
        """Start the server and wait until /healthz says the database is ready."""
        if self.running:
            raise RuntimeError("the server is already running")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerDidNotStart(
                    f"the server exited with code {self.process.returncode}:\n{self.log_text()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass  # not listening yet, or the database is not ready (503)
            time.sleep(0.05)
        self.kill()
        raise ServerDidNotStart(f"no answer from {self.url}/healthz:\n{self.log_text()}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server as a service manager would (SIGTERM), or kill it if it hangs."""
        if not self.running:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Kill the server with SIGKILL: no cleanup, no flushing, like a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT_SECONDS)

    def restart(self) -> "LiveServer":
        self.stop()
        return self.start()

    def log_text(self) -> str:
        """Everything the server has printed (requests, warnings, tracebacks)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


class GunicornServer(LiveServer):
    """coachapp under gunicorn with several sync workers, as the README's Production serves it.

    Each request goes to ``access_log_path`` as "<worker pid> <method> <path> <status>", so
    a test can tell which worker answered it.
    """

    ACCESS_LOG_FORMAT = "%(p)s %(m)s %(U)s %(s)s"

    def __init__(self, instance_path: Path, database_url: str, workers: int = 2, **config):
        super().__init__(instance_path, database_url, **config)
        self.workers = workers
        self.access_log_path = self.instance_path / f"access-{self.port}.log"

    def environment(self) -> dict[str, str]:
        # gunicorn 25.1 and later open a control socket in $XDG_RUNTIME_DIR (or ~/.gunicorn):
        # one per server, in its own folder, so that servers running at once never share it.
        return {**super().environment(), "XDG_RUNTIME_DIR": str(self.instance_path)}

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--access-logfile", str(self.access_log_path),
            "--access-logformat", self.ACCESS_LOG_FORMAT,
            "coachapp:create_app()",
        ]  # fmt: skip

    def access_log(self) -> list[tuple[int, str, str, int]]:
        """Every request answered so far: (worker pid, method, path, status)."""
        if not self.access_log_path.exists():
            return []
        entries = []
        for line in self.access_log_path.read_text().splitlines():
            pid, method, path, status = line.split()
            entries.append((int(pid.strip("<>")), method, path, int(status)))
        return entries

    def hold_a_worker(self) -> "HeldWorker":
        """Keep one worker busy until the returned connection is let go (see HeldWorker)."""
        return HeldWorker(self.port)


class HeldWorker:
    """A connection that keeps one gunicorn sync worker busy until ``let_go()``.

    A sync worker serves one connection at a time. This one posts a form with
    ``Expect: 100-continue`` and holds its body back: once gunicorn answers "100 Continue",
    a worker has taken the connection and waits for the body, so every other request goes
    to another worker. ``let_go()`` sends the body (a form without a valid CSRF token, which
    changes nothing) and reads the answer, freeing the worker.
    """

    BODY = b"csrf_token=held"

    def __init__(self, port: int) -> None:
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.connection.sendall(
            b"POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Expect: 100-continue\r\nContent-Length: " + str(len(self.BODY)).encode()
            + b"\r\n\r\n"
        )  # fmt: skip
        interim = self.connection.recv(64)
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim

    def let_go(self) -> int:
        """Send the body, read the answer; returns its HTTP status."""
        self.connection.sendall(self.BODY)
        answer = b""
        while chunk := self.connection.recv(65536):
            answer += chunk
        self.connection.close()
        return int(answer.split(b" ", 2)[1])

class GunicornLiveServer(LiveServer):
    """coachapp under gunicorn, as production serves it, with the access log turned on
    (``--access-logfile -``: every request, its Referer and user agent, into the log)."""

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
            "--workers", "1", "--access-logfile", "-", "coachapp:create_app()",
        ]  # fmt: skip


@dataclass
class Response:
    """What the server answered; ``location`` is the redirect target, as a path."""

    status: int
    headers: dict[str, str]
    body: bytes
    url: str
    history: list["Response"] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str | None:
        target = self.headers.get("location")
        if target is None:
            return None
        parts = urllib.parse.urlsplit(target)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def json(self):
        return json.loads(self.body)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None  # LiveClient decides whether to follow


class LiveClient:
    """A browser of sorts for a LiveServer: cookies, CSRF tokens, forms; no JavaScript."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    # Requests

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> Response:
        """Send one request; 4xx and 5xx answers are returned, not raised."""
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers or {}, method=method
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as reply:
                response = Response(reply.status, _lower(reply.headers), reply.read(), path)
        except urllib.error.HTTPError as error:
            with error:
                response = Response(error.code, _lower(error.headers), error.read(), path)
        if follow_redirects and response.status in (301, 302, 303, 307, 308):
            followed = self.get(response.location, follow_redirects=True)
            followed.history.insert(0, response)
            return followed
        return response

    def get(self, path: str, follow_redirects: bool = False, **headers) -> Response:
        return self.request("GET", path, headers=headers, follow_redirects=follow_redirects)

    def post(self, path: str, fields: dict, follow_redirects: bool = False, **headers) -> Response:
        """Post ``fields`` as a browser posts a form (application/x-www-form-urlencoded)."""
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self.request("POST", path, body, headers, follow_redirects)

    def post_multipart(self, path: str, fields: dict, **headers) -> Response:
        """Post ``fields`` as multipart/form-data, as JavaScript's FormData is sent."""
        boundary = f"----coachapp{uuid.uuid4().hex}"
        parts = []
        for name, values in fields.items():
            for value in values if isinstance(values, list) else [values]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers}
        return self.request("POST", path, body, headers)

    # Pages and forms

    def form(self, path: str, form_class: str) -> dict:
        """What a browser would post back, unchanged, from a form on the page at ``path``."""
        page = self.get(path)
        assert page.status == 200, f"GET {path} answered {page.status}"
        return form_fields(page.text, form_class)

    def csrf_token(self, path: str = "/login") -> str:
        """The CSRF token of the first form on the page at ``path``."""
        return csrf_token_from(self.get(path).text)

    def sign_in(self, email: str, password: str) -> Response:
        """Sign in through the real form, CSRF token included; answers the form's response."""
        fields = {"email": email, "password": password, "next": ""}
        fields["csrf_token"] = self.csrf_token("/login")
        return self.post("/login", fields)

    def sign_out(self) -> Response:
        """Press "Sign out" (its form is on every signed-in page)."""
        return self.post("/logout", {"csrf_token": self.csrf_token("/account")})

    # Cookies

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        """Put a cookie in the jar, as if the server had set it for 127.0.0.1."""
        host = urllib.parse.urlsplit(self.base_url).hostname
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                version=0, name=name, value=value, port=None, port_specified=False,
                domain=host, domain_specified=False, domain_initial_dot=False,
                path="/", path_specified=True, secure=False, expires=None, discard=True,
                comment=None, comment_url=None, rest={"HttpOnly": ""},
            )
        )  # fmt: skip

    def copy(self) -> "LiveClient":
        """Another client with the same cookies (the same signed-in session), for a thread."""
        twin = LiveClient(self.base_url, self.timeout)
        for cookie in self.cookies:
            twin.cookies.set_cookie(cookie)
        return twin


def _lower(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def page_title(html: str) -> str:
    """The page's <title>, for readable assertion messages."""
    match = _TITLE.search(html)
    return match.group(1).strip() if match else ""
