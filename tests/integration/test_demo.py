"""README command 1, headless: exits 0, places and fills orders, reconciles with the emulator."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.integration.cli_support import NO_KEYRING


def test_headless_demo_places_fills_and_reconciles(tmp_path: Path) -> None:
    env = {
        "MEXC_FUTURES_HOME": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": NO_KEYRING,
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mexc_futures.cli", "demo", "--duration", "6", "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    placed = int(re.search(r"Orders placed:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    filled = int(re.search(r"Orders filled:\s+(\d+)", out).group(1))  # type: ignore[union-attr]
    assert placed > 0
    assert filled > 0
    assert "Orders cancelled:" in out
    assert re.search(r"PnL:\s+realised [+-]\d", out)
    assert "Reconciliation: MATCH" in out
    assert "open orders 0=0" in out  # the demo cancelled its quotes before exiting
