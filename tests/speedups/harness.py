"""Two market-data stacks fed the same raw frames: compiled listener vs pure listener (#19).

Each stack is a real ``MarketData`` (never entered: no sockets) with one ``push.depth`` stream
synced from a snapshot, a real ``WsConnection`` for connection ``CONN`` and its picows listener;
frames are picows' own test ``WSFrame`` objects handed to ``on_ws_frame`` exactly as picows does.
The pure stack uses ``transport.ws._Listener`` and the pure ``PyOrderBook``; the compiled stack
uses ``WsConnection.make_listener()`` (``_hot.DepthListener`` over a C ``Book``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from picows import WSMsgType
from picows.picows import _make_test_ws_frame

from mexc_futures._speedups import hot
from mexc_futures.clock import SystemClock
from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketData
from mexc_futures.model.book import PyOrderBook
from mexc_futures.model.booksync import BookSync, FetchSnapshot, SyncState
from mexc_futures.protocol.ledger import Stream
from mexc_futures.protocol.rest import Level
from mexc_futures.protocol.session import Session
from mexc_futures.transport.ws import WsConnection, _Listener

SYM = "BTC_USDT"
CONN = 7


class Stack:
    """One market-data stack with one synced depth book and one connection's listener."""

    def __init__(self, compiled: bool, version: int, bids: list[tuple[float, float]],
                 asks: list[tuple[float, float]]) -> None:
        env = Environment(name="t", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                          is_live=False)
        self.md = MarketData(env)
        if not compiled:
            self.md._hot_table = None
        self.st = self.md._add_stream(Stream.of("depth", SYM))
        self.sync: BookSync = self.st.sync  # type: ignore[assignment]
        if not compiled:  # the pure reference keeps the pure book
            self.sync.book = PyOrderBook(SYM)
        self.events: list[Any] = []
        self.md.on(self.events.append)
        self.md.listeners_changed()
        self.conn = WsConnection(CONN, "ws://127.0.0.1:9", Session(), self.md,
                                 self.md._metrics.conn(CONN), clock=SystemClock())
        self.listener: Any = self.conn.make_listener() if compiled else _Listener(self.conn)
        if compiled:
            assert hot is not None
            assert isinstance(self.listener, hot.DepthListener)
            assert type(self.sync.book) is hot.Book
        else:
            assert type(self.sync.book) is PyOrderBook
        self.start(version, bids, asks)

    def start(self, version: int, bids: list[tuple[float, float]],
              asks: list[tuple[float, float]]) -> None:
        """(Re)start the machine and splice a snapshot at ``version``."""
        outs = self.sync.start(source=CONN)
        fetch = outs[-1]
        assert isinstance(fetch, FetchSnapshot)
        self.snapshot(version, bids, asks)

    def snapshot(self, version: int, bids: list[tuple[float, float]],
                 asks: list[tuple[float, float]]) -> None:
        """Answer the outstanding REST request (a failed ``depth_commits`` when recovering, then
        the snapshot the machine asks for instead)."""
        if self.sync.state is SyncState.RECOVERING:
            self.md._outputs(self.st, self.sync.on_commits_error(self.sync._request))
        if self.sync.state is SyncState.BUFFERING:
            self.md._outputs(self.st, self.sync.on_snapshot(
                self.sync._request, version, [Level(p, v) for p, v in bids],
                [Level(p, v) for p, v in asks]))

    def feed(self, raw: bytes) -> int | None:
        """One TEXT frame, as picows delivers it; the compiled listener's code (else None)."""
        self.listener.on_ws_frame(None, _make_test_ws_frame(WSMsgType.TEXT, raw, True, False))
        return getattr(self.listener, "last_code", None)

    def state(self) -> dict[str, Any]:
        """Everything a consumer or the sync machine can observe."""
        b = self.sync.book
        m = self.conn.metrics
        return {
            "levels": b.levels(),
            "version": b.version,
            "ts": b.ts,
            "best": (b.best_bid, b.best_ask),
            "depth": b.depth(),
            "sync": (self.sync.state, self.sync.hot, self.sync.source),
            "stats": dataclasses.asdict(self.sync.stats),
            "conn": (m.messages, m.bytes, m.decode_errors, m.unknown_frames),
            "events": [msgspec.to_builtins(e) for e in self.events],
        }
