"""Book-sync recovery: everything that happens off the in-order path (spec §8.2 steps 1-5).

Why this cut: ``model/booksync.py`` is the machine a reader checks first — its states, its inputs,
the transition table and the hot path that applies an in-order frame. Almost every frame takes
that path. What is left is the rare, subtle part, kept here in one place so it can be reviewed
on its own: buffering while a snapshot is fetched, splicing a snapshot with the buffer, healing a
gap from ``depth_commits`` or a fresh snapshot, draining a buffer in version order, and the
make-before-break hand-over of a rotation. It also defines the machine's vocabulary (states,
output requests, counters), which both halves use.

``BookRecovery`` holds the machine's state and these transitions; ``BookSync`` subclasses it and
adds the public inputs and the table. Nothing here does I/O or reads a clock.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple, Protocol

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


@dataclass(slots=True)
class SyncStats:
    """Counters read by ``metrics.py``.

    A slots dataclass, not a ``msgspec.Struct``: two of these counters are bumped for every depth
    frame, and a slot store costs about half a mutable Struct's ``__setattr__``.
    """

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


class BookRecovery:
    """State of one symbol's sync machine and its off-hot-path transitions.

    ``hot`` is true exactly when an in-order frame of ``source`` may be applied without looking at
    anything else (state ``LIVE``, no hand-over frames waiting, no snapshot-freshness bookkeeping
    pending); every transition that touches those re-arms it through ``_rearm``.
    """

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
        self._state = SyncState.IDLE
        self.stats = SyncStats()
        self.max_buffer = max_buffer
        self.max_attempts = max_attempts
        self.commits_limit = commits_limit
        self.max_fresh_drops = max_fresh_drops
        self.bbo_tolerance = bbo_tolerance
        self.source = 0  # connection whose frames are applied
        self.hot = False  # see the class docstring
        self._candidate: int | None = None  # connection taking over (rotation)
        self._handover: list[Frame] = []
        self._buffer: list[Frame] = []
        self._fresh = False  # LIVE from a snapshot, no frame applied since
        self._fresh_drops = 0
        self._attempt = 0
        self._request = 0  # id of the outstanding fetch
        self._bbo_misses = 0
        #: the book is exact at ``_last`` (it was LIVE and nothing has discredited it since: a
        #: disconnect keeps it, a forced resync, a crossed book or failed retries end it); a
        #: restart then bridges from ``_last`` with ``depth_commits`` instead of a snapshot
        self._exact = False

    @property
    def state(self) -> SyncState:
        """The machine's state."""
        return self._state

    @state.setter
    def state(self, value: SyncState) -> None:
        self._state = value
        if value is SyncState.LIVE:
            self._exact = True
        self._rearm()

    @property
    def buffered(self) -> int:
        """Frames waiting in the recovery buffer (how busy the book is while it waits)."""
        return len(self._buffer)

    @property
    def _last(self) -> int:
        """The last applied version: the book's (0 before the first snapshot)."""
        return self.book.version

    def _rearm(self) -> None:
        self.hot = self._state is SyncState.LIVE and not self._handover and not self._fresh

    # ------------------------------------------------------------------ table handlers

    def _start(self, arg: tuple[int, bool]) -> list[SyncOutput]:
        source, bridge = arg
        self.source = source
        self._candidate = None
        self._handover = []
        self._buffer = []
        self._attempt = 0
        resync = BookResync(symbol=self.symbol, reason="start", from_version=self._last)
        if bridge and self._exact and self._last > 0:
            # back after a reconnect with a book exact at ``_last``: the venue's commits since
            # then bridge it (their own, cheaper REST bucket); a quiet book needs nothing more
            # and a busy one falls back to a snapshot when the commits do not reach back (D5)
            self.state = SyncState.RECOVERING
            self._request += 1
            return [resync, FetchCommits(self.symbol, self._request, self.commits_limit)]
        return [resync, *self._fetch_snapshot()]

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
        if begin <= self._last + 1:  # in order, or straddling: safe, sizes are absolute
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
        if self._state is SyncState.LIVE:
            self.stats.reorders_healed += 1  # the missing frame arrived late (S12)
        return outs

    def _apply_commits(self, commits: Sequence[CommitLike]) -> list[SyncOutput]:
        chain = sorted((c for c in commits if c.version > self._last), key=lambda c: c.version)
        if not chain and any(c.version == self._last for c in commits):
            # nothing changed since ``_last`` (as of the REST read): the book is exact as it is
            self.stats.commits_recoveries += 1
            self._fresh = False
            self.state = SyncState.LIVE
            return self._drain("snapshot")
        if not chain or chain[0].version != self._last + 1 or any(
            b.version != a.version + 1 for a, b in pairwise(chain)
        ):
            return self._fetch_snapshot_keep_buffer()
        for c in chain:
            self.book.apply(c.bids, c.asks)
        self.book.version = chain[-1].version
        self.stats.commits_recoveries += 1
        self._fresh = False
        self.state = SyncState.LIVE
        return self._drain("snapshot")

    def _commits_failed(self, _: None) -> list[SyncOutput]:
        return self._fetch_snapshot_keep_buffer()

    def _force(self, reason: str) -> list[SyncOutput]:
        return self._restart(reason)

    def _disconnect(self, _: None) -> list[SyncOutput]:
        was = self._state
        self._buffer = []
        self._handover = []
        self._candidate = None
        self.state = SyncState.IDLE
        self._request += 1  # late answers to old fetches are ignored
        if was is SyncState.IDLE:
            return []
        self.stats.resyncs += 1
        return [BookResync(symbol=self.symbol, reason="reconnect", from_version=self._last)]

    # ------------------------------------------------------------------ helpers

    def _apply(self, frame: Frame) -> None:
        _, end, bids, asks, ts = frame
        self.book.apply(bids, asks)
        self.book.version = end
        self.book.ts = ts
        if self._fresh:
            self._fresh = False
            self._rearm()
        self.stats.applied += 1

    def update_event(self) -> BookUpdate:
        """The ``BookUpdate`` for the book as it stands (exact at ``version``)."""
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
        return [self.update_event()]

    def _fetch_snapshot(self) -> list[SyncOutput]:
        self._attempt += 1
        self._request += 1
        if self._attempt > self.max_attempts:
            self._buffer = []
            self._exact = False
            self.state = SyncState.FAILED
            return [SyncFailed(self.symbol, f"no usable snapshot after {self.max_attempts} tries")]
        self.state = SyncState.BUFFERING
        self.stats.snapshots += 1
        return [FetchSnapshot(self.symbol, self._request, self._attempt)]

    def _fetch_snapshot_keep_buffer(self) -> list[SyncOutput]:
        buf = self._buffer
        outs = self._fetch_snapshot()
        if self._state is SyncState.BUFFERING:
            self._buffer = buf
        return outs

    def _restart(self, reason: str) -> list[SyncOutput]:
        self._exact = False
        self.stats.resyncs += 1
        self._buffer = []
        self._attempt = 0
        self._bbo_misses = 0
        return [BookResync(symbol=self.symbol, reason=reason, from_version=self._last),
                *self._fetch_snapshot()]

    def _crossed(self) -> list[SyncOutput]:
        self.stats.crossed += 1
        return self._restart("crossed")

    # ------------------------------------------------------------------ rotation hand-over

    def _other_source(self, source: int, frame: Frame) -> list[SyncOutput]:
        if source != self._candidate:
            self.stats.foreign_frames += 1
            return []
        if len(self._handover) >= self.max_buffer:
            del self._handover[0]
        self._handover.append(frame)
        self._rearm()
        if self._state is SyncState.LIVE:
            return self._try_handover()
        return []

    def _try_handover(self) -> list[SyncOutput]:
        """Switch to the candidate once its frames join the chain at ``last + 1``."""
        pending = self._handover
        while pending and pending[0][1] < self._last:
            del pending[0]  # the new connection still lags: already applied via the old one
        if not pending:
            self._rearm()
            return []
        if pending[0][1] == self._last:  # lockstep: the new connection's next frame is ours
            del pending[0]
        elif pending[0][0] > self._last + 1:
            return []  # ahead: wait for the old connection to catch up
        assert self._candidate is not None  # nosec B101  # type narrowing
        self.source = self._candidate
        self._candidate = None
        self._handover = []
        self._rearm()
        if not pending:
            return []
        self._buffer = pending
        return self._drain("commits")


__all__ = [
    "BookRecovery",
    "Commit",
    "CommitLike",
    "FetchCommits",
    "FetchSnapshot",
    "Frame",
    "Levels",
    "SyncFailed",
    "SyncOutput",
    "SyncState",
    "SyncStats",
]
