"""Tick-to-order latency over loopback, client side, and the order round trip (performance.md).

Run: ``.venv/bin/python benchmarks/bench_tick_to_order.py [--n 2000] [--gap 0.002] [--out FILE]
[--profile]``; prints a table and one JSON object.

* **tick to order** (client side, as issue 5 defines it): from the moment the WebSocket transport
  (picows, the toolkit's WS transport) hands a ``push.ticker`` frame's bytes to the toolkit
  (``on_ws_frame`` entry) to the moment the signed ``order/create`` request has been handed to the
  kernel (``transport.write`` returned, ``OrderLane.on_write``). In between, the real path:
  ``codec.decode_frame`` -> ``convert.ticker`` -> strategy callback -> ``PlaceOrder`` ->
  ``ExecutionManager.submit_nowait`` (kill/trading switches, risk gate, journal INSERT committed
  in SQLite WAL, msgspec body, HMAC from the precomputed state, pre-built header template) ->
  write. Reported as p50/p99/p99.9, with the split "decode + strategy" vs "gate -> written".
  Target p50 <= 100 µs, p99 <= 300 µs.
* **order round trip**: request written -> ``push.personal.order`` for that ``externalOid``
  received on the private stream.
* **machine noise**: load average, and the event loop's idle wake-up jitter (``sleep(0)`` round
  trips) measured just before the run — a p99 far above its p50 means a busy machine.

The emulator and the tick feeder run in-process on the same loop (one core), with REST buckets
off and the client limiter unlimited so the venue's 4/2 s create limit does not turn the benchmark
into a sleep test (production keeps the limiter). Resting orders are cancelled every 100 ticks
outside the measured path. ``--profile`` adds the top cProfile entries of the client run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from mexc_futures.emulator.server import Emulator
from mexc_futures.execution import ExecutionConfig, ExecutionManager
from mexc_futures.marketdata import PrivateStream
from mexc_futures.model.events import OrderUpdate, Ticker
from mexc_futures.model.intents import CancelAll, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.risk import RiskLimits
from mexc_futures.protocol import convert
from mexc_futures.protocol import ws as wsproto
from mexc_futures.protocol.codec import decode_frame
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.transport.rest import RestClient

SYMBOL = "BTC_USDT"
FRAME = (
    '{"symbol":"BTC_USDT","data":{"symbol":"BTC_USDT","lastPrice":84055,"riseFallRate":-0.0005,'
    '"fairPrice":84063.8,"indexPrice":84104,"volume24":311051901,"amount24":2606920596.04,'
    '"maxBidPrice":92514.4,"minAskPrice":75693.6,"lower24Price":83136.6,"high24Price":84461.9,'
    '"timestamp":1790870036854,"bid1":84054.9,"ask1":84055,"holdVol":546882118,'
    '"riseFallValue":-47.2,"fundingRate":0.000072,"zone":"UTC+8",'
    '"riseFallRates":[-0.0005,0.0011,0.0701,0.365,0.2581,-0.2565],'
    '"riseFallRatesOfTimezone":[0.0035,0.0057,-0.0005]},"channel":"push.ticker",'
    '"ts":1790870036854}'
)


class Unlimited(RateLimiter):
    """Never waits (benchmark only: the emulator's buckets are off too)."""

    def acquire(self, bucket: Any, now: float) -> float:
        return 0.0


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))]


def dist(xs: list[float]) -> dict[str, float]:
    return {
        "p50": pct(xs, 0.5),
        "p99": pct(xs, 0.99),
        "p99.9": pct(xs, 0.999),
        "mean": statistics.fmean(xs),
        "max": max(xs),
    }


async def feeder(n: int, gap: float) -> tuple[web.AppRunner, int]:
    """A WS server that sends ``n`` ticker frames, ``gap`` seconds apart."""

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in range(n):
            await ws.send_str(FRAME)
            await asyncio.sleep(gap)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def loop_jitter(samples: int = 2000) -> dict[str, float]:
    """Idle event-loop wake-up round trips (µs): the machine-noise reference."""
    out: list[float] = []
    for _ in range(samples):
        t = time.perf_counter_ns()
        await asyncio.sleep(0)
        out.append((time.perf_counter_ns() - t) / 1000)
    return {"p50": pct(out, 0.5), "p99": pct(out, 0.99), "p99.9": pct(out, 0.999)}


