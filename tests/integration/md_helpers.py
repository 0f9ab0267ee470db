"""Helpers for market-data integration tests: event recorder and invariant checks (I3, I4)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from mexc_futures.emulator.server import Emulator
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, Trade
from mexc_futures.protocol.session import SessionConfig

FAST = MarketDataConfig(
    session=SessionConfig(ping_interval=10, pong_timeout=5),
    audit_interval=None,
    backoff_base=1.0,
    backoff_cap=4.0,
    depth_silence=None,
)


class Recorder:
    """Records every market event; checks each published book against the venue (I3)."""

    def __init__(self, md: MarketData, ex: Emulator) -> None:
        self.md = md
        self.ex = ex
        self.events: list[Any] = []
        self.checked = 0
        self.mismatches: list[tuple[str, int]] = []
        self.crossed = 0
        self._changed = asyncio.Event()
        md.on(self._on)

    def _on(self, ev: Any) -> None:
        self.events.append(ev)
        if isinstance(ev, BookUpdate):
            if ev.best_bid is not None and ev.best_ask is not None and ev.best_bid >= ev.best_ask:
                self.crossed += 1
            book = self.md.book(ev.symbol).book
            if book.version == ev.version:
                truth = self.ex.truth.book_at(ev.symbol, ev.version)
                self.checked += 1
                if not book.equals(truth["bids"], truth["asks"]):
                    self.mismatches.append((ev.symbol, ev.version))
        self._changed.set()

    def of(self, cls: type, symbol: str | None = None) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)
                and (symbol is None or getattr(e, "symbol", None) == symbol)]

    def resyncs(self, symbol: str | None = None, reason: str | None = None) -> list[BookResync]:
        return [e for e in self.of(BookResync, symbol) if reason is None or e.reason == reason]

    async def until(self, pred: Callable[[], bool], limit: float = 10.0) -> None:
        """Wait (event-driven, bounded by ``limit`` real seconds) until ``pred()`` holds."""
        async with asyncio.timeout(limit):
            while not pred():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.2)

    def updates_after(self, n: int, symbol: str) -> Callable[[], bool]:
        start = len(self.of(BookUpdate, symbol))
        return lambda: len(self.of(BookUpdate, symbol)) >= start + n

    def assert_books_exact(self) -> None:
        assert self.checked > 0
        assert self.mismatches == []
        assert self.crossed == 0

    def assert_deals_complete(self, symbol: str, since_ms: int) -> None:
        """I4: venue deals after ``since_ms`` ⊆ delivered ∪ reported gaps; no duplicates."""
        got = [(t.trade_id, t.time) for t in self.of(Trade, symbol)]
        ids = [i for i, _ in got]
        assert len(ids) == len(set(ids)), "duplicate deal delivered"
        gaps = [(g.since, g.until) for g in self.of(DealGap, symbol)]
        last = max((t for _, t in got), default=0)
        delivered = set(ids)
        for d in self.ex.truth.deals(symbol):
            if d["t"] < since_ms or d["t"] > last:
                continue
            if str(d["i"]) in delivered:
                continue
            assert any(a <= d["t"] <= b for a, b in gaps), f"deal {d} lost without a gap"


@contextlib.asynccontextmanager
async def running(
    symbols: list[str], *, speed: float = 20.0, config: MarketDataConfig = FAST, **kw: Any
) -> AsyncIterator[tuple[Emulator, MarketData, Recorder]]:
    async with (
        Emulator(symbols=symbols, speed=speed, **kw) as ex,
        MarketData(ex.env, clock=ex.clock, config=config) as md,
    ):
        yield ex, md, Recorder(md, ex)


def conn_rows(ex: Emulator) -> list[dict[str, Any]]:
    return ex.connections()
