"""B4 (design §2.7): 10 k msgs/s over 30 streams from a producer process through ``StreamWriter``;
an ``XREAD`` reader and an ``XREADGROUP`` + ``XACK`` group both receive every entry, each stream
in order and gap-free (per-stream sequence), and nothing stays pending."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

from mexc_futures.bus import records
from mexc_futures.bus.conn import BusConnection
from mexc_futures.bus.url import parse_bus_url

ROOT = Path(__file__).resolve().parents[3]
STREAMS = [f"mx:md:{ch}:S{i:02d}_USDT" for i in range(10) for ch in ("depth", "deal", "ticker")]
RATE = 10_000
SECONDS = 3.0

PRODUCER = """
import asyncio, sys, time
from mexc_futures.bus import records
from mexc_futures.bus.conn import BusConnection
from mexc_futures.bus.publish import StreamWriter
from mexc_futures.bus.retention import MARKET_DATA
from mexc_futures.bus.url import parse_bus_url

async def main(url, rate, seconds, keys):
    frame = b'{"channel":"push.depth","data":{"asks":[],"bids":[]},"symbol":"X"}' * 9
    async with BusConnection(parse_bus_url(url)) as bus:
        w = StreamWriter(bus)
        seq = [0] * len(keys)
        n = 0
        t0 = time.perf_counter()
        total = int(rate * seconds)
        while n < total:
            due = min(total, int((time.perf_counter() - t0) * rate) + 1)
            while n < due:
                i = n % len(keys)
                seq[i] += 1
                w.add(keys[i], records.encode_md(time.time_ns(), 0, seq[i], frame), MARKET_DATA)
                n += 1
            await asyncio.sleep(0.001)
        await w.flush()
        took = time.perf_counter() - t0
        print(n, w.published, w.dropped, w.flushes, round(n / took))

asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(",")))
"""


async def _read_all(bus: BusConnection, expect: int, group: bool) -> dict[str, list[int]]:
    c = bus.client
    got: dict[str, list[int]] = {k: [] for k in STREAMS}
    ids: dict[Any, Any] = dict.fromkeys(STREAMS, ">" if group else "0-0")
    n = 0
    while n < expect:  # bounded by the caller's timeout (the producer may start late on a
        if group:      # loaded machine: waiting on a count of empty reads was a race)
            reply = await c.xreadgroup("g", "c1", ids, count=500, block=100)
        else:
            reply = await c.xread(ids, count=500, block=100)
        if not reply:
            continue
        for key, entries in reply:
            name = key.decode()
            for entry_id, fields in entries:
                got[name].append(records.decode_md(fields).seq)
                n += 1
                if not group:
                    ids[name] = entry_id  # bytes key from redis would double the stream
            if group:
                await c.xack(key, "g", *[e[0] for e in entries])
    return got


async def test_b4_10k_msgs_over_30_streams_every_entry_in_order_nothing_pending(
        redis_url: str) -> None:
    async with BusConnection(parse_bus_url(redis_url)) as bus:
        for key in STREAMS:
            await bus.client.xgroup_create(key, "g", id="0", mkstream=True)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", PRODUCER, redis_url, str(RATE), str(SECONDS), ",".join(STREAMS),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        total = int(RATE * SECONDS)
        async with asyncio.timeout(120):
            plain, grouped = await asyncio.gather(_read_all(bus, total, False),
                                                  _read_all(bus, total, True))
            out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        sent, published, dropped, _flushes, achieved = map(int, out.split())
        why = f"producer: {out.decode().strip()} / {err.decode()[-500:]}"
        assert sent == published == total, why
        assert dropped == 0, why
        for got in (plain, grouped):
            assert sum(len(v) for v in got.values()) == total, why  # received == sent
            for key, seqs in got.items():
                assert seqs == list(range(1, len(seqs) + 1)), (key, why)  # ordered, gap-free
        for key in STREAMS:
            info = await bus.client.xpending(key, "g")
            assert info["pending"] == 0
        print(f"B4: {total} entries over {len(STREAMS)} streams at {achieved} msgs/s")
