"""Shared test fixtures: the golden vectors in ``tests/vectors`` and logging isolation.

The golden vectors ship with the repository (``tests/vectors/README.md`` names their sources);
nothing here reads outside the checkout. A missing vector file is a failure with a message that
says what to do, never a skip (issue #10).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"

# ---------------------------------------------------------------- reads outside the checkout
# Guard (issue #10): the suite may read the checkout, the Python installation and its virtual
# environment, temporary directories and the operating system's own files. Anything else (a
# sibling ``../shared`` folder, an absolute path on the author's machine, a file in $HOME) works
# on one machine and breaks a fresh clone, so it fails the test that did it. An audit hook sees
# every ``open()`` and ``sqlite3.connect()`` made by Python code in this process; child processes
# are not watched (the bare-clone run in ``.ci/run`` covers them).
_ALLOWED_ROOTS = tuple(
    os.path.join(os.path.realpath(p), "")
    for p in {
        str(ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
        tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev", "/proc", "/sys", "/etc", "/usr",
        "/lib", "/lib64", "/opt", "/run",
    }
)
OUTSIDE_READS: list[str] = []


def _outside(path: str) -> bool:
    full = os.path.join(os.path.abspath(path), "")
    if full.startswith(_ALLOWED_ROOTS):
        return False
    return not os.path.join(os.path.realpath(path), "").startswith(_ALLOWED_ROOTS)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("open", "sqlite3.connect") or not args:
        return
    target = args[0]
    if isinstance(target, int) or target is None:
        return  # a file descriptor, or an anonymous file
    try:
        path = os.fsdecode(target)
    except TypeError:
        return
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    if _outside(path):
        OUTSIDE_READS.append(path)


sys.addaudithook(_audit)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Importing a test module must not read outside the checkout either."""
    if OUTSIDE_READS:
        found = sorted(set(OUTSIDE_READS))
        pytest.exit(
            "collection read files outside the repository (a fresh clone does not have them; "
            f"copy what the tests need into the repository): {found}",
            returncode=1,
        )


@pytest.fixture(autouse=True)
def _no_reads_outside_the_repository() -> Iterator[None]:
    start = len(OUTSIDE_READS)
    yield
    found = OUTSIDE_READS[start:]
    if found:
        del OUTSIDE_READS[start:]
        pytest.fail(
            "this test opened files outside the repository (a fresh clone does not have "
            f"them; copy what it needs into the repository, e.g. tests/vectors/): {found}",
            pytrace=False,
        )


def load_vectors(name: str) -> Any:
    """Load ``tests/vectors/<name>``; a missing or unreadable file fails the caller loudly."""
    path = VECTORS / name
    if not path.is_file():
        pytest.fail(
            f"golden vector file {path.relative_to(ROOT)} is missing. It is part of the "
            "repository: restore it with `git checkout -- tests/vectors/` (sources are listed "
            "in tests/vectors/README.md).",
            pytrace=False,
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        pytest.fail(f"golden vector file {path.relative_to(ROOT)} is not valid JSON: {exc}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def _isolate_library_logging() -> Any:
    """Restore the ``mexc_futures`` logger after each test.

    CLI commands run in-process (click's ``CliRunner``) configure the library logger for a
    terminal (own handler, level, ``propagate=False``); without this, that state would leak into
    later tests and hide their log records from ``caplog`` (e.g. the canary-secret tests).
    """
    import logging

    lib = logging.getLogger("mexc_futures")
    saved = (list(lib.handlers), lib.level, lib.propagate, lib.disabled)
    yield
    handlers, level, propagate, disabled = saved
    lib.handlers[:] = handlers
    lib.propagate, lib.disabled = propagate, disabled
    lib.setLevel(level)  # setLevel, not .level=: it also clears the isEnabledFor cache


# ---------------------------------------------------------------- a real redis-server (issue #18)
# The bus tests talk to a real redis-server started on a random 127.0.0.1 port and stopped by its
# PID (mexc_futures.testing.services). Locally a missing binary skips them; CI sets
# MEXC_FUTURES_REQUIRE_REDIS=1 (.ci/run installs the Debian package), which turns the skip into a
# failure so the bus path can never pass CI untested.
def _need_redis_server() -> None:
    import shutil

    if shutil.which("redis-server") is not None:
        return
    if os.environ.get("MEXC_FUTURES_REQUIRE_REDIS") == "1":
        pytest.fail("redis-server is not installed but MEXC_FUTURES_REQUIRE_REDIS=1: install it "
                    "(`apt-get install redis-server`); .ci/run does this as root", pytrace=False)
    pytest.skip("redis-server not installed (apt-get install redis-server); bus tests skipped")


@pytest.fixture
def redis_service() -> Iterator[Any]:
    """A fresh ``RedisServer`` per test (``.url``, ``.port``, ``.pid``, ``.stop()``,
    ``.start()``)."""
    _need_redis_server()
    from mexc_futures.testing.services import redis_server

    with redis_server() as server:
        yield server


@pytest.fixture
def redis_url(redis_service: Any) -> str:
    """``redis://127.0.0.1:<random port>/0`` of a fresh server owned by this test."""
    url: str = redis_service.url
    return url
