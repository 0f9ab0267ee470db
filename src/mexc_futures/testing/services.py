"""Real services for tests: a ``redis-server`` on a random loopback port (issue #18, design §2.6).

``redis_server()`` starts the Debian/upstream ``redis-server`` binary on a free 127.0.0.1 port in
its own temporary directory, with no persistence unless asked (``persistence=True`` turns on AOF
``everysec``, the setting the bus recommends for intent/event streams), waits until it answers
``PING`` and yields a :class:`RedisServer`. On exit the process is stopped by its own PID (never
by name) and the directory removed. ``RedisServer.stop()`` / ``start()`` stop and restart the same
server on the same port and directory (a bus outage in a test)::

    from mexc_futures.testing.services import redis_server

    with redis_server() as server:
        run_my_bus_test(server.url)          # redis://127.0.0.1:<port>/0

No Python Redis client is needed: readiness is checked with a raw ``PING`` over a socket. Only
127.0.0.1 is used. Raises :class:`ServiceUnavailable` when the binary is missing (the message
says how to install it) and ``RuntimeError`` when it does not start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess  # nosec B404  # starts the redis-server binary, fixed argv, no shell
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RedisServer", "ServiceUnavailable", "redis_server"]

START_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0


class ServiceUnavailable(RuntimeError):
    """The service's binary is not installed on this machine."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ping(port: int, timeout: float = 0.5) -> bool:
    """True if a Redis server answers ``PING`` with ``+PONG`` on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One ``redis-server`` process owned by a test; see the module docstring."""

    def __init__(self, binary: str, directory: Path, extra: tuple[str, ...],
                 persistence: bool) -> None:
        self.binary = binary
        self.directory = directory
        self.extra = extra
        self.persistence = persistence
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _argv(self) -> list[str]:
        persist = (["--appendonly", "yes", "--appendfsync", "everysec"] if self.persistence
                   else ["--appendonly", "no"])
        return [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--save", "", *persist,
                "--logfile", str(self.directory / "redis.log"), *self.extra]

    def start(self, *, timeout: float = START_TIMEOUT) -> None:
        """Start (or restart on the same port) and wait for ``PONG``; RuntimeError if it fails."""
        if self.pid is not None:
            return
        attempts = 1 if self.port else 5  # a fresh port may be taken between bind and start
        for _ in range(attempts):
            if not self.starts:
                self.port = _free_port()
            self.proc = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed argv, no shell
                self._argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                if ping(self.port):
                    self.starts += 1
                    return
                time.sleep(0.005)
            self._kill()
        raise RuntimeError(
            f"redis-server did not answer PING on 127.0.0.1:{self.port} within {timeout:g} s; "
            f"its log: {self.directory / 'redis.log'}")

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGTERM)  # by its own PID, never by name
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL after 5 s); the port is kept."""
        self._kill()


@contextlib.contextmanager
def redis_server(*extra: str, persistence: bool = False,
                 binary: str = "redis-server") -> Iterator[RedisServer]:
    """A running ``redis-server`` on a random 127.0.0.1 port; see the module docstring.

    ``extra`` are more ``redis-server`` options (``"--maxmemory", "64mb"``)."""
    path = shutil.which(binary)
    if path is None:
        raise ServiceUnavailable(
            f"{binary} is not installed: `apt-get install redis-server` (Debian/Ubuntu) or "
            "`brew install redis` (macOS)")
    directory = Path(tempfile.mkdtemp(prefix="mexc-redis-"))
    server = RedisServer(path, directory, tuple(extra), persistence)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
