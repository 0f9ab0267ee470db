"""Per-symbol order book: price-time priority and depth version history (spec §4.2, §4.3, §8.3).

The book holds resting orders (synthetic makers and user orders alike) at integer price ticks. Every
single-level mutation (an order added, reduced or removed, whether by a cancel or a fill) bumps the
symbol's ``version`` by one and records a :class:`Commit` carrying the level's new absolute size and
order count, plus the previous ones so that the book at any recent version can be rebuilt by undoing
newer commits (``state_at``). Commits go to a bounded ring (``depth_commits``, newest first) and to
``pending`` which the venue drains to publish ``depth`` / ``depth.merged`` frames.

Order-type semantics (post-only, IOC, FOK, market) are decided by the caller with ``would_cross``,
``available`` and ``match``; this module only keeps the book and executes sweeps.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from mexc_futures.emulator.venue.packed import PackedRing

BID = 1
ASK = 2


@dataclass(slots=True)
class Resting:
    """A resting order: ``owner`` is the account key, or ``None`` for a synthetic maker."""

    order_id: int
    owner: str | None
    side: int
    ticks: int
    vol: int


@dataclass(slots=True)
class Level:
    """All resting orders at one price, in arrival order, and their total volume."""

    orders: deque[Resting] = field(default_factory=deque)
    vol: int = 0


class Commit(NamedTuple):
    """One single-level change: the level's new absolute ``vol``/``count`` at ``version``.

    A named tuple (not a dataclass): made for every book change, ~4× cheaper to build, and the
    commit ring packs it with one C-level ``array.extend``."""

    version: int
    side: int
    ticks: int
    vol: int
    count: int  # type: ignore[assignment]  # shadows tuple.count, on purpose (the wire name)
    prev_vol: int
    prev_count: int
    cts: int


@dataclass(frozen=True, slots=True)
class Fill:
    """``vol`` contracts traded against ``maker`` at the maker's price ``ticks``."""

    maker: Resting
    ticks: int
    vol: int


LevelMap = dict[int, tuple[int, int]]


class CommitRing:
    """The bounded commit history, packed 8 integers a commit in one ``array('q')`` (64 bytes
    instead of ~272 as objects: issue #14, the RSS plateau); reads give :class:`Commit` tuples,
    oldest first. Storage grows with use up to ``maxlen`` commits, then the oldest is overwritten
    (``PackedRing``'s layout, with a faster append for the per-change hot path)."""

    __slots__ = ("_ring",)

    def __init__(self, maxlen: int) -> None:
        self._ring = PackedRing(8, maxlen)

    @property
    def maxlen(self) -> int:
        return self._ring.maxlen

    def append(self, c: Commit) -> None:
        r = self._ring
        if r._n < r.maxlen:  # growing: one C-level extend
            r._a.extend(c)
            r._n += 1
        else:
            r.append(c)

    def __len__(self) -> int:
        return len(self._ring)

    def __bool__(self) -> bool:
        return bool(self._ring)

    def __getitem__(self, k: int) -> Commit:
        return Commit._make(self._ring[k])

    def __iter__(self) -> Iterator[Commit]:
        return map(Commit._make, self._ring)

    def __reversed__(self) -> Iterator[Commit]:
        return map(Commit._make, reversed(self._ring))

    def nbytes(self) -> int:
        return self._ring.nbytes()


