"""Order-book synchronisation for one symbol, as a state machine written as a table (spec §8.2).

Inputs (all synchronous, no I/O): ``start()``, ``on_frame()`` (a ``push.depth`` frame, merged
``begin..end`` or unmerged ``version`` given as ``begin == end``), ``on_snapshot()`` (REST depth,
spec §4.2), ``on_commits()`` (REST ``depth_commits``, newest first, spec §4.3), errors of those
fetches, ``force_resync()``, ``on_disconnect()``, ``audit_top()`` / ``audit_bbo()``. Each returns a
list of outputs: ``BookUpdate`` / ``BookResync`` events for consumers (model/events.py) and
``FetchSnapshot`` / ``FetchCommits`` / ``SyncFailed`` requests for the shell.

Guarantees:
  * A ``BookUpdate`` is emitted only when the book is exact at ``version``: every version between
    the snapshot and ``version`` was applied, in order (``begin == last + 1``, or a straddling frame
    ``begin <= last + 1 <= end``, safe because sizes are absolute), and the book is not crossed.
  * A gap (``begin > last + 1``) is detected on the first frame after it; a duplicate or older
    frame (``end <= last``) is dropped and never changes the book; a reordered pair heals
    itself from the buffer if the missing frame arrives before the recovery fetch returns.
  * Recovery: ``depth_commits`` first (if they reach back to ``last + 1`` and are consecutive), else
    a fresh snapshot; at most ``max_attempts`` snapshots per resync, then ``SyncFailed``.
  * Buffers are bounded (``max_buffer`` frames; ``max_fresh_drops`` frames older than a snapshot).
  * Rotation (make-before-break): ``begin_handover(source)`` lets frames of a new connection take
    over exactly where the old connection's frames left off, so no version is lost or applied twice.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any, NamedTuple, Protocol

import msgspec

from mexc_futures.model.book import OrderBook, PriceLevel
from mexc_futures.model.events import BookResync, BookUpdate

Levels = Sequence[PriceLevel]
Frame = tuple[int, int, Levels, Levels, int]  # begin, end, bids, asks, ts


class SyncState(enum.Enum):
    """Where the sync machine stands."""

    IDLE = "idle"  # not subscribed (before start, after a disconnect)
    BUFFERING = "buffering"  # frames buffered while a REST snapshot is fetched
    LIVE = "live"  # book exact at ``version``; frames applied as they come
    RECOVERING = "recovering"  # gap seen; frames buffered while depth_commits is fetched
    FAILED = "failed"  # snapshot retries exhausted; waits for ``start()``


class FetchSnapshot(msgspec.Struct, frozen=True):
    """Shell: ``GET depth/{symbol}`` and call ``on_snapshot(request_id, ...)`` (spec §4.2)."""

    symbol: str
    request_id: int
    attempt: int


class FetchCommits(msgspec.Struct, frozen=True):
    """Shell: ``GET depth_commits/{symbol}/{limit}`` and call ``on_commits(request_id, ...)``."""

    symbol: str
    request_id: int
    limit: int


class SyncFailed(msgspec.Struct, frozen=True):
    """Snapshot retries exhausted; the shell backs off and calls ``start()`` again."""

    symbol: str
    reason: str


SyncOutput = BookUpdate | BookResync | FetchSnapshot | FetchCommits | SyncFailed


class SyncStats(msgspec.Struct):
    """Counters read by ``metrics.py``."""

    frames: int = 0
    applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    reorders_healed: int = 0
    resyncs: int = 0
    snapshots: int = 0
    commits_recoveries: int = 0
    crossed: int = 0
    audits: int = 0
    audit_skipped: int = 0
    divergences: int = 0
    buffer_overflows: int = 0
    foreign_frames: int = 0


class CommitLike(Protocol):
    """One ``depth_commits`` entry (``protocol.rest.DepthCommit`` fits), spec §4.3."""

    @property
    def version(self) -> int: ...

    @property
    def bids(self) -> Sequence[PriceLevel]: ...

    @property
    def asks(self) -> Sequence[PriceLevel]: ...


class Commit(NamedTuple):
    """A plain ``depth_commits`` entry: a single-level change at ``version``."""

    version: int
    bids: Sequence[PriceLevel] = ()
    asks: Sequence[PriceLevel] = ()


class BookSync:
    """Keeps ``book`` exact for one symbol; see the module docstring for the contract."""

    def __init__(
        self,
        symbol: str,
        *,
        max_buffer: int = 20_000,
        max_attempts: int = 5,
        commits_limit: int = 1000,
        max_fresh_drops: int = 5_000,
        bbo_tolerance: int = 3,
    ) -> None:
        self.symbol = symbol
        self.book = OrderBook(symbol)
        self.state = SyncState.IDLE
        self.stats = SyncStats()
        self.max_buffer = max_buffer
        self.max_attempts = max_attempts
        self.commits_limit = commits_limit
        self.max_fresh_drops = max_fresh_drops
        self.bbo_tolerance = bbo_tolerance
        self.source = 0  # connection whose frames are applied
        self._candidate: int | None = None  # connection taking over (rotation)
        self._handover: list[Frame] = []
        self._buffer: list[Frame] = []
        self._last = 0  # last applied version
        self._fresh = False  # LIVE from a snapshot, no frame applied since
        self._fresh_drops = 0
        self._attempt = 0
        self._request = 0  # id of the outstanding fetch
        self._bbo_misses = 0

    # ------------------------------------------------------------------ reading

    @property
    def synced(self) -> bool:
        """True when ``book`` is exact at ``book.version``."""
        return self.state is SyncState.LIVE

    @property
    def version(self) -> int:
        """Last applied version (0 before the first snapshot)."""
        return self._last

    # ------------------------------------------------------------------ inputs

    def start(self, source: int = 0) -> list[SyncOutput]:
        """Begin (or restart after a disconnect / failure): buffer and fetch a snapshot."""
        return self._dispatch("start", source)

    def on_frame(
        self,
        begin: int,
        end: int,
        bids: Levels,
        asks: Levels,
        ts: int = 0,
        source: int = 0,
    ) -> list[SyncOutput]:
        """One ``push.depth`` frame (spec §7.5); unmerged: ``begin == end == version``."""
        self.stats.frames += 1
        if source != self.source:
            return self._other_source(source, (begin, end, bids, asks, ts))
        if self.state is SyncState.LIVE and begin == self._last + 1:  # hot path
            book = self.book
            book.apply(bids, asks)
            self._last = book.version = end
            book.ts = ts
            self._fresh = False
            self.stats.applied += 1
            if book.crossed:
                return self._crossed()
            if self._handover:
                return self._publish()
            return [BookUpdate(
                symbol=self.symbol, version=end, best_bid=book.best_bid,
                best_ask=book.best_ask, ts=ts,
            )]
        return self._dispatch("frame", (begin, end, bids, asks, ts))

    def on_snapshot(
        self, request_id: int, version: int, bids: Levels, asks: Levels, ts: int = 0
    ) -> list[SyncOutput]:
        """The REST snapshot asked for by ``FetchSnapshot(request_id)``; others are ignored."""
        if request_id != self._request:
            return []
        return self._dispatch("snapshot", (version, bids, asks, ts))

    def on_snapshot_error(self, request_id: int) -> list[SyncOutput]:
        """The snapshot fetch failed (REST error or timeout)."""
        if request_id != self._request:
            return []
        return self._dispatch("snapshot_error", None)

    def on_commits(self, request_id: int, commits: Sequence[CommitLike]) -> list[SyncOutput]:
        """The ``depth_commits`` asked for by ``FetchCommits(request_id)`` (any order)."""
        if request_id != self._request:
            return []
        return self._dispatch("commits", commits)

    def on_commits_error(self, request_id: int) -> list[SyncOutput]:
        """The commits fetch failed: fall back to a snapshot."""
        if request_id != self._request:
            return []
        return self._dispatch("commits_error", None)

    def force_resync(self, reason: str) -> list[SyncOutput]:
        """Drop the book and resync (``stale`` watchdog, ``audit``, operator)."""
        return self._dispatch("force", reason)

    def on_disconnect(self) -> list[SyncOutput]:
        """The stream's connection is gone: the book is no longer maintained."""
        return self._dispatch("disconnect", None)

    def begin_handover(self, source: int) -> None:
        """Frames of connection ``source`` take over as soon as they join the applied chain."""
        if self.state is SyncState.LIVE:
            self._candidate = source
            self._handover = []
        else:  # nothing exact to join: the new connection simply becomes the stream
            self.source = source
            self._candidate = None

    @property
    def handover_pending(self) -> bool:
        """True while a rotation's new connection has not taken over yet."""
        return self._candidate is not None

    # ------------------------------------------------------------------ audits (S14)

    def audit_top(
        self, version: int, bids: Levels, asks: Levels, depth: int
    ) -> list[SyncOutput]:
        """Compare with a REST top-``depth`` taken at ``version``; only equal versions count."""
        if self.state is not SyncState.LIVE or version != self._last:
            self.stats.audit_skipped += 1
            return []
        self.stats.audits += 1
        if self.book.equals(
            [(lv.price, lv.vol) for lv in bids], [(lv.price, lv.vol) for lv in asks], depth=depth
        ):
            return []
        self.stats.divergences += 1
        return self._restart("audit")

    def audit_bbo(self, bid1: float | None, ask1: float | None) -> list[SyncOutput]:
        """Compare with ticker bid1/ask1 (unknown version): ``bbo_tolerance`` misses in a row."""
        if self.state is not SyncState.LIVE or bid1 is None or ask1 is None:
            self.stats.audit_skipped += 1
            return []
        self.stats.audits += 1
        if self.book.best_bid == bid1 and self.book.best_ask == ask1:
            self._bbo_misses = 0
            return []
        self._bbo_misses += 1
        if self._bbo_misses < self.bbo_tolerance:
            return []
        self.stats.divergences += 1
        return self._restart("audit")

    # ------------------------------------------------------------------ the table

    def _dispatch(self, event: str, arg: Any) -> list[SyncOutput]:
        handler = TRANSITIONS.get((self.state, event))
        if handler is None:  # not listed: the input is irrelevant in this state
            return []
        return handler(self, arg)

    # handlers: (self, arg) -> outputs

    def _start(self, source: int) -> list[SyncOutput]:
        self.source = source
        self._candidate = None
        self._handover = []
        self._buffer = []
        self._attempt = 0
        return [BookResync(symbol=self.symbol, reason="start", from_version=self._last),
                *self._fetch_snapshot()]

    def _buffer_frame(self, frame: Frame) -> list[SyncOutput]:
        buf = self._buffer
        if len(buf) >= self.max_buffer:
            del buf[0]
            self.stats.buffer_overflows += 1
        buf.append(frame)
        return []

    def _splice(self, snap: tuple[int, Levels, Levels, int]) -> list[SyncOutput]:
        version, bids, asks, ts = snap
        self.book.replace(bids, asks, version)
        self.book.ts = ts
        self._last = version
        self._fresh = True
        self._fresh_drops = 0
        self.state = SyncState.LIVE
        return self._drain("commits")

    def _retry_snapshot(self, _: None) -> list[SyncOutput]:
        return self._fetch_snapshot()

    def _live_frame(self, frame: Frame) -> list[SyncOutput]:
        begin, end = frame[0], frame[1]
        if end <= self._last:
            self.stats.duplicates += 1
            if self._fresh:
                self._fresh_drops += 1
                if self._fresh_drops > self.max_fresh_drops:
                    return self._restart("stale")
            return []
        if begin <= self._last + 1:  # straddling frame: safe, sizes are absolute
            self._apply(frame)
            return self._publish()
        self.stats.gaps += 1
        self._buffer = [frame]
        resync = BookResync(symbol=self.symbol, reason="gap", from_version=self._last)
        self.stats.resyncs += 1
        if self._fresh:  # snapshot older than the stream (§8.2 step 4): refetch
            self.state = SyncState.BUFFERING
            return [resync, *self._fetch_snapshot()]
        self.state = SyncState.RECOVERING
        self._attempt = 0  # the last snapshot was good: a new recovery starts its own count
        self._request += 1
        return [resync, FetchCommits(self.symbol, self._request, self.commits_limit)]

    def _recover_frame(self, frame: Frame) -> list[SyncOutput]:
        self._buffer_frame(frame)
        nxt = self._last + 1
        if not any(f[0] <= nxt <= f[1] for f in self._buffer):
            return []  # the hole is still open; the commits fetch is under way
        outs = self._drain("wait")
        if self.state is SyncState.LIVE:
            self.stats.reorders_healed += 1  # the missing frame arrived late (S12)
        return outs

    def _apply_commits(self, commits: Sequence[CommitLike]) -> list[SyncOutput]:
        chain = sorted((c for c in commits if c.version > self._last), key=lambda c: c.version)
        if not chain or chain[0].version != self._last + 1 or any(
            b.version != a.version + 1 for a, b in pairwise(chain)
        ):
            return self._fetch_snapshot_keep_buffer()
        for c in chain:
            self.book.apply(c.bids, c.asks)
        self._last = self.book.version = chain[-1].version
        self.stats.commits_recoveries += 1
        self.state = SyncState.LIVE
        self._fresh = False
        return self._drain("snapshot")

    def _commits_failed(self, _: None) -> list[SyncOutput]:
        return self._fetch_snapshot_keep_buffer()

    def _force(self, reason: str) -> list[SyncOutput]:
        return self._restart(reason)

    def _disconnect(self, _: None) -> list[SyncOutput]:
        was = self.state
        self.state = SyncState.IDLE
        self._buffer = []
        self._handover = []
        self._candidate = None
        self._request += 1  # late answers to old fetches are ignored
        if was is SyncState.IDLE:
            return []
        self.stats.resyncs += 1
        return [BookResync(symbol=self.symbol, reason="reconnect", from_version=self._last)]

    # ------------------------------------------------------------------ helpers

    def _apply(self, frame: Frame) -> None:
        _, end, bids, asks, ts = frame
        self.book.apply(bids, asks)
        self._last = self.book.version = end
        self.book.ts = ts
        self._fresh = False
        self.stats.applied += 1

    def _update(self) -> BookUpdate:
        b = self.book
        return BookUpdate(symbol=self.symbol, version=self._last, best_bid=b.best_bid,
                          best_ask=b.best_ask, ts=b.ts)

    def _drain(self, on_hole: str) -> list[SyncOutput]:
        """Apply buffered frames joining the chain at ``last + 1``, then publish.

        ``on_hole`` says what a hole left in the buffer means: ``commits`` (a new gap: recover),
        ``snapshot`` (commits did not close it) or ``wait`` (a recovery is already under way).
        A hole right after a snapshot always means the snapshot is older than the stream.
        """
        buf = sorted(self._buffer, key=lambda f: f[1])
        self._buffer = []
        self.state = SyncState.LIVE
        for i, frame in enumerate(buf):
            if frame[1] <= self._last:
                self.stats.duplicates += 1
                continue
            if frame[0] <= self._last + 1:
                self._apply(frame)
                continue
            self._buffer = buf[i:]  # a hole before ``frame``
            if self._fresh or on_hole == "snapshot":
                return self._fetch_snapshot_keep_buffer()
            self.state = SyncState.RECOVERING
            if on_hole == "wait":
                return []
            self.stats.gaps += 1
            self.stats.resyncs += 1
            self._request += 1
            return [BookResync(symbol=self.symbol, reason="gap", from_version=self._last),
                    FetchCommits(self.symbol, self._request, self.commits_limit)]
        return self._publish()

    def _publish(self) -> list[SyncOutput]:
        """The book is exact at ``last``: publish it unless crossed; let a rotation take over."""
        if self.book.crossed:
            return self._crossed()
        if self._handover:
            outs = self._try_handover()
            if outs:
                return outs
        return [self._update()]

    def _fetch_snapshot(self) -> list[SyncOutput]:
        self._attempt += 1
        self._request += 1
        if self._attempt > self.max_attempts:
            self.state = SyncState.FAILED
            self._buffer = []
            return [SyncFailed(self.symbol, f"no usable snapshot after {self.max_attempts} tries")]
        self.state = SyncState.BUFFERING
        self.stats.snapshots += 1
        return [FetchSnapshot(self.symbol, self._request, self._attempt)]

    def _fetch_snapshot_keep_buffer(self) -> list[SyncOutput]:
        buf = self._buffer
        outs = self._fetch_snapshot()
        if self.state is SyncState.BUFFERING:
            self._buffer = buf
        return outs

    def _restart(self, reason: str) -> list[SyncOutput]:
        self.stats.resyncs += 1
        self._buffer = []
        self._attempt = 0
        self._bbo_misses = 0
        return [BookResync(symbol=self.symbol, reason=reason, from_version=self._last),
                *self._fetch_snapshot()]

    def _crossed(self) -> list[SyncOutput]:
        self.stats.crossed += 1
        return self._restart("crossed")

    def _other_source(self, source: int, frame: Frame) -> list[SyncOutput]:
        if source != self._candidate:
            self.stats.foreign_frames += 1
            return []
        if len(self._handover) >= self.max_buffer:
            del self._handover[0]
        self._handover.append(frame)
        if self.state is SyncState.LIVE:
            return self._try_handover()
        return []

    def _try_handover(self) -> list[SyncOutput]:
        """Switch to the candidate once its frames join the chain at ``last + 1``."""
        pending = self._handover
        while pending and pending[0][1] < self._last:
            del pending[0]  # the new connection still lags: already applied via the old one
        if not pending:
            return []
        if pending[0][1] == self._last:  # lockstep: the new connection's next frame is ours
            del pending[0]
        elif pending[0][0] > self._last + 1:
            return []  # ahead: wait for the old connection to catch up
        assert self._candidate is not None  # nosec B101 - type narrowing
        self.source = self._candidate
        self._candidate = None
        self._handover = []
        if not pending:
            return []
        self._buffer = pending
        return self._drain("commits")


