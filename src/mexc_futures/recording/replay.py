"""``replay``: feed a recording through the client's own decoder, book sync and router.

No sockets: ``ReplayPool`` (a ``transport.pool.Pool`` without I/O) keeps one real
``WsConnection`` object per recorded connection id only for its route table (built exactly as
live: ``push_routes`` + ``on_push``), and the driver hands each recorded ``ws`` line to
``codec.frame_fast_path`` and that table, as the picows listener does. ``open``/``close`` lines
become the pool's ``on_up``/``on_down``; ``RecordedDepthSource`` answers the book sync's REST
fetches with the answers the live session got, delivered at the recorded point in the stream, so
every sync, gap and recovery happens exactly as it did live. ``mark`` lines of externally caused
resyncs (staleness watchdog, REST audit) are re-applied. ``book`` lines are the live books at a
version: ``check_books`` compares the replayed books with them (acceptance A1).

Pacing: ``speed=None`` as fast as possible; ``speed=N`` sleeps so recorded time runs N times
faster than wall time (lag = how late each line is handed over, ``ReplayResult.lag_p99_ms``).
The router's clock is the recorded receive time of the line being replayed (``ReplayClock``).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from mexc_futures.config import Environment
from mexc_futures.errors import MalformedFrame, MexcError, ProtocolDriftError
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.model.events import BookResync
from mexc_futures.protocol import codec
from mexc_futures.protocol import rest as w
from mexc_futures.recording import format as fmt
from mexc_futures.recording.format import Line, Manifest
from mexc_futures.recording.reader import iter_lines, load_manifest
from mexc_futures.transport.fedpool import FedPool
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import PoolHooks

#: the router's own sleeps (retry backoff) are instant in replay: answers come from the recording
REPLAY_SPEED = 1e6
EXTERNAL_RESYNCS = frozenset({"stale", "audit"})
_BODY_TYPES: dict[str, Any] = {"depth": w.DepthData, "depth_commits": list[w.DepthCommit],
                                "deals": list[w.DealData]}
#: the router's REST tasks (fetch workers; older names kept for clarity of intent)
_FETCH_TASKS = ("md-fetch", "md-snap", "md-commits")


class ReplayClock:
    """``Clock`` whose time is the recorded receive time of the line being replayed."""

    speed = REPLAY_SPEED

    def __init__(self, start_ns: int = 0) -> None:
        self.now_ns = start_ns

    def time_ms(self) -> int:
        return self.now_ns // 1_000_000

    def monotonic(self) -> float:
        return self.now_ns / 1e9


class ReplayPool(FedPool):
    """A ``Pool`` whose connections are recorded ones: no sockets, no tasks; a recorded ``open``
    is ``up``, a recorded ``close`` is ``down``."""

    def __init__(self, hooks: PoolHooks, metrics: Metrics, clock: ReplayClock) -> None:
        super().__init__("replay://", hooks, metrics, clock)


@dataclass
class _Waiter:
    key: tuple[str, str, Any]
    fut: asyncio.Future[Any]
    task: asyncio.Task[Any] | None


class RecordedDepthSource:
    """``DepthSource`` answering from the recording's ``rest`` lines (see module doc)."""

    def __init__(self) -> None:
        self.waiting: collections.deque[_Waiter] = collections.deque()
        self.delivered = 0
        self.unmatched = 0

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        return await self._wait(("depth", symbol, limit))

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        return await self._wait(("depth_commits", symbol, limit))

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        return await self._wait(("deals", symbol, limit))

    async def _wait(self, key: tuple[str, str, Any]) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(key, fut, asyncio.current_task())
        self.waiting.append(waiter)
        try:
            return await fut
        finally:
            if waiter in self.waiting:
                self.waiting.remove(waiter)

    def deliver(self, rec: fmt.RestRecord) -> asyncio.Task[Any] | None:
        """Answer the oldest matching request; returns its task (to await) or ``None``."""
        key = (rec.path, rec.symbol, rec.q.get("limit"))
        for waiter in self.waiting:
            if waiter.key == key and not waiter.fut.done():
                break
        else:
            self.unmatched += 1
            return None
        self.waiting.remove(waiter)
        if rec.error is not None:
            exc: BaseException = TimeoutError() if rec.error == "timeout" else \
                MexcError(f"recorded REST failure: {rec.error}")
            waiter.fut.set_exception(exc)
        else:
            waiter.fut.set_result(msgspec.json.decode(rec.body, type=_BODY_TYPES[rec.path]))
        self.delivered += 1
        return waiter.task


