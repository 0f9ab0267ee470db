"""The bus at whole-market scale (issue #18; design record-replay-bus.md §2.7 B8, B9).

    ./run bench bus [--symbols 800] [--rate 5000] [--duration 60] [--strategy-symbols 10]
                    [--mem-every 5] [--out PATH]

Processes, all on this machine, every socket on 127.0.0.1:

* a ``redis-server`` (``mexc_futures.testing.services.redis_server``: random port, no persistence);
* the emulator (``benchmarks.venue_process``: ``--symbols`` contracts, REST and WS limits off),
  which after the sync phase sends a paced segment of ``rate x duration`` frames (depth 60 %,
  deal 25 %, ticker 15 %, spread over every symbol);
* ``mexc-futures gateway --channels depth,deal,ticker`` over every symbol (its own process: its
  CPU is read from ``/proc/<pid>/stat``);
* a strategy process: ``BusMarketData`` on ``--strategy-symbols`` symbols x 3 channels, which
  records the lag of every routed frame (gateway receive -> routed in the strategy, both on this
  machine's wall clock);
* in this process, a recorder-like reader of all streams (one batched ``XREAD`` over every key
  per 100 ms) that checks every stream's sequence is 1, 2, 3, ... with nothing missing.

Reported (JSON into ``benchmarks/results/bench_bus-<UTC>.json``): gateway CPU per published
message (µs), strategy lag p50/p99/max (ms), Redis CPU (% of one core, from ``INFO cpu``) and
memory (``INFO memory``, sampled every ``--mem-every`` s: first, last, max, and the slope over the
last half — the plateau check of B9: MINID trimming keeps 120 s), and delivery: frames the venue
sent in the segment, frames the gateway published, entries the reader received, sequence gaps,
and whether every published entry was received. Wall-clock tails reflect the shared machine: run
with ``nice -n 10`` and read CPU per message as the robust figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bus_synth import poll_until
from benchmarks.harness import _recv
from benchmarks.venue_process import FeedConfig, serve

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("depth", "deal", "ticker")


def symbols(n: int) -> tuple[str, ...]:
    names = ["BTC_USDT", "ETH_USDT", "SOL_USDT"] + [f"C{i:03d}_USDT" for i in range(n)]
    return tuple(names[:n])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


# ---------------------------------------------------------------- strategy process


def strategy_main(conn: Any, url: str, rest: str, ws: str, syms: list[str]) -> None:
    """A ``BusMarketData`` consumer; lag samples between ``start`` and ``stop``."""
    import logging

    logging.getLogger("asyncio").setLevel(logging.ERROR)
    asyncio.run(_strategy(conn, url, rest, ws, syms))


async def _strategy(conn: Any, url: str, rest: str, ws: str, syms: list[str]) -> None:
    from mexc_futures.bus.consumer import bus_market_data
    from mexc_futures.bus.url import parse_bus_url
    from mexc_futures.config import Environment

    env = Environment(name="bench", rest_url=rest, ws_url=ws, is_live=False)
    loop = asyncio.get_running_loop()
    async with bus_market_data(parse_bus_url(url), env, name="bench-strategy") as md:
        for s in syms:
            for ch in CHANNELS:
                await md.subscribe(ch, s)
        t0 = time.monotonic()
        while not all(md.book(s).synced for s in syms):
            if time.monotonic() - t0 > 120:
                break
            await asyncio.sleep(0.1)
        conn.send(("ready", {"synced": sum(md.book(s).synced for s in syms)}))
        await loop.run_in_executor(None, conn.recv)  # "start"
        md.stats.lag_ns.clear()
        md.stats.hop_ms.clear()
        frames0, c0 = md.stats.frames, time.process_time()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        lag = [x / 1e6 for x in md.stats.lag_ns]
        hop = [float(x) for x in md.stats.hop_ms]
        conn.send(("result", {
            "frames": md.stats.frames - frames0, "cpu_s": time.process_time() - c0,
            "lag_ms_p50": pct(lag, 0.5), "lag_ms_p99": pct(lag, 0.99),
            "lag_ms_max": max(lag) if lag else float("nan"), "lag_samples": len(lag),
            "lag_ms_p90": pct(lag, 0.9),
            # the part after Redis stored the entry (its id's ms vs this clock; 1 ms grain)
            "redis_to_strategy_ms_p50": pct(hop, 0.5), "redis_to_strategy_ms_p99": pct(hop, 0.99),
            "gaps": md.stats.gaps, "bus_downs": md.stats.bus_downs,
            "snapshots_asked": md.source.asked,
            "books_synced": sum(md.book(s).synced for s in syms)}))


# ---------------------------------------------------------------- recorder-like reader


class Reader:
    """Reads every stream from its first entry; checks each stream's sequence."""

    def __init__(self, client: Any, keys: list[bytes]) -> None:
        self.c = client
        self.ids: dict[bytes, bytes] = dict.fromkeys(keys, b"0-0")
        self.last_seq: dict[bytes, int] = {}
        self.received = 0
        self.gaps = 0
        self.polls: list[float] = []

    async def poll(self) -> int:
        from mexc_futures.bus import records

        t = time.perf_counter()
        n = 0
        while True:
            reply = await self.c.xread(self.ids, count=1000)
            if not reply:
                break
            got = 0
            for key, entries in reply:
                for _entry_id, fields in entries:
                    seq = records.decode_md(fields).seq
                    prev = self.last_seq.get(key, 0)
                    if seq != prev + 1:
                        self.gaps += 1
                    self.last_seq[key] = seq
                    got += 1
                self.ids[key] = entries[-1][0]
            n += got
            if got < 1000:
                break
        self.received += n
        self.polls.append((time.perf_counter() - t) * 1e3)
        return n