class TickClient(WSListener):
    """picows listener: the toolkit's hot path from frame bytes to the order write."""

    def __init__(self, em: ExecutionManager, price: Decimal, stats: dict[str, Any]) -> None:
        self.em = em
        self.price = price
        self.st = stats
        self.ticks = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def strategy(self, t: Ticker) -> PlaceOrder:
        """The 'strategy callback': a limit buy well below the last price."""
        return PlaceOrder(
            symbol=t.symbol,
            side=TradeSide.OPEN_LONG,
            kind=OrderKind.LIMIT,
            vol=Decimal(1),
            price=self.price,
            leverage=10,
        )

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        t0 = time.perf_counter_ns()
        if frame.msg_type is not WSMsgType.TEXT:
            return
        msg = decode_frame(frame.get_payload_as_bytes())
        if not isinstance(msg, wsproto.TickerPush):
            return
        intent = self.strategy(convert.ticker(msg.data, msg.ts))
        st = self.st
        st["t0"], st["t1"] = t0, time.perf_counter_ns()
        st["futs"].append(self.em.submit_nowait(intent))
        self.ticks += 1
        if self.ticks % 100 == 0:
            self.st["futs"].append(asyncio.ensure_future(self.em.submit(CancelAll(symbol=SYMBOL))))

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def run(n: int, gap: float, profile: bool) -> dict[str, Any]:
    t2o: list[float] = []
    front: list[float] = []
    back: list[float] = []
    rtt: list[float] = []
    written: dict[str, int] = {}
    st: dict[str, Any] = {"t0": 0, "t1": 0, "futs": []}
    jitter = await loop_jitter()
    load = os.getloadavg()
    async with Emulator(symbols=[SYMBOL], rest_limits=False) as ex:
        rest = RestClient(ex.env, ex.credentials, limiter=Unlimited())
        journal = Path(tempfile.mkdtemp()) / "bench.db"
        limits = RiskLimits(
            max_open_orders=10_000,
            max_open_orders_per_symbol=10_000,
            max_notional=Decimal(10**12),
            max_position=Decimal(10**9),
        )
        config = ExecutionConfig(symbols=(SYMBOL,), reconcile_interval=3600)
        async with (
            rest,
            ExecutionManager(rest, journal_path=journal, risk=limits, config=config) as em,
            PrivateStream(ex.env, ex.credentials, ["order"], [SYMBOL]) as ps,
        ):
            lane = rest.lane
            assert lane is not None
            def on_write() -> None:
                now = time.perf_counter_ns()
                if st["t0"]:
                    t2o.append((now - st["t0"]) / 1000)
                    front.append((st["t1"] - st["t0"]) / 1000)
                    back.append((now - st["t1"]) / 1000)
                    st["t0"] = 0

            def on_push(ev: object) -> None:
                if isinstance(ev, OrderUpdate) and ev.external_oid in written:
                    rtt.append((time.perf_counter_ns() - written.pop(ev.external_oid)) / 1000)

            lane.on_write = on_write
            ps.on(em.on_account_event)
            ps.on(on_push)
            price = em.specs[SYMBOL].round_price(Decimal("60000"))
            sent_before = lane.sent
            runner, port = await feeder(n, gap)
            prof = cProfile.Profile() if profile else None
            try:
                client = TickClient(em, price, st)
                if prof is not None:
                    prof.enable()
                transport, _ = await ws_connect(lambda: client, f"ws://127.0.0.1:{port}/ws")
                await client.done
                if prof is not None:
                    prof.disable()
                transport.disconnect()
                for fut in st["futs"]:
                    await fut  # orders and the periodic cancels
            finally:
                await runner.cleanup()
            # round trip: request written -> order push; measured by a second, paced pass
            rtt_n = min(200, n)
            for _ in range(rtt_n):
                intent = PlaceOrder(
                    symbol=SYMBOL,
                    side=TradeSide.OPEN_LONG,
                    kind=OrderKind.LIMIT,
                    vol=Decimal(1),
                    price=price,
                    leverage=10,
                )
                mark: dict[str, int] = {}

                def stamp(m: dict[str, int] = mark) -> None:
                    m["w"] = time.perf_counter_ns()

                lane.on_write = stamp
                order = await em.submit_nowait(intent)
                if "w" in mark:
                    written[order.external_oid] = mark["w"]
                await asyncio.sleep(0.005)
            written.clear()
            await em.submit(CancelAll(symbol=SYMBOL))
            await asyncio.sleep(0.2)
            lane_sent = lane.sent - sent_before
    warm = max(1, len(t2o) // 20)
    t2o, front, back = t2o[warm:], front[warm:], back[warm:]
    res: dict[str, Any] = {
        "benchmark": "tick_to_order",
        "python": platform.python_version(),
        "loop": type(asyncio.get_running_loop()).__module__,
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_1m": load[0],
            "idle_loop_wakeup_us": jitter,
        },
        "ticks": n,
        "samples": len(t2o),
        "lane_requests": lane_sent,
        "tick_to_order_us": dist(t2o),
        "split_us": {
            "decode_and_strategy_p50": pct(front, 0.5),
            "gate_journal_sign_write_p50": pct(back, 0.5),
            "gate_journal_sign_write_p99": pct(back, 0.99),
        },
        "order_round_trip_us": dict(dist(rtt), samples=len(rtt)) if rtt else None,
        "target_us": {"p50": 100, "p99": 300},
        "meets_target": pct(t2o, 0.5) <= 100 and pct(t2o, 0.99) <= 300,
        "notes": "client side; emulator and feeder in-process on the same loop; REST buckets "
        "off, client limiter unlimited; journal WAL synchronous=NORMAL; order lane",
    }
    if prof is not None:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
        res["profile_top"] = buf.getvalue().splitlines()[-32:]
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--gap", type=float, default=0.002)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    res = asyncio.run(run(args.n, args.gap, args.profile))
    t, r = res["tick_to_order_us"], res["order_round_trip_us"]
    print(
        f"tick->order  p50 {t['p50']:8.1f} µs  p99 {t['p99']:8.1f} µs  "
        f"p99.9 {t['p99.9']:8.1f} µs  (n={res['samples']})"
    )
    if r:
        print(f"round trip   p50 {r['p50']:8.1f} µs  p99 {r['p99']:8.1f} µs  (n={r['samples']})")
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
