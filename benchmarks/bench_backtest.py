"""Deterministic (lockstep) backtest speed (issue #17). JSON out, median and spread over repeats.

    .venv/bin/python -m benchmarks.bench_backtest [--seconds 120] [--repeats 5] [--out FILE]

Records ``--seconds`` of a seeded emulator market (BTC_USDT, flow 12 events/s, recorded at
speed 30), then backtests ``market_maker`` on it ``--repeats`` times in lockstep virtual time
with the default latency model, each in a fresh process-local virtual loop. Reports wall and
CPU seconds per run, recorded seconds per wall second and per CPU second, virtual-time jumps,
fills, and whether every repeat gave the same determinism hash (a run that does not is a bug,
not noise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def spread(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1]}


async def make_recording(root: Path, seconds: float) -> None:
    from mexc_futures.emulator.server import Emulator
    from mexc_futures.recording.session import record
    from mexc_futures.transport.rest import RestClient

    start = time.time_ns() // 1_000_000 - 86_400_000
    async with (Emulator(symbols=["BTC_USDT"], speed=30, seed=21, start_ms=start,
                         venue_options={"flow_rate": 12.0}) as ex,
                RestClient(ex.env, clock=ex.clock) as rest):
        await record(ex.env, ["BTC_USDT"], root, rest=rest, clock=ex.clock, duration=seconds)


def runs(root: Path, repeats: int) -> dict[str, Any]:
    from mexc_futures.backtest import lockstep
    from mexc_futures.backtest.runner import run_backtest
    from mexc_futures.strategies.market_maker import MarketMaker

    wall, cpu, hashes, jumps, fills = [], [], [], [], []
    span_s = 0.0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        res = lockstep.run(run_backtest(MarketMaker(symbols=("BTC_USDT",)), root))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        rec = res.report["inputs"]["recording"]
        span_s = (rec["end_ms"] - rec["start_ms"]) / 1000
        hashes.append(res.report["hash"])
        jumps.append(res.report["results"]["lockstep_jumps"])
        fills.append(res.report["results"]["fills"]["fills"])
    return {"recorded_s": span_s, "wall_s": spread(wall), "cpu_s": spread(cpu),
            "recorded_s_per_wall_s": spread([span_s / w for w in wall]),
            "recorded_s_per_cpu_s": spread([span_s / c for c in cpu]),
            "jumps": jumps[0], "fills": fills[0], "hash": hashes[0],
            "same_hash_every_run": len(set(hashes)) == 1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_backtest",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result: dict[str, Any] = {
        "command": "python -m benchmarks.bench_backtest " + " ".join(argv or []),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load": os.getloadavg()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "rec"
        asyncio.run(make_recording(root, args.seconds))
        result["lockstep"] = runs(root, args.repeats)
    out = args.out or Path(__file__).parent / "results" / \
        f"backtest-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    r = result["lockstep"]
    print(f"lockstep {r['recorded_s']:.0f} s recorded in {r['wall_s']['median']:.2f} s wall "
          f"(min {r['wall_s']['min']:.2f}, max {r['wall_s']['max']:.2f}): "
          f"{r['recorded_s_per_wall_s']['median']:.0f}x real time, "
          f"{r['recorded_s_per_cpu_s']['median']:.0f}x per CPU second; {r['jumps']:,} time "
          f"jumps, {r['fills']} fills; same hash every run: {r['same_hash_every_run']}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