class OrderBook:
    """Price-time priority book for one symbol with a contiguous per-symbol version counter."""

    def __init__(self, start_version: int = 1, ring_size: int = 5000) -> None:
        self.version = start_version
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self._bid_prices: list[int] = []  # ascending; best bid is last
        self._ask_prices: list[int] = []  # ascending; best ask is first
        self.orders: dict[int, Resting] = {}
        self.commits = CommitRing(ring_size)
        self.pending: list[Commit] = []
        self.timestamp = 0

    # ----------------------------------------------------------------- queries
    def best_bid(self) -> int | None:
        """Best bid in ticks, or ``None`` when the side is empty."""
        return self._bid_prices[-1] if self._bid_prices else None

    def best_ask(self) -> int | None:
        """Best ask in ticks, or ``None`` when the side is empty."""
        return self._ask_prices[0] if self._ask_prices else None

    def top(self, side: int, limit: int | None) -> list[tuple[int, int, int]]:
        """Up to ``limit`` levels ``(ticks, vol, count)``; bids descending, asks ascending."""
        if side == BID:
            prices = (
                self._bid_prices[::-1] if limit is None else self._bid_prices[: -limit - 1 : -1]
            )
            book = self.bids
        else:
            prices = self._ask_prices if limit is None else self._ask_prices[:limit]
            book = self.asks
        return [(p, book[p].vol, len(book[p].orders)) for p in prices]

    def level_map(self, side: int) -> LevelMap:
        """Current ``{ticks: (vol, count)}`` of one side."""
        book = self.bids if side == BID else self.asks
        return {p: (lv.vol, len(lv.orders)) for p, lv in book.items()}

    def depth_count(self, side: int) -> int:
        """Number of price levels on one side."""
        return len(self._bid_prices) if side == BID else len(self._ask_prices)

    def price_at(self, side: int, index: int) -> int:
        """Price of the ``index``-th level from the best (0 = best)."""
        return self._bid_prices[-1 - index] if side == BID else self._ask_prices[index]

    def would_cross(self, is_buy: bool, ticks: int) -> bool:
        """True when a limit order at ``ticks`` would trade immediately."""
        if is_buy:
            ask = self.best_ask()
            return ask is not None and ticks >= ask
        bid = self.best_bid()
        return bid is not None and ticks <= bid

    def available(self, is_buy: bool, limit: int | None, vol: int) -> int:
        """Volume (capped at ``vol``) a taker could fill now up to ``limit`` ticks (for FOK)."""
        total = 0
        prices = self._ask_prices if is_buy else reversed(self._bid_prices)
        book = self.asks if is_buy else self.bids
        for p in prices:
            if limit is not None and (p > limit if is_buy else p < limit):
                break
            total += book[p].vol
            if total >= vol:
                return vol
        return total

    # --------------------------------------------------------------- mutations
    def _commit(
        self, side: int, ticks: int, level: Level | None, prev: tuple[int, int], cts: int
    ) -> None:
        self.version += 1
        vol, count = (level.vol, len(level.orders)) if level is not None else (0, 0)
        c = Commit(self.version, side, ticks, vol, count, prev[0], prev[1], cts)
        self.commits.append(c)
        self.pending.append(c)
        self.timestamp = cts

    def add(self, order: Resting, cts: int) -> None:
        """Rest ``order`` at the back of its price level (one version)."""
        book, prices = (
            (self.bids, self._bid_prices) if order.side == BID else (self.asks, self._ask_prices)
        )
        level = book.get(order.ticks)
        if level is None:
            level = book[order.ticks] = Level()
            insort(prices, order.ticks)
            prev = (0, 0)
        else:
            prev = (level.vol, len(level.orders))
        level.orders.append(order)
        level.vol += order.vol
        self.orders[order.order_id] = order
        self._commit(order.side, order.ticks, level, prev, cts)

    def _drop_level(self, side: int, ticks: int) -> None:
        book, prices = (
            (self.bids, self._bid_prices) if side == BID else (self.asks, self._ask_prices)
        )
        del book[ticks]
        del prices[bisect_left(prices, ticks)]

    def remove(self, order_id: int, cts: int) -> Resting | None:
        """Take an order out of the book (one version); ``None`` if it is not resting."""
        order = self.orders.pop(order_id, None)
        if order is None:
            return None
        book = self.bids if order.side == BID else self.asks
        level = book[order.ticks]
        prev = (level.vol, len(level.orders))
        level.orders.remove(order)
        level.vol -= order.vol
        if not level.orders:
            self._drop_level(order.side, order.ticks)
            self._commit(order.side, order.ticks, None, prev, cts)
        else:
            self._commit(order.side, order.ticks, level, prev, cts)
        return order

    def resize(self, order_id: int, new_vol: int, cts: int) -> None:
        """Change a resting order's size in place, keeping its queue position (one version)."""
        order = self.orders[order_id]
        if new_vol <= 0:
            self.remove(order_id, cts)
            return
        level = (self.bids if order.side == BID else self.asks)[order.ticks]
        prev = (level.vol, len(level.orders))
        level.vol += new_vol - order.vol
        order.vol = new_vol
        self._commit(order.side, order.ticks, level, prev, cts)

    def match(self, is_buy: bool, limit: int | None, vol: int, cts: int) -> list[Fill]:
        """Sweep the opposite side best-first, oldest-first, up to ``limit`` ticks and ``vol``.

        Each maker touched produces one version (its level's new size, or a delete when emptied).
        """
        fills: list[Fill] = []
        side = ASK if is_buy else BID
        book = self.asks if is_buy else self.bids
        prices = self._ask_prices if is_buy else self._bid_prices
        while vol > 0 and prices:
            p = prices[0] if is_buy else prices[-1]
            if limit is not None and (p > limit if is_buy else p < limit):
                break
            level = book[p]
            maker = level.orders[0]
            qty = min(vol, maker.vol)
            prev = (level.vol, len(level.orders))
            maker.vol -= qty
            level.vol -= qty
            vol -= qty
            fills.append(Fill(maker, p, qty))
            if maker.vol == 0:
                level.orders.popleft()
                del self.orders[maker.order_id]
            if not level.orders:
                self._drop_level(side, p)
                self._commit(side, p, None, prev, cts)
            else:
                self._commit(side, p, level, prev, cts)
        return fills

    # ----------------------------------------------------------------- history
    def state_at(self, version: int) -> tuple[LevelMap, LevelMap]:
        """``(bids, asks)`` as ``{ticks: (vol, count)}`` at ``version`` (§4.3 ground truth).

        Raises ``KeyError`` when ``version`` is newer than the book or older than the ring holds.
        """
        if version > self.version:
            raise KeyError(f"version {version} is in the future (current {self.version})")
        oldest = self.commits[0].version - 1 if self.commits else self.version
        if version < oldest:
            raise KeyError(f"version {version} is older than the history ring ({oldest})")
        bids, asks = self.level_map(BID), self.level_map(ASK)
        for c in reversed(self.commits):
            if c.version <= version:
                break
            target = bids if c.side == BID else asks
            if c.prev_vol == 0:
                target.pop(c.ticks, None)
            else:
                target[c.ticks] = (c.prev_vol, c.prev_count)
        return bids, asks

    def drain(self) -> list[Commit]:
        """Return and clear the commits not yet handed to the publisher."""
        out, self.pending = self.pending, []
        return out


def commit_frame(c: Commit, price: Callable[[int], float]) -> dict[str, object]:
    """Unmerged single-version frame ``{asks, bids, version}`` of one commit (§4.3, §7.5)."""
    level = [[price(c.ticks), c.vol, c.count]]
    if c.side == BID:
        return {"asks": [], "bids": level, "version": c.version}
    return {"asks": level, "bids": [], "version": c.version}


def merged_frame(commits: list[Commit], price: Callable[[int], float]) -> dict[str, object]:
    """Merged frame over consecutive commits: last absolute size per price, deletes ``[p,0,0]``."""
    asks: dict[int, tuple[int, int]] = {}
    bids: dict[int, tuple[int, int]] = {}
    for c in commits:
        (bids if c.side == BID else asks)[c.ticks] = (c.vol, c.count)
    return {
        "asks": [[price(p), v, n] for p, (v, n) in asks.items()],
        "bids": [[price(p), v, n] for p, (v, n) in bids.items()],
        "begin": commits[0].version,
        "end": commits[-1].version,
        "version": commits[-1].version,
    }
