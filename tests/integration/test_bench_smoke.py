"""Smoke run of the side-by-side benchmark suite: seconds, no performance thresholds.

It runs tiny versions of the scenarios through the real machinery (replay venue process, pinned
client process, correctness gate, table, JSON) so the benchmark never rots. The ccxt part skips
when ccxt (the ``bench`` extra) is not installed.
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
    assert doc["summary"]["tick-to-order"]["toolkit"]["orders"]["median"] == TINY.t2o_n  # type: ignore[index]
    assert "toolkit/floor ingest" in doc["ratios"]  # type: ignore[operator]


@pytest.mark.timeout(90)
def test_ccxt_smoke(tmp_path: Path) -> None:
    if importlib.util.find_spec("ccxt") is None:
        pytest.skip("ccxt not installed (pip install '.[bench]')")
    doc = _run(("toolkit", "ccxt"), ("ingest", "t2o"), tmp_path)
    assert doc["summary"]["ingest"]["ccxt"]["counted"] == 1  # type: ignore[index]
    assert doc["summary"]["tick-to-order"]["ccxt"]["orders"]["median"] == TINY.t2o_n  # type: ignore[index]
