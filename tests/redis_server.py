"""A throwaway Redis server for the tests, started from Debian's `redis-server` binary."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.live_server import free_port

START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 10


def why_redis_unavailable() -> str | None:
    """A sentence saying why the Redis tests cannot run here, or None if they can."""
    if shutil.which("redis-server") is None:
        return (
            "redis-server was not found on PATH: the test command installs Debian's "
            "'redis-server' package when run as root (sh tests/install-packages.sh); "
            "without it the tests of rate limits shared through Redis cannot run"
        )
    return None


class RedisServer:
    """A private Redis on 127.0.0.1 that keeps nothing on disk, deleted when stopped."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="coachapp-redis-"))
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # No snapshots and no append-only file: the counts live and die with the server.
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.root), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", str(self.root / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{self.log_text()}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port}:\n{self.log_text()}")

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(STOP_TIMEOUT_SECONDS)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def flush(self) -> None:
        """Forget every key, so that each test starts with no counts."""
        redis.Redis.from_url(self.url).flushall()

    def log_text(self) -> str:
        log = self.root / "redis.log"
        return log.read_text(errors="replace") if log.exists() else ""