class ReplayMarketData(MarketData):
    """``MarketData`` over a ``ReplayPool`` and a ``RecordedDepthSource``."""

    def __init__(self, manifest: Manifest, *, config: MarketDataConfig | None = None) -> None:
        self.replay_clock = ReplayClock(manifest.start_ns)
        self.depth_source = RecordedDepthSource()
        cfg = config or MarketDataConfig(
            max_per_conn=manifest.max_per_conn, snapshot_limit=manifest.snapshot_limit,
            commits_limit=manifest.commits_limit, depth_silence=None, audit_interval=None,
        )
        env = Environment(name="replay", rest_url=manifest.rest_url or "replay://",
                          ws_url=manifest.ws_url or "replay://", is_live=False)
        super().__init__(env, rest=self.depth_source, clock=self.replay_clock, config=cfg)
        self.replay_pool = ReplayPool(self, self._metrics, self.replay_clock)

    async def __aenter__(self) -> ReplayMarketData:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._pool = self.replay_pool
        return self


@dataclass
class BookCheck:
    """One ``book`` line compared with the replayed book."""

    symbol: str
    version: int
    replay_version: int
    equal: bool


@dataclass
class ReplayResult:
    """What a replay did; ``ok`` is what ``--check-books`` exits on."""

    lines: int = 0
    frames: int = 0
    undecodable: int = 0
    control: int = 0
    unrouted: int = 0
    events: dict[str, int] = field(default_factory=dict)
    resyncs: dict[str, int] = field(default_factory=dict)
    disconnects: int = 0
    rest_delivered: int = 0
    rest_unmatched: int = 0
    book_checks: list[BookCheck] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    recorded_s: float = 0.0
    speed: float | None = None
    lag_p50_ms: float = 0.0
    lag_p99_ms: float = 0.0
    lag_max_ms: float = 0.0

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def frames_per_cpu_s(self) -> float:
        """Frames per second of this process's CPU (robust to other load on the machine)."""
        return self.frames / self.cpu_s if self.cpu_s else 0.0

    @property
    def gaps(self) -> int:
        """Sequence gaps the replayed book sync found (0 for a faithful recording)."""
        return self.resyncs.get("gap", 0)

    @property
    def books_equal(self) -> bool:
        return all(c.equal for c in self.book_checks)

    @property
    def ok(self) -> bool:
        return self.books_equal and self.undecodable == 0

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "book_checks"}
        d["frames_per_s"] = round(self.frames_per_s, 1)
        d["frames_per_cpu_s"] = round(self.frames_per_cpu_s, 1)
        d["gaps"] = self.gaps
        d["books_checked"] = len(self.book_checks)
        d["books_equal"] = self.books_equal
        d["book_mismatches"] = [c.__dict__ for c in self.book_checks if not c.equal]
        return d


def _check(md: ReplayMarketData, payload: bytes) -> BookCheck:
    cp = msgspec.json.decode(payload, type=fmt.BookCheckpoint)
    try:
        book = md.book(cp.symbol).book
    except KeyError:
        return BookCheck(cp.symbol, cp.version, -1, False)
    equal = book.version == cp.version and book.equals(cp.bids, cp.asks)
    return BookCheck(cp.symbol, cp.version, book.version, equal)


async def _settle(src: RecordedDepthSource, md: ReplayMarketData, limit: int = 10_000) -> None:
    """Let fetch tasks the router spawned reach their recorded-answer wait (or finish)."""
    for _ in range(limit):
        fetching = [t for t in md._tasks
                    if not t.done() and t.get_name().startswith(_FETCH_TASKS)]
        waiting = {x.task for x in src.waiting}
        if all(t in waiting for t in fetching):
            return
        await asyncio.sleep(0)


