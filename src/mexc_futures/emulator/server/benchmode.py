"""Benchmark modes of the emulator server: burst and paced depth (issue "Emulator", performance.md).

Both modes take the depth stream of the given symbols over from the clock loop (which pauses, so
versions stay contiguous), flush what the venue had not yet published with one
``Venue.burst(symbol, levels, 1)`` frame per symbol (the *lead* frames), push frames made by
:mod:`mexc_futures.emulator.benchfeed` on the real books, and end with one more ``Venue.burst``
frame per symbol (the *tail*), so the venue's book, its version history, REST snapshots and
``truth`` agree with everything pushed.

* **burst** — every frame is generated and encoded first, then written to every merged-depth
  subscriber in chunks as fast as the sockets take them. The result reports the server's busy
  time (writing, not waiting for a slow reader) so a benchmark can check the emulator was not
  the bottleneck (``capacity_fps``).
* **paced** — frame *i* is due at ``t0 + i / rate``. The next frame is generated while waiting,
  then the server spins until it is due, stamps ``time.perf_counter_ns()`` (CLOCK_MONOTONIC on
  Linux: one clock for every process on the machine) just before the write and records it, so a
  client can compute send → callback latency. The book changes when its frame is generated, at
  most one frame ahead of the stream. ``limited`` says the emulator could not keep the pace:
  its busy time per frame would allow less than 1.5× the asked rate, or its achieved rate fell
  more than 3 % short of the asked one. Late frames (a write more than one period after its due
  time, typically a millisecond stall of the VM's CPU) are counted and reported, not judged.

Mixed paced runs (``mix=(depth, deal, ticker)`` shares over many symbols) also push ``push.deal``
and ``push.ticker`` frames to their subscribers (see ``benchfeed.MixedFrames``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mexc_futures.emulator.server.benchfeed import DEAL, DEPTH, TICKER, DepthFrames, MixedFrames
from mexc_futures.emulator.server.clock import EmulatorClock
from mexc_futures.emulator.server.fanout import PUSHED_KEEP, Fanout, push_payload, ws_frame
from mexc_futures.emulator.server.link import Link
from mexc_futures.emulator.venue.packed import PackedRing
from mexc_futures.emulator.venue.venue import Venue


class BenchHost(Protocol):
    """What the benchmark modes need of the server (``Emulator`` is one); a protocol so that this
    module does not import ``server`` (which imports it)."""

    @property
    def venue(self) -> Venue: ...

    @property
    def clock(self) -> EmulatorClock: ...

    @property
    def fanout(self) -> Fanout: ...

    @property
    def links(self) -> dict[int, Link]: ...

    def send_raw(self, link: Link, data: bytes, n_frames: int) -> None: ...

HEADROOM = 1.5  # performance.md: the emulator pushes at >= 1.5x the rate asked of the client
_TOPIC = {DEPTH: "depth.merged", DEAL: "deal", TICKER: "ticker"}


@dataclass(frozen=True, slots=True)
class BurstResult:
    """What a burst pushed: frame count and the version range (``begin`` of the first frame to
    ``end`` of the last). The truth book at ``last_version`` is ``ex.truth.book(symbol)``.

    ``generate_s`` is the time to make and encode the frames (before the first write),
    ``send_s`` the time from the first write to the last, ``wait_s`` the part of it spent waiting
    for a slow reader, ``first_send_ns``/``last_send_ns`` CLOCK_MONOTONIC stamps of the first and
    last write."""

    symbol: str
    frames: int
    first_version: int
    last_version: int
    receivers: int
    generate_s: float = 0.0
    send_s: float = 0.0
    wait_s: float = 0.0
    first_send_ns: int = 0
    last_send_ns: int = 0

    @property
    def capacity_fps(self) -> float:
        """Frames per second the server wrote while not waiting for the reader."""
        busy = self.send_s - self.wait_s
        return self.frames / busy if busy > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class PacedResult:
    """What a paced run pushed, frame by frame (lists are parallel, in send order)."""

    symbols: tuple[str, ...]
    rate: float
    send_ns: list[int]  # perf_counter_ns just before each write
    kinds: list[int]  # benchfeed.DEPTH / DEAL / TICKER
    sym_index: list[int]  # index into ``symbols``
    versions: list[int]  # ``end`` of depth frames, 0 for others
    best_bid: list[float]  # best bid after each depth frame (``record_best_bid``), else []
    last_versions: dict[str, int] = field(default_factory=dict)
    receivers: int = 0
    busy_s: float = 0.0  # generating + writing, not waiting for due times
    max_lag_us: float = 0.0  # latest write after its due time
    late_frames: int = 0  # writes more than one period after their due time

    @property
    def frames(self) -> int:
        return len(self.send_ns)

    @property
    def achieved_rate(self) -> float:
        span = (self.send_ns[-1] - self.send_ns[0]) / 1e9 if len(self.send_ns) > 1 else 0.0
        return (len(self.send_ns) - 1) / span if span > 0 else float("inf")

    @property
    def capacity_fps(self) -> float:
        return self.frames / self.busy_s if self.busy_s > 0 else float("inf")

    @property
    def limited(self) -> bool:
        """True when the emulator, not the client, may have set the pace."""
        return self.capacity_fps < HEADROOM * self.rate or self.achieved_rate < 0.97 * self.rate


def _targets(ex: BenchHost, topic: str, symbol: str) -> list[Link]:
    subs = ex.fanout.index.get((topic, symbol, None), {})
    return [link for cid in subs if (link := ex.links.get(cid)) is not None]


def _flush(ex: BenchHost, symbol: str, levels: int) -> tuple[bytes, int, int]:
    """One ``Venue.burst`` frame: publishes the venue's merge buffer and records the versions."""
    (pub,) = ex.venue.burst(symbol, levels, 1)
    data = pub.data
    return ws_frame(push_payload(pub, ex.clock.venue_ms())), int(data["begin"]), int(data["end"])


