"""``backtest``: market_maker, unchanged, through the real client stack against the emulator
playing a recording (issue #17). The report's PnL split reconciles with the venue's ledger, and
an independent script recomputes PnL, drawdown and Sharpe from the CSVs (A11)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from mexc_futures.backtest import report as rp
from mexc_futures.backtest.runner import run_backtest
from mexc_futures.cli.main import cli
from mexc_futures.emulator.server import Emulator
from mexc_futures.recording.session import record
from mexc_futures.strategies.market_maker import MarketMaker
from mexc_futures.transport.rest import RestClient
from tests.conftest import ROOT


async def _record(out: Path, seconds: float = 60.0) -> None:
    """Yesterday's market: the recording starts a day ago (a replay is always of the past)."""
    yesterday = time.time_ns() // 1_000_000 - 86_400_000
    async with (Emulator(symbols=["BTC_USDT"], speed=30, seed=21, start_ms=yesterday,
                         venue_options={"flow_rate": 12.0}) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        await record(ex.env, ["BTC_USDT"], out, rest=rest, clock=ex.clock, duration=seconds)


def test_backtest_market_maker_reconciles_and_a11_agrees(tmp_path: Path) -> None:
    data, out = tmp_path / "rec", tmp_path / "bt"
    asyncio.run(_record(data))
    res = asyncio.run(_run(data))
    _check(res, out)


async def _run(data: Path) -> Any:
    return await run_backtest(MarketMaker(symbols=("BTC_USDT",), size=2), data,
                              deterministic=False, speed=30, sample_s=1.0)


def _check(res: Any, out: Path) -> None:
    rep = res.report
    assert rep["inputs"]["queue_model"] == "risk-averse"
    assert rep["inputs"]["fees"]["maker_fee_rate"] == 0.0001  # the recorded contract's
    assert rep["determinism"] == "non-deterministic (paced)"
    lat = rep["inputs"]["latency_model"]  # the default model applies to paced runs too
    assert (lat["entry"], lat["response"], lat["market_data"]) == ("20 ms", "20 ms", "20 ms")
    assert "paced" in lat["on_top"]
    assert rep["reconciliation"]["holds"], rep["reconciliation"]
    fills = rep["results"]["fills"]
    assert fills["fills"] >= 2
    assert fills["maker_share"] == 1.0  # the market maker only posts
    assert len(res.points) >= 30
    pnl = rep["results"]["pnl"]
    assert abs(pnl["net"] - (res.points[-1].equity - 10_000)) < 1e-6
    paths = rp.write(out, rep, res.fills, res.points)
    assert [p.name for p in paths[:3]] == ["report.json", "fills.csv", "equity.csv"]
    check = subprocess.run([sys.executable, str(ROOT / "examples" / "verify_backtest.py"),
                            str(out)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "AGREES" in check.stdout


def test_backtest_command(tmp_path: Path) -> None:
    data, out = tmp_path / "rec", tmp_path / "bt"
    asyncio.run(_record(data, 30.0))
    r = CliRunner().invoke(cli, ["backtest", "market_maker", "--data", str(data), "-p", "size=1",
                                 "--paced", "--speed", "30", "--report", str(out)])
    assert r.exit_code == 0, r.output
    for text in ("PnL         net", "Sharpe", "queue risk-averse", "non-deterministic (paced)",
                 "ledger      start + realised - fees + funding = wallet: holds"):
        assert text in r.output
    assert json.loads((out / "report.json").read_text())["inputs"]["strategy"] == "MarketMaker"
    bad = CliRunner().invoke(cli, ["backtest", "market_maker", "--data", str(data),
                                   "--symbol", "ETH_USDT", "--report", str(out)])
    assert bad.exit_code != 0
    assert "has no ETH_USDT" in bad.output
