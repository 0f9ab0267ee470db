"""Book apply from Python, per depth frame: the toolkit's paths vs nautilus_trader (issue #19).

    python -m benchmarks.bench_books [--frames 100000] [--rounds 7] [--out FILE]
                                     [--nautilus-python .bench/nautilus/bin/python]

The frames are the ingest scenario's: the emulator's own burst generator
(``emulator.server.benchfeed.DepthFrames``, 5 level changes per merged frame) on a real venue book,
recorded once with the snapshot before and the truth after. In-process, ``process_time`` per
stage, stages interleaved per round (median and min-max over rounds):

* ``toolkit compiled, raw frame -> BookUpdate``: picows test frames handed to the compiled
  listener of a real ``MarketData``/``WsConnection`` (scan + in-order check + apply + the public
  ``BookUpdate`` to one consumer), i.e. everything the ingest path does after picows;
* ``toolkit pure, raw frame -> BookUpdate``: the same through the pure listener and book;
* ``C Book.apply`` / ``pure OrderBook.apply``: pre-decoded levels, apply + best bid/ask;
* ``nautilus OrderBook.apply_deltas``: nautilus_trader's L2 book (Cython over Rust), pre-built
  ``OrderBookDeltas`` per frame (building them is not timed), apply + best bid/ask price, run in a
  separate venv (a bench-only dependency, like ccxt: ``python -m venv .bench/nautilus &&
  .bench/nautilus/bin/pip install nautilus_trader``; the line is skipped when it is absent).

Every stage's final book must equal the emulator's truth (the gate). The JSON goes to
``benchmarks/results/books-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAUTILUS_SCRIPT = Path(__file__).with_name("nautilus_books.py")


async def _record(n: int, levels: int) -> dict[str, Any]:
    from mexc_futures.emulator.server import Emulator
    from mexc_futures.emulator.server.benchfeed import DepthFrames
    from mexc_futures.emulator.server.benchmode import _flush
    from mexc_futures.emulator.server.limits import WsLimits

    opts = {"flow_rate": 40.0, "merge_interval_ms": 10, "publish_unmerged": False,
            "book_levels": 20, "ring_size": 20_000}
    ex = Emulator(symbols=("BTC_USDT",), api_key="k", api_secret="s", balance=1e9,
                  limits=WsLimits.off(), rest_limits=False, venue_options=opts, seed=7)
    await ex.start()
    try:
        await asyncio.sleep(0.3)
        ex.venue.set_flow_rate("BTC_USDT", 0.0)
        await asyncio.sleep(0.05)
        _flush(ex, "BTC_USDT", levels)
        snap = ex.truth.book("BTC_USDT")
        gen = DepthFrames(ex.venue, "BTC_USDT", levels=levels)
        now = ex.clock.venue_ms()
        frames = []
        for _ in range(n):
            f, _b, _e = gen.next(now)
            head = 2 if f[1] < 126 else 4  # server frames are unmasked: 2- or 4-byte header
            frames.append(bytes(f[head:]))
        final = ex.truth.book("BTC_USDT")
    finally:
        await ex.stop()
    return {"snapshot": snap, "frames": frames, "final": final}


def _truth(book: dict[str, Any]) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    return ([(float(p), float(v)) for p, v, *_ in book["bids"]],
            [(float(p), float(v)) for p, v, *_ in book["asks"]])


def _stack(compiled: bool, snap: dict[str, Any]) -> Any:
    from tests.speedups.harness import Stack

    def lv(side: str) -> list[tuple[float, float]]:
        return [(float(p), float(v)) for p, v, *_ in snap[side]]

    st = Stack(compiled, int(snap["version"]), lv("bids"), lv("asks"))
    st.md._callbacks.clear()
    seen = [0]

    def consumer(ev: Any) -> None:  # as little as the ingest scenario's consumer
        seen[0] = ev.version

    st.md.on(consumer)
    st.md.listeners_changed()
    return st


def _listener_stage(compiled: bool, data: dict[str, Any]) -> tuple[float, bool]:
    from picows import WSMsgType
    from picows.picows import _make_test_ws_frame

    st = _stack(compiled, data["snapshot"])
    frames = [_make_test_ws_frame(WSMsgType.TEXT, f, True, False) for f in data["frames"]]
    first = frames[0]
    st.listener.on_ws_frame(None, first)  # the first frame after a snapshot takes the checked path
    on = st.listener.on_ws_frame
    gc.collect()
    t = time.process_time()
    for fr in frames[1:]:
        on(None, fr)
    dt_s = time.process_time() - t
    ok = st.sync.book.levels() == _truth(data["final"]) and st.sync.synced
    return dt_s * 1e6 / (len(frames) - 1), ok


def _apply_stage(compiled: bool, data: dict[str, Any], decoded: list[Any]) -> tuple[float, bool]:
    from mexc_futures.model.book import PyOrderBook
    from mexc_futures.protocol.rest import Level

    if compiled:
        from mexc_futures._speedups import hot

        assert hot is not None
        book: Any = hot.Book("BTC_USDT")
    else:
        book = PyOrderBook("BTC_USDT")
    snap = data["snapshot"]
    book.replace([Level(float(p), float(v)) for p, v, *_ in snap["bids"]],
                 [Level(float(p), float(v)) for p, v, *_ in snap["asks"]], snap["version"])
    apply = book.apply
    gc.collect()
    t = time.process_time()
    for d in decoded:
        apply(d.bids, d.asks)
        _ = book.best_bid, book.best_ask
    dt_s = time.process_time() - t
    return dt_s * 1e6 / len(decoded), book.levels() == _truth(data["final"])


def _nautilus(py: str, pkl: Path) -> dict[str, Any]:
    r = subprocess.run([py, str(NAUTILUS_SCRIPT), str(pkl)], capture_output=True, text=True,
                       timeout=600, check=False)
    if r.returncode != 0:
        return {"error": r.stderr[-500:]}
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def _summary(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


NAUTILUS_PY = str(ROOT / ".bench" / "nautilus" / "bin" / "python")
NT_KEY = "nautilus OrderBook.apply_deltas (pre-built deltas)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.bench_books", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--levels", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--nautilus-python", default=NAUTILUS_PY)
    args = ap.parse_args(argv)
    doc = run(args.frames, args.rounds, args.levels, args.nautilus_python)
    now = dt.datetime.now(dt.UTC)
    out = args.out or ROOT / "benchmarks" / "results" / f"books-{now:%Y-%m-%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1))
    print(table(doc))
    print(f"JSON: {out}")
    return 0 if all(doc["gate"].values()) else 1


def table(doc: dict[str, Any]) -> str:
    """Plain-text table of a ``run()`` document."""
    lines = [f"{'books, per frame from Python':<55}{'µs/frame median':>16}{'min-max':>18}  gate"]
    for k, s in doc["us_per_frame"].items():
        lines.append(f"{k:<55}{s['median']:>16.3f}{s['min']:>9.3f}-{s['max']:<8.3f}  "
                     f"{'ok' if doc['gate'][k] else 'FAILED'}")
    for k, s in doc["ratios"].items():
        lines.append(f"{k:<55}{s['median']:>15.2f}x{s['min']:>9.2f}-{s['max']:<8.2f}")
    if "nautilus_error" in doc:
        lines.append(f"nautilus line skipped: {doc['nautilus_error'][-200:]}")
    elif NT_KEY not in doc["us_per_frame"]:
        lines.append("nautilus line skipped: no nautilus venv (python -m benchmarks.bench_books "
                     "--help)")
    return "\n".join(lines)


def run(frames: int = 100_000, rounds: int = 7, levels: int = 5,
        nautilus_python: str = NAUTILUS_PY) -> dict[str, Any]:
    """Record (once, cached in ``.bench/``) and measure; returns the JSON document."""
    sys.path.insert(0, str(ROOT))
    import msgspec

    from mexc_futures import speedups
    from mexc_futures.protocol import ws as wire

    cache = ROOT / ".bench" / f"frames-{frames}-{levels}.pkl"
    cache.parent.mkdir(exist_ok=True)
    if cache.exists():
        data = pickle.loads(cache.read_bytes())  # nosec B301 - our own cache file
    else:
        data = asyncio.run(_record(frames, levels))
        cache.write_bytes(pickle.dumps(data))
    dec = msgspec.json.Decoder(wire.DepthPush)
    decoded = [dec.decode(f).data for f in data["frames"]]
    path = speedups()
    nautilus_ok = Path(nautilus_python).exists()
    stages: dict[str, list[float]] = {}
    gate: dict[str, bool] = {}
    extra: dict[str, Any] = {}

    def put(name: str, us: float, ok: bool) -> None:
        stages.setdefault(name, []).append(us)
        gate[name] = gate.get(name, True) and ok

    for r in range(rounds):
        if path["path"] == "compiled":
            put("toolkit compiled: raw frame -> BookUpdate", *_listener_stage(True, data))
            put("C Book.apply (pre-decoded levels)", *_apply_stage(True, data, decoded))
        put("toolkit pure: raw frame -> BookUpdate", *_listener_stage(False, data))
        put("pure OrderBook.apply (pre-decoded levels)", *_apply_stage(False, data, decoded))
        if nautilus_ok:
            nt = _nautilus(nautilus_python, cache)
            if "error" in nt:
                extra["nautilus_error"] = nt["error"]
                nautilus_ok = False
            else:
                put(NT_KEY, nt["us_per_frame"], bool(nt["ok"]))
                extra["nautilus_version"] = nt["version"]
        print(f"[books] round {r + 1}/{rounds}: " + ", ".join(
            f"{k.split(':')[0].split(' (')[0]} {v[-1]:.3f}" for k, v in stages.items()),
            file=sys.stderr, flush=True)
    summ = {k: _summary(v) for k, v in stages.items()}
    ratios: dict[str, dict[str, float]] = {}
    for k in stages:
        if k != NT_KEY and NT_KEY in stages and len(stages[k]) == len(stages[NT_KEY]):
            ratios[f"nautilus / {k}"] = _summary(
                [b / a for a, b in zip(stages[k], stages[NT_KEY], strict=True)])
    now = dt.datetime.now(dt.UTC)
    return {"date": now.isoformat(timespec="seconds"), "depth_path": path,
            "frames": len(data["frames"]),
            "avg_frame_bytes": sum(map(len, data["frames"])) / len(data["frames"]),
            "load_avg": list(os.getloadavg()), "us_per_frame": summ, "ratios": ratios,
            "gate": gate, **extra}


if __name__ == "__main__":
    raise SystemExit(main())
