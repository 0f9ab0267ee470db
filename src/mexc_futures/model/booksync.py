"""Order-book synchronisation for one symbol, as a state machine written as a table (spec §8.2).

Inputs (all synchronous, no I/O): ``start()``, ``on_depth()`` / ``on_frame()`` (a ``push.depth``
frame, merged ``begin..end`` or unmerged ``version`` given as ``begin == end``), ``on_snapshot()``
(REST depth, spec §4.2), ``on_commits()`` (REST ``depth_commits``, newest first, spec §4.3), errors
of those fetches, ``force_resync()``, ``on_disconnect()``, ``audit_top()`` / ``audit_bbo()``. Each
returns a list of outputs: ``BookUpdate`` / ``BookResync`` events for consumers (model/events.py)
and ``FetchSnapshot`` / ``FetchCommits`` / ``SyncFailed`` requests for the shell.

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

This module is the machine: states, inputs, the transition table and the in-order hot path
(``on_depth``: one version comparison, the book's tight apply loop, no event built). The recovery
transitions it dispatches to live in ``model/bookrecovery.py`` (see there for why). The market-data
router (``marketdata/router.py``) inlines the in-order branch for merged frames (same test on
``hot``, ``source`` and ``begin == version + 1``, same counters, ``on_crossed()`` when the applied
frame crosses the book) and calls ``on_depth`` for everything else; change both together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from mexc_futures.model.book import OrderBook
from mexc_futures.model.bookrecovery import (
    BookRecovery,
    Commit,
    CommitLike,
    FetchCommits,
    FetchSnapshot,
    Frame,
    Levels,
    SyncFailed,
    SyncOutput,
    SyncState,
    SyncStats,
)
from mexc_futures.model.events import BookResync, BookUpdate


class DepthLike(Protocol):
    """A ``push.depth`` payload (``protocol.ws.DepthDelta`` fits, spec §7.5).

    Merged frames carry ``begin`` and ``end`` (``version == end``); unmerged ones only ``version``.
    """

    @property
    def begin(self) -> int | None: ...

    @property
    def end(self) -> int | None: ...

    @property
    def version(self) -> int: ...

    @property
    def bids(self) -> Levels: ...

    @property
    def asks(self) -> Levels: ...


class _Delta(NamedTuple):
    begin: int | None
    end: int | None
    version: int
    bids: Levels
    asks: Levels


class BookSync(BookRecovery):
    """Keeps ``book`` exact for one symbol; see the module docstring for the contract."""

    # ------------------------------------------------------------------ reading

    @property
    def synced(self) -> bool:
        """True when ``book`` is exact at ``book.version``."""
        return self._state is SyncState.LIVE

    @property
    def version(self) -> int:
        """Last applied version (0 before the first snapshot)."""
        return self._last

    def awaiting(self, request_id: int) -> bool:
        """Whether the fetch ``request_id`` is still the one this book waits for: a book that
        healed from its own frames meanwhile (the missing version arrived on the new socket) or
        restarted no longer needs it, and its queued fetch is skipped (D5: no REST call for a
        book that does not need one)."""
        return request_id == self._request and self._state in (
            SyncState.BUFFERING, SyncState.RECOVERING)

    @property
    def handover_pending(self) -> bool:
        """True while a rotation's new connection has not taken over yet."""
        return self._candidate is not None

    # ------------------------------------------------------------------ inputs

    def start(self, source: int = 0, bridge: bool = True) -> list[SyncOutput]:
        """Begin (or restart after a disconnect / failure): buffer and fetch a snapshot, or, when
        the book is still exact at its version and ``bridge`` allows it, ``depth_commits``."""
        return self._dispatch("start", (source, bridge))

    def on_depth(self, d: DepthLike, ts: int, source: int) -> list[SyncOutput] | None:
        """The hot path: one ``push.depth`` payload from connection ``source``.

        Returns ``None`` when the frame was applied in order and the book is exact (and not
        crossed) at its end version: the caller publishes ``update_event()`` if anyone listens,
        so no event is built for nobody. Otherwise returns the outputs (possibly empty).
        """
        end = d.end
        begin = d.begin
        if end is None:
            end = begin = d.version
        elif begin is None:
            begin = end
        stats = self.stats
        stats.frames += 1
        book = self.book
        if self.hot and begin == book.version + 1 and source == self.source:
            crossed = book.apply(d.bids, d.asks)
            book.version = end
            book.ts = ts
            stats.applied += 1
            if crossed:
                return self._crossed()
            return None
        frame = (begin, end, d.bids, d.asks, ts)
        if source != self.source:
            return self._other_source(source, frame)
        return self._dispatch("frame", frame)

    def on_crossed(self) -> list[SyncOutput]:
        """The caller applied an in-order frame itself (the router's inlined ``on_depth`` branch)
        and the book came out crossed: count it and resync, as ``on_depth`` would have."""
        return self._crossed()

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
        outs = self.on_depth(_Delta(begin, end, end, bids, asks), ts, source)
        return [self.update_event()] if outs is None else outs

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
        if self._state is SyncState.LIVE:
            self._candidate = source
            self._handover = []
        else:  # nothing exact to join: the new connection simply becomes the stream
            self.source = source
            self._candidate = None
        self._rearm()

    # ------------------------------------------------------------------ audits (S14)

    def audit_top(
        self, version: int, bids: Levels, asks: Levels, depth: int
    ) -> list[SyncOutput]:
        """Compare with a REST top-``depth`` taken at ``version``; only equal versions count."""
        if self._state is not SyncState.LIVE or version != self._last:
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
        if self._state is not SyncState.LIVE or bid1 is None or ask1 is None:
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
        handler = TRANSITIONS.get((self._state, event))
        if handler is None:  # not listed: the input is irrelevant in this state
            return []
        return handler(self, arg)


Handler = Callable[[BookSync, Any], list[SyncOutput]]

TRANSITIONS: dict[tuple[SyncState, str], Handler] = {
    # state                      input             handler (model/bookrecovery.py)
    (SyncState.IDLE, "start"): BookSync._start,
    (SyncState.FAILED, "start"): BookSync._start,
    (SyncState.BUFFERING, "frame"): BookSync._buffer_frame,
    (SyncState.BUFFERING, "snapshot"): BookSync._splice,
    (SyncState.BUFFERING, "snapshot_error"): BookSync._retry_snapshot,
    (SyncState.BUFFERING, "force"): BookSync._force,
    (SyncState.BUFFERING, "disconnect"): BookSync._disconnect,
    (SyncState.LIVE, "frame"): BookSync._live_frame,  # frames the hot path did not take
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
    "DepthLike",
    "FetchCommits",
    "FetchSnapshot",
    "Frame",
    "FullBookSync",
    "SyncFailed",
    "SyncOutput",
    "SyncState",
    "SyncStats",
]
