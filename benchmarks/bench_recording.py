"""Recording and replay costs (issue #17). JSON out, median and spread over repeats.

    .venv/bin/python -m benchmarks.bench_recording [--frames 100000] [--levels 5]
        [--repeats 5] [--out FILE]

* ``capture``: the receive-path cost of ``Recorder.rx`` (time stamp, copy of a ~300-byte frame,
  one deque append) per frame, while the writer thread drains and compresses concurrently (GIL
  contention included: the design's 0.98 µs case) and with no thread (0.56 µs case); ``floor``
  is the copy alone.
* ``writer``: the writer thread's encode + zstd-3 cost per line (off the receive path).
* ``replay``: decode + route of a recording through ``recording.replay`` (``codec`` fast path,
  ``BookSync``, the depth route, one subscriber per stream) as fast as possible, in frames per
  second, and the read + decompress part alone. The recording is made first from the emulator:
  ``Emulator.burst_depth`` of ``--frames`` merged frames of ``--levels`` changes each over two
  symbols, recorded by ``mexc-futures record``'s own session; a run counts only if the
  replayed books equal the recorded ones.
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

FRAME = (b'{"symbol":"BTC_USDT","data":{"asks":[[84062.6,60366,1],[84062.9,1200,2]],'
         b'"bids":[[84062.5,34991,8]],"end":8752808003,"begin":8752807948,'
         b'"version":8752808003},"channel":"push.depth","ts":1789498405534}') * 1
SYMS = ["BTC_USDT", "ETH_USDT"]


def spread(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1],
            "stdev": statistics.stdev(xs) if len(xs) > 1 else 0.0, "n": len(xs)}


def capture(n: int, repeats: int) -> dict[str, Any]:
    from mexc_futures.recording import format as fmt
    from mexc_futures.recording.writer import Recorder

    mv = memoryview(FRAME)
    out: dict[str, list[float]] = {"floor_copy": [], "rx_no_writer": [], "rx_with_writer": [],
                                   "writer_per_line": []}
    for _ in range(repeats):
        t = time.perf_counter_ns()
        sink = []
        for _ in range(n):
            sink.append(bytes(mv))
        out["floor_copy"].append((time.perf_counter_ns() - t) / n / 1e3)
        del sink
        with tempfile.TemporaryDirectory() as d:
            rec = Recorder(Path(d) / "r", fmt.Manifest())  # writer thread not started
            rx = rec.rx
            t = time.perf_counter_ns()
            for _ in range(n):
                rx(1, mv)
            out["rx_no_writer"].append((time.perf_counter_ns() - t) / n / 1e3)
            t = time.process_time_ns()
            rec.flush_now()  # the writer's whole job for n lines, on this thread
            out["writer_per_line"].append((time.process_time_ns() - t) / n / 1e3)
            rec.stop()
        with tempfile.TemporaryDirectory() as d:
            rec = Recorder(Path(d) / "r", fmt.Manifest(), drain_s=0.01)
            rec.start()
            rx = rec.rx
            t = time.perf_counter_ns()
            for i in range(n):
                rx(1, mv)
                if i % 2000 == 1999:  # a live loop is not a tight loop: let the writer in
                    time.sleep(0)
            out["rx_with_writer"].append((time.perf_counter_ns() - t) / n / 1e3)
            rec.stop()
    return {"frame_bytes": len(FRAME), "frames": n,
            "us_per_frame": {k: spread(v) for k, v in out.items()}}


async def make_recording(root: Path, frames: int, levels: int) -> dict[str, Any]:
    from mexc_futures.emulator.server import Emulator
    from mexc_futures.recording.session import record
    from mexc_futures.transport.rest import RestClient

    stop = asyncio.Event()
    ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    async with Emulator(symbols=SYMS, speed=1, seed=5) as ex, \
            RestClient(ex.env, clock=ex.clock) as rest:
        task = asyncio.create_task(record(ex.env, SYMS, root, rest=rest, clock=ex.clock,
                                          channels=("depth",), stop=stop,
                                          on_ready=ready.set_result))
        md = await ready
        async with asyncio.timeout(30):
            while not all(md.book(s).synced for s in SYMS):  # noqa: ASYNC110 - no sync event
                await asyncio.sleep(0.01)
        for s in SYMS:
            await ex.burst_depth(s, frames // len(SYMS), levels=levels)
        await asyncio.sleep(0.5)
        stop.set()
        man = await task
    return {"lines": sum(s.frames for s in man.segments),
            "bytes": sum(s.bytes for s in man.segments),
            "raw_bytes": sum(s.raw_bytes for s in man.segments)}


def read_only(root: Path) -> tuple[int, float]:
    from mexc_futures.recording.reader import iter_lines

    t = time.perf_counter()
    n = sum(1 for _ in iter_lines(root))
    return n, time.perf_counter() - t


async def replay_runs(root: Path, repeats: int) -> dict[str, Any]:
    from mexc_futures.recording.replay import replay

    fps, cpu_fps, reads, frames, ok = [], [], [], 0, True
    for _ in range(repeats):
        n, dt = read_only(root)
        reads.append(n / dt)
        res = await replay(root, check_books=True, on_event=lambda ev: None)
        ok = ok and res.ok and res.gaps == 0 and len(res.book_checks) == len(SYMS)
        fps.append(res.frames_per_s)
        cpu_fps.append(res.frames_per_cpu_s)
        frames = res.frames
    return {"frames": frames, "books_equal": ok, "frames_per_s": spread(fps),
            "frames_per_cpu_s": spread(cpu_fps),
            "read_decompress_lines_per_s": spread(reads), "target_frames_per_s": 100_000,
            "meets_target": statistics.median(cpu_fps) >= 100_000}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_recording",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--levels", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    result: dict[str, Any] = {
        "command": "python -m benchmarks.bench_recording " + " ".join(argv or []),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load": os.getloadavg()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    result["capture"] = capture(min(args.frames, 200_000), args.repeats)
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "rec"
        result["recording"] = asyncio.run(make_recording(root, args.frames, args.levels))
        result["recording"]["levels_per_frame"] = args.levels
        result["replay"] = asyncio.run(replay_runs(root, args.repeats))
    out = args.out or Path(__file__).parent / "results" / \
        f"recording-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    cap = result["capture"]["us_per_frame"]
    rp = result["replay"]
    print(f"capture  rx {cap['rx_with_writer']['median']:.2f} us/frame with the writer thread, "
          f"{cap['rx_no_writer']['median']:.2f} without (copy floor "
          f"{cap['floor_copy']['median']:.2f}); writer {cap['writer_per_line']['median']:.2f} "
          "us/line")
    print(f"replay   {rp['frames_per_cpu_s']['median']:,.0f} frames per CPU-second decode+route "
          f"(min {rp['frames_per_cpu_s']['min']:,.0f}, max {rp['frames_per_cpu_s']['max']:,.0f});"
          f" wall {rp['frames_per_s']['median']:,.0f}/s over "
          f"{rp['frames']:,} frames; read+decompress "
          f"{rp['read_decompress_lines_per_s']['median']:,.0f} lines/s; books equal: "
          f"{rp['books_equal']}")
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
