"""Calibration of the synthetic market: one :class:`FlowProfile` per contract (docs/emulator.md).

Two families of profiles:

* **calibrated** (``VenueConfig.flow_rate=None``, the CLI's default): the majors carry their real
  annualised volatility and 24 h quote volume (rounded public figures; BTC_USDT's 24 h amount,
  2.6 billion USDT, is the one in the spec's 2026 ``push.ticker`` vector), every other catalogue
  contract a volume falling with its rank (Zipf-like), and the generated ``SYN…`` contracts of the
  ~800-contract option a log-uniform 0.2-20 million USDT: most of the market is quiet. Deal
  rates, depth and sizes follow from the volume (formulas in :func:`calibrated`).
* **light** (``flow_rate`` given, the test default 5 events/s): the same model with a fixed event
  rate, ``book_levels`` levels per side and small sizes, cheap enough for a test suite that starts
  hundreds of venues, several of them at ``speed`` 100 or more.

Pure data and arithmetic: no randomness here beyond a stable hash of the symbol.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, replace

from mexc_futures.emulator.venue.contracts import Contract

SECONDS_PER_YEAR = 365 * 86_400

# base: (annualised volatility, 24 h quote volume in USDT). Rounded public orders of magnitude of
# MEXC USDT-M perpetuals in 2025-2026; BTC's volume is the spec vector's amount24 (2,606,920,596).
MAJORS: dict[str, tuple[float, float]] = {
    "BTC": (0.50, 2.6e9),
    "ETH": (0.65, 1.4e9),
    "SOL": (0.80, 6.0e8),
    "XRP": (0.75, 3.5e8),
    "DOGE": (0.90, 3.0e8),
    "BNB": (0.55, 1.2e8),
    "ADA": (0.80, 8.0e7),
    "AVAX": (0.85, 6.0e7),
    "LINK": (0.80, 6.0e7),
    "SUI": (1.00, 1.5e8),
    "PEPE": (1.20, 1.5e8),
    "LTC": (0.70, 5.0e7),
}


@dataclass(frozen=True, slots=True)
class FlowProfile:
    """Order-flow parameters of one contract (venue seconds; notionals in the quote currency)."""

    sigma: float  # annualised volatility of the latent fair value (random walk)
    taker_rate: float  # taker arrivals per second
    maker_rate: float  # liquidity-provider resize/cancel events per second near the top
    mean_taker: float  # mean taker notional (Pareto tail, truncated at ``taker_cap`` × mean)
    levels: int  # target price levels per side
    dense: int  # contiguous one-tick levels from the top of each side
    span: float  # fraction of the price the ladder spans on each side
    top_size: float  # notional of the top level; level i holds top × (1 + i / growth)
    growth: float
    requote_ms: int = 200  # how often the crowd re-centres on the fair value (at most)
    requote_events: float = 2.0  # ... and at least this many events apart (a quiet book is cheap)
    refill_s: float = 0.5  # mean replenishment delay of a consumed level below the top
    slip: float = 0.003  # a synthetic taker never trades further than this from the fair value
    tail_alpha: float = 1.5  # Pareto exponent of taker sizes (Gopikrishnan et al. 2000)
    taker_cap: float = 30.0
    spread: int = 1  # ticks between the crowd's best bid and best ask
    jump_rate: float = 0.0  # price jumps per day (off unless asked for)
    jump_sigma: float = 0.0  # standard deviation of a jump (fraction of the price)

    @property
    def rate(self) -> float:
        """Total synthetic events per second (takers and providers)."""
        return self.taker_rate + self.maker_rate

    def with_rate(self, rate: float) -> FlowProfile:
        """The same profile with ``rate`` events per second, split in the same proportion."""
        share = self.taker_rate / self.rate if self.rate > 0 else 0.25
        return replace(self, taker_rate=rate * share, maker_rate=rate * (1 - share))

    def sigma_per_sqrt_s(self) -> float:
        """Volatility per square-root second."""
        return self.sigma / math.sqrt(SECONDS_PER_YEAR)


def _unit(symbol: str, salt: int) -> float:
    """A stable number in [0, 1) from the symbol (crc32; ``hash()`` is salted per process)."""
    return (zlib.crc32(f"{symbol}:{salt}".encode()) % 1_000_003) / 1_000_003


def volume_and_sigma(c: Contract, rank: int) -> tuple[float, float]:
    """24 h quote volume and annualised volatility of a contract (see the module docstring)."""
    if c.base in MAJORS:
        sigma, amount = MAJORS[c.base]
        return amount, sigma
    sigma = 0.8 + 0.8 * _unit(c.symbol, 1)
    if c.base.startswith("SYN"):
        return 10 ** (5.3 + 2.0 * _unit(c.symbol, 2)), sigma
    return 6e8 * max(rank, 1) ** -1.3, sigma


def calibrated(c: Contract, rank: int) -> FlowProfile:
    """The profile of a contract from its 24 h volume ``A`` (rank = catalogue position).

    * takers: ``15 × sqrt(A / 2.6e9)`` deals/s (BTC 15/s, a 10 M contract ~0.9/s), clamped to
      [0.01, 15]; mean notional ``A / 86400 / rate`` (BTC ~2,000 USDT);
    * providers: 3 resize/cancel events per taker; the top level holds 5 average takers;
    * depth: 400 levels per side over 2 % of the price for the majors (≥ 100 M USDT daily),
      40-250 over 3-5 % for the rest; the first 20 (majors) or 5-10 levels are one tick apart;
    * cadence: the crowd re-centres every 200 ms (majors) to 1 s (quiet contracts), replenishing
      a consumed level after 0.3-2 s on average.
    """
    amount, sigma = volume_and_sigma(c, rank)
    scale = amount / 2.6e9
    taker_rate = min(max(15.0 * math.sqrt(scale), 0.01), 15.0)
    mean = amount / 86_400 / taker_rate
    major = amount >= 1e8
    levels = 400 if major else int(min(max(40 + 210 * scale ** 0.25 * 2, 40), 250))
    quiet = amount < 1e7
    return FlowProfile(
        sigma=sigma,
        taker_rate=taker_rate,
        maker_rate=3.0 * taker_rate,
        mean_taker=mean,
        levels=levels,
        dense=20 if major else (5 if quiet else 10),
        span=0.02 if major else (0.05 if quiet else 0.03),
        top_size=5.0 * mean,
        growth=8.0,
        requote_ms=200 if major else (1000 if quiet else 500),
        refill_s=0.3 if major else (2.0 if quiet else 1.0),
    )


def light(levels: int, rate: float) -> FlowProfile:
    """The test profile: ``rate`` events per second, ``levels`` per side, ~400 USDT sizes."""
    return FlowProfile(
        sigma=0.6,
        taker_rate=rate * 0.2,
        maker_rate=rate * 0.8,
        mean_taker=600.0,
        levels=max(levels, 1),
        dense=max(1, min(5, levels // 6)),
        span=0.005,
        top_size=400.0,
        growth=10.0,
        requote_ms=250,
        refill_s=0.5,
        requote_events=5.0,
        spread=4,  # room inside the spread for tests that rest an order there
    )


__all__ = ["MAJORS", "FlowProfile", "calibrated", "light", "volume_and_sigma"]
