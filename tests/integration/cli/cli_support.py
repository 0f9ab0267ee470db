"""Helpers for the CLI tests: an emulator on a background thread, and a CliRunner set up for it.

CLI commands run their own ``asyncio.run``; an emulator they talk to (``--emulator-url``) must
therefore live on another thread with its own loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from mexc_futures.cli.main import cli
from mexc_futures.emulator.server.server import Emulator

NO_KEYRING = "keyring.backends.fail.Keyring"


class ThreadedEmulator:
    """``with ThreadedEmulator(...) as ex:`` runs ``Emulator(**kw)`` on a daemon thread."""

    def __init__(self, **kw: Any) -> None:
        self.kw = kw
        self.emulator: Emulator | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._error: BaseException | None = None

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with Emulator(**self.kw) as ex:
                self.emulator = ex
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # surfaced by __enter__
            self._error = exc
            self._ready.set()

    def __enter__(self) -> Emulator:
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None or self.emulator is None:
            raise RuntimeError(f"emulator did not start: {self._error!r}")
        return self.emulator

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)


def env_for(ex: Emulator, home: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI run against ``ex`` with its keys, a private state dir, no keyring."""
    return {
        "MEXC_EMULATOR_URL": ex.rest_url,
        "MEXC_API_KEY": ex.credentials.api_key,
        "MEXC_API_SECRET": ex.credentials.secret,
        "MEXC_FUTURES_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        **extra,
    }


def invoke(args: list[str], env: Mapping[str, str | None] | None = None, **kw: Any) -> Result:
    """Run ``mexc-futures ARGS`` in-process; ``result.output`` holds stdout and stderr."""
    runner = CliRunner()  # click >= 8.2: ``output`` interleaves stdout and stderr
    return runner.invoke(cli, args, env=dict(env or {}), catch_exceptions=False, **kw)


@contextlib.contextmanager
def local_home(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for the in-process emulator: private state dir, no keys, no keyring."""
    yield {
        "MEXC_FUTURES_HOME": str(tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        "MEXC_EMULATOR_URL": "",
    }
