"""``emulator --replay`` / ``backtest`` of a symbol the emulator's catalogue does not list: the
contract is the one the recorder fetched (manifest), not an invented one (issue #17)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from mexc_futures.backtest import lockstep
from mexc_futures.backtest.runner import run_backtest
from mexc_futures.cli.replay_opts import replay_options
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.venue.contracts import build_contracts
from mexc_futures.protocol.rest_market import ContractDetail
from mexc_futures.recording.reader import load_manifest
from mexc_futures.recording.session import record
from mexc_futures.strategies.market_maker import MarketMaker
from mexc_futures.transport.rest import RestClient
from tests.conftest import ROOT

SYMS = ["BTC_USDT", "FOO_USDT"]  # FOO_USDT: not in the catalogue (the source invents one)
FIELDS = ("symbol", "base_coin", "contract_size", "price_unit", "vol_unit", "min_vol", "max_vol",
          "max_leverage", "taker_fee_rate", "maker_fee_rate", "maintenance_margin_rate",
          "initial_margin_rate", "id", "risk_base_vol", "risk_incr_mmr")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unknown") / "rec"

    async def go() -> None:
        yesterday = time.time_ns() // 1_000_000 - 86_400_000
        async with (Emulator(symbols=SYMS, speed=30, seed=5, start_ms=yesterday,
                             venue_options={"flow_rate": 12.0}) as ex,
                    RestClient(ex.env, clock=ex.clock) as rest):
            await record(ex.env, SYMS, out, rest=rest, clock=ex.clock, duration=30)

    asyncio.run(go())
    return out


def test_the_replay_trades_the_recorded_contract(recording: Path) -> None:
    assert "FOO_USDT" not in build_contracts()
    recorded = msgspec.json.decode(bytes(load_manifest(recording).contracts["FOO_USDT"]),
                                   type=ContractDetail)
    kw, note = replay_options(recording, "risk-averse", "FOO_USDT")
    assert "FOO_USDT" in note

    async def go() -> tuple[ContractDetail, int]:
        async with (Emulator(symbols=kw["symbols"], venue_options=kw["venue_options"],
                             start_ms=kw["start_ms"], speed=20) as ex,
                    RestClient(ex.env, clock=ex.clock) as rest):
            served = await rest.get_contract("FOO_USDT")
            await asyncio.sleep(0.2)
            book = ex.venue.engine.books["FOO_USDT"]
            return served, len(book.bids) + len(book.asks)

    served, levels = asyncio.run(go())
    for name in FIELDS:
        assert getattr(served, name) == getattr(recorded, name), name
    assert levels > 0  # the recorded book is the market


def test_emulator_cli_serves_an_unknown_recorded_symbol(recording: Path) -> None:
    """It refused with "Unknown symbol FOO_USDT" before (the catalogue check)."""
    env = {**os.environ, "MEXC_FUTURES_HOME": str(recording.parent / "home")}
    p = subprocess.Popen(
        [sys.executable, "-m", "mexc_futures.cli", "emulator", "--replay", str(recording),
         "--symbols", "FOO_USDT", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    lines: list[str] = []
    try:
        assert p.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Serving"):
                break
    finally:
        p.terminate()
        p.wait(timeout=30)
    text = "".join(lines)
    assert "Serving" in text, text
    assert "Replaying" in text
    assert "FOO_USDT" in text


def test_backtest_of_an_unknown_symbol(recording: Path) -> None:
    res = lockstep.run(run_backtest(MarketMaker(symbols=("FOO_USDT",), size=1), recording,
                                    latency=None))
    assert res.report["reconciliation"]["holds"]
    assert res.report["inputs"]["symbols"] == ["FOO_USDT"]
