"""Depth ingest through the public API vs a raw floor, plus whole-market scaling. JSON out.

    .venv/bin/python -m benchmarks.bench_ingest [--frames 200000] [--repeats 3]
        [--scale 10,100,800] [--scale-seconds 5] [--out bench_ingest.json] [--loop uvloop]

* The emulator runs in its own process (pinned to core 0); the client runs here (core 1), so
  ``resource.getrusage(RUSAGE_SELF)`` counts client CPU only. Both run under uvloop when it is
  installed (``--loop asyncio`` for the stdlib loop); the JSON records which.
* ``toolkit``: ``MarketData`` + ``subscribe("depth")`` + a callback on ``BookUpdate`` (version
  checks on, spec §8.2). ``floor``: picows + msgspec + dict/bisect book, no abstractions, same
  version check. Both receive the emulator's burst (``Emulator.burst_depth``: pre-encoded merged
  frames of ``levels`` changes) and are interleaved A B A B ...
* A run counts only if the final book equals the venue's book at the last version and no gap or
  resync (other than the start) happened.
* ``scale``: 10/100/800 symbols x depth + deal + ticker at the emulator's normal flow for a few
  seconds: messages/s, µs of CPU per message, RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from bisect import bisect_left, insort
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import msgspec
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

SYM = "BTC_USDT"


# ------------------------------------------------------------------ server process


def _pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError):
        if (os.cpu_count() or 1) >= 2:
            os.sched_setaffinity(0, {cpu})


def _run(coro: Any, loop: str = "uvloop") -> Any:
    """Run ``coro`` under uvloop when asked and installed (both processes, all candidates alike)."""
    factory = None
    if loop == "uvloop":
        with contextlib.suppress(ImportError):
            import uvloop

            factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def _server(pipe: Connection, n_contracts: int | None, loop: str) -> None:
    _pin(0)
    _run(_serve(pipe, n_contracts), loop)


async def _serve(pipe: Connection, n_contracts: int | None) -> None:
    from mexc_futures.emulator.server import Emulator, WsLimits

    symbols = None if n_contracts else [SYM]
    async with Emulator(symbols=symbols, n_contracts=n_contracts, limits=WsLimits.off(),
                        rest_limits=False) as ex:
        pipe.send({"rest": ex.rest_url, "ws": ex.ws_url, "symbols": ex.venue.symbols()})
        loop = asyncio.get_running_loop()
        while True:
            cmd = await loop.run_in_executor(None, pipe.recv)
            if cmd["op"] == "stop":
                return
            if cmd["op"] == "burst":
                res = await ex.burst_depth(SYM, cmd["frames"], levels=cmd["levels"])
                pipe.send({"first": res.first_version, "last": res.last_version})
            if cmd["op"] == "truth":
                truth = ex.truth.book_at(SYM, cmd["version"])
                pipe.send({"bids": truth["bids"], "asks": truth["asks"]})


# ------------------------------------------------------------------ client candidates


class Toolkit:
    """``MarketData`` through its public API."""

    name = "toolkit"

    def __init__(self, env: Any) -> None:
        from mexc_futures.marketdata import MarketData, MarketDataConfig
        from mexc_futures.protocol.ratelimit import RateLimiter
        from mexc_futures.transport.rest import RestClient

        class _NoLimit(RateLimiter):
            def acquire(self, bucket: Any, now: float) -> float:
                return 0.0

        self.rest = RestClient(env, limiter=_NoLimit())
        self.md = MarketData(env, rest=self.rest,
                             config=MarketDataConfig(audit_interval=None, depth_silence=None))
        self.version = 0
        self.done = asyncio.Event()
        self.target = -1

    async def start(self) -> None:
        from mexc_futures.model.events import BookUpdate

        await self.md.__aenter__()
        sub = await self.md.subscribe("depth", SYM)

        def on_update(ev: Any) -> None:  # as much work as the floor's: version + done check
            if ev.__class__ is BookUpdate:
                v = self.version = ev.version
                if v >= self.target >= 0:
                    self.done.set()

        self.target = 0  # the first BookUpdate (the synced book) sets ``done``
        sub.on(on_update)
        if self.md.book(SYM).synced:
            self.done.set()
        await asyncio.wait_for(self.done.wait(), timeout=30)
        self.done.clear()
        self.target = -1

    def snapshot(self) -> tuple[int, Any]:
        book = self.md.book(SYM).book
        return book.version, book.levels()

    def check(self, truth: dict[str, Any], levels: Any) -> list[str]:
        sync = self.md.sync_of(SYM)
        problems = []
        if not _same(levels, truth):
            problems.append("final book differs from the venue")
        if sync.stats.gaps or sync.stats.resyncs:
            problems.append(f"gaps={sync.stats.gaps} resyncs={sync.stats.resyncs}")
        return problems

    async def close(self) -> None:
        await self.md.__aexit__(None, None, None)
        await self.rest.close()


class _Lv(msgspec.Struct, array_like=True, gc=False):
    price: float
    vol: float
    count: int = 0


class _Depth(msgspec.Struct, gc=False):
    asks: list[_Lv]
    bids: list[_Lv]
    version: int
    begin: int = 0
    end: int = 0


class _DepthMsg(msgspec.Struct, tag_field="channel", tag="push.depth", gc=False):
    data: _Depth
    symbol: str = ""
    ts: int = 0


class _Other(msgspec.Struct, tag_field="channel", tag="pong"):
    data: Any = None


def _ignore(bbo: Any) -> None:
    """The floor's consumer callback: receives best bid/ask, does nothing."""


