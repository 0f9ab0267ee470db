"""Hypothesis stateful test: BookSync against a dict model of the venue (reliability.md).

The venue changes one level per version (spec §8.3) and streams merged or unmerged frames; the
network may drop, duplicate or swap frames; REST answers snapshots and depth_commits on demand.
Invariants: every published ``BookUpdate`` equals the venue's book at that version and is never
crossed; a LIVE sync's book equals the venue at its version; after quiet the sync is live and
equal to the venue's current book.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mexc_futures.model.book import Lv
from mexc_futures.model.booksync import (
    BookSync,
    Commit,
    FetchCommits,
    FetchSnapshot,
    SyncFailed,
    SyncState,
)
from mexc_futures.model.events import BookUpdate

Book = tuple[dict[float, float], dict[float, float]]


class BookSyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.bids: dict[float, float] = {99.0: 1.0}
        self.asks: dict[float, float] = {101.0: 1.0}
        self.version = 0
        self.history: dict[int, Book] = {0: (dict(self.bids), dict(self.asks))}
        self.log: list[Commit] = []
        self.cursor = 0  # first version not yet framed
        self.pending: list[tuple[int, int, list[Lv], list[Lv]]] = []
        self.sync = BookSync("X", max_attempts=50, commits_limit=8)
        self.fetch: Any = None
        self._take(self.sync.start())

    # ---------------------------------------------------------------- venue

    def _mutate(self, side: bool, price_step: int, vol: int) -> None:
        book = self.bids if side else self.asks
        price = float(90 + price_step) if side else float(101 + price_step)
        if vol:
            book[price] = float(vol)
        else:
            book.pop(price, None)
        self.version += 1
        entry = [Lv(price, float(vol), 1)]
        self.log.append(Commit(self.version, entry if side else [], [] if side else entry))
        self.history[self.version] = (dict(self.bids), dict(self.asks))

    def _frame(self) -> tuple[int, int, list[Lv], list[Lv]] | None:
        """Merge versions cursor..version into one frame (last absolute size per price)."""
        if self.cursor > self.version or self.version == 0:
            return None
        begin = max(self.cursor, 1)
        bids: dict[float, float] = {}
        asks: dict[float, float] = {}
        for c in self.log[begin - 1 : self.version]:
            for p, v, _ in c.bids:
                bids[p] = v
            for p, v, _ in c.asks:
                asks[p] = v
        self.cursor = self.version + 1
        return (begin, self.version, [Lv(p, v, 1) for p, v in bids.items()],
                [Lv(p, v, 1) for p, v in asks.items()])

    # ---------------------------------------------------------------- client side

    def _take(self, outs: list[Any]) -> None:
        for o in outs:
            if isinstance(o, BookUpdate):
                bids, asks = self.history[o.version]
                assert self.sync.book.equals(list(bids.items()), list(asks.items()))
                assert o.best_bid is None or o.best_ask is None or o.best_bid < o.best_ask
            elif isinstance(o, FetchSnapshot | FetchCommits):
                self.fetch = o
            elif isinstance(o, SyncFailed):
                self.fetch = None
                self._take(self.sync.start())

    def _deliver(self, frame: tuple[int, int, list[Lv], list[Lv]]) -> None:
        self._take(self.sync.on_frame(frame[0], frame[1], frame[2], frame[3]))

    # ---------------------------------------------------------------- rules

    @rule(changes=st.lists(st.tuples(st.booleans(), st.integers(0, 9), st.integers(0, 3)),
                           min_size=1, max_size=4))
    def push(self, changes: list[tuple[bool, int, int]]) -> None:
        for side, step, vol in changes:
            self._mutate(side, step, vol)
        frame = self._frame()
        assert frame is not None
        self.pending.append(frame)
        self._deliver(frame)

    @rule(side=st.booleans(), step=st.integers(0, 9), vol=st.integers(0, 3))
    def drop(self, side: bool, step: int, vol: int) -> None:
        self._mutate(side, step, vol)
        self._frame()  # lost on the wire

    @precondition(lambda self: bool(self.pending))
    @rule()
    def duplicate(self) -> None:
        self._deliver(self.pending[-1])

    @rule(a=st.integers(0, 3), b=st.integers(0, 3))
    def swap(self, a: int, b: int) -> None:
        self._mutate(True, a, b)
        first = self._frame()
        self._mutate(False, b, a)
        second = self._frame()
        assert first is not None
        assert second is not None
        self.pending += [first, second]
        self._deliver(second)
        self._deliver(first)

    @precondition(lambda self: isinstance(self.fetch, FetchSnapshot))
    @rule(lag=st.integers(0, 3))
    def snapshot(self, lag: int) -> None:
        v = max(0, self.version - lag)  # REST may lag the stream (spec §4.2)
        bids, asks = self.history[v]
        f, self.fetch = self.fetch, None
        self._take(self.sync.on_snapshot(
            f.request_id, v, [Lv(p, q, 1) for p, q in bids.items()],
            [Lv(p, q, 1) for p, q in asks.items()]))

    @precondition(lambda self: isinstance(self.fetch, FetchCommits))
    @rule()
    def answer_commits(self) -> None:
        f, self.fetch = self.fetch, None
        newest_first = list(reversed(self.log[-f.limit:]))
        self._take(self.sync.on_commits(f.request_id, newest_first))

    @rule()
    def quiesce(self) -> None:
        """Stop faults: answer fetches exactly and stream contiguous frames until LIVE."""
        for _ in range(20):
            if isinstance(self.fetch, FetchSnapshot):
                self.snapshot(0)
            elif isinstance(self.fetch, FetchCommits):
                self.answer_commits()
            if self.sync.state is SyncState.LIVE:
                break
            self._mutate(True, 0, 1 + self.version % 3)
            frame = self._frame()
            assert frame is not None
            self._deliver(frame)
        assert self.sync.state is SyncState.LIVE
        bids, asks = self.history[self.version]
        if self.sync.version == self.version:
            assert self.sync.book.equals(list(bids.items()), list(asks.items()))

    # ---------------------------------------------------------------- invariants

    @invariant()
    def live_book_is_exact(self) -> None:
        if self.sync.state is SyncState.LIVE:
            bids, asks = self.history[self.sync.version]
            assert self.sync.book.equals(list(bids.items()), list(asks.items()))
            assert not self.sync.book.crossed
        assert len(self.sync._buffer) <= self.sync.max_buffer
        # the hot path is armed exactly when an in-order frame needs no other check
        assert self.sync.hot == (self.sync.state is SyncState.LIVE and not self.sync._fresh
                                 and not self.sync._handover)


BookSyncMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40,
                                             deadline=None)
TestBookSync = BookSyncMachine.TestCase