def _record(links: Sequence[Link], symbol: str, versions: Sequence[tuple[int, int]]) -> None:
    for link in links:
        link.conn.pushed.setdefault(symbol, PackedRing(2, PUSHED_KEEP)).extend(versions)


async def burst(ex: BenchHost, symbol: str, frames: int, levels: int, chunk: int) -> BurstResult:
    """See the module docstring; ``ex.burst_depth`` is the public entry point."""
    clock = time.perf_counter
    t_gen = clock()
    now = ex.clock.venue_ms()
    gen = DepthFrames(ex.venue, symbol, levels=levels)
    made = [_flush(ex, symbol, levels)]
    made += [gen.next(now) for _ in range(max(0, frames - 2))]
    if frames > 1:
        made.append(_flush(ex, symbol, levels))
    encoded = [m[0] for m in made]
    versions = [(m[1], m[2]) for m in made]
    targets = _targets(ex, "depth.merged", gen.symbol)
    _record(targets, gen.symbol, versions)
    generate_s = clock() - t_gen
    wait = 0.0
    first_ns = time.perf_counter_ns()
    t0 = clock()
    for start in range(0, len(encoded), chunk):
        blob = b"".join(encoded[start : start + chunk])
        n = min(chunk, len(encoded) - start)
        for link in targets:
            ex.send_raw(link, blob, n)
        # back-pressure: wait for the kernel to take the bytes (this time is not "busy")
        while any(
            not t.closed and t.transport.get_write_buffer_size() > 8 * 1024 * 1024 for t in targets
        ):
            w0 = clock()
            await asyncio.sleep(0.0005)
            wait += clock() - w0
    last_ns = time.perf_counter_ns()
    return BurstResult(
        gen.symbol, len(encoded), versions[0][0] if versions else 0,
        versions[-1][1] if versions else 0, len(targets), generate_s, clock() - t0, wait,
        first_ns, last_ns,
    )


async def paced(
    ex: BenchHost,
    symbols: Sequence[str],
    frames: int,
    rate: float,
    *,
    levels: int = 5,
    mix: tuple[float, float, float] = (1.0, 0.0, 0.0),
    record_best_bid: bool = False,
    seed: int = 0,
) -> PacedResult:
    """See the module docstring; ``ex.paced_depth`` is the public entry point."""
    gen = MixedFrames(ex.venue, symbols, levels=levels, mix=mix, seed=seed)
    syms = gen.symbols
    targets = {
        (kind, i): _targets(ex, _TOPIC[kind], s)
        for i, s in enumerate(syms) for kind in (DEPTH, DEAL, TICKER)
    }
    receivers = len({link.conn.id for lst in targets.values() for link in lst})
    send_ns: list[int] = []
    kinds: list[int] = []
    idx: list[int] = []
    vers: list[int] = []
    bids: list[float] = []
    clock = time.perf_counter_ns
    busy = 0
    now_ms = ex.clock.venue_ms()

    def emit(kind: int, i: int, frame: bytes, begin: int, end: int, best: float) -> None:
        send_ns.append(clock())
        for link in targets[(kind, i)]:
            ex.send_raw(link, frame, 1)
        kinds.append(kind)
        idx.append(i)
        vers.append(end)
        if kind == DEPTH:
            _record(targets[(kind, i)], syms[i], [(begin, end)])
        if record_best_bid:
            bids.append(best)

    def make() -> tuple[int, int, bytes, int, int, float]:
        kind, i, frame, begin, end = gen.next(now_ms)
        return kind, i, frame, begin, end, gen.depth[i].best_bid()

    for i, s in enumerate(syms):  # lead frames, unpaced
        emit(DEPTH, i, *_flush(ex, s, levels), gen.depth[i].best_bid())
    gap = 1e9 / rate
    t0 = clock() + 1_000_000
    max_lag = 0
    late = 0
    pending = make() if frames else None
    for k in range(frames):
        assert pending is not None
        due = t0 + int(k * gap)
        while True:
            now = clock()
            if now >= due:
                break
            if due - now > 1_500_000:
                await asyncio.sleep((due - now - 1_000_000) / 1e9)
            else:
                await asyncio.sleep(0)
        b0 = clock()
        lag = b0 - due
        max_lag = max(max_lag, lag)
        late += lag > gap
        emit(*pending)
        pending = make() if k + 1 < frames else None
        busy += clock() - b0
    for i, s in enumerate(syms):  # tail frames: the venue records what was published
        emit(DEPTH, i, *_flush(ex, s, levels), gen.depth[i].best_bid())
    last = {s: ex.venue.truth.version(s) for s in syms}
    return PacedResult(
        tuple(syms), rate, send_ns, kinds, idx, vers, bids, last, receivers,
        busy / 1e9, max_lag / 1e3, late,
    )


__all__ = ["HEADROOM", "BurstResult", "PacedResult", "burst", "paced"]
