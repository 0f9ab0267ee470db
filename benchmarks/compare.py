"""The side-by-side suite: scenarios, their sizes (full and ``--quick``), and the run loop.

Scenarios (docs/benchmarks.md):

* ``ingest``  — a burst of merged 5-level ``push.depth`` frames for one symbol; msgs/s, CPU µs/msg;
* ``latency`` — the same frames paced at ``rate``; server send → consumer callback p50/p99/p99.9;
* ``t2o``     — paced trigger frames; each callback places a limit IOC buy at the best bid; frame
  arrival in the client process → signed ``order/create`` bytes written (client side); p50/p99;
* ``scale``   — 10/100/800 symbols × depth + deal + ticker at a fixed aggregate rate; CPU share,
  RSS, µs/msg.

Every run is gated: the candidate's final book must equal the truth at the truth's version, with no
version gaps (and, for ``t2o``, one correctly signed order at the right price per trigger).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from benchmarks.harness import RunResult, run_once
from benchmarks.venue_process import FeedConfig

#: ``toolkit`` runs the depth path ``./run`` built (compiled when it could), ``pure`` the same
#: toolkit with ``MEXC_FUTURES_PURE=1`` (the fallback every machine without the extension runs)
CANDIDATES = ("toolkit", "ccxt", "floor", "pure")


@dataclass(frozen=True)
class Plan:
    """Sizes of one suite run."""

    repeats: int
    ingest_n: int
    latency_rate: float
    latency_n: int
    t2o_rate: float
    t2o_n: int
    scale_symbols: tuple[int, ...]
    scale_rate: float
    scale_n: int
    scale_candidates: tuple[str, ...] = ("toolkit", "floor")
    repeats_other: int = 3  # rounds for latency, tick to order and scale (ingest: ``repeats``)
    books_n: int = 100_000  # frames of the in-process book comparison (bench_books)


FULL = Plan(repeats=5, ingest_n=100_000, latency_rate=10_000, latency_n=30_000, t2o_rate=200,
            t2o_n=400, scale_symbols=(10, 100, 800), scale_rate=10_000, scale_n=30_000)
QUICK = Plan(repeats=1, ingest_n=3_000, latency_rate=5_000, latency_n=1_500, t2o_rate=200,
             t2o_n=20, scale_symbols=(10,), scale_rate=5_000, scale_n=1_500, books_n=3_000)


def symbols(n: int) -> tuple[str, ...]:
    """``n`` distinct contract names (``BTC_USDT`` first)."""
    names = ["BTC_USDT", "ETH_USDT", "SOL_USDT"] + [f"C{i:03d}_USDT" for i in range(n)]
    return tuple(names[:n])


def scenarios(plan: Plan) -> list[tuple[str, str, FeedConfig, tuple[str, ...], tuple[str, ...]]]:
    """``(scenario, label, feed, channels, candidates)`` in run order."""
    one = symbols(1)
    out: list[tuple[str, str, FeedConfig, tuple[str, ...], tuple[str, ...]]] = [
        ("ingest", "ingest", FeedConfig(symbols=one, mode="burst", n=plan.ingest_n),
         ("depth",), CANDIDATES),
        ("latency", f"latency@{plan.latency_rate:.0f}/s",
         FeedConfig(symbols=one, mode="paced", n=plan.latency_n, rate=plan.latency_rate),
         ("depth",), ("toolkit", "ccxt", "floor")),
        ("t2o", "tick-to-order",
         FeedConfig(symbols=one, mode="paced", n=plan.t2o_n, rate=plan.t2o_rate,
                    track_best_bid=True),
         ("depth",), ("toolkit", "ccxt", "pure", "toolkit-hop")),
    ]
    for k in plan.scale_symbols:
        feed = FeedConfig(symbols=symbols(k), mode="paced", n=plan.scale_n, rate=plan.scale_rate,
                          mixed=True)
        out.append(("scale", f"scale {k} symbols", feed, ("depth", "deal", "ticker"),
                    plan.scale_candidates))
    return out


def run_suite(plan: Plan, candidates: tuple[str, ...] = CANDIDATES,
              only: tuple[str, ...] = (),
              progress: Callable[[str], None] = lambda _m: None) -> dict[str, list[RunResult]]:
    """Runs every scenario, interleaving candidates A B C A B C ... ``plan.repeats`` times."""
    results: dict[str, list[RunResult]] = {}
    for scenario, label, feed, channels, cands in scenarios(plan):
        if only and scenario not in only:
            continue
        use = [c for c in cands if c in candidates]
        runs: list[RunResult] = []
        rounds = plan.repeats if scenario == "ingest" else min(plan.repeats, plan.repeats_other)
        for r in range(rounds):
            for cand in use:
                res = run_once(scenario, cand, replace(feed, seed=7 + r), channels)
                progress(f"{label:<22} {cand:<8} round {r + 1}/{rounds}: "
                         f"{'ok' if res.ok else 'NOT COUNTED: ' + '; '.join(res.problems)}")
                runs.append(res)
        results[label] = runs
    return results
