"""Fast benchmark frames on the venue's real books (burst and paced modes of ``server.py``).

``DepthFrames(venue, symbol)`` makes merged ``push.depth`` frames (spec §7.5, §8.1: ``begin..end``,
``version == end``, absolute sizes, ``[p, 0, 0]`` deletes) by changing the symbol's real
``OrderBook`` through its public mutations (``add``/``remove``/``resize`` of synthetic orders), so
the venue's book, its version counter, its commit ring (``truth.book_at``), REST ``depth`` and
``depth_commits`` agree with every frame pushed. It is ~4× faster than ``Venue.burst`` because it
only resizes or removes orders near the top and adds makers at the edge (no per-change market
model), caches tick→price conversions and encodes each frame once.

Book changes made elsewhere between two frames (a user order resting, a cancel) are drained into
the next frame, so versions stay contiguous. The caller must keep the venue's clock loop paused
while it owns the stream (``Emulator`` does), and call ``Venue.burst(symbol, levels, 1)`` before
the first and after the last frame so that the venue's merge buffer and publication record are
flushed (``Emulator._own_depth``).

``MixedFrames`` adds ``push.deal`` and ``push.ticker`` frames over many symbols (scale
scenarios). Its deals are synthetic prints at the touch (they do not change the book and are not
venue trades); tickers are the venue's live ``ticker`` rows.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from typing import Any

import msgspec

from mexc_futures.emulator.server.fanout import ws_frame
from mexc_futures.emulator.venue.handlers_public import ticker_row
from mexc_futures.emulator.venue.matching import ASK, BID
from mexc_futures.emulator.venue.venue import Venue

_encode = msgspec.json.Encoder(decimal_format="number").encode

DEPTH, DEAL, TICKER = 0, 1, 2


class DepthFrames:
    """Merged depth frames for one symbol; see the module docstring.

    ``next(now_ms)`` applies ``levels`` single-level changes and returns ``(frame, begin, end)``
    where ``frame`` is a complete server WebSocket frame. ``max_levels`` bounds each side.
    """

    def __init__(
        self, venue: Venue, symbol: str, *, levels: int = 5, max_levels: int = 40, seed: int = 0
    ) -> None:
        e = venue.engine
        self.symbol = sym = venue.contract(symbol).symbol
        self.book = e.books[sym]
        self.market = e.markets[sym]
        self._price_of = e.contracts[sym].price
        self._prices: dict[int, float] = {}
        bid, ask = self.book.best_bid(), self.book.best_ask()
        self.mid = (bid + ask) // 2 if bid is not None and ask is not None else int(self.market.mid)
        self.levels = levels
        self.max_levels = max_levels
        self.rng = random.Random(seed ^ zlib.crc32(sym.encode()))  # noqa: S311  # nosec B311  # simulation

    def price(self, ticks: int) -> float:
        """Tick → wire price (cached)."""
        p = self._prices.get(ticks)
        if p is None:
            p = self._prices[ticks] = self._price_of(ticks)
        return p

    def best_bid(self) -> float:
        """Best bid price now (0.0 when the side is empty)."""
        b = self.book.best_bid()
        return self.price(b) if b is not None else 0.0

    def _add(self, side: int, now: int) -> None:
        book, rng = self.book, self.rng
        mid = self.mid
        off = 1 + int(rng.expovariate(0.12))
        if side == BID:
            ask = book.best_ask()
            ticks = mid - off if ask is None else min(mid - off, ask - 1)
        else:
            bid = book.best_bid()
            ticks = mid + off if bid is None else max(mid + off, bid + 1)
        self.market.add_maker(side, ticks, rng.randint(1, 400), now)

    def _change(self, now: int) -> None:
        book, rng = self.book, self.rng
        r = rng.random()
        side = BID if r < 0.5 else ASK
        n = book.depth_count(side)
        if n > self.max_levels:
            self._remove_at(side, n - 1, now)
            return
        if n < 20 or r < 0.06 or r > 0.94:
            self._add(side, now)
            return
        idx = min(int(rng.expovariate(0.2)), n - 1)
        levels = book.bids if side == BID else book.asks
        level = levels[book.price_at(side, idx)]
        order = next((o for o in level.orders if o.owner is None), None)
        if order is None:
            self._add(side, now)
        elif rng.random() < 0.12:
            book.remove(order.order_id, now)
        else:
            book.resize(order.order_id, max(1, order.vol + rng.randint(1 - order.vol, 60)), now)

    def _remove_at(self, side: int, idx: int, now: int) -> None:
        book = self.book
        level = (book.bids if side == BID else book.asks)[book.price_at(side, idx)]
        order = next((o for o in level.orders if o.owner is None), None)
        if order is not None:
            book.remove(order.order_id, now)
        else:
            self._add(side, now)

    def next(self, now_ms: int) -> tuple[bytes, int, int]:
        """One frame of ``levels`` changes plus anything else committed since the last frame."""
        for _ in range(self.levels):
            self._change(now_ms)
        commits = self.book.drain()
        asks: dict[int, tuple[int, int]] = {}
        bids: dict[int, tuple[int, int]] = {}
        for c in commits:
            (bids if c.side == BID else asks)[c.ticks] = (c.vol, c.count)
        price = self.price
        begin, end = commits[0].version, commits[-1].version
        data = {
            "cts": commits[-1].cts,
            "asks": [[price(p), v, k] for p, (v, k) in asks.items()],
            "bids": [[price(p), v, k] for p, (v, k) in bids.items()],
            "end": end,
            "begin": begin,
            "version": end,
        }
        msg = {"symbol": self.symbol, "data": data, "channel": "push.depth", "ts": now_ms}
        return ws_frame(_encode(msg)), begin, end


class MixedFrames:
    """Depth, deal and ticker frames over ``symbols`` in the shares ``mix`` (depth, deal, ticker).

    ``next(now_ms)`` returns ``(kind, symbol index, frame, begin, end)``; ``begin``/``end`` are 0
    for deal and ticker frames.
    """

    def __init__(
        self,
        venue: Venue,
        symbols: Sequence[str],
        *,
        levels: int = 5,
        mix: tuple[float, float, float] = (1.0, 0.0, 0.0),
        seed: int = 0,
    ) -> None:
        self.venue = venue
        self.depth = [DepthFrames(venue, s, levels=levels, seed=seed) for s in symbols]
        self.symbols = [d.symbol for d in self.depth]
        total = sum(mix) or 1.0
        self._cut1 = mix[0] / total
        self._cut2 = (mix[0] + mix[1]) / total
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded simulation
        self._trade = 0

    def next(self, now_ms: int) -> tuple[int, int, bytes, int, int]:
        rng = self.rng
        i = rng.randrange(len(self.depth))
        r = rng.random()
        if r < self._cut1:
            frame, begin, end = self.depth[i].next(now_ms)
            return DEPTH, i, frame, begin, end
        sym = self.symbols[i]
        if r < self._cut2:
            return DEAL, i, self._deal(i, now_ms), 0, 0
        row = ticker_row(self.venue.engine, sym, now_ms, True)
        msg = {"symbol": sym, "data": row, "channel": "push.ticker", "ts": now_ms}
        return TICKER, i, ws_frame(_encode(msg)), 0, 0

    def _deal(self, i: int, now_ms: int) -> bytes:
        d = self.depth[i]
        buy = self.rng.random() < 0.5
        ticks = d.book.best_ask() if buy else d.book.best_bid()
        price = d.price(ticks) if ticks is not None else 0.0
        self._trade += 1
        row: dict[str, Any] = {"p": price, "v": self.rng.randint(1, 300), "T": 1 if buy else 2,
                               "O": 3, "M": 2, "t": now_ms, "i": str(self._trade)}
        msg = {"symbol": d.symbol, "data": [row], "channel": "push.deal", "ts": now_ms}
        return ws_frame(_encode(msg))


__all__ = ["DEAL", "DEPTH", "TICKER", "DepthFrames", "MixedFrames"]
