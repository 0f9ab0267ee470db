"""The venue of the side-by-side suite: the real emulator (``mexc_futures.emulator.server``) in its
own process, pinned to one core, under uvloop.

The emulator is live from the start (its clock loop runs synthetic flow and publishes merged depth
every 10 ms) while a candidate subscribes and syncs from REST exactly as on MEXC. On ``go`` it runs
the measured segment in the emulator's benchmark modes (``Emulator.burst_depth`` /
``Emulator.paced_depth``, module ``emulator.benchmode``), then reports the frames it sent, their
CLOCK_MONOTONIC send stamps, its own "I was the bottleneck" verdict and the venue's truth: the
book of every symbol at the version the candidate ended at (at least the segment's last one; the
venue keeps running after the segment, so a candidate may be a little further) and the orders it
accepted.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from benchmarks.client import pipe_reader


@dataclass(frozen=True)
class FeedConfig:
    """What one emulator instance runs in the measured segment."""

    symbols: tuple[str, ...]
    mode: str  # "burst" or "paced"
    n: int  # measured frames
    rate: float = 0.0  # paced rate, frames/s
    mixed: bool = False  # depth + deal + ticker over all symbols (scale)
    seed: int = 7
    api_key: str = "mx0vglBENCHKEY00000001"
    # pragma: allowlist nextline secret - a dummy test key, not a credential
    secret: str = "0123456789abcdef0123456789abcdef"
    cpu: int | None = 0
    track_best_bid: bool = False  # tick to order: best bid after every frame
    flow_rate: float = 40.0  # synthetic events/s per symbol while candidates sync


def _pin(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


async def _main(conn: Connection, cfg: FeedConfig) -> None:
    from mexc_futures.emulator.server import Emulator, WsLimits

    loop = asyncio.get_running_loop()
    many = len(cfg.symbols) > 50
    opts: dict[str, Any] = {
        "flow_rate": 0.5 if many else cfg.flow_rate, "merge_interval_ms": 10,
        "publish_unmerged": False, "book_levels": 20, "ring_size": 20_000,
    }
    one = len(cfg.symbols) == 1
    ex = Emulator(symbols=cfg.symbols if one else None,
                  n_contracts=None if one else len(cfg.symbols),
                  api_key=cfg.api_key, api_secret=cfg.secret, balance=1e9,
                  limits=WsLimits.off(), rest_limits=False, venue_options=opts, seed=cfg.seed)
    await ex.start()
    symbols = cfg.symbols if one else tuple(ex.venue.symbols()[: len(cfg.symbols)])
    commands: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    pipe_reader(conn, loop, commands)
    conn.send(("ports", {"rest": ex.rest_url, "ws": ex.ws_url, "symbols": symbols}))
    out: dict[str, Any] = {}
    while True:
        cmd, arg = await commands.get()
        if cmd == "go":
            for sym in symbols:  # quiet after the segment: no synthetic takers fill user orders
                ex.venue.set_flow_rate(sym, 0.0)
            conn.send(("started", None))
            if cfg.mode == "burst":
                r = await ex.burst_depth(symbols[0], cfg.n, levels=5)
                out = {"frames": r.frames, "send_ns": [r.first_send_ns, r.last_send_ns],
                       "capacity_fps": r.capacity_fps, "generate_s": r.generate_s,
                       "limited": False, "versions": [], "best_bid": [],
                       "last": {symbols[0]: r.last_version}}
            else:
                mix = (0.6, 0.25, 0.15) if cfg.mixed else (1.0, 0.0, 0.0)
                p = await ex.paced_depth(symbols, cfg.n, cfg.rate, mix=mix,
                                         record_best_bid=cfg.track_best_bid, seed=cfg.seed)
                out = {"frames": p.frames, "send_ns": p.send_ns, "versions": p.versions,
                       "kinds": p.kinds, "best_bid": p.best_bid, "capacity_fps": p.capacity_fps,
                       "limited": p.limited, "late_frames": p.late_frames,
                       "max_lag_us": p.max_lag_us, "last": p.last_versions}
            conn.send(("segment", {"last": out["last"]}))
        elif cmd == "finish":
            await asyncio.sleep(0.05)  # let in-flight order requests land
            truth = {}
            at = arg or {}
            for s, v in out["last"].items():
                b = ex.truth.book(s, version=max(v, int(at.get(s, v))))
                truth[s] = ([(float(p), float(q)) for p, q, _ in b["bids"]],
                            [(float(p), float(q)) for p, q, _ in b["asks"]])
            orders = [{"externalOid": o.get("externalOid"), "price": o.get("price"),
                       "symbol": o.get("symbol"), "dealVol": o.get("dealVol")}
                      for o in ex.truth.orders()]
            conn.send(("result", {**out, "truth": truth, "orders": orders}))
        elif cmd == "stop":
            break
    await ex.stop()


def serve(conn: Connection, cfg: FeedConfig) -> None:
    """Process entry point: pin to ``cfg.cpu``, run the emulator until the parent says ``stop``."""
    _pin(cfg.cpu)
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    try:
        import uvloop

        uvloop.run(_main(conn, cfg))
    except ImportError:
        asyncio.run(_main(conn, cfg))
