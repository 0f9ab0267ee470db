"""Kline series for every interval (spec §4.4, §7.5 ``push.kline``).

One :class:`KlineSeries` per (symbol, price kind: last / index / fair). ``update`` folds a price
(and, for the last-price series, a traded volume) into the open bar of every interval. Bars before
the venue started are synthesised deterministically (a seeded backwards random walk from the start
price) so charts and REST queries have history from the first second. Times are **seconds**.
"""

from __future__ import annotations

import random
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

from mexc_futures.emulator.venue.packed import PackedRing

INTERVALS: dict[str, int] = {
    "Min1": 60,
    "Min5": 300,
    "Min15": 900,
    "Min30": 1800,
    "Min60": 3600,
    "Hour4": 14400,
    "Hour8": 28800,
    "Day1": 86400,
    "Week1": 604800,
    "Month1": 0,  # calendar month
}
MAX_ROWS = 2000
# synthetic histories kept, over every series of the process (LRU): one is MAX_ROWS bars, made on
# the first query of a (symbol, price kind, interval); a client asking every contract's klines
# kept 800 × 3 × 10 of them (issue #14, the RSS plateau). A forgotten one is remade, the same.
SYNTH_KEEP = 48
synth_cache: OrderedDict[tuple[int, int, float, str], list[Bar]] = OrderedDict()
HISTORY_S = 3 * 365 * 86400  # synthetic history reaches back three years at most
_MONDAY_OFFSET = 4 * 86400  # 1970-01-01 was a Thursday; weeks open on Monday 00:00 UTC


def bar_open(interval: str, t: int) -> int:
    """Open time (s) of the bar of ``interval`` containing second ``t``."""
    step = INTERVALS[interval]
    if step == 0:
        d = datetime.fromtimestamp(t, tz=UTC)
        return int(datetime(d.year, d.month, 1, tzinfo=UTC).timestamp())
    if interval == "Week1":
        return t - (t - _MONDAY_OFFSET) % step
    return t - t % step


def next_open(interval: str, opened: int) -> int:
    """Open time of the bar after the one opened at ``opened``."""
    step = INTERVALS[interval]
    if step == 0:
        d = datetime.fromtimestamp(opened, tz=UTC)
        y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
        return int(datetime(y, m, 1, tzinfo=UTC).timestamp())
    return opened + step


@dataclass(slots=True)
class Bar:
    """OHLC plus volume (contracts) and amount (quote) of one bar."""

    t: int
    o: float
    h: float
    low: float
    c: float
    q: float = 0.0
    a: float = 0.0

    def fold(self, price: float, vol: float, amount: float) -> None:
        """Add one observation."""
        self.c = price
        self.h = max(self.h, price)
        self.low = min(self.low, price)
        self.q += vol
        self.a += amount


