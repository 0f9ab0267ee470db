"""The order flow of one contract: a liquidity-provider crowd and zero-intelligence takers.

The model (docs/emulator.md "Market model") follows the zero-intelligence order-flow family
(Smith, Farmer, Gillemot & Krishnamurthy 2003; Farmer, Patelli & Zovko 2005) with the agent split
of ABIDES (Byrd, Hybinette & Balch 2020): a *latent fair value* moves as a random walk (owned by
``market.SymbolMarket``); a crowd of market makers quotes a ladder around it; noise takers arrive
as a Poisson process with heavy-tailed sizes. What it guarantees, by construction:

* neither side of the book is ever empty: the crowd re-centres every ``requote_ms`` (cancelling
  quotes the fair value moved through, refilling the top at once and deeper levels after an
  exponential delay of mean ``refill_s``) and keeps ``levels`` levels over ``span`` of the price;
* sizes grow away from the top (level ``i`` holds ``top_size × (1 + i/growth)`` ± noise);
* a synthetic taker never trades further than ``slip`` (0.3 %) from the fair value, so a resting
  order far from the market (the README's buy 25 % below) fills only when the price gets there —
  through the random walk, or a ``shock`` injected on purpose;
* deterministic for a seed: the only randomness is the ``random.Random`` handed in.

The crowd keeps no state of its own beyond its timers: the book is the state, and synthetic orders
are the book's orders with ``owner is None`` (user orders are never touched by the crowd).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from mexc_futures.emulator.market.calibration import FlowProfile
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.matching import ASK, BID, OrderBook, Resting

TakeFn = Callable[[bool, int, int, int | None], None]
"""``take(is_buy, vol, now_ms, limit_ticks)``: execute a synthetic taker against the book."""

MAINTAIN_MS = 2_000  # far-edge maintenance cadence (venue ms)


def ladder_offsets(levels: int, dense: int, span_ticks: int) -> list[int]:
    """Tick offsets from the top of one side: ``dense`` contiguous ticks, then geometric spacing
    out to ``span_ticks`` (strictly increasing; fewer than ``levels`` when ticks run out)."""
    dense = min(dense, levels)
    out = list(range(dense))
    far = levels - dense
    if far <= 0:
        return out
    start = max(dense, 1)
    end = max(span_ticks, start + far)
    ratio = (end / start) ** (1 / far)
    x = float(start)
    last = out[-1] if out else -1
    for _ in range(far):
        x *= ratio
        off = max(round(x), last + 1)
        out.append(off)
        last = off
    return out


class Crowd:
    """Liquidity providers and takers of one contract (see the module docstring)."""

    def __init__(
        self,
        contract: Contract,
        book: OrderBook,
        rng: random.Random,
        profile: FlowProfile,
        next_id: Callable[[], int],
    ) -> None:
        self.contract = contract
        self.book = book
        self.rng = rng
        self.next_id = next_id
        self.profile = profile
        self.last_requote = 0
        self.last_maintain = 0
        self.pulled_until = 0  # a ``shock`` pull-back: no replenishment before this venue ms
        self.set_profile(profile, contract.start_price)

    def set_profile(self, profile: FlowProfile, price: float) -> None:
        """(Re)derive the ladder from ``profile`` at ``price``."""
        self.profile = profile
        c = self.contract
        span_ticks = max(1, int(profile.span * price / c.price_unit))
        self.offsets = ladder_offsets(profile.levels, profile.dense, span_ticks)
        self.span_ticks = self.offsets[-1] if self.offsets else 1
        per_contract = max(price * c.contract_size, 1e-12)
        self.sizes = [
            max(1, int(profile.top_size * (1 + i / profile.growth) / per_contract))
            for i in range(len(self.offsets))
        ]
        self.per_contract = per_contract
        self.max_vol = max(1, c.max_vol // 10)
        # a near-frozen market (rate → 0, e.g. 0.001 in benchmarks) re-centres as rarely
        rate = profile.rate
        self.requote_every = max(
            profile.requote_ms, 1000.0 * profile.requote_events / rate if rate > 0 else math.inf
        )

    # ------------------------------------------------------------------ sizes
    def _size(self, i: int) -> int:
        base = self.sizes[min(i, len(self.sizes) - 1)]
        return max(1, min(int(base * self.rng.lognormvariate(0.0, 0.5)), self.max_vol))

    def taker_size(self) -> int:
        """Pareto-tailed taker volume in contracts (mean ``mean_taker`` before truncation)."""
        p = self.profile
        x_min = p.mean_taker * (p.tail_alpha - 1) / p.tail_alpha
        u = 1.0 - self.rng.random()
        notional = min(x_min * u ** (-1 / p.tail_alpha), p.taker_cap * p.mean_taker)
        return max(1, min(int(notional / self.per_contract), self.max_vol))

    # ------------------------------------------------------------------- book
    def tops(self, centre: float) -> tuple[int, int]:
        """Best bid and ask the crowd aims for around ``centre`` (ticks): ``spread`` ticks apart
        (one for the calibrated market)."""
        spread = self.profile.spread
        bid = math.floor(centre - (spread - 1) / 2)
        return bid, bid + spread

    def _add(self, side: int, ticks: int, vol: int, now: int) -> None:
        if ticks <= 0 or self.book.would_cross(side == BID, ticks):
            return
        self.book.add(Resting(self.next_id(), None, side, ticks, vol), now)

    def _synthetic_at(self, side: int, ticks: int) -> list[Resting]:
        level = (self.book.bids if side == BID else self.book.asks).get(ticks)
        return [o for o in level.orders if o.owner is None] if level is not None else []

    def _remove_level(self, side: int, ticks: int, now: int) -> None:
        for o in self._synthetic_at(side, ticks):
            self.book.remove(o.order_id, now)

    def seed(self, centre: float, now: int) -> None:
        """Build the whole ladder around ``centre`` (the starting book)."""
        bid_top, ask_top = self.tops(centre)
        for side, top, sign in ((BID, bid_top, -1), (ASK, ask_top, 1)):
            for i, off in enumerate(self.offsets):
                n = self.rng.randint(1, 3) if i < self.profile.dense else 1
                for _ in range(n):
                    self._add(side, top + sign * off, max(1, self._size(i) // n), now)
        self.last_requote = self.last_maintain = now

    def due(self, now: int) -> bool:
        """True when a re-centre is due at ``now``."""
        return now - self.last_requote >= self.requote_every

    def requote(self, centre: float, now: int) -> None:
        """Re-centre on ``centre``: drop quotes the fair value moved through, refill the top."""
        dt = max(now - self.last_requote, 0) / 1000.0
        self.last_requote = now
        book = self.book
        bid_top, ask_top = self.tops(centre)
        stale_bids = book._bid_prices[bisect_right(book._bid_prices, bid_top) :]
        for p in stale_bids:
            self._remove_level(BID, p, now)
        stale_asks = book._ask_prices[: bisect_left(book._ask_prices, ask_top)]
        for p in stale_asks:
            self._remove_level(ASK, p, now)
        if now < self.pulled_until:
            for side, top in ((BID, bid_top), (ASK, ask_top)):
                if book.depth_count(side) == 0:  # pulled back, but never an empty side
                    self._add(side, top, self._size(0), now)
            return
        p_refill = 1.0 - math.exp(-dt / self.profile.refill_s) if dt > 0 else 0.0
        sides = ((BID, bid_top, -1, book.bids), (ASK, ask_top, 1, book.asks))
        for side, top, sign, levels in sides:
            for i in range(min(self.profile.dense, len(self.offsets))):
                ticks = top + sign * self.offsets[i]
                if ticks in levels:
                    continue
                if i == 0 or self.rng.random() < p_refill:
                    self._add(side, ticks, self._size(i), now)
        if now - self.last_maintain >= MAINTAIN_MS:
            self.maintain(centre, now)

    def maintain(self, centre: float, now: int) -> None:
        """Keep the far ladder: levels out to ``span``, none beyond 1.25 × span, count bounded."""
        self.last_maintain = now
        if now < self.pulled_until:
            return
        book = self.book
        bid_top, ask_top = self.tops(centre)
        limit = int(self.span_ticks * 1.25) + 1
        for p in book._bid_prices[: bisect_left(book._bid_prices, bid_top - limit)]:
            self._remove_level(BID, p, now)
        for p in book._ask_prices[bisect_right(book._ask_prices, ask_top + limit) :]:
            self._remove_level(ASK, p, now)
        offsets = self.offsets
        cap = int(len(offsets) * 1.3) + 2
        for side, top, sign in ((BID, bid_top, -1), (ASK, ask_top, 1)):
            prices = book._bid_prices if side == BID else book._ask_prices
            crowded = book.depth_count(side) > cap
            adds: list[tuple[int, int]] = []
            extras: list[int] = []
            # one level per template window (half the spacing either side of each template
            # level): gaps are filled, and only when the side is over its cap are the extra
            # levels of crowded windows withdrawn — a drifting centre does not churn the ladder
            for i in range(self.profile.dense, len(offsets)):
                half = max((offsets[i] - offsets[i - 1]) // 2, 0) if i else 0
                ticks = top + sign * offsets[i]
                lo = bisect_left(prices, ticks - half)
                hi = bisect_right(prices, ticks + half)
                if lo == hi:
                    adds.append((i, ticks))
                elif crowded and hi - lo > 1:
                    window = prices[lo:hi]
                    keep = min(window, key=lambda p: abs(p - ticks))
                    extras.extend(p for p in window if p != keep)
            for p in extras:
                self._remove_level(side, p, now)
            for i, ticks in adds:
                self._add(side, ticks, self._size(i), now)

    # ----------------------------------------------------------------- events
    def maker_event(self, now: int) -> None:
        """A provider resizes or withdraws one of its quotes near the top."""
        book = self.book
        side = BID if self.rng.random() < 0.5 else ASK
        n = book.depth_count(side)
        if n == 0:
            return
        idx = min(int(self.rng.expovariate(0.2)), n - 1)
        orders = self._synthetic_at(side, book.price_at(side, idx))
        if not orders:
            return
        order = orders[self.rng.randrange(len(orders))]
        if self.rng.random() < 0.3 and idx > 0:
            book.remove(order.order_id, now)  # refilled by a later requote, after a delay
        else:
            book.resize(order.order_id, self._size(idx), now)

    def taker_event(self, centre: float, now: int, take: TakeFn) -> None:
        """A noise taker: direction leaning towards the fair value, Pareto size, bounded sweep."""
        book = self.book
        bid, ask = book.best_bid(), book.best_ask()
        mid = (bid + ask) / 2 if bid is not None and ask is not None else centre
        lean = math.tanh((centre - mid) / 2.0) * 0.3
        buy = self.rng.random() < 0.5 + lean
        bid_top, ask_top = self.tops(centre)
        reach = max(self.profile.dense, int(self.profile.slip * centre))
        limit = ask_top + reach if buy else bid_top - reach
        take(buy, self.taker_size(), now, limit)

    # ------------------------------------------------------------------ shock
    def pull_back(self, share: float, until_ms: int, centre: float, now: int) -> None:
        """``shock``: providers withdraw ``share`` of their levels from the top outwards and stop
        replenishing until ``until_ms`` (a thin, gappy book); the farthest 10 % always stay."""
        self.pulled_until = until_ms
        keep = max(1, len(self.offsets) // 10)
        n = min(int(len(self.offsets) * share), len(self.offsets) - keep)
        if n <= 0:
            return
        bid_top, ask_top = self.tops(centre)
        book = self.book
        edge = self.offsets[n]
        for p in book._bid_prices[bisect_right(book._bid_prices, bid_top - edge) :]:
            self._remove_level(BID, p, now)
        for p in book._ask_prices[: bisect_left(book._ask_prices, ask_top + edge)]:
            self._remove_level(ASK, p, now)


__all__ = ["MAINTAIN_MS", "Crowd", "TakeFn", "ladder_offsets"]