Handler = Callable[[BookSync, Any], list[SyncOutput]]

TRANSITIONS: dict[tuple[SyncState, str], Handler] = {
    # state                      input             handler
    (SyncState.IDLE, "start"): BookSync._start,
    (SyncState.FAILED, "start"): BookSync._start,
    (SyncState.BUFFERING, "frame"): BookSync._buffer_frame,
    (SyncState.BUFFERING, "snapshot"): BookSync._splice,
    (SyncState.BUFFERING, "snapshot_error"): BookSync._retry_snapshot,
    (SyncState.BUFFERING, "force"): BookSync._force,
    (SyncState.BUFFERING, "disconnect"): BookSync._disconnect,
    (SyncState.LIVE, "frame"): BookSync._live_frame,  # non-contiguous frames only (hot path inline)
    (SyncState.LIVE, "force"): BookSync._force,
    (SyncState.LIVE, "disconnect"): BookSync._disconnect,
    (SyncState.RECOVERING, "frame"): BookSync._recover_frame,  # a reordered frame may heal
    (SyncState.RECOVERING, "commits"): BookSync._apply_commits,
    (SyncState.RECOVERING, "commits_error"): BookSync._commits_failed,
    (SyncState.RECOVERING, "force"): BookSync._force,
    (SyncState.RECOVERING, "disconnect"): BookSync._disconnect,
    (SyncState.FAILED, "disconnect"): BookSync._disconnect,
    # IDLE/FAILED frames and every late fetch answer are dropped (no entry = ignored).
}