class KlineSeries:
    """Bars of every interval for one price series, with seeded synthetic history."""

    def __init__(self, start_price: float, start_s: int, seed: int, scale: int) -> None:
        self._start_price = start_price
        self._start_s = start_s
        self._seed = seed
        self._scale = scale
        self.current: dict[str, Bar] = {}
        # closed bars, packed (t, o, h, l, c, q, a): 56 bytes a bar instead of ~230 as objects; a
        # symbol keeps up to 3 kinds × 10 intervals × MAX_ROWS (issue #14, the RSS plateau)
        self.closed: dict[str, PackedRing] = {
            k: PackedRing(7, MAX_ROWS, typecode="d") for k in INTERVALS
        }

    def update(self, t: int, price: float, vol: float = 0.0, amount: float = 0.0) -> None:
        """Fold a price at second ``t`` into every interval's open bar (closing old bars)."""
        for name in INTERVALS:
            bar = self.current.get(name)
            if bar is None or t >= next_open(name, bar.t):
                if bar is not None:
                    self.closed[name].append((bar.t, bar.o, bar.h, bar.low, bar.c, bar.q, bar.a))
                base = bar.c if bar is not None else price
                bar = Bar(bar_open(name, t), base, max(base, price), min(base, price), price)
                self.current[name] = bar
                bar.q, bar.a = vol, amount
            else:
                bar.fold(price, vol, amount)

    def push_row(self, symbol: str, interval: str) -> dict[str, object] | None:
        """``push.kline`` data of the open bar (§7.5), or ``None`` before the first update."""
        bar = self.current.get(interval)
        if bar is None:
            return None
        r = self._scale
        o, c, h, lo = round(bar.o, r), round(bar.c, r), round(bar.h, r), round(bar.low, r)
        return {
            "symbol": symbol,
            "interval": interval,
            "t": bar.t,
            "o": o,
            "c": c,
            "h": h,
            "l": lo,
            "a": round(bar.a, 4),
            "q": bar.q,
            "ro": o,
            "rc": c,
            "rh": h,
            "rl": lo,
        }

    def _synth(self, interval: str) -> list[Bar]:
        """Synthetic bars before the start, newest first (deterministic per seed and interval)."""
        key = (self._seed, self._start_s, self._start_price, interval)
        cached = synth_cache.get(key)
        if cached is not None:
            synth_cache.move_to_end(key)
            return cached
        rng = random.Random(f"{self._seed}:{interval}")  # noqa: S311 - simulation, not crypto  # nosec B311  # seeded simulation, not security
        step = INTERVALS[interval] or 30 * 86400
        sigma = 0.6 * (step / (365 * 86400)) ** 0.5
        bars: list[Bar] = []
        t = bar_open(interval, self._start_s)
        close = self._start_price
        for _ in range(MAX_ROWS):
            t = bar_open(interval, t - 1)
            if t < self._start_s - HISTORY_S:
                break
            open_ = close * (1 + rng.gauss(0, sigma))
            hi = max(open_, close) * (1 + abs(rng.gauss(0, sigma / 3)))
            lo = min(open_, close) * (1 - abs(rng.gauss(0, sigma / 3)))
            vol = float(int(rng.lognormvariate(8, 1)))
            bars.append(Bar(t, open_, hi, lo, close, vol, vol * close))
            close = open_
        synth_cache[key] = bars
        while len(synth_cache) > SYNTH_KEEP:
            synth_cache.popitem(last=False)
        return bars

    def rows(self, interval: str, start: int | None, end: int | None, now_s: int) -> list[Bar]:
        """Bars of ``interval`` with open time in ``[start, end]`` (§4.4 rules, ≤ 2000 rows)."""
        live = [Bar(int(r[0]), *r[1:]) for r in self.closed[interval]]
        if interval in self.current:
            live.append(self.current[interval])
        oldest_live = live[0].t if live else bar_open(interval, self._start_s)
        synth = [b for b in reversed(self._synth(interval)) if b.t < oldest_live]
        bars = synth + live
        hi = now_s if end is None else end
        lo = start if start is not None else -1
        picked = [b for b in bars if lo <= b.t <= hi]
        if start is not None and end is None:
            return picked[:MAX_ROWS]
        return picked[-MAX_ROWS:]

    def columnar(
        self,
        interval: str,
        start: int | None,
        end: int | None,
        now_s: int,
        with_volume: bool = True,
    ) -> dict[str, list[float] | list[int]]:
        """REST columnar kline ``data`` (§4.4)."""
        bars = self.rows(interval, start, end, now_s)
        r = self._scale
        opens = [round(b.o, r) for b in bars]
        closes = [round(b.c, r) for b in bars]
        highs = [round(b.h, r) for b in bars]
        lows = [round(b.low, r) for b in bars]
        return {
            "time": [b.t for b in bars],
            "open": opens,
            "close": closes,
            "high": highs,
            "low": lows,
            "vol": [b.q if with_volume else 0.0 for b in bars],
            "amount": [round(b.a, 4) if with_volume else 0.0 for b in bars],
            "realOpen": opens,
            "realClose": closes,
            "realHigh": highs,
            "realLow": lows,
        }
