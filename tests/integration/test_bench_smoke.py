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
from typing import Any

import pytest
from benchmarks.compare import Plan, run_suite
from benchmarks.harness import RunResult
from benchmarks.report import aggregate, ratios, table, targets, write_json

TINY = Plan(repeats=1, ingest_n=1_500, latency_rate=2_000, latency_n=300, t2o_rate=200, t2o_n=8,
            scale_symbols=(5,), scale_rate=2_000, scale_n=300, scale_candidates=("toolkit",))


def _run(cands: tuple[str, ...], only: tuple[str, ...],
         tmp_path: Path) -> tuple[dict[str, Any], dict[str, list[RunResult]]]:
    """Run the tiny suite; every run must be correct. A run the emulator could not pace (the
    machine is busy) is correct but not counted in the figures; this smoke checks the machinery
    and the correctness gates, never performance."""
    results = run_suite(TINY, cands, only)
    agg, rat = aggregate(results), ratios(results)
    text = table(agg, rat, targets(agg, rat))
    path = write_json(tmp_path / "bench.json", command="smoke", plan={}, results=results,
                      agg=agg, rat=rat, tgt=targets(agg, rat))
    doc: dict[str, Any] = json.loads(path.read_text())
    for label, runs in results.items():
        for r in runs:
            assert r.correct, f"{label} {r.candidate}: {r.problems}"
        for c in {r.candidate for r in runs}:
            counted = sum(1 for r in runs if r.candidate == c and r.ok)
            assert doc["summary"][label][c]["counted"] == counted
    for c in cands:
        assert c in text
    return doc, results


def _one(results: dict[str, list[RunResult]], label: str, cand: str) -> dict[str, float]:
    (run,) = [r for r in results[label] if r.candidate == cand]
    return run.metrics


@pytest.mark.timeout(90)
def test_toolkit_and_floor_smoke(tmp_path: Path) -> None:
    doc, results = _run(("toolkit", "floor"), ("ingest", "t2o", "scale"), tmp_path)
    assert _one(results, "ingest", "toolkit")["callbacks"] > 0
    assert _one(results, "ingest", "floor")["msgs_per_s"] > 0
    t2o = _one(results, "tick-to-order", "toolkit")
    assert t2o["orders"] >= TINY.t2o_n  # one order per trigger frame (gated)
    assert t2o["fills"] == 0
    assert 0 < t2o["p50_us"] < 1e6  # client-side: frame arrival -> request written
    assert _one(results, "ingest", "toolkit")["server_capacity_fps"] > 0
    assert "toolkit/floor ingest" in doc["ratios"]


@pytest.mark.timeout(90)
def test_ccxt_smoke(tmp_path: Path) -> None:
    if importlib.util.find_spec("ccxt") is None:
        pytest.skip("ccxt not installed (pip install '.[bench]')")
    _doc, results = _run(("toolkit", "ccxt"), ("ingest", "t2o"), tmp_path)
    assert _one(results, "ingest", "ccxt")["callbacks"] > 0
    t2o = _one(results, "tick-to-order", "ccxt")
    assert t2o["orders"] >= TINY.t2o_n
    assert t2o["fills"] == 0