class Floor(WSListener):
    """picows + msgspec + dict/bisect book: the cheapest correct client we can write."""

    name = "floor"

    def __init__(self, env: Any) -> None:
        self.env = env
        self.dec = msgspec.json.Decoder(_DepthMsg | _Other)
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.bk: list[float] = []
        self.ak: list[float] = []
        self.version = 0
        self.gaps = 0
        self.buffer: list[_Depth] | None = []
        self.done = asyncio.Event()
        self.target = -1
        self.transport: WSTransport | None = None
        self.on_update: Callable[[Any], None] = _ignore

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        try:
            msg = self.dec.decode(frame.get_payload_as_bytes())
        except msgspec.ValidationError:  # acks and other channels
            return
        if msg.__class__ is not _DepthMsg:
            return
        d = msg.data
        if self.buffer is not None:
            self.buffer.append(d)
            return
        self._apply(d)

    def _apply(self, d: _Depth) -> None:
        if d.end <= self.version:
            return
        if d.begin > self.version + 1:
            self.gaps += 1
        bids, bk = self.bids, self.bk
        for lv in d.bids:
            p = lv.price
            if lv.vol:
                if p not in bids:
                    insort(bk, p)
                bids[p] = lv.vol
            elif p in bids:
                del bids[p]
                del bk[bisect_left(bk, p)]
        asks, ak = self.asks, self.ak
        for lv in d.asks:
            p = -lv.price
            if lv.vol:
                if lv.price not in asks:
                    insort(ak, p)
                asks[lv.price] = lv.vol
            elif lv.price in asks:
                del asks[lv.price]
                del ak[bisect_left(ak, p)]
        self.version = d.end
        self.on_update((bk[-1] if bk else None, -ak[-1] if ak else None))
        if d.end >= self.target >= 0:
            self.done.set()

    async def start(self) -> None:
        import aiohttp

        self.transport, _ = await ws_connect(lambda: self, self.env.ws_url)
        self.transport.send(WSMsgType.TEXT, b'{"method":"sub.depth","param":{"symbol":"%s"}}'
                            % SYM.encode())
        await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as s, s.get(
            f"{self.env.rest_url}/api/v1/contract/depth/{SYM}?limit=1000"
        ) as r:
            data = (await r.json())["data"]
        self.bids = {p: v for p, v, *_ in data["bids"]}
        self.asks = {p: v for p, v, *_ in data["asks"]}
        self.bk = sorted(self.bids)
        self.ak = sorted(-p for p in self.asks)
        self.version = data["version"]
        buf, self.buffer = self.buffer or [], None
        for d in buf:
            self._apply(d)

    def snapshot(self) -> tuple[int, Any]:
        return self.version, (sorted(self.bids.items(), reverse=True), sorted(self.asks.items()))

    def check(self, truth: dict[str, Any], levels: Any) -> list[str]:
        problems = [] if _same(levels, truth) else ["final book differs"]
        return problems + ([f"gaps={self.gaps}"] if self.gaps else [])

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.disconnect()
            await self.transport.wait_disconnected()


# ------------------------------------------------------------------ runs


def _same(levels: Any, truth: dict[str, Any]) -> bool:
    bids, asks = levels
    tb = [(float(p), float(v)) for p, v, *_ in truth["bids"]]
    ta = [(float(p), float(v)) for p, v, *_ in truth["asks"]]
    return [(float(p), float(v)) for p, v in bids] == tb and [
        (float(p), float(v)) for p, v in asks] == ta


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _one(cls: type, env: Any, pipe: Connection, frames: int, levels: int) -> dict[str, Any]:
    cand = cls(env)
    await cand.start()
    try:
        loop = asyncio.get_running_loop()
        cpu0, wall0 = _cpu(), time.perf_counter()
        cand.target = 1 << 62
        pipe.send({"op": "burst", "frames": frames, "levels": levels})
        res = await loop.run_in_executor(None, pipe.recv)
        cand.target = res["last"]
        if cand.version >= res["last"]:
            cand.done.set()
        await asyncio.wait_for(cand.done.wait(), timeout=120)
        cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
        version, levels = cand.snapshot()
        pipe.send({"op": "truth", "version": version})
        problems = cand.check(await loop.run_in_executor(None, pipe.recv), levels)
    finally:
        await cand.close()
    return {"candidate": cand.name, "frames": frames, "cpu_s": cpu, "wall_s": wall,
            "msgs_per_cpu_s": frames / cpu, "us_per_frame": cpu / frames * 1e6,
            "msgs_per_wall_s": frames / wall, "ok": not problems, "problems": problems}