async def run_replay(
    lines: Iterable[Line],
    md: ReplayMarketData,
    *,
    speed: float | None = None,
    check_books: bool = False,
    on_line: Callable[[Line], None] | None = None,
) -> ReplayResult:
    """Drive ``md`` (entered) with ``lines``; see the module doc."""
    res = ReplayResult(speed=speed)
    clock = md.replay_clock
    pool = md.replay_pool
    src = md.depth_source
    live = pool.live
    fast = codec.frame_fast_path()
    decode = codec.decode_frame
    ws_kind, open_kind, close_kind = fmt.WS, fmt.OPEN, fmt.CLOSE
    lags: list[float] = []
    first_ns = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    n = 0
    frames = 0
    for line in lines:
        n += 1
        ns = line.recv_ns
        clock.now_ns = ns
        if not first_ns:
            first_ns = ns
        if speed is not None:
            due = t0 + (ns - first_ns) / 1e9 / speed
            ahead = due - time.perf_counter()
            if ahead > 0.0005:
                await asyncio.sleep(ahead)
            lags.append(max(0.0, time.perf_counter() - due))
        kind = line.kind
        if kind == ws_kind:
            c = live.get(line.conn)
            if c is None:
                res.unrouted += 1
                continue
            frames += 1
            try:
                msg = fast(line.payload)
            except msgspec.MsgspecError:
                try:
                    msg = decode(line.payload)
                except (MalformedFrame, ProtocolDriftError):
                    res.undecodable += 1
                    continue
            try:
                route = c.routes[msg.__class__]
            except KeyError:
                res.control += 1
                continue
            route(msg)
            continue
        if on_line is not None:
            on_line(line)
        if kind == open_kind:
            ev = msgspec.json.decode(line.payload, type=fmt.ConnEvent)
            pool.up(line.conn, ev.reconnect)
            await _settle(src, md)
        elif kind == close_kind:
            res.disconnects += 1
            pool.down(line.conn, msgspec.json.decode(line.payload, type=fmt.ConnEvent).reason)
            await _settle(src, md)
        elif kind == fmt.REST:
            await _settle(src, md)
            task = src.deliver(msgspec.json.decode(line.payload, type=fmt.RestRecord))
            if task is not None:
                await asyncio.wait({task}, timeout=10.0)
                await _settle(src, md)
        elif kind == fmt.MARK:
            m = msgspec.json.decode(line.payload, type=fmt.Mark)
            if m.what == "resync" and m.reason in EXTERNAL_RESYNCS:
                md.force_resync(m.symbol, m.reason)
                await _settle(src, md)
        elif kind == fmt.BOOK and check_books:
            res.book_checks.append(_check(md, line.payload))
    res.elapsed_s = time.perf_counter() - t0
    res.cpu_s = time.process_time() - c0
    res.lines = n
    res.frames = frames
    res.recorded_s = (clock.now_ns - first_ns) / 1e9 if first_ns else 0.0
    res.rest_delivered, res.rest_unmatched = src.delivered, src.unmatched
    if lags:
        lags.sort()
        res.lag_p50_ms = lags[len(lags) // 2] * 1e3
        res.lag_p99_ms = lags[min(len(lags) - 1, int(len(lags) * 0.99))] * 1e3
        res.lag_max_ms = lags[-1] * 1e3
    return res


async def replay(
    root: Path,
    *,
    speed: float | None = None,
    on_event: Callable[[Any], None] | None = None,
    check_books: bool = False,
    symbols: Sequence[str] | None = None,
    channels: Sequence[str] | None = None,
    on_ready: Callable[[ReplayMarketData], None] | None = None,
) -> ReplayResult:
    """Replay the recording at ``root`` into ``on_event`` (market events, as ``md.on`` gets them).

    Every recorded stream is subscribed (connection placement must match the recording);
    ``symbols``/``channels`` only filter what reaches ``on_event``.
    """
    man = load_manifest(root)
    md = ReplayMarketData(man)
    want = {s.upper() for s in symbols} if symbols else None
    counts: dict[str, int] = {}
    resyncs: dict[str, int] = {}

    def count(ev: Any) -> None:
        name = type(ev).__name__
        counts[name] = counts.get(name, 0) + 1
        if isinstance(ev, BookResync):
            resyncs[ev.reason] = resyncs.get(ev.reason, 0) + 1

    async with md:
        subs = []
        for spec in man.streams:
            sub = await md.subscribe(spec.channel, spec.symbol, **spec.params)
            sub.on(count)
            if on_event is not None and (want is None or spec.symbol in want) and \
                    (channels is None or spec.channel in channels):
                sub.on(on_event)
            subs.append(sub)
        if on_ready is not None:
            on_ready(md)
        res = await run_replay(iter_lines(root), md, speed=speed, check_books=check_books)
    res.events = counts
    res.resyncs = resyncs
    return res


__all__ = [
    "EXTERNAL_RESYNCS",
    "BookCheck",
    "RecordedDepthSource",
    "ReplayClock",
    "ReplayMarketData",
    "ReplayPool",
    "ReplayResult",
    "replay",
    "run_replay",
]
