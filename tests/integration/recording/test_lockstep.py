"""A7: a deterministic backtest (lockstep virtual time) run twice — in two processes with
different string-hash seeds — writes byte-identical report.json, fills.csv and equity.csv and
prints the determinism hash; and the comparison does catch a wall clock leaking into the run."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mexc_futures.backtest import lockstep, runner
from mexc_futures.backtest.runner import run_backtest
from mexc_futures.errors import ConfigError
from mexc_futures.strategies.market_maker import MarketMaker
from tests.conftest import ROOT
from tests.integration.recording.test_backtest import _record

FILES = ("report.json", "fills.csv", "equity.csv")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("lockstep") / "rec"
    asyncio.run(_record(data, 40.0))
    return data


def _cli(data: Path, out: Path, hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    r = subprocess.run(
        [sys.executable, "-m", "mexc_futures.cli", "backtest", "market_maker", "--data",
         str(data), "-p", "size=1", "--report", str(out)],
        capture_output=True, text=True, timeout=240, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_a7_two_deterministic_runs_are_byte_identical(recording: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    out_a, out_b = _cli(recording, a, "1"), _cli(recording, b, "2")
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    rep = json.loads((a / "report.json").read_text())
    assert rep["determinism"] == "deterministic (lockstep)"
    assert rep["inputs"]["deterministic"] is True
    assert rep["inputs"]["pacing"] == "lockstep virtual time"
    assert rep["results"]["fills"]["fills"] >= 2  # something traded: the test has teeth
    assert rep["reconciliation"]["holds"]
    assert f"hash        {rep['hash']}" in out_a
    assert f"hash        {rep['hash']}" in out_b


def _hash(data: Path) -> str:
    res = lockstep.run(run_backtest(MarketMaker(symbols=("BTC_USDT",), size=1), data))
    return str(res.report["hash"])


def test_a7_a_wall_clock_leak_changes_the_hash(recording: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above has teeth: let the venue's clock read the wall clock (a few ms of
    jitter) and two runs no longer agree."""
    assert _hash(recording) == _hash(recording)

    class Leaky(lockstep.LoopClock):
        def time_ms(self) -> int:
            return super().time_ms() + time.perf_counter_ns() // 1_000_000 % 5

    monkeypatch.setattr(runner, "LoopClock", Leaky)
    assert _hash(recording) != _hash(recording)


def test_deterministic_needs_the_lockstep_loop(recording: Path) -> None:
    with pytest.raises(ConfigError, match=r"lockstep\.run"):
        asyncio.run(run_backtest(MarketMaker(symbols=("BTC_USDT",)), recording))
