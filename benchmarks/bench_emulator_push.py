"""How fast the emulator pushes depth frames to one client in burst mode (pre-encoded).

One command, JSON out::

    .venv/bin/python benchmarks/bench_emulator_push.py [--frames 400000] [--repeats 3]

The emulator runs in this process; one picows client runs in a child process (the other core),
subscribes to merged ``sub.depth`` and checks every frame: ``begin == previous end + 1`` and the
frame count. The server applies ``frames × 5`` real book changes (``venue.burst``), pre-encodes
the frames and writes them as fast as the socket takes them. Rate = frames / (last arrival -
first arrival) at the client. Target (performance.md): ≥ 1.5 × the client's 250 k msgs/s ingest
target = 375 k frames/s. A run counts only with zero gaps and the expected frame count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from multiprocessing.connection import Connection
from typing import Any, cast

import msgspec

TARGET = 1.5 * 250_000


class Data(msgspec.Struct):
    begin: int = 0
    end: int = 0


class Push(msgspec.Struct):
    channel: str
    data: Data | None = None


def client(url: str, symbol: str, pipe: Connection) -> None:
    """Child process: count and check merged depth frames; report per burst."""
    from picows import WSListener, WSMsgType, ws_connect

    decode = msgspec.json.Decoder(Push).decode

    class Listener(WSListener):
        def __init__(self) -> None:
            self.reset(0)

        def reset(self, expected: int) -> None:
            self.expected, self.n, self.gaps = expected, 0, 0
            self.last_end = -1
            self.t_first = self.t_last = 0.0
            self.done = asyncio.get_running_loop().create_future() if expected else None

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type != WSMsgType.TEXT or self.done is None:
                return
            msg = decode(frame.get_payload_as_bytes())
            if msg.channel != "push.depth" or msg.data is None:
                return
            now = time.monotonic()
            if self.n == 0:
                self.t_first = now
            elif msg.data.begin != self.last_end + 1:
                self.gaps += 1
            self.last_end = msg.data.end
            self.n += 1
            self.t_last = now
            if self.n == self.expected and not self.done.done():
                self.done.set_result(None)

    async def run() -> None:
        transport, raw = await ws_connect(Listener, url)
        listener = cast(Listener, raw)
        transport.send(WSMsgType.TEXT, json.dumps(
            {"method": "sub.depth", "param": {"symbol": symbol}}).encode())
        pipe.send("ready")
        loop = asyncio.get_running_loop()
        while True:
            expected = await loop.run_in_executor(None, pipe.recv)
            if expected == 0:
                break
            listener.reset(expected)
            pipe.send("armed")
            assert listener.done is not None
            await asyncio.wait_for(listener.done, 120)
            pipe.send({"n": listener.n, "gaps": listener.gaps,
                       "seconds": listener.t_last - listener.t_first,
                       "last_end": listener.last_end})
        transport.disconnect()

    asyncio.run(run())


async def bench(frames: int, repeats: int, levels: int) -> dict[str, Any]:
    from mexc_futures.emulator.server import Emulator, WsLimits

    symbol = "BTC_USDT"
    async with Emulator(symbols=[symbol], limits=WsLimits.off(), rest_limits=False,
                        venue_options={"flow_rate": 0.001}) as ex:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=client, args=(ex.ws_url, symbol, child), daemon=True)
        proc.start()
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, parent.recv) == "ready"
        await asyncio.sleep(0.2)  # the sub ack has been processed
        runs = []
        for i in range(repeats + 1):  # first run is warm-up
            parent.send(frames)
            assert await loop.run_in_executor(None, parent.recv) == "armed"
            t0 = time.perf_counter()
            result = await ex.burst_depth(symbol, frames, levels=levels)
            server_s = time.perf_counter() - t0
            got = await loop.run_in_executor(None, parent.recv)
            ok = (got["n"] == frames and got["gaps"] == 0
                  and got["last_end"] == result.last_version
                  and result.last_version == ex.truth.version(symbol))
            rate = got["n"] / got["seconds"] if got["seconds"] > 0 else 0.0
            if i:
                runs.append({"frames_per_s": round(rate), "valid": ok,
                             "server_call_s": round(server_s, 4), "gaps": got["gaps"]})
        parent.send(0)
        proc.join(10)
    rates = [r["frames_per_s"] for r in runs if r["valid"]]
    median = statistics.median(rates) if rates else 0
    return {
        "benchmark": "emulator_depth_push_burst",
        "frames_per_run": frames,
        "levels_per_frame": levels,
        "runs": runs,
        "median_frames_per_s": median,
        "spread": [min(rates), max(rates)] if rates else [],
        "target_frames_per_s": TARGET,
        "meets_target": median >= TARGET,
        "python": sys.version.split()[0],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--levels", type=int, default=5)
    args = ap.parse_args()
    out = asyncio.run(bench(args.frames, args.repeats, args.levels))
    print(f"emulator burst push: median {out['median_frames_per_s']:,.0f} frames/s "
          f"(target {TARGET:,.0f}) valid runs {sum(r['valid'] for r in out['runs'])}"
          f"/{len(out['runs'])}", file=sys.stderr)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
