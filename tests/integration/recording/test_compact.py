"""``record compact``: a recording as Parquet per stream and day, read back line for line by
replay and backtest (issue #17)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pyarrow.parquet as pq
from click.testing import CliRunner

from mexc_futures.backtest import lockstep
from mexc_futures.backtest.runner import run_backtest
from mexc_futures.cli.main import cli
from mexc_futures.recording.reader import iter_lines
from mexc_futures.strategies.market_maker import MarketMaker
from tests.integration.recording.test_backtest import _record


def test_compacted_recording_replays_and_backtests_as_the_original(tmp_path: Path) -> None:
    src = tmp_path / "rec"
    asyncio.run(_record(src, 30.0))
    r = CliRunner().invoke(cli, ["record", "compact", str(src)])
    assert r.exit_code == 0, r.output
    dst = tmp_path / "rec-compact"
    assert "Parquet" in r.output
    assert not (dst / "segments").exists()  # only Parquet: what follows reads it

    assert list(iter_lines(dst)) == list(iter_lines(src))  # line for line, in order
    files = sorted(dst.glob("compact/segments/*/*.parquet"))
    names = {p.name for p in files}
    assert {"push.depth.BTC_USDT.parquet", "rest.parquet", "open.parquet"} <= names
    depth = next(p for p in files if p.name == "push.depth.BTC_USDT.parquet")
    pushes = [json.loads(ln.payload) for ln in iter_lines(src) if ln.kind == b"ws"]
    n_depth = sum(1 for m in pushes
                  if m.get("channel") == "push.depth" and m.get("symbol") == "BTC_USDT")
    table = pq.read_table(depth)
    assert table.num_rows == n_depth
    assert table.column_names == ["seq", "recv_ns", "conn", "kind", "payload"]
    man = json.loads((dst / "manifest.json").read_text())
    assert man["compacted"]["lines"] == sum(1 for _ in iter_lines(src))

    replays = [json.loads(CliRunner().invoke(cli, ["replay", str(d), "--check-books",
                                                   "--json"]).output) for d in (src, dst)]
    assert replays[0]["frames"] == replays[1]["frames"] > 0
    assert replays[1]["gaps"] == 0
    assert replays[1]["books_equal"] is True
    assert replays[1]["books_checked"] == replays[0]["books_checked"] >= 1
    assert replays[1]["events"] == replays[0]["events"]

    hashes = [lockstep.run(run_backtest(MarketMaker(symbols=("BTC_USDT",)), d)).report["hash"]
              for d in (src, dst)]
    assert hashes[0] == hashes[1]

    again = CliRunner().invoke(cli, ["record", "compact", str(src)])
    assert again.exit_code != 0
    assert "not empty" in again.output
