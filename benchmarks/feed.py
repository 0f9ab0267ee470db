"""Deterministic MEXC-shaped market feed with ground truth (spec §7.4, §7.5, §8.1).

The feed is generated up front and pre-encoded, so the server that replays it spends no time on
encoding while a client is being measured. Depth frames are *merged* ``push.depth`` frames
(``begin..end``, ``version == end``, absolute sizes, ``[p, 0, 0]`` deletes) with
``levels_per_frame`` single-level changes each, one version per change, as the emulator
requirements of §8.3 describe. ``TruthBook`` is the reference book every candidate's final
book is compared with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import msgspec

_ENC = msgspec.json.Encoder()

DEPTH, DEAL, TICKER = "depth", "deal", "ticker"


@dataclass
class TruthBook:
    """Reference book: price -> (vol, orders) per side, plus the last applied version."""

    bids: dict[float, tuple[int, int]] = field(default_factory=dict)
    asks: dict[float, tuple[int, int]] = field(default_factory=dict)
    version: int = 0

    def apply(self, bids: list[list[float]], asks: list[list[float]], version: int) -> None:
        """Apply absolute levels; size 0 deletes (§8.1)."""
        for side, levels in ((self.bids, bids), (self.asks, asks)):
            for p, v, n in levels:
                if v == 0:
                    side.pop(p, None)
                else:
                    side[p] = (int(v), int(n))
        self.version = version

    def snapshot(self, limit: int | None = None) -> dict[str, object]:
        """REST ``depth`` data (§4.2): bids descending, asks ascending, ``[p, vol, n]``."""
        bids = sorted(self.bids.items(), reverse=True)[:limit]
        asks = sorted(self.asks.items())[:limit]
        return {
            "asks": [[p, v, n] for p, (v, n) in asks],
            "bids": [[p, v, n] for p, (v, n) in bids],
            "version": self.version,
            "timestamp": 0,
        }

    def levels(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        """Normalised full book for comparison: (bids desc, asks asc) of (price, vol)."""
        return (
            [(p, float(v)) for p, (v, _) in sorted(self.bids.items(), reverse=True)],
            [(p, float(v)) for p, (v, _) in sorted(self.asks.items())],
        )

    def copy(self) -> TruthBook:
        return TruthBook(dict(self.bids), dict(self.asks), self.version)


@dataclass(frozen=True)
class Frame:
    """One pre-encoded push: its kind, symbol, last depth version (0 for non-depth) and levels."""

    kind: str
    symbol: str
    version: int
    raw: bytes
    bids: list[list[float]]
    asks: list[list[float]]


class FeedGenerator:
    """Random-walk books for ``symbols``; ``initial`` books are what REST serves before any push."""

    def __init__(self, symbols: list[str], *, seed: int = 7, depth_levels: int = 60,
                 levels_per_frame: int = 5) -> None:
        self._rng = random.Random(seed)
        self.symbols = symbols
        self._depth_levels = depth_levels
        self._lpf = levels_per_frame
        self._mid: dict[str, int] = {}
        self.books: dict[str, TruthBook] = {}
        self._ts = 1_790_000_000_000
        for i, s in enumerate(symbols):
            mid = 200_000 + 1_000 * i
            book = TruthBook(version=10_000_000 + i)
            for k in range(1, depth_levels + 1):
                book.bids[(mid - k) / 10] = (self._rng.randint(1, 5_000), self._rng.randint(1, 9))
                book.asks[(mid + k) / 10] = (self._rng.randint(1, 5_000), self._rng.randint(1, 9))
            self._mid[s] = mid
            self.books[s] = book
        self.initial = {s: b.copy() for s, b in self.books.items()}

    def depth(self, symbol: str) -> Frame:
        """Next merged depth frame for ``symbol``; advances that symbol's generator book."""
        rng = self._rng
        book = self.books[symbol]
        mid = self._mid[symbol]
        begin = book.version + 1
        bids: list[list[float]] = []
        asks: list[list[float]] = []
        seen: set[tuple[bool, int]] = set()
        while len(seen) < self._lpf:
            is_bid = rng.random() < 0.5
            off = 1 + min(int(rng.expovariate(0.15)), self._depth_levels - 1)
            if (is_bid, off) in seen:
                continue
            seen.add((is_bid, off))
            price = (mid - off) / 10 if is_bid else (mid + off) / 10
            if rng.random() < 0.2:
                level = [price, 0, 0]
            else:
                level = [price, rng.randint(1, 5_000), rng.randint(1, 9)]
            (bids if is_bid else asks).append(level)
        end = begin + self._lpf - 1
        book.apply(bids, asks, end)
        self._ts += 1
        data = {"cts": self._ts, "asks": asks, "bids": bids, "begin": begin, "end": end,
                "version": end}
        raw = _ENC.encode({"symbol": symbol, "data": data, "channel": "push.depth", "ts": self._ts})
        return Frame(DEPTH, symbol, end, raw, bids, asks)

    def deal(self, symbol: str) -> Frame:
        """A ``push.deal`` frame (array form, §7.5)."""
        rng = self._rng
        self._ts += 1
        price = (self._mid[symbol] + rng.choice((-1, 1))) / 10
        data = [{"p": price, "v": rng.randint(1, 500), "T": rng.choice((1, 2)), "O": 3, "M": 1,
                 "t": self._ts}]
        raw = _ENC.encode({"symbol": symbol, "data": data, "channel": "push.deal", "ts": self._ts})
        return Frame(DEAL, symbol, 0, raw, [], [])

    def ticker(self, symbol: str) -> Frame:
        """A ``push.ticker`` frame with the fields of §7.5."""
        mid = self._mid[symbol]
        book = self.books[symbol]
        self._ts += 1
        last = mid / 10
        data = {"symbol": symbol, "lastPrice": last, "riseFallRate": 0.0012,
                "fairPrice": last, "indexPrice": last, "volume24": 123456, "amount24": 7654321.5,
                "maxBidPrice": last * 1.1, "minAskPrice": last * 0.9, "lower24Price": last - 50,
                "high24Price": last + 50, "timestamp": self._ts,
                "bid1": max(book.bids) if book.bids else None,
                "ask1": min(book.asks) if book.asks else None,
                "holdVol": 98765, "riseFallValue": 12.5,
                "fundingRate": 0.0001, "zone": "UTC+8",
                "riseFallRates": [0.0012, 0.01, 0.02, 0.03, 0.04, 0.05],
                "riseFallRatesOfTimezone": [0.001, 0.002, 0.003]}
        raw = _ENC.encode({"symbol": symbol, "data": data, "channel": "push.ticker",
                           "ts": self._ts})
        return Frame(TICKER, symbol, 0, raw, [], [])

    def depth_run(self, symbol: str, n: int) -> list[Frame]:
        return [self.depth(symbol) for _ in range(n)]

    def mixed_run(self, n: int, *, depth_share: float = 0.6,
                  deal_share: float = 0.25) -> list[Frame]:
        """``n`` frames over all symbols: depth/deal/ticker in the given shares (rest ticker)."""
        rng = self._rng
        out: list[Frame] = []
        syms = self.symbols
        for i in range(n):
            s = syms[i % len(syms)] if rng.random() < 0.5 else rng.choice(syms)
            r = rng.random()
            if r < depth_share:
                out.append(self.depth(s))
            elif r < depth_share + deal_share:
                out.append(self.deal(s))
            else:
                out.append(self.ticker(s))
        return out


def replay_truth(initial: dict[str, TruthBook], frames: list[Frame]) -> dict[str, TruthBook]:
    """Books after applying ``frames`` (in order) to copies of ``initial``."""
    books = {s: b.copy() for s, b in initial.items()}
    for f in frames:
        if f.kind == DEPTH:
            books[f.symbol].apply(f.bids, f.asks, f.version)
    return books
