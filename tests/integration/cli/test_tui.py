"""The live views as a person sees them: ``watch`` and the demo in a real terminal (tmux).

Each command runs in a detached tmux pane of 160x50; ``capture-pane`` reads the screen until
the expected ladder, trades and PnL appear (bounded). Skipped only when tmux is not installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.cli_support import NO_KEYRING

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed")


class Pane:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.socket = f"mexc-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"env {exports} {shlex.join(command)}; sleep 30"
        self._tmux("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", shell)

    def _tmux(self, *args: str) -> str:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, *needles: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if all(n in text for n in needles):
                return text
            time.sleep(0.25)  # polling a terminal for text, not waiting on a venue timeout
        missing = [n for n in needles if n not in text]
        raise AssertionError(f"not on screen: {missing}\n--- screen ---\n{text}")

    def close(self) -> None:
        subprocess.run(
            [TMUX or "tmux", "-L", self.socket, "kill-server"],
            capture_output=True,
            timeout=10,
            check=False,
        )


@pytest.fixture
def term_env(tmp_path: Path) -> dict[str, str]:
    return {
        "MEXC_FUTURES_HOME": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        "TERM": "xterm-256color",
        "COLUMNS": "160",
        "LINES": "50",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


@pytest.fixture
def pane_factory() -> Iterator[list[Pane]]:
    panes: list[Pane] = []
    yield panes
    for p in panes:
        p.close()


CLI = [sys.executable, "-m", "mexc_futures.cli"]


def test_watch_shows_ladder_trades_and_ticker(
    term_env: dict[str, str], pane_factory: list[Pane]
) -> None:
    pane = Pane([*CLI, "watch", "BTC_USDT", "--duration", "20"], term_env)
    pane_factory.append(pane)
    screen = pane.wait_for("BTC_USDT book", "recent trades", "synced v", "BTC_USDT  last ")
    assert "ask" in screen
    assert "bid" in screen
    assert "spread" in screen
    pane.wait_for(":", "buy")  # a trade row (time and side) reached the tape


def test_demo_shows_ladder_with_our_orders_trades_and_pnl(
    term_env: dict[str, str], pane_factory: list[Pane]
) -> None:
    pane = Pane([*CLI, "demo", "--duration", "8"], term_env)
    pane_factory.append(pane)
    screen = pane.wait_for(
        "BTC_USDT book",
        "recent trades",
        "◀ ours",
        "Realised PnL",
        "Unrealised PnL",
        "PnL chart",
        "Kill switch",
        "Latency",
    )
    assert "Position" in screen
    done = pane.wait_for("Reconciliation: MATCH", timeout=30)
    assert "Orders placed:" in done
