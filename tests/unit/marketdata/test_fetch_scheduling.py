"""How books come back from a mass reconnect (issue #13, D5 follow-up from md_soak): no REST call
for a book that healed from its own frames while its fetch waited, and idle snapshot workers
taking the busiest books from a backlogged ``depth_commits`` queue, so both buckets serve the
books that need REST. A MarketData that is never entered; the workers are driven directly."""

from __future__ import annotations

import json
from typing import Any

from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketDataConfig
from mexc_futures.marketdata.facade import MarketData
from mexc_futures.marketdata.route import Route
from mexc_futures.model.booksync import BookSync, FetchSnapshot
from mexc_futures.protocol import codec
from mexc_futures.protocol.ledger import Stream
from mexc_futures.protocol.rest import DepthCommit, DepthData, Level

CONN = 1


def _depth(sym: str, begin: int, end: int) -> Any:
    return codec.decode_frame(json.dumps({
        "symbol": sym, "channel": "push.depth", "ts": end,
        "data": {"asks": [], "bids": [], "begin": begin, "end": end, "version": end},
    }).encode())


class _Rest:
    """The venue: every book at version 10 (a snapshot) with nothing changed since (commits)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        self.calls.append(("depth", symbol))
        return DepthData(asks=(Level(101.0, 1.0),), bids=(Level(100.0, 1.0),), version=10)

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        self.calls.append(("depth_commits", symbol))
        return [DepthCommit(asks=(), bids=(Level(100.0, 1.0),), version=10)]


class _Books:
    """``n`` books synced at version 10 on one connection, then dropped and back (bridging)."""

    def __init__(self, n: int) -> None:
        env = Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                          is_live=False)
        self.md = MarketData(env, config=MarketDataConfig(fetch_workers=4))
        self.rest = _Rest()
        self.md._rest = self.rest
        self.syms = [f"S{i}_USDT" for i in range(n)]
        self.routes: dict[str, Route] = {}
        for sym in self.syms:
            st = self.md._add_stream(Stream.of("depth", sym))
            self.routes[sym] = st
            sync = self.sync(sym)
            fetch = sync.start(source=CONN)[-1]
            assert isinstance(fetch, FetchSnapshot)
            sync.on_snapshot(fetch.request_id, 10, [Level(100.0, 1.0)], [Level(101.0, 1.0)])
        self.route = self.md.push_routes(CONN)[type(_depth("X", 1, 1))]

    def sync(self, sym: str) -> BookSync:
        sync = self.routes[sym].sync
        assert isinstance(sync, BookSync)
        return sync

    def reconnect(self) -> None:
        """What on_down / on_up do to the books: each is bridged from version 10."""
        for sym in self.syms:
            st = self.routes[sym]
            self.md._outputs(st, self.sync(sym).on_disconnect())
            self.md._outputs(st, self.sync(sym).start(source=CONN,
                                                      bridge=self.md.bridge_ok()))


async def test_d5_a_book_that_healed_from_its_frames_costs_no_rest_call() -> None:
    """md_soak: 60 % of the depth_commits calls after a mass drop were for books that had healed
    meanwhile (their first frame on the new socket continued the book), the answer then ignored;
    the queued fetch is now skipped when the book no longer waits for it."""
    t = _Books(2)
    t.reconnect()
    assert len(t.md._commit_q) == 2
    t.route(_depth("S0_USDT", 11, 12))  # S0 heals: its next version arrives on the new socket
    assert t.sync("S0_USDT").synced
    await t.md._fetch_worker("depth_commits")
    assert t.rest.calls == [("depth_commits", "S1_USDT")]
    assert all(t.sync(s).synced for s in t.syms)
    assert t.md.sync_progress()["commits_skipped"] == 1


async def test_d5_idle_snapshot_workers_take_the_busiest_books_from_a_commits_backlog() -> None:
    """md_soak: a fixed split sent a third of the returning books to the 4.4/s snapshot queue,
    which then bounded the resync (62 s) while the commits queue was mostly idle work; now every
    exact book is bridged and, while the commits queue holds more jobs than its workers, the
    snapshot workers take the busiest of them."""
    t = _Books(7)
    t.reconnect()
    for sym in ("S5_USDT", "S6_USDT"):  # the busy ones: frames ahead of the book, buffered
        t.route(_depth(sym, 20, 21))
        t.route(_depth(sym, 22, 22))
    assert len(t.md._commit_q) == 7
    assert len(t.md._snap_q) == 0
    await t.md._fetch_worker("depth")  # the snapshot queue is empty: it steals the backlog
    assert t.rest.calls == [("depth", "S5_USDT"), ("depth", "S6_USDT"), ("depth", "S0_USDT")]
    assert len(t.md._commit_q) == 4  # no more than the commits workers take at once
    await t.md._fetch_worker("depth_commits")
    assert len(t.rest.calls) == 7
    progress = t.md.sync_progress()
    assert progress["commits_to_snapshots"] == 3
