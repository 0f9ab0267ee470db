"""REST ``data`` structs of the public market endpoints (spec §4): depth, prices, funding, klines,
deals, tickers, insurance fund, contract detail.

Tolerance and strictness follow ``protocol.rest`` (docs/codec.md). Market data is ``float``;
contract parameters (sizes, units, rates) are ``Decimal``. The depth, deal and ticker field sets
are shared with the WebSocket pushes of ``protocol.ws_public`` through the bases ``BookLevels``,
``DealRow`` and ``TickerRow``: the wire carries the same fields on both (§4.2, §4.5, §4.6, §7.5).
"""

# ruff: noqa: RUF012 - ``[]`` is a msgspec field default (copied per instance), not a class attribute;
# ruff cannot see that ``Wire`` (imported) is a ``msgspec.Struct``.

from __future__ import annotations

from decimal import Decimal

import msgspec
from msgspec.structs import force_setattr

from mexc_futures.protocol.wirebase import Wire, WireId


class Level(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """A book level ``[price, vol(contracts), orderCount]``; the count may be missing (v1 docs)."""

    price: float
    vol: float
    count: int = 0


class BookLevels(msgspec.Struct, frozen=True, gc=False):
    """The fields every depth shape starts with, REST (§4.2–§4.3) and WS (§7.5) alike.

    ``asks``/``bids`` are levels (absolute sizes), ``version`` counts on the WS depth counter.
    Subclasses add their own fields after these three (the field order is the wire's).
    """

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int


class DepthData(BookLevels, frozen=True, gc=False):
    """P4 ``depth``: bids descending, asks ascending; ``version`` on the WS depth counter (§4.2)."""

    timestamp: int = 0
    cts: int | None = None


class DepthCommit(BookLevels, frozen=True, gc=False):
    """One P5 ``depth_commits`` entry (a single-level change), newest first (§4.3)."""

    cts: int | None = None


class IndexPriceData(Wire, frozen=True, kw_only=True):
    """P6."""

    symbol: str
    index_price: float
    timestamp: int = 0


class FairPriceData(Wire, frozen=True, kw_only=True):
    """P7."""

    symbol: str
    fair_price: float
    timestamp: int = 0


class FundingRateData(Wire, frozen=True, kw_only=True):
    """P8 / P8b row (§4.7); ``idx_price``/``fair_price`` since 2026-04."""

    symbol: str
    funding_rate: float
    max_funding_rate: float | None = None
    min_funding_rate: float | None = None
    collect_cycle: int | None = None
    next_settle_time: int | None = None
    timestamp: int = 0
    idx_price: float | None = None
    fair_price: float | None = None


class KlineData(Wire, frozen=True, kw_only=True):
    """P9–P11 columnar OHLCV; ``time`` is bar open in **seconds** (§4.4)."""

    time: list[int]
    open: list[float]
    close: list[float]
    high: list[float]
    low: list[float]
    vol: list[float] = []
    amount: list[float] = []
    real_open: list[float] = []
    real_close: list[float] = []
    real_high: list[float] = []
    real_low: list[float] = []


class DealRow(msgspec.Struct, frozen=True, kw_only=True, rename="camel", gc=False):
    """The fields of one public deal ``{p, v, T, O, M, t, i?}``, REST P12 and ``push.deal`` alike
    (§4.5, §7.5). ``i`` (number or string on the wire) is normalised to ``str``.

    No generic ``Wire`` hook: this is the ``push.deal`` hot path.
    """

    p: float
    v: float
    taker_side: int = msgspec.field(name="T")
    open_flag: int = msgspec.field(name="O", default=0)
    self_trade: int = msgspec.field(name="M", default=2)
    t: int
    i: WireId | None = None

    def __post_init__(self) -> None:
        i: object = self.i
        if i.__class__ is int:
            force_setattr(self, "i", str(i))


class DealData(DealRow, frozen=True, kw_only=True, gc=True):
    """P12 deal ``{p, v, T, O, M, t}`` (§4.5)."""


class RiseFallRates(Wire, frozen=True, kw_only=True):
    """REST ticker ``riseFallRates`` **object** (§4.6); WS sends an array instead."""

    zone: str | None = None
    r: float | None = None
    v: float | None = None
    r7: float | None = None
    r30: float | None = None
    r90: float | None = None
    r180: float | None = None
    r365: float | None = None


class TickerRow(msgspec.Struct, frozen=True, kw_only=True, rename="camel", gc=False):
    """The ticker fields REST P13 and ``push.ticker`` / ``push.tickers`` share (§4.6, §7.5).

    Declared in the live ``push.ticker`` key order (the decoder's fast path). The two differ only in
    ``riseFallRates`` (an object on REST, an array on WS) and ``zone`` (WS only).
    """

    symbol: str
    last_price: float
    rise_fall_rate: float = 0.0
    fair_price: float | None = None
    index_price: float | None = None
    volume24: float = 0.0
    amount24: float = 0.0
    max_bid_price: float | None = None
    min_ask_price: float | None = None
    lower24_price: float | None = None
    high24_price: float | None = None
    timestamp: int = 0
    bid1: float | None = None
    ask1: float | None = None
    hold_vol: float | None = None
    rise_fall_value: float | None = None
    funding_rate: float | None = None


class TickerData(TickerRow, frozen=True, kw_only=True, gc=True):
    """P13 ticker row (§4.6)."""

    contract_id: int | None = None
    rise_fall_rates: RiseFallRates | None = None
    rise_fall_rates_of_timezone: list[float] | None = None


class RiskReverse(Wire, frozen=True, kw_only=True):
    """P14 insurance-fund row."""

    symbol: str
    currency: str
    available: float
    timestamp: int = 0


class RiskReverseSnapshot(Wire, frozen=True, kw_only=True):
    """P15 history row."""

    symbol: str
    currency: str
    available: float
    snapshot_time: int


class FundingHistoryRow(Wire, frozen=True, kw_only=True):
    """P16 history row."""

    symbol: str
    funding_rate: float
    settle_time: int
    collect_cycle: int | None = None


class RiskLevel(Wire, frozen=True, kw_only=True):
    """A risk-limit level as both contract detail (§4.1) and ``risk_limit`` (§5.1) send it: the
    level number, its ``maxVol`` (contracts) and its maintenance / initial margin rates."""

    level: int
    max_vol: Decimal
    mmr: Decimal
    imr: Decimal


class RiskLimitTier(RiskLevel, frozen=True, kw_only=True):
    """``riskLimitCustom`` entry of contract detail."""

    max_leverage: int


class ContractDetail(Wire, frozen=True, kw_only=True):
    """P2 contract detail (§4.1). Core fields required; v2 extras optional; unknown ones ignored."""

    symbol: str
    base_coin: str
    quote_coin: str
    settle_coin: str
    contract_size: Decimal
    min_leverage: int
    max_leverage: int
    price_scale: int
    vol_scale: int
    price_unit: Decimal
    vol_unit: Decimal
    min_vol: Decimal
    max_vol: Decimal
    state: int
    display_name: str = ""
    display_name_en: str = ""
    position_open_type: int = 3
    amount_scale: int | None = None
    bid_limit_price_rate: Decimal | None = None
    ask_limit_price_rate: Decimal | None = None
    taker_fee_rate: Decimal | None = None
    maker_fee_rate: Decimal | None = None
    maintenance_margin_rate: Decimal | None = None
    initial_margin_rate: Decimal | None = None
    risk_base_vol: Decimal | None = None
    risk_incr_vol: Decimal | None = None
    risk_incr_mmr: Decimal | None = None
    risk_incr_imr: Decimal | None = None
    risk_level_limit: int | None = None
    price_coefficient_variation: Decimal | None = None
    index_origin: list[str] = []
    is_new: bool = False
    is_hot: bool = False
    is_hidden: bool = False
    concept_plate: list[str] = []
    risk_limit_type: str | None = None
    max_num_orders: list[int] = []
    market_order_max_level: int | None = None
    market_order_price_limit_rate1: Decimal | None = None
    market_order_price_limit_rate2: Decimal | None = None
    trigger_protect: Decimal | None = None
    api_allowed: bool | None = None
    base_coin_name: str | None = None
    quote_coin_name: str | None = None
    future_type: int | None = None
    depth_step_list: list[str] = []
    limit_max_vol: Decimal | None = None
    id: int | None = None
    create_time: int | None = None
    opening_time: int | None = None
    risk_limit_mode: str | None = None
    risk_limit_custom: list[RiskLimitTier] = []
    liquidation_fee_rate: Decimal | None = None
    fee_rate_mode: str | None = None
    type: int | None = None


__all__ = [
    "BookLevels",
    "ContractDetail",
    "DealData",
    "DealRow",
    "DepthCommit",
    "DepthData",
    "FairPriceData",
    "FundingHistoryRow",
    "FundingRateData",
    "IndexPriceData",
    "KlineData",
    "Level",
    "RiseFallRates",
    "RiskLevel",
    "RiskLimitTier",
    "RiskReverse",
    "RiskReverseSnapshot",
    "TickerData",
    "TickerRow",
]
