"""Loopback replay venue for the benchmarks: picows WebSocket + aiohttp REST, in its own process.

It speaks the MEXC wire format of the spec (sub/unsub/ping §7.2–§7.3, pushes §7.4–§7.5, REST
``contract/detail`` §4.1, ``contract/depth/{symbol}`` §4.2, signed ``private/order/create`` §5.3
verified per §3.2) and replays a pre-encoded :mod:`benchmarks.feed`: a live trickle (the venue is
"live" from start, versions advance, REST serves the current book) until the parent says ``go``,
then the measured segment in one of two modes:

* ``burst`` — every frame as fast as the server can write (ingest);
* ``paced`` — frame *i* at ``t0 + i / rate``, with a spin-wait, stamping ``perf_counter_ns`` (the
  system-wide CLOCK_MONOTONIC on Linux) just before each write (latency, tick to order, scale).

The parent talks to it over a ``multiprocessing`` pipe; see :func:`serve`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from aiohttp import web
from picows import WSListener, WSMsgType, WSTransport, ws_create_server

from benchmarks.client import pipe_reader
from benchmarks.feed import DEPTH, FeedGenerator, Frame, replay_truth

_DEC = msgspec.json.Decoder()
_ENC = msgspec.json.Encoder()


@dataclass(frozen=True)
class FeedConfig:
    """What one server instance replays."""

    symbols: tuple[str, ...]
    mode: str  # "burst" or "paced"
    n: int  # measured frames
    rate: float = 0.0  # paced rate, frames/s
    mixed: bool = False  # depth + deal + ticker over all symbols (scale)
    trickle_rate: float = 300.0
    prelude: int = 4_000
    seed: int = 7
    api_key: str = "bench-key"
    secret: str = "bench-secret"
    cpu: int | None = 0
    track_best_bid: bool = False  # tick to order: remember the best bid at every version


class _Venue:
    def __init__(self, cfg: FeedConfig) -> None:
        self.cfg = cfg
        gen = FeedGenerator(list(cfg.symbols), seed=cfg.seed)
        self.initial = {s: b.copy() for s, b in gen.initial.items()}
        total = cfg.prelude + cfg.n
        if cfg.mixed:
            self.frames = gen.mixed_run(total)
        else:
            per = [gen.depth(cfg.symbols[i % len(cfg.symbols)]) for i in range(total)]
            self.frames = per
        self.live = {s: b.copy() for s, b in self.initial.items()}
        self.pos = 0
        self.subs: dict[tuple[str, str], list[WSTransport]] = {}
        self.measuring = False
        self.seg_start = 0
        self.send_ns: list[int] = []
        self.orders: list[dict[str, Any]] = []
        self.best_bid_at: dict[tuple[str, int], float] = {}
        self.bad_orders = 0
        self.commits: dict[str, deque[dict[str, object]]] = {}
        self.done = asyncio.Event()

    def _send(self, f: Frame) -> None:
        for t in self.subs.get((f.kind, f.symbol), ()):
            t.send(WSMsgType.TEXT, f.raw)

    def trickle_one(self) -> None:
        if self.pos >= self.cfg.prelude:
            return
        f = self.frames[self.pos]
        self.pos += 1
        if f.kind == DEPTH:
            self.live[f.symbol].apply(f.bids, f.asks, f.version)
            commits = self.commits.setdefault(f.symbol, deque(maxlen=1000))
            ver = f.version - len(f.bids) - len(f.asks)
            for side, levels in (("bids", f.bids), ("asks", f.asks)):
                for lv in levels:
                    ver += 1
                    commits.append({"asks": [lv] if side == "asks" else [],
                                    "bids": [lv] if side == "bids" else [], "version": ver})
        self._send(f)

    def segment(self) -> list[Frame]:
        return self.frames[self.seg_start:self.seg_start + self.cfg.n]

    async def run_segment(self) -> None:
        seg = self.segment()
        send = self._send
        stamps = self.send_ns
        clock = time.perf_counter_ns
        if self.cfg.mode == "burst":
            # Pre-built server->client WS frames written straight to the socket in chunks, so
            # the server is never the bottleneck (performance.md); stamps at chunk starts.
            chunks = _wire_chunks(seg, 128)
            targets = [t.underlying_transport for lst in self.subs.values() for t in lst]
            stamps.append(clock())
            for chunk in chunks:
                for tr in targets:
                    tr.write(chunk)
            stamps.append(clock())
        else:
            gap = 1e9 / self.cfg.rate
            t0 = clock() + 2_000_000
            track = self.cfg.track_best_bid
            live = self.live
            for i, f in enumerate(seg):
                due = t0 + int(i * gap)
                while True:
                    now = clock()
                    if now >= due:
                        break
                    if due - now > 1_500_000:
                        await asyncio.sleep((due - now - 1_000_000) / 1e9)
                    else:
                        await asyncio.sleep(0)
                if track and f.kind == DEPTH:
                    book = live[f.symbol]
                    book.apply(f.bids, f.asks, f.version)
                    self.best_bid_at[(f.symbol, f.version)] = max(book.bids)
                stamps.append(clock())
                send(f)
            stamps.append(clock())
        self.done.set()


def _ws_header(n: int) -> bytes:
    if n < 126:
        return bytes((0x81, n))
    if n < 65_536:
        return bytes((0x81, 126)) + n.to_bytes(2, "big")
    return bytes((0x81, 127)) + n.to_bytes(8, "big")


def _wire_chunks(frames: list[Frame], per_chunk: int) -> list[bytes]:
    """Unmasked text frames (RFC 6455 §5.2), ``per_chunk`` frames per write."""
    wire = [_ws_header(len(f.raw)) + f.raw for f in frames]
    return [b"".join(wire[i:i + per_chunk]) for i in range(0, len(wire), per_chunk)]


def _pin(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


class _Listener(WSListener):
    def __init__(self, venue: _Venue) -> None:
        self.v = venue

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if frame.msg_type != WSMsgType.TEXT:
            return
        msg = _DEC.decode(frame.get_payload_as_bytes())
        method = msg.get("method", "")
        ts = int(time.time() * 1000)
        if method == "ping":
            transport.send(WSMsgType.TEXT, _ENC.encode({"channel": "pong", "data": ts, "ts": ts}))
        elif method.startswith("sub."):
            chan = method[4:]
            sym = (msg.get("param") or {}).get("symbol", "")
            if sym and sym not in self.v.live:
                transport.send(WSMsgType.TEXT, _ENC.encode(
                    {"channel": "rs.error", "data": f"Contract [{sym}] not exists", "ts": ts}))
                return
            lst = self.v.subs.setdefault((chan, sym), [])
            if transport not in lst:
                lst.append(transport)
            transport.send(WSMsgType.TEXT, _ENC.encode(
                {"channel": f"rs.{method}", "data": "success", "ts": ts}))
        elif method.startswith("unsub."):
            sym = (msg.get("param") or {}).get("symbol", "")
            lst = self.v.subs.get((method[6:], sym), [])
            if transport in lst:
                lst.remove(transport)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        for lst in self.v.subs.values():
            if transport in lst:
                lst.remove(transport)


def _ok(data: object) -> web.Response:
    return web.Response(body=_ENC.encode({"success": True, "code": 0, "data": data}),
                        content_type="application/json")


def _err(code: int, message: str) -> web.Response:
    return web.Response(body=_ENC.encode({"success": False, "code": code, "message": message}),
                        content_type="application/json")


def _detail(symbols: tuple[str, ...]) -> list[dict[str, object]]:
    out = []
    for s in symbols:
        base, quote = s.split("_")
        out.append({"symbol": s, "displayName": s, "displayNameEn": f"{s} PERPETUAL",
                    "positionOpenType": 3, "baseCoin": base, "quoteCoin": quote,
                    "settleCoin": quote, "contractSize": 0.0001, "minLeverage": 1,
                    "maxLeverage": 125, "priceScale": 1, "volScale": 0, "amountScale": 4,
                    "priceUnit": 0.1, "volUnit": 1, "minVol": 1, "maxVol": 1_000_000,
                    "bidLimitPriceRate": 0.1, "askLimitPriceRate": 0.1, "takerFeeRate": 0.0002,
                    "makerFeeRate": 0.0, "maintenanceMarginRate": 0.004,
                    "initialMarginRate": 0.008, "state": 0, "apiAllowed": True})
    return out


def _rest_app(v: _Venue) -> web.Application:
    cfg = v.cfg

    async def detail(request: web.Request) -> web.Response:
        sym = request.query.get("symbol")
        rows = _detail(cfg.symbols)
        return _ok(next((r for r in rows if r["symbol"] == sym), None) if sym else rows)

    async def depth(request: web.Request) -> web.Response:
        book = v.live.get(request.match_info["symbol"].upper())
        if book is None:
            return _err(1001, "contract not exist")
        limit = request.query.get("limit")
        return _ok(book.snapshot(int(limit) if limit else None))

    async def commits(request: web.Request) -> web.Response:
        sym = request.match_info["symbol"].upper()
        limit = int(request.match_info["limit"])
        rows = list(v.commits.get(sym, ()))[-limit:]
        return _ok(rows[::-1])  # newest first (spec §4.3)

    async def create(request: web.Request) -> web.Response:
        t = time.perf_counter_ns()
        body = await request.read()
        key = request.headers.get("ApiKey", "")
        rt = request.headers.get("Request-Time", "")
        want = hmac.new(cfg.secret.encode(), (key + rt).encode() + body, hashlib.sha256).hexdigest()
        sig = request.headers.get("Signature", "")
        if key != cfg.api_key or not hmac.compare_digest(want, sig):
            v.bad_orders += 1
            return _err(602, "Signature verification failed!")
        order = _DEC.decode(body)
        order["_t_ns"] = t
        v.orders.append(order)
        return _ok({"orderId": str(700_000_000_000 + len(v.orders)), "ts": int(time.time() * 1000)})

    async def fallback(request: web.Request) -> web.Response:
        return web.Response(status=404, body=b'{"success":false,"code":404,"message":"not served"}',
                            content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/contract/detail", detail)
    app.router.add_get("/api/v1/contract/depth/{symbol}", depth)
    app.router.add_get("/api/v1/contract/depth_commits/{symbol}/{limit}", commits)
    app.router.add_post("/api/v1/private/order/create", create)
    app.router.add_route("*", "/{tail:.*}", fallback)
    return app


async def _main(conn: Connection, cfg: FeedConfig) -> None:
    loop = asyncio.get_running_loop()
    v = _Venue(cfg)
    ws = await ws_create_server(lambda _req: _Listener(v), "127.0.0.1", 0)
    runner = web.AppRunner(_rest_app(v), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    ws_port = ws.sockets[0].getsockname()[1]
    rest_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    commands: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    pipe_reader(conn, loop, commands)
    conn.send(("ports", {"ws": ws_port, "rest": rest_port}))

    async def trickle() -> None:
        gap = 1.0 / cfg.trickle_rate
        while not v.measuring:
            v.trickle_one()
            await asyncio.sleep(gap)

    trickler = asyncio.create_task(trickle())
    runner_task: asyncio.Task[None] | None = None
    while True:
        cmd, _arg = await commands.get()
        if cmd == "go":
            v.measuring = True
            await trickler
            v.seg_start = v.pos
            last: dict[str, int] = {}
            for f in v.segment():
                if f.kind == DEPTH:
                    last[f.symbol] = f.version
            conn.send(("started", {"last": last}))
            runner_task = asyncio.create_task(v.run_segment())
        elif cmd == "finish":
            if runner_task is not None:
                await runner_task
            truth = replay_truth(v.initial, v.frames[:v.seg_start + cfg.n])
            await asyncio.sleep(0.05)  # let in-flight order requests land
            seg = v.segment()
            conn.send(("result", {
                "send_ns": v.send_ns,
                "versions": [f.version for f in seg],
                "kinds": [f.kind for f in seg],
                "truth": {s: b.levels() for s, b in truth.items()},
                "truth_version": {s: b.version for s, b in truth.items()},
                "orders": v.orders,
                "bad_orders": v.bad_orders,
                "best_bid_at": {f"{s}:{ver}": p for (s, ver), p in v.best_bid_at.items()},
            }))
        elif cmd == "stop":
            break
    ws.close()
    await runner.cleanup()


def serve(conn: Connection, cfg: FeedConfig) -> None:
    """Process entry point: pin to ``cfg.cpu``, serve until the parent sends ``stop``."""
    _pin(cfg.cpu)
    logging.getLogger("picows").setLevel(logging.ERROR)
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    try:
        import uvloop

        uvloop.run(_main(conn, cfg))
    except ImportError:
        asyncio.run(_main(conn, cfg))