async def stream_tops(c: Any, keys: list[bytes]) -> dict[bytes, int]:
    """The newest sequence of every stream (0 when empty): what the gateway has published."""
    from mexc_futures.bus import records

    pipe = c.pipeline(transaction=False)
    for key in keys:
        pipe.xrevrange(key, count=1)
    tops = {}
    for key, rows in zip(keys, await pipe.execute(), strict=True):
        tops[key] = records.decode_md(rows[0][1]).seq if rows else 0
    return tops


async def _heartbeat(c: Any) -> dict[str, Any]:
    raw = await c.get("mx:gw:gateway")
    return json.loads(raw) if raw else {}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import redis.asyncio as aioredis

    from mexc_futures.testing.services import redis_server

    n_frames = int(args.rate * args.duration)
    feed = FeedConfig(symbols=symbols(args.symbols), mode="paced", n=n_frames, rate=args.rate,
                      mixed=True, cpu=None)
    ctx = mp.get_context("spawn")
    out: dict[str, Any] = {"config": vars(args), "frames_planned": n_frames}
    with redis_server() as server:
        url = server.url
        s_conn, s_child = ctx.Pipe()
        venue = ctx.Process(target=serve, args=(s_child, feed), daemon=True)
        venue.start()
        gw: subprocess.Popen[bytes] | None = None
        strat: Any = None
        client = aioredis.Redis(host="127.0.0.1", port=server.port)
        try:
            _, ports = _recv(s_conn, 300, "emulator")
            syms = list(ports["symbols"])
            env = {**os.environ, "MEXC_EMULATOR_URL": ports["rest"], "MEXC_BUS_URL": url}
            keys = [f"mx:md:{ch}:{s}".encode() for s in syms for ch in CHANNELS]
            reader = Reader(client, keys)  # from the gateway's first entry: nothing trimmed yet
            t_sync = time.monotonic()
            log = open(Path(server.directory) / "gateway.log", "wb")  # noqa: SIM115, ASYNC230
            gw = subprocess.Popen(  # noqa: ASYNC220  # returns at once; its own process
                [sys.executable, "-m", "mexc_futures.cli", "-v", "gateway", "--symbols",
                 ",".join(syms),
                 "--channels", ",".join(CHANNELS), "--quiet"],
                env=env, cwd=ROOT, stdout=log, stderr=log)
            hb: dict[str, Any] = {}
            while time.monotonic() - t_sync < 600:
                hb = await _heartbeat(client)
                if hb.get("books") == len(syms) and hb.get("synced") == len(syms):
                    break
                if gw.poll() is not None:
                    text = (Path(server.directory) / "gateway.log").read_text()[-2000:]
                    raise RuntimeError(f"gateway exited: {text}")
                await reader.poll()
                await asyncio.sleep(0.1)
            out["gateway_sync_s"] = round(time.monotonic() - t_sync, 1)
            out["gateway_books_synced"] = hb.get("synced")
            await reader.poll()
            c_conn, c_child = ctx.Pipe()
            strat = ctx.Process(target=strategy_main, daemon=True, args=(
                c_child, url, ports["rest"], ports["ws"], syms[: args.strategy_symbols]))
            strat.start()
            _, ready = _recv(c_conn, 180, "strategy")
            out["strategy_ready"] = ready
            await reader.poll()
            # ---- the measured segment
            hb0 = await _heartbeat(client)
            tops0 = await stream_tops(client, keys)
            info0 = await client.info("cpu")
            r_cpu0 = float(info0["used_cpu_sys"]) + float(info0["used_cpu_user"])
            g_cpu0 = cpu_s(gw.pid)
            recv0 = reader.received
            mem: list[tuple[float, int]] = []
            c_conn.send("start")
            s_conn.send(("go", None))
            _recv(s_conn, 60, "emulator")  # started
            t0 = time.monotonic()
            await poll_until(s_conn, reader, client, args.mem_every, t0, mem)
            s_conn.recv()  # the segment's end
            wall = time.monotonic() - t0
            await asyncio.sleep(2.0)  # in flight: gateway batch, reader's last poll
            await reader.poll()
            c_conn.send("stop")
            _, strategy = _recv(c_conn, 60, "strategy")
            g_cpu = cpu_s(gw.pid) - g_cpu0
            info1 = await client.info("cpu")
            r_cpu = float(info1["used_cpu_sys"]) + float(info1["used_cpu_user"]) - r_cpu0
            hb1 = await _heartbeat(client)
            s_conn.send(("finish", None))
            _, result = _recv(s_conn, 120, "emulator")
            m = await client.info("memory")
            mem.append((round(time.monotonic() - t0, 1), int(m["used_memory"])))
            tops1 = await stream_tops(client, keys)
            published = sum(tops1.values()) - sum(tops0.values())  # in the segment
            # every stream read at least to where it stood at the end (the venue's background
            # flow keeps the gateway publishing after the segment)
            for _ in range(100):
                if all(reader.last_seq.get(k, 0) >= tops1[k] for k in keys):
                    break
                await reader.poll()
                await asyncio.sleep(0.1)
            behind = sum(1 for k in keys if reader.last_seq.get(k, 0) < tops1[k])
            half = [x for x in mem if x[0] >= wall / 2]
            slope = 0.0
            if len(half) >= 2:
                xs, ys = [x[0] for x in half], [x[1] for x in half]
                mx, my = statistics.fmean(xs), statistics.fmean(ys)
                den = sum((x - mx) ** 2 for x in xs)
                slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den \
                    if den else 0.0
            out.update({
                "segment_wall_s": round(wall, 2),
                "venue_frames_sent": int(result.get("frames", 0)),
                "venue_limited": bool(result.get("limited")),
                "venue_rate": round(int(result.get("frames", 0)) / wall, 1) if wall else 0,
                "gateway_published": published,
                "gateway_dropped": int(hb1.get("dropped", 0)) - int(hb0.get("dropped", 0)),
                "gateway_cpu_s": round(g_cpu, 3),
                "gateway_cpu_us_per_msg": round(g_cpu / published * 1e6, 2) if published else None,
                "gateway_cpu_core_pct": round(100 * g_cpu / wall, 1),
                "reader_received": reader.received - recv0,
                "reader_gaps": reader.gaps,
                "reader_streams_behind": behind,
                "reader_poll_ms_p50": round(pct(reader.polls, 0.5), 2),
                "reader_received_total": reader.received,
                "gateway_published_total": sum(tops1.values()),
                "every_message_delivered": (reader.gaps == 0 and behind == 0
                                            and reader.received >= sum(tops1.values())),
                "redis_cpu_s": round(r_cpu, 3),
                "redis_cpu_core_pct": round(100 * r_cpu / wall, 1),
                "redis_memory_mb": [(t, round(b / 1e6, 2)) for t, b in mem],
                "redis_memory_last_mb": round(mem[-1][1] / 1e6, 2),
                "redis_memory_max_mb": round(max(b for _, b in mem) / 1e6, 2),
                "redis_memory_slope_mb_per_min_last_half": round(slope * 60 / 1e6, 3),
                "strategy": strategy,
                "load_avg": os.getloadavg(),
            })
        finally:
            with contextlib.suppress(OSError):
                text = (Path(server.directory) / "gateway.log").read_text()
                out["gateway_log_tail"] = text.splitlines()[-30:]
                out["gateway_log_warnings"] = sum(1 for x in text.splitlines()
                                                  if x.startswith(("WARNING", "ERROR")))
                # venue -> gateway trouble (the venue starved on a loaded machine, not the bus)
                reasons: dict[str, int] = {}
                for x in text.splitlines():
                    if " down: " in x and "transport.pool" not in x:
                        why = x.split(" down: ", 1)[1][:60]
                        reasons[why] = reasons.get(why, 0) + 1
                out["gateway_venue_conn_downs"] = reasons
            if strat is not None:
                strat.terminate()
            if gw is not None and gw.poll() is None:
                gw.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    gw.wait(10)
            with contextlib.suppress(Exception):
                s_conn.send(("stop", None))
            venue.join(10)
            if venue.is_alive():
                venue.terminate()
            await client.aclose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_bus", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--symbols", type=int, default=800)
    ap.add_argument("--rate", type=float, default=5000.0, help="venue frames/s in the segment")
    ap.add_argument("--duration", type=float, default=60.0, help="segment seconds")
    ap.add_argument("--strategy-symbols", type=int, default=10)
    ap.add_argument("--mem-every", type=float, default=5.0, help="seconds between INFO memory")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--source", choices=("emulator", "synthetic"), default="emulator",
                    help="synthetic: the gateway's publisher driven by a producer process, no "
                    "emulator (benchmarks/bus_synth.py; the memory plateau on a loaded machine)")
    args = ap.parse_args(argv)
    if args.source == "synthetic":
        return _synthetic(args)
    res = asyncio.run(bench(args))
    path = _save(res, args.out, "bench_bus")
    s = res["strategy"]
    print(f"bus, {args.symbols} symbols x {len(CHANNELS)} channels, {res['venue_rate']:,.0f} "
          f"msgs/s for {res['segment_wall_s']} s (planned {args.rate:,.0f}/s)")
    print(f"  gateway   {res['gateway_cpu_us_per_msg']} µs CPU per message "
          f"({res['gateway_cpu_core_pct']} % of a core), published {res['gateway_published']:,},"
          f" dropped {res['gateway_dropped']:,}")
    print(f"  strategy  lag p50 {s['lag_ms_p50']:.2f} ms, p99 {s['lag_ms_p99']:.2f} ms "
          f"({s['lag_samples']:,} frames, {s['gaps']} gaps)")
    print(f"  redis     {res['redis_cpu_core_pct']} % of a core, memory last "
          f"{res['redis_memory_last_mb']} MB, max {res['redis_memory_max_mb']} MB, slope over "
          f"the last half {res['redis_memory_slope_mb_per_min_last_half']} MB/min")
    print(f"  venue     sent {res['venue_frames_sent']:,} in the segment (limited: "
          f"{res['venue_limited']}); gateway connection drops: "
          f"{sum(res.get('gateway_venue_conn_downs', {}).values())}")
    print(f"  bus       gateway published {res['gateway_published']:,} in the segment, reader "
          f"received {res['reader_received']:,}; whole run {res['reader_received_total']:,} of "
          f"{res['gateway_published_total']:,}, sequence gaps {res['reader_gaps']}; every "
          f"published message delivered: {res['every_message_delivered']}")
    print(f"JSON: {path}")
    return 0


