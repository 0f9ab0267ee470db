"""A local order book for one contract: absolute price levels, exact at one ``version`` (spec §8.1).

Representation (architecture.md "Stack"): per side a ``dict`` price -> size plus a sorted list of
prices kept with ``bisect``. The best price sits at the **end** of each list (bids ascending, asks
stored negated and ascending), so the common update near the top of the book moves few list
elements. Applying one level and reading best bid/ask costs about 0.4 µs; ``top(n)`` is built only
when asked for.

With the compiled path active (``mexc_futures.speedups()``, docs/speedups.md) ``OrderBook`` is
``mexc_futures._hot.Book``: the same API and layout over two C arrays of ``(price, size)``; the pure
class stays available as ``PyOrderBook``.

Contract:
  * ``apply(bids, asks)`` takes levels with ``price`` and ``vol`` attributes (the codec's
    ``Level`` structs, no conversion on the hot path) holding **absolute** sizes; ``vol == 0``
    deletes the level (spec §8.1, DOC1 rules 7-8). The order count is ignored. It returns
    whether the book is crossed afterwards (the sync machine's audit, for free).
  * ``version`` is set by the caller (the sync machine, ``model/booksync.py``); the book itself does
    no version checks.
  * Best prices are ``None`` when a side is empty. ``crossed`` is true when best bid >= best ask.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

Level = tuple[float, float]


class PriceLevel(Protocol):
    """A wire level: ``protocol.rest.Level`` (``[price, vol, count]``) or ``Lv``."""

    @property
    def price(self) -> float: ...

    @property
    def vol(self) -> float: ...


class Lv(NamedTuple):
    """A plain level (tests, tools); any object with ``price`` and ``vol`` works."""

    price: float
    vol: float
    orders: int = 0


class OrderBook:
    """Price levels of one symbol. Not thread-safe; owned by one ``BookSync``."""

    __slots__ = ("_ask_keys", "_asks", "_bid_keys", "_bids", "best_ask", "best_bid", "symbol", "ts",
                 "version")

    def __init__(self, symbol: str = "") -> None:
        self.symbol = symbol
        self.version = 0
        self.ts = 0
        #: Highest bid / lowest ask, ``None`` when the side is empty. Read-only for callers: every
        #: mutation refreshes them (plain attributes, so a ``BookUpdate`` costs no property calls).
        self.best_bid: float | None = None
        self.best_ask: float | None = None
        self._bids: dict[float, float] = {}
        self._asks: dict[float, float] = {}
        self._bid_keys: list[float] = []  # ascending; best bid is the last
        self._ask_keys: list[float] = []  # negated prices ascending; best ask is -last

    # ------------------------------------------------------------------ mutation

    def clear(self) -> None:
        """Remove every level and reset the version to 0."""
        self._bids.clear()
        self._asks.clear()
        self._bid_keys.clear()
        self._ask_keys.clear()
        self.version = 0
        self.best_bid = self.best_ask = None

    def set_bid(self, price: float, vol: float) -> None:
        """Set one bid level to an absolute size; ``vol == 0`` deletes it."""
        book = self._bids
        if vol:
            if price not in book:
                insort(self._bid_keys, price)
            book[price] = vol
        elif price in book:
            del book[price]
            keys = self._bid_keys
            del keys[bisect_left(keys, price)]
        keys = self._bid_keys
        self.best_bid = keys[-1] if keys else None

    def set_ask(self, price: float, vol: float) -> None:
        """Set one ask level to an absolute size; ``vol == 0`` deletes it."""
        book = self._asks
        if vol:
            if price not in book:
                insort(self._ask_keys, -price)
            book[price] = vol
        elif price in book:
            del book[price]
            keys = self._ask_keys
            del keys[bisect_left(keys, -price)]
        keys = self._ask_keys
        self.best_ask = -keys[-1] if keys else None

    def apply(self, bids: Iterable[PriceLevel], asks: Iterable[PriceLevel]) -> bool:
        """Apply absolute levels on both sides (merged frames: any order, spec §8.1).

        One tight loop per side (no call per level); a price list is touched only when a price is
        new or deleted. Returns ``crossed`` for the resulting book, so the caller's audit costs
        one comparison instead of a property call.
        """
        book, keys = self._bids, self._bid_keys
        for lv in bids:
            p = lv.price
            v = lv.vol
            if v:
                if p not in book:
                    insort(keys, p)
                book[p] = v
            elif p in book:
                del book[p]
                del keys[bisect_left(keys, p)]
        book, akeys = self._asks, self._ask_keys
        for lv in asks:
            p = lv.price
            v = lv.vol
            if v:
                if p not in book:
                    insort(akeys, -p)
                book[p] = v
            elif p in book:
                del book[p]
                del akeys[bisect_left(akeys, -p)]
        bid = self.best_bid = keys[-1] if keys else None
        ask = self.best_ask = -akeys[-1] if akeys else None
        return bid is not None and ask is not None and bid >= ask

    def replace(
        self, bids: Iterable[PriceLevel], asks: Iterable[PriceLevel], version: int
    ) -> None:
        """Replace the whole book (REST snapshot, spec §4.2, or ``push.depth.full``)."""
        self._bids = {lv.price: lv.vol for lv in bids if lv.vol}
        self._asks = {lv.price: lv.vol for lv in asks if lv.vol}
        self._bid_keys = sorted(self._bids)
        self._ask_keys = sorted(-p for p in self._asks)
        self.version = version
        self.best_bid = self._bid_keys[-1] if self._bid_keys else None
        self.best_ask = -self._ask_keys[-1] if self._ask_keys else None

    # ------------------------------------------------------------------ reading

    def best_bid_level(self) -> Level | None:
        """``(price, vol)`` of the best bid."""
        keys = self._bid_keys
        if not keys:
            return None
        p = keys[-1]
        return (p, self._bids[p])

    def best_ask_level(self) -> Level | None:
        """``(price, vol)`` of the best ask."""
        keys = self._ask_keys
        if not keys:
            return None
        p = -keys[-1]
        return (p, self._asks[p])

    @property
    def spread(self) -> float | None:
        """Best ask minus best bid, or ``None`` when a side is empty."""
        b, a = self.best_bid, self.best_ask
        return None if b is None or a is None else a - b

    @property
    def mid(self) -> float | None:
        """Midpoint of best bid and best ask, or ``None``."""
        b, a = self.best_bid, self.best_ask
        return None if b is None or a is None else (a + b) / 2

    @property
    def crossed(self) -> bool:
        """True when both sides exist and best bid >= best ask (never a valid published state)."""
        b, a = self.best_bid, self.best_ask
        return b is not None and a is not None and b >= a

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        """Up to ``n`` levels per side: bids descending, asks ascending. Built on demand."""
        bids, asks = self._bids, self._asks
        bk = self._bid_keys[-n:] if n > 0 else []
        ak = self._ask_keys[-n:] if n > 0 else []
        return (
            [(p, bids[p]) for p in reversed(bk)],
            [(-q, asks[-q]) for q in reversed(ak)],
        )

    def levels(self) -> tuple[list[Level], list[Level]]:
        """Every level (bids descending, asks ascending)."""
        return self.top(max(len(self._bid_keys), len(self._ask_keys)))

    def depth(self) -> tuple[int, int]:
        """Number of bid and ask levels."""
        return len(self._bids), len(self._asks)

    def bid_vol(self, price: float) -> float:
        """Size at a bid price (0 when absent)."""
        return self._bids.get(price, 0.0)

    def ask_vol(self, price: float) -> float:
        """Size at an ask price (0 when absent)."""
        return self._asks.get(price, 0.0)

    def equals(
        self,
        bids: Iterable[Sequence[float]],
        asks: Iterable[Sequence[float]],
        *,
        depth: int | None = None,
    ) -> bool:
        """True when this book equals reference levels (e.g. a REST top-N or the emulator's truth).

        With ``depth`` only the best ``depth`` levels of each side are compared (a REST top-N).
        """
        ref_b = sorted(((float(lv[0]), float(lv[1])) for lv in bids if lv[1]), reverse=True)
        ref_a = sorted((float(lv[0]), float(lv[1])) for lv in asks if lv[1])
        if depth is None:
            mine_b, mine_a = self.levels()
        else:
            mine_b, mine_a = self.top(depth)
            ref_b, ref_a = ref_b[:depth], ref_a[:depth]
        return mine_b == ref_b and mine_a == ref_a

    def __repr__(self) -> str:
        nb, na = self.depth()
        return (
            f"OrderBook({self.symbol!r}, v={self.version}, bid={self.best_bid}, "
            f"ask={self.best_ask}, levels={nb}/{na})"
        )


#: the pure-Python book, whichever path is active (tests, tools)
PyOrderBook = OrderBook

if not TYPE_CHECKING:  # the compiled path's C book, same API (mexc_futures.speedups, issue #19)
    from mexc_futures._speedups import hot as _hot

    if _hot is not None:
        OrderBook = _hot.Book

__all__ = ["Level", "Lv", "OrderBook", "PriceLevel", "PyOrderBook"]
