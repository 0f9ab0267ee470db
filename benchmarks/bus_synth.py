"""``./run bench bus --source synthetic``: the bus alone, without an emulator (B9's plateau).

On this shared 2-core machine an 800-contract emulator pacing 5,000 frames/s starves its own
event loop: pings go unanswered, the gateway's 80 connections stall and re-sync, and the venue's
paced segment keeps writing to the connections that existed when it started — the bus then
carries a fraction of the rate (``bench_bus`` reports this as ``gateway_venue_conn_downs``). What
bounds Redis memory is the publisher's trimming, not the venue, so this mode drives the gateway's
own publisher (``StreamWriter`` with the market-data retention, ``records.encode_md``) from a
producer process at ``--rate`` over ``--symbols`` x 3 streams, with frames the size of real ones
(depth ~400 B, deal ~150 B, ticker ~450 B), and measures what ``bench_bus`` measures on the bus
side: producer CPU per message, a 30-stream consumer's lag (producer stamp -> read; split at
Redis), Redis CPU and memory over time (the plateau), and a reader of every stream checking each
sequence.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
from typing import Any

CHANNELS = ("depth", "deal", "ticker")
SIZES = {"depth": 400, "deal": 150, "ticker": 450}


def producer_main(conn: Any, url: str, keys: list[str], rate: float, seconds: float) -> None:
    asyncio.run(_produce(conn, url, keys, rate, seconds))


async def _produce(conn: Any, url: str, keys: list[str], rate: float, seconds: float) -> None:
    from mexc_futures.bus import records
    from mexc_futures.bus.conn import BusConnection
    from mexc_futures.bus.publish import StreamWriter
    from mexc_futures.bus.retention import MARKET_DATA
    from mexc_futures.bus.url import parse_bus_url

    frames = {k: b"x" * SIZES[k.split(":")[2]] for k in keys}
    weights = [0.6 if ":depth:" in k else 0.25 if ":deal:" in k else 0.15 for k in keys]
    import random

    rng = random.Random(7)
    async with BusConnection(parse_bus_url(url), name="synth-gateway") as bus:
        w = StreamWriter(bus)
        seq = dict.fromkeys(keys, 0)
        conn.send(("ready", None))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        c0, t0 = time.process_time(), time.perf_counter()
        total = int(rate * seconds)
        n = 0
        while n < total:
            due = min(total, int((time.perf_counter() - t0) * rate) + 1)
            batch = rng.choices(keys, weights, k=due - n)
            for key in batch:
                seq[key] += 1
                w.add(key, records.encode_md(time.time_ns(), 0, seq[key], frames[key]),
                      MARKET_DATA)
            n = due
            await asyncio.sleep(0.001)
        await w.flush()
        conn.send(("done", {"sent": n, "published": w.published, "dropped": w.dropped,
                            "cpu_s": time.process_time() - c0,
                            "wall_s": time.perf_counter() - t0}))


def consumer_main(conn: Any, url: str, keys: list[str]) -> None:
    asyncio.run(_consume(conn, url, keys))


async def _consume(conn: Any, url: str, keys: list[str]) -> None:
    """A strategy-sized reader (30 streams): XREAD BLOCK from the tail, lag of every entry."""
    import redis.asyncio as aioredis

    from mexc_futures.bus import records
    from mexc_futures.bus.url import parse_bus_url

    u = parse_bus_url(url)
    c = aioredis.Redis(host=u.host, port=u.port, db=u.db)
    ids: dict[Any, Any] = {k.encode(): b"$" for k in keys}
    lag: list[float] = []
    hop: list[float] = []
    stop = False

    def wait_stop() -> None:
        nonlocal stop
        conn.recv()
        stop = True

    conn.send(("ready", None))
    asyncio.get_running_loop().run_in_executor(None, wait_stop)
    c0 = time.process_time()
    while not stop:
        reply = await c.xread(ids, count=1000, block=100)
        now = time.time_ns()
        for key, entries in reply or ():
            for entry_id, fields in entries:
                lag.append((now - records.decode_md(fields).recv_ns) / 1e6)
                hop.append(now / 1e6 - int(entry_id.split(b"-")[0]))
            ids[key] = entries[-1][0]
    await c.aclose()
    lag.sort()
    hop.sort()

    def q(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")

    conn.send(("result", {"frames": len(lag), "cpu_s": time.process_time() - c0,
                          "lag_ms_p50": q(lag, 0.5), "lag_ms_p90": q(lag, 0.9),
                          "lag_ms_p99": q(lag, 0.99), "lag_ms_max": lag[-1] if lag else None,
                          "redis_to_strategy_ms_p50": q(hop, 0.5),
                          "redis_to_strategy_ms_p99": q(hop, 0.99)}))


async def poll_until(conn: Any, reader: Any, client: Any, every: float, t0: float,
                     mem: list[tuple[float, int]]) -> None:
    """Drive ``reader`` and sample Redis's ``used_memory`` every ``every`` s into ``mem``
    (seconds since ``t0``, bytes) until ``conn`` has a message (the segment's end)."""
    next_mem = t0
    while not conn.poll(0):
        await reader.poll()
        if time.monotonic() >= next_mem:
            m = await client.info("memory")
            mem.append((round(time.monotonic() - t0, 1), int(m["used_memory"])))
            next_mem += every
        await asyncio.sleep(0.1)


async def bench(args: Any, reader_cls: Any, recv: Any) -> dict[str, Any]:
    import redis.asyncio as aioredis

    from mexc_futures.testing.services import redis_server

    syms = [f"S{i:04d}_USDT" for i in range(args.symbols)]
    keys = [f"mx:md:{ch}:{s}" for s in syms for ch in CHANNELS]
    ctx = mp.get_context("spawn")
    out: dict[str, Any] = {"source": "synthetic", "config": vars(args)}
    with redis_server() as server:
        client = aioredis.Redis(host="127.0.0.1", port=server.port)
        p_conn, p_child = ctx.Pipe()
        c_conn, c_child = ctx.Pipe()
        prod = ctx.Process(target=producer_main, daemon=True,
                           args=(p_child, server.url, keys, args.rate, args.duration))
        cons = ctx.Process(target=consumer_main, daemon=True,
                           args=(c_child, server.url, keys[: 3 * args.strategy_symbols]))
        prod.start()
        cons.start()
        reader = reader_cls(client, [k.encode() for k in keys])
        try:
            recv(p_conn, 120, "producer")
            recv(c_conn, 120, "consumer")
            info0 = await client.info("cpu")
            r0 = float(info0["used_cpu_sys"]) + float(info0["used_cpu_user"])
            mem: list[tuple[float, int]] = []
            p_conn.send("go")
            t0 = time.monotonic()
            await poll_until(p_conn, reader, client, args.mem_every, t0, mem)
            _, prod_res = p_conn.recv()
            wall = time.monotonic() - t0
            await asyncio.sleep(1.0)
            for _ in range(100):
                before = reader.received
                await reader.poll()
                if reader.received == before:
                    break
            c_conn.send("stop")
            _, strategy = recv(c_conn, 60, "consumer")
            info1 = await client.info("cpu")
            r_cpu = float(info1["used_cpu_sys"]) + float(info1["used_cpu_user"]) - r0
            m = await client.info("memory")
            mem.append((round(time.monotonic() - t0, 1), int(m["used_memory"])))
        finally:
            for p in (prod, cons):
                if p.is_alive():
                    p.terminate()
            await client.aclose()
    sent = int(prod_res["sent"])
    out.update({
        "segment_wall_s": round(wall, 2),
        "rate_achieved": round(sent / float(prod_res["wall_s"]), 1),
        "producer_sent": sent, "producer_published": prod_res["published"],
        "producer_dropped": prod_res["dropped"],
        "producer_cpu_us_per_msg": round(prod_res["cpu_s"] / max(1, sent) * 1e6, 2),
        "reader_received": reader.received, "reader_gaps": reader.gaps,
        "every_message_delivered": reader.gaps == 0 and reader.received == sent,
        "redis_cpu_core_pct": round(100 * r_cpu / wall, 1),
        "redis_memory_mb": [(t, round(b / 1e6, 2)) for t, b in mem],
        "strategy": strategy, "load_avg": os.getloadavg(),
    })
    return out


__all__ = ["bench"]
