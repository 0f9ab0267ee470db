"""The benchmark's tick-to-order gate (``benchmarks.harness._t2o``), on hand-made stamps.

``test_ccxt_smoke`` failed under load with "1 orders filled (none can cross: the venue is quiet)".
Every filled order had been triggered by a frame from *before* the segment: the client arms when
its books are synced and says "ready", and only then does the venue's "go" stop the synthetic
flow. Until then takers trade and asks move, so an IOC buy at a frame's best bid can really fill;
a slow (loaded) client sends more such orders, later. Those fills say nothing about the candidate.
"""

from __future__ import annotations

from typing import Any

from benchmarks import harness
from benchmarks.harness import RunResult, _t2o


def _stamps(fills: dict[str, int]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Venue segment = versions 10 and 11 (best bid 100); triggers 5 (live venue), 10 and 11."""
    s = {"versions": [10, 11], "send_ns": [1_000, 2_000], "best_bid": [100.0, 100.0],
         "orders": [{"externalOid": oid, "price": price, "dealVol": fills.get(oid, 0)}
                    for oid, price in (("t5", 101.0), ("t10", 100.0), ("t11", 100.0))]}
    c = {"t2o": [(5, 500, 600), (10, 1_100, 1_200), (11, 2_100, 2_200)], "order_errors": []}
    return s, c


def test_a_fill_triggered_before_the_venue_went_quiet_is_not_a_problem() -> None:
    s, c = _stamps({"t5": 1})
    m: dict[str, float] = {}
    problems: list[str] = []
    _t2o(s, c, m, problems)
    assert problems == []
    assert (m["fills"], m["fills_before_quiet"], m["orders"]) == (0, 1, 3)


def test_a_fill_in_the_quiet_segment_still_fails_the_run() -> None:
    s, c = _stamps({"t5": 1, "t11": 1})
    m: dict[str, float] = {}
    problems: list[str] = []
    _t2o(s, c, m, problems)
    assert problems == ["1 orders filled (none can cross: the venue is quiet)"]
    assert (m["fills"], m["fills_before_quiet"]) == (1, 1)


def test_pace_problems_leave_a_run_correct_but_uncounted() -> None:
    pace = harness.PACE
    paced = RunResult("t2o", "ccxt", False, [f"{pace}: could not keep the pace (5 late frames)"])
    wrong = RunResult("t2o", "ccxt", False, [f"{pace}: x", "BTC_USDT: final book differs"])
    assert paced.correct
    assert not paced.ok
    assert not wrong.correct
    assert RunResult("t2o", "ccxt", True).correct
