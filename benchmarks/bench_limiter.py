"""The limiter's answer hold, A/B: what it costs in throughput and what it saves in 510s.

usage: python -m benchmarks.bench_limiter [--calls N] [--repeats R] [--latency SPEC ...]

``RateLimiter`` holds each send a window after the answers a bucket's capacity before it
(``protocol/ratelimit.py``: the venue counts arrivals, which the client never sees; an answer
proves the arrival). That is safe whatever the jitter, and costs about one answer latency per
saturated window. This benchmark measures both sides against the emulator (in this process, at
speed 1) with its latency model adding delay before the venue counts a request (``entry``) and
after it answers (``response``): ``N`` depth snapshots fetched by 4 workers (as market data's
fetch queue does after a mass reconnect), interleaved, ``R`` times per latency, by three
candidates: ``hold`` (the default, after a clock sync whose lone pings set the latency floor),
``strict`` (the hold without a floor: no lone request seen yet) and ``no_hold``
(``answer_hold=False``). Per run: snapshots per second (the budget is 9 per 2.05 s = 4.39/s) and the
510s the venue answered. JSON on stdout and in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.latency import LatencyModel
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.transport.rest import RestClient

WORKERS = 4
CONTRACTS = 40


async def _run(emu: Emulator, calls: int, hold: bool | str) -> dict[str, Any]:
    before = sum(1 for c in emu.rest.calls if c.code == 510)
    symbols = list(emu.venue.engine.contracts)
    todo = [symbols[i % len(symbols)] for i in range(calls)]
    async with RestClient(emu.env, limiter=RateLimiter(answer_hold=hold is not False)) as rest:
        if hold != "strict":
            await rest.sync_clock()  # as a trading client starts: its pings measure the path

        async def worker() -> None:
            while todo:
                await rest.get_depth(todo.pop(), 20)

        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        took = time.monotonic() - t0
    return {"per_s": round(calls / took, 3),
            "limited_510": sum(1 for c in emu.rest.calls if c.code == 510) - before}


async def _bench(calls: int, repeats: int, latencies: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in latencies:
        model = LatencyModel.parse(spec, seed=7)
        async with Emulator(seed=3, n_contracts=CONTRACTS, latency=model) as emu:
            runs: dict[str, list[dict[str, Any]]] = {"hold": [], "strict": [], "no_hold": []}
            for r in range(repeats):
                order = list(runs) if r % 2 == 0 else list(reversed(runs))
                for name in order:
                    await asyncio.sleep(2.5)  # the venue's bucket refills between runs
                    mode: bool | str = True if name == "hold" else (
                        "strict" if name == "strict" else False)
                    runs[name].append(await _run(emu, calls, mode))
            summary: dict[str, Any] = {}
            for name, rs in runs.items():
                rates = [x["per_s"] for x in rs]
                summary[name] = {"per_s_median": round(statistics.median(rates), 3),
                                 "per_s_min": min(rates), "per_s_max": max(rates),
                                 "limited_510_total": sum(x["limited_510"] for x in rs),
                                 "runs": rs}
            summary["hold_over_no_hold"] = round(
                summary["hold"]["per_s_median"] / summary["no_hold"]["per_s_median"], 3)
            out[spec] = summary
            summary["strict_over_no_hold"] = round(
                summary["strict"]["per_s_median"] / summary["no_hold"]["per_s_median"], 3)
            print(f"[limiter] {spec}: " + ", ".join(
                f"{k} {summary[k]['per_s_median']}/s ({summary[k]['limited_510_total']} x 510)"
                for k in runs), flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_limiter",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=90, help="depth snapshots per run")
    ap.add_argument("--repeats", type=int, default=2, help="runs per candidate and latency")
    ap.add_argument("--latency", action="append", default=None,
                    help="emulator latency model (repeatable; default: 2 ms, 50 ms and "
                         "lognormal 50 ms entry jitter)")
    a = ap.parse_args(argv)
    latencies = a.latency or ["entry=1ms,response=1ms", "entry=25ms,response=25ms",
                              "entry=lognormal:25:1.0,response=25ms"]
    result = {"benchmark": "limiter_answer_hold", "utc": datetime.now(UTC).isoformat(),
              "calls": a.calls, "repeats": a.repeats, "workers": WORKERS,
              "budget_per_s": round(9 / 2.05, 3),
              "latency": asyncio.run(_bench(a.calls, a.repeats, latencies))}
    text = json.dumps(result, indent=1)
    print(text)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    (results / f"limiter-{stamp}.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
