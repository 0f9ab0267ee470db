"""Helpers for market-data integration tests: event recorder and invariant checks (I3, I4)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.marketdata.facade import MarketData, MarketDataConfig
from mexc_futures.model.booksync import BookSync
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, DealsRecovered, Trade
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
        self.baseline_tasks = 0
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

    def errors(self) -> list[dict[str, Any]]:
        """Unhandled exceptions the event loop reported while ``running()`` (S5: none allowed)."""
        return list(_loop_errors)

    def mark_baseline(self) -> None:
        """Remember the task count at a healthy moment, before a fault (I7)."""
        self.baseline_tasks = len(asyncio.all_tasks())

    async def back_to_baseline(self, limit: float = 10.0) -> None:
        """I7: after recovery, tasks, connections and sync buffers return to the healthy level.

        Waits (bounded, event-driven polling) until: one supervisor task per venue connection
        that is open, no transient router task (snapshot / commits / restart / rotation) left,
        every book's recovery buffer empty, and the loop's task count back at the baseline.
        """
        md = self.md

        def ok() -> bool:
            open_conns = sum(1 for c in self.ex.connections() if c["open"])
            syncs = [md.sync_of(s) for s in list(md._depth)]
            buffers = [len(x._buffer) for x in syncs if isinstance(x, BookSync)]
            return (md.pool.task_count == open_conns == len(md.pool.live)
                    and not [t for t in md._tasks if not t.get_name().startswith("md-audit")]
                    and not any(buffers)
                    and len(asyncio.all_tasks()) <= self.baseline_tasks)

        for _ in range(int(limit / 0.05)):  # task/connection state has no event: poll, bounded
            if ok():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"I7: not back to baseline: tasks {len(asyncio.all_tasks())} > {self.baseline_tasks}"
            f" or pool {md.pool.task_count}/{len(md.pool.live)} or router {md._tasks}")

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

    def _recovered_trades(self, symbol: str) -> set[int]:
        """``id()`` of the trades a recovery delivered: the ``count`` trades of ``symbol`` just
        before each ``DealsRecovered`` (its documented order)."""
        out: set[int] = set()
        seen: list[Any] = []
        for ev in self.events:
            if isinstance(ev, Trade) and ev.symbol == symbol:
                seen.append(ev)
            elif isinstance(ev, DealsRecovered) and ev.symbol == symbol and ev.count:
                out.update(id(t) for t in seen[-ev.count:])
        return out

    def assert_deals_complete(self, symbol: str, since_ms: int, *, recovered: bool = False
                              ) -> int:
        """I4: venue deals after ``since_ms`` ⊆ delivered ∪ reported gaps; no duplicates.

        Deals recovered from REST after a gap (no ``trade_id``) are matched on
        ``(t, p, v, T, O, M)``. With ``recovered=True`` every venue deal must have been
        delivered, by the stream or by a recovery (no gap may stay open). Returns how many
        venue deals were delivered by a recovery.
        """
        trades = self.of(Trade, symbol)
        ids = [t.trade_id for t in trades if t.trade_id is not None]
        assert len(ids) == len(set(ids)), "duplicate deal delivered"
        from_rest = self._recovered_trades(symbol)  # REST rows carry ``i`` too (fidelity row 15)
        fetched = collections.Counter(
            (t.time, t.price, t.vol, int(t.side), t.open_flag, t.self_trade)
            for t in trades if t.trade_id is None or id(t) in from_rest)
        ids = [t.trade_id for t in trades if t.trade_id is not None and id(t) not in from_rest]
        gaps = [(g.since, g.until) for g in self.of(DealGap, symbol)]
        last = max((t.time for t in trades), default=0)
        delivered = set(ids)
        filled = 0
        for d in self.ex.truth.deals(symbol):
            if d["t"] < since_ms or d["t"] > last:
                continue
            key = (d["t"], d["p"], d["v"], d["T"], d["O"], d["M"] == 1)
            if str(d["i"]) in delivered:
                continue
            if fetched.get(key):  # two venue deals can share the key: each REST deal once
                fetched[key] -= 1
                filled += 1
                continue
            assert not recovered, f"deal {d} not recovered"
            assert any(a <= d["t"] <= b for a, b in gaps), f"deal {d} lost without a gap"
        twice = {k: n for k, n in fetched.items() if n and since_ms <= k[0] <= last}
        assert not twice, f"deals delivered twice (stream and REST): {twice}"
        return filled


_loop_errors: list[dict[str, Any]] = []


@contextlib.asynccontextmanager
async def running(
    symbols: list[str], *, speed: float = 20.0, config: MarketDataConfig = FAST, **kw: Any
) -> AsyncIterator[tuple[Emulator, MarketData, Recorder]]:
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    _loop_errors.clear()
    loop.set_exception_handler(lambda _loop, ctx: _loop_errors.append(ctx))
    try:
        async with (
            Emulator(symbols=symbols, speed=speed, **kw) as ex,
            MarketData(ex.env, clock=ex.clock, config=config) as md,
        ):
            yield ex, md, Recorder(md, ex)
    finally:
        loop.set_exception_handler(previous)


def conn_rows(ex: Emulator) -> list[dict[str, Any]]:
    return ex.connections()
