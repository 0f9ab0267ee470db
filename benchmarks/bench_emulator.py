"""Emulator core throughput: orders matched per second, depth publications per second (burst),
synthetic-flow events per second.

Run: ``.venv/bin/python -m benchmarks.bench_emulator [--json out.json] [--repeat 3]``.
Prints a table and writes JSON. Each run is gated on correctness (every order filled, burst
versions contiguous and the book equal to the venue's truth), or it does not count.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from mexc_futures.emulator.venue import Venue, VenueConfig

START = 1_789_000_000_000


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _venue(**kw: Any) -> Venue:
    cfg: dict[str, Any] = {
        "seed": 3,
        "symbols": ("BTC_USDT",),
        "accounts": ("maker", "taker"),
        "start_ms": START,
        "flow_rate": 0.0,
        "balance": 1e12,
    }
    cfg.update(kw)
    return Venue(VenueConfig(**cfg))


def bench_matching(n: int) -> dict[str, float]:
    """``n`` (maker limit, taker market) pairs through ``Venue.handle``: 2n orders, n matches."""
    v = _venue()
    depth = v.handle(
        "GET", "/api/v1/contract/depth/{symbol}", {"symbol": "BTC_USDT"}, {"limit": "1"}, None, None
    )
    price = round(depth["bids"][0][0] + 0.1, 1)
    create = "/api/v1/private/order/create"
    maker = {
        "symbol": "BTC_USDT",
        "price": price,
        "vol": 1,
        "side": 3,
        "type": 1,
        "openType": 1,
        "leverage": 20,
    }
    taker = {"symbol": "BTC_USDT", "vol": 1, "side": 1, "type": 5, "openType": 1, "leverage": 20}
    t0, c0 = time.perf_counter(), _cpu()
    for _ in range(n):
        v.handle("POST", create, {}, {}, maker, "maker")
        v.handle("POST", create, {}, {}, taker, "taker")
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    pos = v.handle("GET", "/api/v1/private/position/open_positions", {}, {}, None, "taker")
    assert pos[0]["holdVol"] == n, "not every taker order matched"
    v.drain()
    return {
        "orders": 2 * n,
        "matches": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "orders_per_s": 2 * n / wall,
        "matches_per_s": n / wall,
    }


def bench_book_match(n: int) -> dict[str, float]:
    """Raw ``OrderBook`` add + match pairs (no accounts)."""
    from mexc_futures.emulator.venue.matching import ASK, OrderBook, Resting

    book = OrderBook(0, 1000)
    t0 = time.perf_counter()
    for i in range(n):
        book.add(Resting(i, None, ASK, 100 + i % 10, 1), i)
        book.match(True, None, 1, i)
    wall = time.perf_counter() - t0
    assert not book.orders
    return {"pairs": n, "wall_s": wall, "matches_per_s": n / wall}


def bench_burst(frames: int, changes: int) -> dict[str, float]:
    """``Venue.burst``: merged depth publications applied to the real book."""
    v = _venue()
    before = v.truth.version("BTC_USDT")
    t0, c0 = time.perf_counter(), _cpu()
    pubs = v.burst("BTC_USDT", changes, frames)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    assert pubs[0].data["begin"] == before + 1
    for a, b in itertools.pairwise(pubs):
        assert b.data["begin"] == a.data["end"] + 1, "version gap in burst"
    end = pubs[-1].data["end"]
    assert v.truth.version("BTC_USDT") == end
    versions = end - before
    return {
        "frames": frames,
        "changes_per_frame": changes,
        "versions": versions,
        "wall_s": wall,
        "cpu_s": cpu,
        "frames_per_s": frames / wall,
        "versions_per_s": versions / wall,
    }


def bench_flow(symbols: int, rate: float, seconds: int) -> dict[str, float]:
    """Synthetic flow: ``advance`` every 50 ms of venue time for ``seconds``."""
    v = Venue(VenueConfig(seed=3, n_contracts=symbols, start_ms=START, flow_rate=rate))
    t0 = time.perf_counter()
    pubs = 0
    for i in range(1, seconds * 20 + 1):
        pubs += len(v.advance(START + i * 50))
    wall = time.perf_counter() - t0
    return {
        "symbols": symbols,
        "rate": rate,
        "venue_s": seconds,
        "wall_s": wall,
        "publications": pubs,
        "publications_per_s": pubs / wall,
        "realtime_factor": seconds / wall,
    }


def _median(fn: Callable[[], dict[str, float]], key: str, repeat: int) -> dict[str, Any]:
    runs = [fn() for _ in range(repeat)]
    values = [r[key] for r in runs]
    best = runs[values.index(statistics.median(values))] if repeat % 2 else runs[0]
    return {**best, key: statistics.median(values), f"{key}_spread": [min(values), max(values)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", default=None, help="write results here (default: stdout only)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--orders", type=int, default=20_000)
    ap.add_argument("--frames", type=int, default=20_000)
    args = ap.parse_args()
    bench_matching(500)  # warm up
    results = {
        "venue_orders": _median(lambda: bench_matching(args.orders), "orders_per_s", args.repeat),
        "book_match": _median(
            lambda: bench_book_match(args.orders * 5), "matches_per_s", args.repeat
        ),
        "burst_5": _median(lambda: bench_burst(args.frames, 5), "frames_per_s", args.repeat),
        "burst_1": _median(lambda: bench_burst(args.frames, 1), "frames_per_s", args.repeat),
        "flow_53x5": _median(lambda: bench_flow(53, 5.0, 10), "realtime_factor", 1),
        "flow_800x1": _median(lambda: bench_flow(800, 1.0, 5), "realtime_factor", 1),
    }
    print(f"{'benchmark':<14} {'metric':<22} {'median':>14}  spread")
    for name, r in results.items():
        key = next(k for k in r if k.endswith("_spread"))[: -len("_spread")]
        lo, hi = r[f"{key}_spread"]
        print(f"{name:<14} {key:<22} {r[key]:>14,.0f}  [{lo:,.0f} .. {hi:,.0f}]")
    text = json.dumps(results, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