class FullBookSync:
    """``push.depth.full`` books (spec §8.1): each frame replaces the top-N; lower versions skipped.

    Lighter than ``BookSync`` (no REST, no gaps), but only the top ``limit`` levels are known.
    """

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.book = OrderBook(symbol)
        self.stats = SyncStats()
        self.synced = False

    @property
    def version(self) -> int:
        """Version of the last applied frame."""
        return self.book.version

    def on_full(
        self, version: int, bids: Levels, asks: Levels, ts: int = 0
    ) -> list[SyncOutput]:
        """Apply one full top-N frame unless it is older than the book."""
        self.stats.frames += 1
        if self.synced and version < self.book.version:
            self.stats.duplicates += 1
            return []
        self.book.replace(bids, asks, version)
        self.book.ts = ts
        self.stats.applied += 1
        if self.book.crossed:
            self.stats.crossed += 1
            self.synced = False
            return [BookResync(symbol=self.symbol, reason="crossed", from_version=version)]
        self.synced = True
        b = self.book
        return [BookUpdate(symbol=self.symbol, version=version, best_bid=b.best_bid,
                           best_ask=b.best_ask, ts=ts)]

    def on_disconnect(self) -> list[SyncOutput]:
        """Connection lost: the book is stale until the next frame."""
        if not self.synced:
            return []
        self.synced = False
        return [BookResync(symbol=self.symbol, reason="reconnect", from_version=self.book.version)]


__all__ = [
    "TRANSITIONS",
    "BookSync",
    "Commit",
    "CommitLike",
    "FetchCommits",
    "FetchSnapshot",
    "FullBookSync",
    "SyncFailed",
    "SyncOutput",
    "SyncState",
    "SyncStats",
]