def _env(info: dict[str, Any]) -> Any:
    from mexc_futures.config import Environment

    return Environment(name="bench", rest_url=info["rest"], ws_url=info["ws"], is_live=False)


async def _ingest(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_server, args=(child, None, args.loop), daemon=True)
    proc.start()
    try:
        info = parent.recv()
        env = _env(info)
        _pin(1)
        await _one(Toolkit, env, parent, 2000, args.levels)  # warm-up
        await _one(Floor, env, parent, 2000, args.levels)
        runs = []
        for _ in range(args.repeats):
            for cls in (Toolkit, Floor):
                runs.append(await _one(cls, env, parent, args.frames, args.levels))
        parent.send({"op": "stop"})
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    out: dict[str, Any] = {"runs": runs}
    for name in ("toolkit", "floor"):
        good = [r for r in runs if r["candidate"] == name and r["ok"]]
        rates = [r["msgs_per_cpu_s"] for r in good]
        out[name] = {
            "valid_runs": len(good),
            "median_msgs_per_cpu_s": statistics.median(rates) if rates else None,
            "spread": [min(rates), max(rates)] if rates else None,
            "median_us_per_frame": statistics.median(r["us_per_frame"] for r in good)
            if good else None,
        }
    t, f = out["toolkit"]["median_msgs_per_cpu_s"], out["floor"]["median_msgs_per_cpu_s"]
    out["ratio_to_floor"] = t / f if t and f else None
    out["target_msgs_per_cpu_s"] = 250_000
    out["meets_target"] = bool(t and t >= 250_000)
    return out


async def _scale_one(n: int, seconds: float, loop: str) -> dict[str, Any]:
    from mexc_futures.marketdata import MarketData, MarketDataConfig
    from mexc_futures.protocol.ratelimit import RateLimiter
    from mexc_futures.transport.rest import RestClient

    class _NoLimit(RateLimiter):
        def acquire(self, bucket: Any, now: float) -> float:
            return 0.0

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_server, args=(child, n, loop), daemon=True)
    proc.start()
    try:
        info = parent.recv()
        env = _env(info)
        symbols = info["symbols"][:n]
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rest = RestClient(env, limiter=_NoLimit())
        md = MarketData(env, rest=rest, config=MarketDataConfig(audit_interval=None))
        count = [0]
        md.on(lambda ev: count.__setitem__(0, count[0] + 1))
        async with md:
            for s in symbols:
                for ch in ("depth", "deal", "ticker"):
                    await md.subscribe(ch, s)
            t0 = time.perf_counter()
            while not all(md.book(s).synced for s in symbols):
                if time.perf_counter() - t0 > 120:
                    break
                await asyncio.sleep(0.05)
            synced = sum(md.book(s).synced for s in symbols)
            msgs0 = sum(c.messages for c in md.metrics.connections.values())
            cpu0, wall0 = _cpu(), time.perf_counter()
            await asyncio.sleep(seconds)
            cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
            msgs = sum(c.messages for c in md.metrics.connections.values()) - msgs0
            gaps = md.metrics.gaps
            conns = len(md.connections)
        await rest.close()
        parent.send({"op": "stop"})
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"symbols": n, "streams": 3 * n, "connections": conns, "synced": synced,
            "msgs": msgs, "msgs_per_s": msgs / wall, "cpu_share": cpu / wall,
            "us_per_msg": cpu / msgs * 1e6 if msgs else None, "gaps": gaps,
            "max_rss_mb": rss / 1024, "rss_growth_mb": (rss - rss0) / 1024}


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                              "frames": args.frames, "levels": args.levels,
                              "loop": type(asyncio.get_running_loop()).__module__}
    result["ingest"] = await _ingest(args)
    result["scale"] = [await _scale_one(int(n), args.scale_seconds, args.loop)
                       for n in args.scale.split(",") if n]
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--frames", type=int, default=200_000)
    p.add_argument("--levels", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scale", default="10,100,800")
    p.add_argument("--scale-seconds", type=float, default=5.0)
    p.add_argument("--out", default="bench_ingest.json")
    p.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                   help="event loop of both processes (uvloop falls back to asyncio if absent)")
    args = p.parse_args()
    result = _run(_main(args), args.loop)
    text = json.dumps(result, indent=2)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    ing = result["ingest"]
    print(f"{'candidate':10} {'msgs/cpu-s':>12} {'us/frame':>9} valid")
    for name in ("toolkit", "floor"):
        r = ing[name]
        rate = r["median_msgs_per_cpu_s"] or 0
        us = r["median_us_per_frame"] or 0
        print(f"{name:10} {rate:12,.0f} {us:9.2f} {r['valid_runs']}")
    print(f"ratio toolkit/floor: {ing['ratio_to_floor']}")
    for s in result["scale"]:
        print(f"scale {s['symbols']:4} symbols: {s['msgs_per_s']:9,.0f} msgs/s, "
              f"{s['us_per_msg'] or 0:6.1f} us/msg, rss {s['max_rss_mb']:.0f} MB, "
              f"synced {s['synced']}/{s['symbols']}, gaps {s['gaps']}")
    print(f"JSON written to {args.out}")


if __name__ == "__main__":
    main()
