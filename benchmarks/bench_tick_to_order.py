"""Tick-to-order latency over loopback, and the order round trip (design performance.md).

Run: ``.venv/bin/python benchmarks/bench_tick_to_order.py [--n 400] [--out FILE]``; prints a table
and one JSON object.

* **tick to order**: a ``push.ticker`` WebSocket frame arrives (aiohttp client, loopback) -> decode
  (``protocol.codec``) -> strategy decision -> ``ExecutionManager.submit`` (risk gate, journal
  commit in SQLite WAL, compact JSON, HMAC signature) -> the signed ``order/create`` body written
  to the socket (aiohttp ``on_request_chunk_sent``). Target p50 <= 100 µs, p99 <= 300 µs.
* **order round trip**: request written -> ``push.personal.order`` for that ``externalOid``
  received on the private stream (emulator in the same process and loop).

The emulator runs in-process with REST buckets off, and the client limiter is unlimited, so the
venue's 4/2s create limit does not turn the benchmark into a sleep test (documented; production
keeps the limiter). Resting orders are cancelled every 100 ticks outside the measured path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import web

from mexc_futures.emulator.server import Emulator
from mexc_futures.execution import ExecutionConfig, ExecutionManager
from mexc_futures.marketdata import PrivateStream
from mexc_futures.model.events import OrderUpdate
from mexc_futures.model.intents import CancelAll, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.risk import RiskLimits
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


async def run(n: int, gap: float) -> dict[str, Any]:
    t2o: list[float] = []
    rtt: list[float] = []
    written: dict[str, int] = {}
    pending_oid: list[str] = []
    mark = SimpleNamespace(t0=0, armed=False)

    async def on_chunk(_s: Any, _ctx: Any, params: Any) -> None:
        if mark.armed and params.chunk:
            now = time.perf_counter_ns()
            t2o.append((now - mark.t0) / 1000)
            mark.armed = False
            if pending_oid:
                written[pending_oid[-1]] = now

    trace = aiohttp.TraceConfig()
    trace.on_request_chunk_sent.append(on_chunk)
    async with Emulator(symbols=[SYMBOL], rest_limits=False) as ex:
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=8), trace_configs=[trace]
        )
        rest = RestClient(ex.env, ex.credentials, session=session, limiter=Unlimited())
        rest._own_session = True  # close it with the client
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

            def on_push(ev: object) -> None:
                if isinstance(ev, OrderUpdate) and ev.external_oid in written:
                    rtt.append((time.perf_counter_ns() - written.pop(ev.external_oid)) / 1000)

            ps.on(em.on_account_event)
            ps.on(on_push)
            price = em.specs[SYMBOL].round_price(Decimal("60000"))
            runner, port = await feeder(n, gap)
            try:
                async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                    i = 0
                    async for msg in ws:
                        mark.t0 = time.perf_counter_ns()
                        frame = decode_frame(msg.data)
                        if not isinstance(frame, wsproto.TickerPush):
                            continue
                        mark.armed = True
                        pending_oid.append("")
                        intent = PlaceOrder(
                            symbol=SYMBOL,
                            side=TradeSide.OPEN_LONG,
                            kind=OrderKind.LIMIT,
                            vol=Decimal(1),
                            price=price,
                            leverage=10,
                        )
                        order = await em.submit(intent)
                        assert order is not None
                        pending_oid[-1] = order.external_oid
                        if order.external_oid not in written and t2o:
                            written[order.external_oid] = mark.t0 + int(t2o[-1] * 1000)
                        i += 1
                        if i % 100 == 0:
                            await em.submit(CancelAll(symbol=SYMBOL))
            finally:
                await runner.cleanup()
            await asyncio.sleep(0.3)
    warm = max(1, n // 20)
    t2o = t2o[warm:]
    rtt = rtt[warm:]
    return {
        "benchmark": "tick_to_order",
        "python": platform.python_version(),
        "loop": type(asyncio.get_running_loop()).__module__,
        "samples": len(t2o),
        "tick_to_order_us": {
            "p50": pct(t2o, 0.5),
            "p99": pct(t2o, 0.99),
            "mean": statistics.fmean(t2o),
            "max": max(t2o),
        },
        "order_round_trip_us": {"p50": pct(rtt, 0.5), "p99": pct(rtt, 0.99), "samples": len(rtt)}
        if rtt
        else None,
        "target_us": {"p50": 100, "p99": 300},
        "meets_target": pct(t2o, 0.5) <= 100 and pct(t2o, 0.99) <= 300,
        "notes": "emulator in-process, REST buckets off, client limiter unlimited, journal WAL "
        "synchronous=NORMAL",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    res = asyncio.run(run(args.n, args.gap))
    t, r = res["tick_to_order_us"], res["order_round_trip_us"]
    print(f"tick->order  p50 {t['p50']:8.1f} µs  p99 {t['p99']:8.1f} µs  (n={res['samples']})")
    if r:
        print(f"round trip   p50 {r['p50']:8.1f} µs  p99 {r['p99']:8.1f} µs  (n={r['samples']})")
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
