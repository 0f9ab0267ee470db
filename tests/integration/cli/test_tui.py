"""The live views as a person sees them: ``watch`` and the demo in a real terminal (tmux).

Each command runs in a detached tmux pane (160x50, or the 80x24 and 160x48 terminals of issue
#16 for ``run``); ``capture-pane`` reads the screen until the expected ladder, trades, our orders,
PnL and a fill appear (bounded). Skipped only when tmux is not installed.
"""

from __future__ import annotations

import os
import re
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

    def __init__(
        self, command: list[str], env: dict[str, str], width: int = 160, height: int = 50
    ) -> None:
        self.socket = f"mexc-test-{uuid.uuid4().hex[:8]}"
        env = {**env, "COLUMNS": str(width), "LINES": str(height)}
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        shell = f"env {exports} {shlex.join(command)}; sleep 30"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), shell)

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
        "uPnL",
        "rPnL",
        "PnL chart",
        "Kill switch",
        "Tick→order",
    )
    assert "Position" in screen
    done = pane.wait_for("Reconciliation: MATCH", timeout=30)
    assert "Orders placed:" in done


FILL_ROW = re.compile(r"\d\d:\d\d:\d\d (open|close) (long|short) +\d+ @ [\d,]+\.\d")
OUR_ORDER_ROW = re.compile(r"(open|close) (long|short) +\d+/\d+ @ [\d,]+\.\d (post )?#\d{6}")


@pytest.mark.parametrize(("width", "height"), [(80, 24), (160, 48)])
def test_run_shows_the_cockpit_fitted_to_the_terminal_and_a_fill_appearing(
    term_env: dict[str, str], pane_factory: list[Pane], width: int, height: int
) -> None:
    """Issue #16: ``run`` shows the same cockpit as the demo, fitted to 80x24 and growing."""
    pane = Pane([*CLI, "run", "market_maker", "--duration", "25"], term_env, width, height)
    pane_factory.append(pane)
    screen = pane.wait_for(
        " PAPER ",
        "market_maker on BTC_USDT",
        "account mx0v",
        "BTC_USDT book",
        "spread",
        "◀ ours 1",  # our own size at our price level
        "Position",
        "Mark",
        "liq",
        "uPnL",
        "Balance",
        "Funding",
        "Connection",
        "synced v",
        "Kill switch",
        "OK (armed)",
        "Trading",
        "Tick→order",
        "REST RTT",
        "open orders",
        "recent fills",
    )
    lines = screen.rstrip("\n").split("\n")
    assert len(lines) <= height
    assert lines[0].startswith(" PAPER ")  # the banner is the first line: nothing scrolled off
    assert re.fullmatch(r"(╰─+╯)+", lines[-1].rstrip()), screen  # the bottom panels close
    assert OUR_ORDER_ROW.search(screen), screen  # our resting quotes, listed
    if width >= 160:
        for needle in ("recent trades", "PnL chart (total, USDT)", "┤", "now", "activity"):
            assert needle in screen, needle
    deadline = time.monotonic() + 40
    while not FILL_ROW.search(screen):  # a fill of ours appears in the fills panel
        assert time.monotonic() < deadline, f"no fill on screen\n{screen}"
        time.sleep(0.25)  # polling a terminal for text
        screen = pane.screen()
    if width >= 160:
        pane.wait_for("FILL   BTC_USDT")  # and in the activity log
    done = pane.wait_for("Reconciliation: MATCH", "Strategy errors:  none", timeout=40)
    assert "Orders placed:" in done
