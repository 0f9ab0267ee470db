"""What the bus adds to an order (issue #18, design check B10): ``./run bench bus-exec``.

Three processes and a real ``redis-server`` (``testing.services.redis_server``): the emulator
(its own process), ``mexc-futures exec-service`` (its own process, the account's keys), and this
one, which places a resting limit order and cancels it, ``--ops`` times per round, paced under
the venue's order rate limit, alternately

* **in-process**: ``ExecutionManager.submit`` (risk gate, journal, REST) — today's path;
* **bus**: ``RemoteExecutor.submit`` (``XADD`` intent -> exec service ``XREADGROUP`` -> the same
  ``ExecutionManager.submit`` there -> outcome ``XADD`` -> ``XREAD`` here).

Reported per path (JSON into ``benchmarks/results/bench_bus_exec-<UTC>.json``): the round trip
of ``place`` and ``cancel`` (p50, p90, p99 over all rounds; the median of the per-round p50s with
its spread [min-max]); for the bus also ``intent write`` (from the submit call until the intent
is in Redis: what ``tick→intent (bus)`` adds to the engine's tick-to-order) and the added latency
(bus p50 - in-process p50, per round); and that every order had its own ``externalOid`` and
none was left open.

    ./run bench bus-exec [--ops 30 --rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess  # nosec B404  # the exec-service CLI, fixed argv
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SYMBOL = "BTC_USDT"
KEY = "mx0vglBUSEXECBENCH0001"
SECRET = "0123456789abcdef0123456789abcdef"  # pragma: allowlist secret  # a dummy emulator key
PACE_S = 0.55  # a create per 0.55 s: under the venue's 4 per 2 s (spec §9.1), no limiter waits


def _emulator_main(conn: Any) -> None:
    asyncio.run(_emulator(conn))


async def _emulator(conn: Any) -> None:
    from mexc_futures.emulator.server.server import Emulator

    async with Emulator(symbols=[SYMBOL], api_key=KEY, api_secret=SECRET, seed=3) as ex:
        conn.send(ex.rest_url)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # until told to stop


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * q))] if s else float("nan")


def summary(rounds: list[list[float]]) -> dict[str, Any]:
    flat = [x for r in rounds for x in r]
    p50s = [statistics.median(r) for r in rounds if r]
    return {
        "n": len(flat),
        "p50_ms": round(pct(flat, 0.5), 3),
        "p90_ms": round(pct(flat, 0.9), 3),
        "p99_ms": round(pct(flat, 0.99), 3),
        "round_p50_median_ms": round(statistics.median(p50s), 3),
        "round_p50_spread_ms": [round(min(p50s), 3), round(max(p50s), 3)],
    }


async def _ops(submit: Any, intent: Any, n: int, out: dict[str, list[float]]) -> list[str]:
    from mexc_futures.model.intents import CancelOrder

    oids = []
    for _ in range(n):
        t0 = time.perf_counter()
        order = await submit(intent)
        t1 = time.perf_counter()
        await submit(CancelOrder(symbol=SYMBOL, order_id=order.order_id))
        t2 = time.perf_counter()
        out.setdefault("place", []).append((t1 - t0) * 1000)
        out.setdefault("cancel", []).append((t2 - t1) * 1000)
        oids.append(order.external_oid)
        await asyncio.sleep(PACE_S)
    return oids


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from mexc_futures.bus.remote import RemoteExecutor
    from mexc_futures.config import Credentials, Environment
    from mexc_futures.execution.facade import ExecutionConfig, ExecutionManager
    from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide
    from mexc_futures.testing.services import redis_server
    from mexc_futures.transport.rest import RestClient

    parent, child = mp.Pipe()
    emu = mp.get_context("spawn").Process(target=_emulator_main, args=(child,), daemon=True)
    emu.start()
    rest_url = parent.recv()
    env = Environment.local("127.0.0.1", int(rest_url.rsplit(":", 1)[1]))
    creds = Credentials(KEY, SECRET)
    home = Path(tempfile.mkdtemp(prefix="bench-bus-exec-"))
    per: dict[str, list[dict[str, list[float]]]] = {"in_process": [], "bus": []}
    oids: list[str] = []
    with redis_server() as server:
        svc = subprocess.Popen(  # noqa: ASYNC220  # nosec B603  # fixed argv, no shell
            [sys.executable, "-m", "mexc_futures.cli", "exec-service", "--bus", server.url,
             "--account", "bench", "-s", SYMBOL],
            env={**os.environ, "MEXC_EMULATOR_URL": rest_url, "MEXC_API_KEY": KEY,
                 "MEXC_API_SECRET": SECRET, "MEXC_FUTURES_HOME": str(home / "svc"),
                 "PYTHONPATH": str(ROOT / "src")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with (
                RestClient(env, creds) as rest,
                ExecutionManager(rest, journal_path=home / "j.db",
                                 config=ExecutionConfig(symbols=(SYMBOL,))) as em,
            ):
                t = await rest.get_ticker(SYMBOL)
                price = em.specs[SYMBOL].round_price(Decimal(str(t.bid1)) * Decimal("0.9"))
                intent = PlaceOrder(symbol=SYMBOL, side=TradeSide.OPEN_LONG,
                                    kind=OrderKind.LIMIT, vol=Decimal(1), price=price, leverage=10)
                writes: list[float] = []
                origin: list[float] = [0.0]

                async def timed_submit(remote: Any, i: Any) -> Any:
                    origin[0] = time.monotonic()
                    return await remote.submit(i)

                async with RemoteExecutor(
                    server.url, "bench", "bench", result_timeout=30,
                    on_latency=lambda k, ms: writes.append(ms) if k.startswith("tick") else None,
                    origin=lambda: origin[0],
                ) as remote:
                    await _ops(em.submit, intent, 3, {})  # warm both paths
                    await _ops(lambda i: timed_submit(remote, i), intent, 3, {})
                    for _ in range(args.rounds):
                        got: dict[str, list[float]] = {}
                        oids += await _ops(em.submit, intent, args.ops, got)
                        per["in_process"].append(got)
                        got = {}
                        writes.clear()
                        oids += await _ops(lambda i: timed_submit(remote, i), intent, args.ops,
                                           got)
                        got["intent_write"] = list(writes)
                        per["bus"].append(got)
                open_after = len(await rest.get_open_orders())
        finally:
            svc.terminate()
            svc.wait(30)
    parent.send("stop")
    emu.join(10)
    out: dict[str, Any] = {}
    for path, rounds in per.items():
        out[path] = {op: summary([r[op] for r in rounds]) for op in ("place", "cancel")}
    out["bus"]["intent_write"] = summary([r["intent_write"] for r in per["bus"]])
    out["added_by_bus_ms"] = {
        op: [round(statistics.median(b[op]) - statistics.median(i[op]), 3)
             for b, i in zip(per["bus"], per["in_process"], strict=True)]
        for op in ("place", "cancel")
    }
    out["orders"] = {"placed": len(oids), "distinct_external_oids": len(set(oids)),
                     "open_after": open_after}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_bus_exec", description=__doc__.split("\n")[0])
    ap.add_argument("--ops", type=int, default=30, help="place+cancel pairs per path per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    t0 = time.time()
    result = asyncio.run(bench(args))
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = {
        "bench": "bus_exec",
        "utc": stamp,
        "seconds": round(time.time() - t0, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load": os.getloadavg()},
        "config": {"ops": args.ops, "rounds": args.rounds, "pace_s": PACE_S},
        **result,
    }
    path = args.out or ROOT / "benchmarks" / "results" / f"bench_bus_exec-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    for p in ("in_process", "bus"):
        for op in ("place", "cancel"):
            s = report[p][op]
            print(f"{p:<11} {op:<7} p50 {s['p50_ms']:.2f} ms  p99 {s['p99_ms']:.2f} ms  "
                  f"round p50 {s['round_p50_median_ms']:.2f} {s['round_p50_spread_ms']}")
    w = report["bus"]["intent_write"]
    print(f"bus intent write p50 {w['p50_ms']:.3f} ms p99 {w['p99_ms']:.3f} ms")
    print(f"added by the bus (per round, ms): {report['added_by_bus_ms']}")
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
