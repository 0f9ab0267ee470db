"""``backtest compare --live-journal``: a paper run of market_maker on a seeded emulator, recorded
at the same time; the backtest of that recording set beside the paper run's journaled fills
(issue #17)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from click.testing import CliRunner

from mexc_futures.backtest import lockstep
from mexc_futures.backtest import report as rp
from mexc_futures.backtest.runner import run_backtest
from mexc_futures.cli.main import cli
from mexc_futures.emulator.server import Emulator
from mexc_futures.execution.journal import Journal
from mexc_futures.recording.session import record
from mexc_futures.strategies.market_maker import MarketMaker
from mexc_futures.strategy.session import StrategySession
from mexc_futures.transport.rest import RestClient

SPEED = 30.0


async def _paper_and_record(rec: Path, journal: Path, seconds: float) -> None:
    """market_maker paper-trades the emulator while the recorder records that market."""
    yesterday = time.time_ns() // 1_000_000 - 86_400_000
    async with (Emulator(symbols=["BTC_USDT"], speed=SPEED, seed=33, start_ms=yesterday,
                         venue_options={"flow_rate": 12.0}) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        recording = asyncio.create_task(record(ex.env, ["BTC_USDT"], rec, rest=rest,
                                               clock=ex.clock, duration=seconds))
        async with StrategySession(MarketMaker(symbols=("BTC_USDT",), size=1), ex.env,
                                   ex.credentials, journal_path=journal, clock=ex.clock) as s:
            await s.run(seconds / SPEED)
        await recording


def test_compare_a_backtest_with_the_paper_run_it_recorded(tmp_path: Path) -> None:
    rec, journal, out = tmp_path / "rec", tmp_path / "journal.sqlite", tmp_path / "bt"
    asyncio.run(_paper_and_record(rec, journal, 45.0))
    res = lockstep.run(run_backtest(MarketMaker(symbols=("BTC_USDT",), size=1), rec))
    rp.write(out, res.report, res.fills, res.points)
    j = Journal(journal)
    live_fills = j.fills(symbols=["BTC_USDT"])
    j.close()
    assert len(live_fills) >= 2  # the paper run traded
    r = CliRunner().invoke(cli, ["backtest", "compare", str(out), "--live-journal",
                                 str(journal), "--json"])
    assert r.exit_code == 0, r.output
    cmp = json.loads(r.output)
    rec_range = res.report["inputs"]["recording"]
    in_range = [f for f in live_fills
                if rec_range["start_ms"] - 5_000 <= int(str(f["time_ms"])) <= rec_range["end_ms"]
                + 5_000]
    assert cmp["live"]["fills"] == len(in_range)
    assert cmp["backtest"]["fills"] == len(res.fills)
    assert cmp["matched"] + cmp["live_only"] == cmp["live"]["fills"]
    assert cmp["matched"] + cmp["backtest_only"] == cmp["backtest"]["fills"]
    assert cmp["live"]["pnl"]["fees"] > 0
    assert abs(cmp["backtest"]["pnl"]["fees"]
               - sum(float(f["fee"]) for f in res.fills)) < 1e-9
    assert json.loads((out / "compare.json").read_text())["matched"] == cmp["matched"]
    table = CliRunner().invoke(cli, ["backtest", "compare", str(out), "--live-journal",
                                     str(journal)])
    assert table.exit_code == 0, table.output
    for text in ("fills", "net PnL (marked)", "matched", "of live", "price better by"):
        assert text in table.output
    missing = CliRunner().invoke(cli, ["backtest", "compare", str(out), "--live-journal",
                                       str(tmp_path / "nope.sqlite")])
    assert missing.exit_code != 0
    assert "no journal at" in missing.output