def _save(res: dict[str, Any], out: Path | None, name: str) -> Path:
    """Add the machine to ``res`` and write it to ``out`` or ``results/<name>-<stamp>.json``."""
    res["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                      "platform": platform.platform()}
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = out or ROOT / "benchmarks" / "results" / f"{name}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1, default=str))
    return path


def plateau(mem: list[tuple[float, int]], wall: float) -> dict[str, float]:
    """Memory figures of B9: last, max, and the least-squares slope over the last half."""
    half = [x for x in mem if x[0] >= wall / 2]
    slope = 0.0
    if len(half) >= 2:
        xs, ys = [x[0] for x in half], [float(x[1]) for x in half]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0
    return {"redis_memory_last_mb": round(mem[-1][1], 2), "redis_memory_max_mb":
            round(max(b for _, b in mem), 2),
            "redis_memory_slope_mb_per_min_last_half": round(slope * 60, 3)}


def _synthetic(args: argparse.Namespace) -> int:
    from benchmarks import bus_synth

    res = asyncio.run(bus_synth.bench(args, Reader, _recv))
    res.update(plateau(res["redis_memory_mb"], res["segment_wall_s"]))
    path = _save(res, args.out, "bench_bus_synth")
    s = res["strategy"]
    print(f"bus (synthetic publisher), {args.symbols} symbols x 3 channels, "
          f"{res['rate_achieved']:,.0f} msgs/s for {res['segment_wall_s']} s")
    print(f"  publisher {res['producer_cpu_us_per_msg']} µs CPU per message, published "
          f"{res['producer_published']:,}, dropped {res['producer_dropped']:,}")
    print(f"  strategy  lag p50 {s['lag_ms_p50']:.2f} ms, p99 {s['lag_ms_p99']:.2f} ms; "
          f"Redis->strategy p50 {s['redis_to_strategy_ms_p50']:.0f} ms ({s['frames']:,} frames)")
    print(f"  redis     {res['redis_cpu_core_pct']} % of a core, memory last "
          f"{res['redis_memory_last_mb']} MB, max {res['redis_memory_max_mb']} MB, slope over "
          f"the last half {res['redis_memory_slope_mb_per_min_last_half']} MB/min")
    print(f"  bus       reader received {res['reader_received']:,} of {res['producer_sent']:,},"
          f" sequence gaps {res['reader_gaps']}; every message delivered: "
          f"{res['every_message_delivered']}")
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
