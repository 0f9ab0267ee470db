"""Public push frames of spec §7.5 (depth, deals, tickers, klines, funding, prices, contract).

The depth, deal and ticker payloads share their field sets with the REST structs of
``protocol.rest_market`` (``BookLevels``, ``DealRow``, ``TickerRow``): the wire is the same.
Tolerance (docs/codec.md): ``push.deal`` data is an object **or** an array (always exposed as a
tuple); depth levels with or without the order count; ``riseFallRates`` is an array here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msgspec.structs import force_setattr

from mexc_futures.protocol.rest_market import BookLevels, ContractDetail, DealRow, Level, TickerRow
from mexc_futures.protocol.ws_base import Payload, PublicFrame


class DepthDelta(BookLevels, frozen=True, kw_only=True, rename="camel", gc=False):
    """``push.depth`` data. Merged: ``begin..end`` with ``version == end``; unmerged: ``version``.

    Levels carry **absolute** sizes; ``vol == 0`` deletes the level (§8.1).
    """

    begin: int | None = None
    end: int | None = None
    cts: int | None = None


class DepthPush(PublicFrame, frozen=True, kw_only=True, tag="push.depth"):
    """``push.depth`` (§7.5)."""

    data: DepthDelta


class DepthFull(BookLevels, frozen=True, kw_only=True, rename="camel", gc=False):
    """``push.depth.full`` data: the whole top-N, bids descending, asks ascending."""

    cts: int | None = None


class DepthFullPush(PublicFrame, frozen=True, kw_only=True, tag="push.depth.full"):
    """``push.depth.full`` (§7.5)."""

    data: DepthFull


class DepthStep(Payload, frozen=True, kw_only=True):
    """``push.depth.step`` data, aggregated by price step (§7.5)."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int | None = None
    ask_market_level_price: float | None = None
    bid_market_level_price: float | None = None
    ct: int | None = None


class DepthStepPush(PublicFrame, frozen=True, kw_only=True, tag="push.depth.step"):
    """``push.depth.step`` (§7.5)."""

    data: DepthStep


class DealItem(DealRow, frozen=True, kw_only=True):
    """One public deal ``{p, v, T, O, M, t, i?, cts?}`` (§4.5, §7.5); ``i`` normalised to str."""

    cts: int | None = None


if TYPE_CHECKING:
    Deals = tuple[DealItem, ...]
else:  # what arrives: one object (v1 docs) or an array (live since 2025-11)
    Deals = DealItem | tuple[DealItem, ...]


class DealPush(PublicFrame, frozen=True, kw_only=True, tag="push.deal"):
    """``push.deal``; ``data`` is always a tuple of deals after decoding."""

    data: Deals

    def __post_init__(self) -> None:
        data: object = self.data
        if data.__class__ is DealItem:
            force_setattr(self, "data", (data,))


class WsTicker(TickerRow, frozen=True, kw_only=True):
    """``push.ticker`` data and ``push.tickers`` rows (``riseFallRates`` is an **array** here)."""

    zone: str | None = None
    rise_fall_rates: tuple[float, ...] | None = None
    rise_fall_rates_of_timezone: tuple[float, ...] | None = None
    contract_id: int | None = None


class TickerPush(PublicFrame, frozen=True, kw_only=True, tag="push.ticker"):
    """``push.ticker`` (§7.5)."""

    data: WsTicker


class TickersPush(PublicFrame, frozen=True, kw_only=True, tag="push.tickers"):
    """``push.tickers``: rows changed since the last frame (the first frame has all)."""

    data: tuple[WsTicker, ...]


class KlineBar(Payload, frozen=True, kw_only=True):
    """``push.kline`` data; ``t`` is bar open in **seconds**, ``q`` contracts, ``a`` quote."""

    symbol: str
    interval: str
    t: int
    o: float
    c: float
    h: float
    l: float  # noqa: E741 - wire name
    a: float = 0.0
    q: float = 0.0
    ro: float | None = None
    rc: float | None = None
    rh: float | None = None
    rl: float | None = None


class KlinePush(PublicFrame, frozen=True, kw_only=True, tag="push.kline"):
    """``push.kline`` (§7.5)."""

    data: KlineBar


class FundingRateItem(Payload, frozen=True, kw_only=True):
    """``push.funding.rate`` data (v1 has no ``nextSettleTime``)."""

    symbol: str
    rate: float
    next_settle_time: int | None = None


class FundingRatePush(PublicFrame, frozen=True, kw_only=True, tag="push.funding.rate"):
    """``push.funding.rate`` (§7.5)."""

    data: FundingRateItem


class PriceItem(Payload, frozen=True, kw_only=True):
    """``{symbol, price}`` of index / fair price pushes."""

    symbol: str
    price: float


class IndexPricePush(PublicFrame, frozen=True, kw_only=True, tag="push.index.price"):
    """``push.index.price`` (§7.5)."""

    data: PriceItem


class FairPricePush(PublicFrame, frozen=True, kw_only=True, tag="push.fair.price"):
    """``push.fair.price`` (mark price, §7.5)."""

    data: PriceItem


class ContractPush(PublicFrame, frozen=True, kw_only=True, tag="push.contract"):
    """``push.contract``: one contract-detail object when it changes."""

    data: ContractDetail


class EventContractPush(PublicFrame, frozen=True, kw_only=True, tag="push.event.contract"):
    """``push.event.contract``: fields not captured [UNCONFIRMED]; ``data`` kept as JSON."""

    data: Any = None


__all__ = [
    "ContractPush",
    "DealItem",
    "DealPush",
    "Deals",
    "DepthDelta",
    "DepthFull",
    "DepthFullPush",
    "DepthPush",
    "DepthStep",
    "DepthStepPush",
    "EventContractPush",
    "FairPricePush",
    "FundingRateItem",
    "FundingRatePush",
    "IndexPricePush",
    "KlineBar",
    "KlinePush",
    "PriceItem",
    "TickerPush",
    "TickersPush",
    "WsTicker",
]
