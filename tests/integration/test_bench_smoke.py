"""Smoke run of the side-by-side benchmark suite: seconds, no performance thresholds.

It runs tiny versions of the scenarios through the real machinery (the emulator in its own pinned
process in burst and paced modes, pinned client process, client-side tick-to-order stamps,
correctness gate against the emulator's truth, table, JSON) so the benchmark never rots. The ccxt
part skips when ccxt (the ``bench`` extra) is not installed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from benchmarks.compare import Plan, run_suite
from benchmarks.report import aggregate, ratios, table, targets, write_json

TINY = Plan(repeats=1, ingest_n=1_500, latency_rate=2_000, latency_n=300, t2o_rate=200, t2o_n=8,
            scale_symbols=(5,), scale_rate=2_000, scale_n=300, scale_candidates=("toolkit",))


def _run(cands: tuple[str, ...], only: tuple[str, ...], tmp_path: Path) -> dict[str, object]:
    results = run_suite(TINY, cands, only)
    agg, rat = aggregate(results), ratios(results)
    text = table(agg, rat, targets(agg, rat))
    path = write_json(tmp_path / "bench.json", command="smoke", plan={}, results=results,
                      agg=agg, rat=rat, tgt=targets(agg, rat))
    doc = json.loads(path.read_text())
    for label, runs in results.items():
        for r in runs:
            assert r.ok, f"{label} {r.candidate}: {r.problems}"
    for c in cands:
        assert c in text
    return doc  # type: ignore[no-any-return]


@pytest.mark.timeout(90)
def test_toolkit_and_floor_smoke(tmp_path: Path) -> None:
    doc = _run(("toolkit", "floor"), ("ingest", "t2o", "scale"), tmp_path)
    ingest = doc["summary"]["ingest"]  # type: ignore[index]
    assert ingest["toolkit"]["counted"] == 1
    assert ingest["floor"]["msgs_per_s"]["median"] > 0
    t2o = doc["summary"]["tick-to-order"]["toolkit"]  # type: ignore[index]
    assert t2o["orders"]["median"] >= TINY.t2o_n  # one order per trigger frame (gated)
    assert 0 < t2o["p50_us"]["median"] < 1e6  # client-side: frame arrival -> request written
    assert ingest["toolkit"]["server_capacity_fps"]["median"] > 0
    assert "toolkit/floor ingest" in doc["ratios"]  # type: ignore[operator]


@pytest.mark.timeout(90)
def test_ccxt_smoke(tmp_path: Path) -> None:
    if importlib.util.find_spec("ccxt") is None:
        pytest.skip("ccxt not installed (pip install '.[bench]')")
    doc = _run(("toolkit", "ccxt"), ("ingest", "t2o"), tmp_path)
    assert doc["summary"]["ingest"]["ccxt"]["counted"] == 1  # type: ignore[index]
    assert doc["summary"]["tick-to-order"]["ccxt"]["orders"]["median"] >= TINY.t2o_n  # type: ignore[index]
