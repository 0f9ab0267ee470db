"""Seeded synthetic market for one symbol (spec §4.5–§4.7, §7.5, §8.3).

:class:`SymbolMarket` moves a latent fair value ``mid`` (in ticks; geometric random walk with
the contract's volatility, optional jumps) and runs a Poisson stream of events at ``rate`` events
per second of venue time through its :class:`~.crowd.Crowd`: liquidity providers quote a deep
ladder around the fair value and replenish it, takers cross the spread (through the ``take``
callback the venue supplies, so that user orders resting in the book are filled like any maker);
the calibration is in ``calibration.py`` and docs/emulator.md. It also keeps the index price (mid
times a mean-reverting basis), the fair price (clamped to index × (1 ± priceCoefficientVariation)),
the funding-rate estimate and settlement schedule, klines and 24 h ticker statistics.

Everything is deterministic for a given ``seed``: randomness comes only from the
``random.Random`` created here, time only from the ``now_ms`` arguments.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import deque
from typing import Any

from mexc_futures.emulator.market.calibration import FlowProfile
from mexc_futures.emulator.market.crowd import Crowd, TakeFn
from mexc_futures.emulator.market.klines import KlineSeries
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.matching import OrderBook, Resting

DAY_MS = 86_400_000
MAX_REQUOTES_PER_STEP = 4  # bounds the crowd's work per advance at high ``speed``


def symbol_seed(seed: int, symbol: str) -> int:
    """Stable per-symbol seed (``hash()`` of a str is salted per process; crc32 is not)."""
    return (seed * 1_000_003) ^ zlib.crc32(symbol.encode())


class SymbolMarket:
    """Synthetic order flow, reference prices, funding and statistics of one contract."""

    def __init__(
        self,
        contract: Contract,
        book: OrderBook,
        seed: int,
        profile: FlowProfile,
        now_ms: int,
    ) -> None:
        self.contract = contract
        self.book = book
        self.rng = random.Random(symbol_seed(seed, contract.symbol))  # noqa: S311 - simulation  # nosec B311  # seeded simulation, not security
        self.profile = profile
        self.rate = profile.rate
        self.mid = float(contract.ticks(contract.start_price))  # latent fair value, in ticks
        self.now_ms = now_ms
        self._walked_ms = now_ms
        self.next_event_ms = now_ms + self._gap_ms()
        self._next_synth_id = 1
        self.crowd = Crowd(contract, book, self.rng, profile, self._synth_id)
        self.basis = 0.0
        self.index_price = contract.start_price
        self.fair_price = contract.start_price
        self.last_price = contract.start_price
        self.funding_rate = 0.0001
        cycle_ms = contract.collect_cycle * 3_600_000
        self.next_settle_ms = now_ms - now_ms % cycle_ms + cycle_ms
        self.funding_history: deque[dict[str, Any]] = deque(maxlen=1000)
        self.deals: deque[dict[str, Any]] = deque(maxlen=100)
        self.new_deals: list[dict[str, Any]] = []
        self._trade_id = symbol_seed(seed, contract.symbol) % 10**9 * 10
        start_s = now_ms // 1000
        scale = contract.price_scale
        base = symbol_seed(seed, contract.symbol)
        self.kline_last = KlineSeries(contract.start_price, start_s, base, scale)
        self.kline_index = KlineSeries(contract.start_price, start_s, base + 1, scale)
        self.kline_fair = KlineSeries(contract.start_price, start_s, base + 2, scale)
        self._start_ms = now_ms
        for series in (self.kline_last, self.kline_index, self.kline_fair):
            series.update(start_s, contract.start_price)
        notional = profile.mean_taker * profile.taker_rate * 86_400 * self.rng.uniform(0.8, 1.2)
        per_contract = contract.start_price * contract.contract_size
        self._base_vol24 = float(int(notional / per_contract))
        self._base_amount24 = notional
        self.open24 = contract.start_price * (1 + self.rng.gauss(0, 0.02))
        self._base_high = max(self.open24, contract.start_price) * (
            1 + abs(self.rng.gauss(0, 0.01))
        )
        self._base_low = min(self.open24, contract.start_price) * (1 - abs(self.rng.gauss(0, 0.01)))
        self.vol24_live = 0.0
        self.amount24_live = 0.0
        self.high_live = contract.start_price
        self.low_live = contract.start_price
        self.hold_vol = int(self._base_vol24 * self.rng.uniform(0.2, 0.6))
        self._min1_closes: deque[tuple[int, float]] = deque(maxlen=1500)
        self._long_rates = [round(self.rng.gauss(0, s), 4) for s in (0.03, 0.08, 0.15, 0.25, 0.4)]
        self.crowd.seed(self.mid, now_ms)

    # ----------------------------------------------------------------- helpers
    @property
    def levels(self) -> int:
        """Target price levels per side."""
        return self.profile.levels

    def _gap_ms(self) -> float:
        return self.rng.expovariate(self.rate) * 1000.0 if self.rate > 0 else float("inf")

    def _synth_vol(self) -> int:
        return self.crowd.taker_size()

    def _synth_id(self) -> int:
        self._next_synth_id += 1
        return self._next_synth_id

    def add_maker(self, side: int, ticks: int, vol: int, now_ms: int) -> None:
        """Rest a synthetic order (one version)."""
        self.book.add(Resting(self._synth_id(), None, side, ticks, vol), now_ms)

    def set_rate(self, rate: float, now_ms: int) -> None:
        """Change the synthetic event rate (events per second of venue time; 0 = frozen)."""
        self.rate = max(rate, 0.0)
        if self.rate > 0:
            self.profile = self.profile.with_rate(self.rate)
            self.crowd.set_profile(self.profile, self.mid * self.contract.price_unit)
        self._walked_ms = max(self._walked_ms, now_ms)
        self.next_event_ms = now_ms + self._gap_ms()

    def price(self, ticks: float) -> float:
        """Ticks → rounded price."""
        return self.contract.price(round(ticks))

    # -------------------------------------------------------------------- flow
    def _walk_to(self, t: int) -> None:
        """Move the latent fair value to venue time ``t`` (random walk, optional jumps)."""
        dt = (t - self._walked_ms) / 1000.0
        if dt <= 0:
            return
        self._walked_ms = t
        p = self.profile
        step = self.rng.gauss(0.0, p.sigma_per_sqrt_s() * math.sqrt(dt))
        if p.jump_rate > 0 and self.rng.random() < p.jump_rate * dt / 86_400:
            step += self.rng.gauss(0.0, p.jump_sigma)
        self.mid = max(self.mid * math.exp(step), 2.0)

    def idle(self, now_ms: int) -> bool:
        """True when ``step(now_ms)`` would do nothing (no event and no re-centre due)."""
        return self.rate <= 0 or (self.next_event_ms > now_ms and not self.crowd.due(now_ms))

    def step(self, now_ms: int, take: TakeFn) -> None:
        """Run every synthetic event due up to ``now_ms`` and let the crowd re-centre."""
        if self.rate <= 0:
            self.now_ms = max(self.now_ms, now_ms)
            return
        crowd = self.crowd
        requotes = 0
        taker_share = self.profile.taker_rate / self.rate if self.rate > 0 else 0.0
        while self.next_event_ms <= now_ms:
            t = int(self.next_event_ms)
            self.now_ms = t
            self._walk_to(t)
            if crowd.due(t) and requotes < MAX_REQUOTES_PER_STEP:
                crowd.requote(self.mid, t)
                requotes += 1
            if self.rng.random() < taker_share:
                crowd.taker_event(self.mid, t, take)
            else:
                crowd.maker_event(t)
            self.next_event_ms += self._gap_ms()
        self.now_ms = max(self.now_ms, now_ms)
        self._walk_to(now_ms)
        if crowd.due(now_ms):
            crowd.requote(self.mid, now_ms)

    def shock(self, move: float, pull: float, duration_ms: int, now_ms: int) -> None:
        """The ``shock`` fault: the fair value jumps by ``move`` (fraction, e.g. -0.05) and the
        crowd withdraws ``pull`` (fraction of its levels) for ``duration_ms``. Takers then trade
        through whatever rests between the old and the new price — user orders included."""
        self._walk_to(now_ms)
        if move:
            self.mid = max(self.mid * (1.0 + move), 2.0)
        if pull > 0:
            self.crowd.pull_back(min(pull, 1.0), now_ms + max(duration_ms, 0), self.mid, now_ms)
        self.crowd.requote(self.mid, now_ms)

    # ----------------------------------------------------------------- trades
    def record_trade(
        self,
        ticks: int,
        vol: int,
        taker_buy: bool,
        t: int,
        open_flag: int = 3,
        self_trade: bool = False,
    ) -> dict[str, Any]:
        """Record one public deal (§4.5) in the deal ring, klines and 24 h stats."""
        price = self.contract.price(ticks)
        self._trade_id += 1
        deal = {
            "p": price,
            "v": vol,
            "T": 1 if taker_buy else 2,
            "O": open_flag,
            "M": 1 if self_trade else 2,
            "t": t,
            "i": str(self._trade_id),
        }
        self.deals.appendleft(deal)
        self.new_deals.append(deal)
        amount = price * vol * self.contract.contract_size
        self.last_price = price
        self.kline_last.update(t // 1000, price, vol, amount)
        self.vol24_live += vol
        self.amount24_live += amount
        self.high_live = max(self.high_live, price)
        self.low_live = min(self.low_live, price)
        return deal

    # ---------------------------------------------------- reference prices etc.
    def refresh_prices(self, now_ms: int) -> None:
        """Update index, fair price and funding estimate (called about once a second)."""
        c = self.contract
        self.basis = self.basis * 0.95 + self.rng.gauss(0, 0.0002)
        mid_price = self.mid * c.price_unit
        self.index_price = c.price(c.ticks(mid_price * (1 + self.basis)))
        band = c.price_coefficient_variation
        fair = min(
            max(self.last_price, self.index_price * (1 - band)), self.index_price * (1 + band)
        )
        self.fair_price = c.price(c.ticks(fair))
        premium = (
            (self.fair_price - self.index_price) / self.index_price if self.index_price else 0.0
        )
        rate = 0.0001 + premium / 8
        self.funding_rate = round(min(max(rate, c.min_funding_rate), c.max_funding_rate), 6)
        t = now_ms // 1000
        self.kline_index.update(t, self.index_price)
        self.kline_fair.update(t, self.fair_price)
        minute = t - t % 60
        if not self._min1_closes or self._min1_closes[-1][0] != minute:
            self._min1_closes.append((minute, self.last_price))

    def settle_due(self, now_ms: int) -> bool:
        """True (and schedule the next one) when a funding settlement is due at ``now_ms``."""
        if now_ms < self.next_settle_ms:
            return False
        settle = self.next_settle_ms
        self.funding_history.appendleft(
            {
                "symbol": self.contract.symbol,
                "fundingRate": self.funding_rate,
                "settleTime": settle,
                "collectCycle": self.contract.collect_cycle,
            }
        )
        self.next_settle_ms = settle + self.contract.collect_cycle * 3_600_000
        return True

    def stats24(self, now_ms: int) -> tuple[float, float, float, float, float]:
        """``(open24, high24, low24, volume24, amount24)``; pre-start baseline decays linearly."""
        elapsed = now_ms - self._start_ms
        keep = max(0.0, 1.0 - elapsed / DAY_MS)
        if keep > 0:
            open24, high, low = (
                self.open24,
                max(self._base_high, self.high_live),
                min(self._base_low, self.low_live),
            )
        else:
            cutoff = (now_ms - DAY_MS) // 1000
            open24 = next((p for m, p in self._min1_closes if m >= cutoff), self.last_price)
            high, low = self.high_live, self.low_live
        vol = float(int(self._base_vol24 * keep + self.vol24_live))
        return open24, high, low, vol, self._base_amount24 * keep + self.amount24_live

    def ticker(self, now_ms: int, ws: bool, bid1: float, ask1: float) -> dict[str, Any]:
        """REST ticker row (§4.6, ``ws=False``) or ``push.ticker`` data (§7.5, ``ws=True``)."""
        c = self.contract
        open24, high, low, vol, amount = self.stats24(now_ms)
        change = self.last_price - open24
        rate = round(change / open24, 4) if open24 else 0.0
        row: dict[str, Any] = {
            "contractId": c.contract_id,
            "symbol": c.symbol,
            "lastPrice": self.last_price,
            "bid1": bid1,
            "ask1": ask1,
            "volume24": vol,
            "amount24": round(amount, 4),
            "holdVol": self.hold_vol,
            "lower24Price": c.price(c.ticks(low)),
            "high24Price": c.price(c.ticks(high)),
            "riseFallRate": rate,
            "riseFallValue": c.price(c.ticks(change)),
            "indexPrice": self.index_price,
            "fairPrice": self.fair_price,
            "fundingRate": self.funding_rate,
            "maxBidPrice": c.price(c.ticks(self.index_price * (1 + c.bid_limit_price_rate))),
            "minAskPrice": c.price(c.ticks(self.index_price * (1 - c.ask_limit_price_rate))),
            "timestamp": now_ms,
        }
        rates = [rate, *self._long_rates]
        if ws:
            row["zone"] = "UTC+8"
            row["riseFallRates"] = rates
        else:
            row["riseFallRates"] = {
                "zone": "UTC+8",
                "r": rate,
                "v": row["riseFallValue"],
                "r7": rates[1],
                "r30": rates[2],
                "r90": rates[3],
                "r180": rates[4],
                "r365": rates[5],
            }
        row["riseFallRatesOfTimezone"] = [round(rate * 0.9, 4), round(rate * 0.5, 4), rate]
        return row

    def tickers_row(self, now_ms: int) -> dict[str, Any]:
        """``push.tickers`` row (§7.5): no ``fundingRate``, ``bid1``, ``ask1``."""
        full = self.ticker(now_ms, True, 0.0, 0.0)
        keys = (
            "symbol",
            "lastPrice",
            "riseFallRate",
            "fairPrice",
            "indexPrice",
            "volume24",
            "amount24",
            "maxBidPrice",
            "minAskPrice",
            "lower24Price",
            "high24Price",
            "timestamp",
            "contractId",
        )
        return {k: full[k] for k in keys}

    def funding_row(self, now_ms: int) -> dict[str, Any]:
        """REST ``funding_rate`` row (§4.7, with ``idxPrice``/``fairPrice``)."""
        c = self.contract
        return {
            "symbol": c.symbol,
            "fundingRate": self.funding_rate,
            "maxFundingRate": c.max_funding_rate,
            "minFundingRate": c.min_funding_rate,
            "collectCycle": c.collect_cycle,
            "nextSettleTime": self.next_settle_ms,
            "timestamp": now_ms,
            "idxPrice": self.index_price,
            "fairPrice": self.fair_price,
        }
