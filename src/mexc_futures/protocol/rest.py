"""Wire structs for the ``data`` of every REST response of spec §4–§5 (frozen ``msgspec`` structs).

Tolerance rules (spec §2; docs/codec.md):

* unknown extra fields are ignored (the venue adds fields all the time, e.g. v2 contract detail);
* ids (``orderId``, ``positionId``, deal ``id``, ...) arrive as JSON numbers **or** strings and are
  normalised to ``str`` (``WireId``);
* timestamps arrive as numbers or numeric strings and are normalised to ``int`` ms; the empty string
  of the docs' placeholder rows (``"createTime": ""``) becomes ``0`` (``WireTs``);
* numbers may use exponent form (``7.548E+4``); numeric strings are accepted for numbers (the codec
  decodes with ``strict=False``);
* order-path amounts are ``Decimal`` (exact, from the JSON text); market data uses ``float``.

Strict where a change means the venue changed: a missing required field, or an object/array where a
scalar was, fails decoding (``msgspec.ValidationError``), which the codec reports as
``ProtocolDriftError`` naming the endpoint and the field path.

Field names are snake_case in Python and camelCase on the wire (``rename="camel"``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import msgspec
from msgspec.structs import force_setattr

if TYPE_CHECKING:
    WireId = str
    WireTs = int
else:  # what msgspec decodes; ``Wire.__post_init__`` normalises
    WireId = int | str
    WireTs = int | str

T = TypeVar("T")


def _norm_ts(value: object) -> int:
    """Timestamp normalisation: int stays; ``""`` -> 0; a decimal-digit string -> int."""
    if value.__class__ is int:
        return value
    if isinstance(value, str):
        if value == "":
            return 0
        if value.isdigit():
            return int(value)
    raise ValueError(f"expected a ms timestamp (number or digit string), found {value!r}")


class Wire(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Base of tolerant wire structs; subclasses list id / timestamp fields to normalise."""

    _IDS: ClassVar[tuple[str, ...]] = ()
    _TS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self._IDS:
            value = getattr(self, name)
            if value.__class__ is int:
                force_setattr(self, name, str(value))
        for name in self._TS:
            value = getattr(self, name)
            if value is not None and value.__class__ is not int:
                force_setattr(self, name, _norm_ts(value))


class BareId:
    """Marker response type: ``data`` is a bare id (number or string), returned as ``str``."""


class Page(Wire, Generic[T], frozen=True, kw_only=True):
    """Pagination object of history endpoints (spec §2)."""

    page_size: int
    total_count: int
    total_page: int
    current_page: int
    result_list: list[T]


# ---------------------------------------------------------------- public market data (§4)


class Level(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """A book level ``[price, vol(contracts), orderCount]``; the count may be missing (v1 docs)."""

    price: float
    vol: float
    count: int = 0


class DepthData(msgspec.Struct, frozen=True, gc=False):
    """P4 ``depth``: bids descending, asks ascending; ``version`` on the WS depth counter (§4.2)."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int
    timestamp: int = 0
    cts: int | None = None


class DepthCommit(msgspec.Struct, frozen=True, gc=False):
    """One P5 ``depth_commits`` entry (a single-level change), newest first (§4.3)."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int
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


class DealData(Wire, frozen=True, kw_only=True):
    """P12 deal ``{p, v, T, O, M, t}`` (§4.5)."""

    _IDS = ("i",)
    p: float
    v: float
    taker_side: int = msgspec.field(name="T")
    open_flag: int = msgspec.field(name="O", default=0)
    self_trade: int = msgspec.field(name="M", default=2)
    t: int
    i: WireId | None = None


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


class TickerData(Wire, frozen=True, kw_only=True):
    """P13 ticker row (§4.6)."""

    symbol: str
    last_price: float
    contract_id: int | None = None
    bid1: float | None = None
    ask1: float | None = None
    volume24: float = 0.0
    amount24: float = 0.0
    hold_vol: float | None = None
    lower24_price: float | None = None
    high24_price: float | None = None
    rise_fall_rate: float = 0.0
    rise_fall_value: float | None = None
    index_price: float | None = None
    fair_price: float | None = None
    funding_rate: float | None = None
    max_bid_price: float | None = None
    min_ask_price: float | None = None
    timestamp: int = 0
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


class RiskLimitTier(Wire, frozen=True, kw_only=True):
    """``riskLimitCustom`` entry of contract detail."""

    level: int
    max_vol: Decimal
    mmr: Decimal
    imr: Decimal
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


# ---------------------------------------------------------------- account and positions (§5.1–5.2)


class AssetData(Wire, frozen=True, kw_only=True):
    """§5.1 asset row (v1 fields; v2 extras optional)."""

    currency: str
    position_margin: Decimal
    available_balance: Decimal
    frozen_balance: Decimal
    cash_balance: Decimal | None = None
    equity: Decimal | None = None
    unrealized: Decimal | None = None
    bonus: Decimal | None = None
    available_cash: Decimal | None = None
    available_open: Decimal | None = None


class TransferRecord(Wire, frozen=True, kw_only=True):
    """§5.1 transfer_record row."""

    _IDS = ("id",)
    id: WireId
    currency: str
    amount: Decimal
    type: str
    state: str
    txid: str = ""
    create_time: int = 0
    update_time: int = 0


class RiskLimitRow(Wire, frozen=True, kw_only=True):
    """§5.1 ``risk_limit`` map value entry."""

    level: int
    max_vol: Decimal
    mmr: Decimal
    imr: Decimal
    symbol: str
    position_type: int
    max_leverage: int | None = None
    open_type: int | None = None
    leverage: int | None = None
    limit_by_sys: bool | None = None
    current_mmr: Decimal | None = None


class TieredFeeRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``tiered_fee_rate`` (v1)."""

    level: int
    deal_amount: Decimal
    wallet_balance: Decimal
    maker_fee: Decimal
    taker_fee: Decimal
    maker_fee_discount: Decimal | None = None
    taker_fee_discount: Decimal | None = None


class TieredFeeRateV2(Wire, frozen=True, kw_only=True):
    """§5.1 ``tiered_fee_rate/v2`` (fields per docs; all optional, no vector pins them)."""

    original_maker_fee: Decimal | None = None
    original_taker_fee: Decimal | None = None
    real_maker_fee: Decimal | None = None
    real_taker_fee: Decimal | None = None
    deal_amount: Decimal | None = None
    wallet_balance: Decimal | None = None
    fee_rate_mode: str | None = None


class ProfitRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``profit_rate/{type}``."""

    profit_rate: Decimal
    ranking: int | None = None
    statistic_time: int | None = None


class FeeDeductConfig(Wire, frozen=True, kw_only=True):
    """§5.1 ``feeDeductConfigs`` row."""

    deduct_coin: str
    settle_coin: str
    discount_ratio: Decimal


class DiscountType(Wire, frozen=True, kw_only=True):
    """§5.1 ``discountType``."""

    use_fee_discount: bool
    use_fee_deduct: bool


class ZeroFeeContract(Wire, frozen=True, kw_only=True):
    """One entry of ``contract/zero_fee_rate``."""

    contract_id: int
    if_hot_tag: bool | None = None


class ZeroFeeRate(Wire, frozen=True, kw_only=True):
    """§5.1 ``contract/zero_fee_rate``."""

    contracts: list[ZeroFeeContract]


class PositionData(Wire, frozen=True, kw_only=True):
    """§5.2 position row (REST and ``push.personal.position``)."""

    _IDS = ("position_id",)
    _TS = ("create_time", "update_time")
    position_id: WireId
    symbol: str
    position_type: int
    open_type: int
    state: int
    hold_vol: Decimal
    hold_avg_price: Decimal
    open_avg_price: Decimal
    liquidate_price: Decimal
    realised: Decimal
    leverage: int
    frozen_vol: Decimal = Decimal(0)
    close_vol: Decimal = Decimal(0)
    close_avg_price: Decimal | None = None
    oim: Decimal | None = None
    im: Decimal = Decimal(0)
    hold_fee: Decimal | None = None
    adl_level: int | None = None
    auto_add_im: bool | None = None
    margin_ratio: Decimal | None = None
    pnl: Decimal | None = None
    fee: Decimal | None = None
    close_profit_loss: Decimal | None = None
    version: int | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class FundingRecord(Wire, frozen=True, kw_only=True):
    """§5.2 ``funding_records`` row."""

    _IDS = ("id",)
    id: WireId
    symbol: str
    position_type: int
    position_value: Decimal
    funding: Decimal
    rate: Decimal
    settle_time: int


class LeverageRow(Wire, frozen=True, kw_only=True):
    """§5.2 ``position/leverage`` row, one per positionType."""

    position_type: int
    level: int
    imr: Decimal
    mmr: Decimal
    leverage: int
    max_vol: Decimal | None = None
    open_type: int | None = None
    limit_by_sys: bool | None = None
    current_mmr: Decimal | None = None
    max_leverage_view: int | None = None


# ---------------------------------------------------------------- orders (§5.3–5.5)


class CreateResult(Wire, frozen=True, kw_only=True):
    """§5.3 ``order/create`` data ``{orderId, ts}``."""

    _IDS = ("order_id",)
    order_id: WireId
    ts: int


class BatchOrderResult(Wire, frozen=True, kw_only=True):
    """§5.3 ``submit_batch`` item."""

    _IDS = ("order_id",)
    order_id: WireId
    error_code: int = 0
    error_msg: str = ""


class CancelResult(Wire, frozen=True, kw_only=True):
    """§5.4 per-item cancel result; ``orderId`` is a number above 2^53 on the wire."""

    _IDS = ("order_id",)
    order_id: WireId
    error_code: int
    error_msg: str = ""


class OrderData(Wire, frozen=True, kw_only=True):
    """§5.5 order row (REST) — also the ``push.personal.order`` payload (§7.8)."""

    _IDS = ("order_id", "position_id")
    _TS = ("create_time", "update_time")
    order_id: WireId
    symbol: str
    price: Decimal
    vol: Decimal
    side: int
    order_type: int
    state: int
    deal_vol: Decimal = Decimal(0)
    deal_avg_price: Decimal = Decimal(0)
    position_id: WireId = "0"
    leverage: int = 0
    category: int = 1
    open_type: int = 0
    external_oid: str = ""
    error_code: int = 0
    order_margin: Decimal | None = None
    used_margin: Decimal | None = None
    taker_fee: Decimal | None = None
    maker_fee: Decimal | None = None
    profit: Decimal | None = None
    fee_currency: str = ""
    remain_vol: Decimal | None = None
    price_str: str | None = None
    deal_avg_price_str: str | None = None
    position_mode: int | None = None
    reduce_only: bool | None = None
    version: int = 0
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    bbo_type_num: int | None = None
    total_fee: Decimal | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class OrderDealData(Wire, frozen=True, kw_only=True):
    """§5.5 fill row (``deal_details``, ``order_deals``) and ``push.personal.order.deal``."""

    _IDS = ("id", "order_id")
    _TS = ("timestamp",)
    id: WireId
    symbol: str
    side: int
    vol: Decimal
    price: Decimal
    fee: Decimal
    order_id: WireId
    timestamp: WireTs
    fee_currency: str = ""
    profit: Decimal = Decimal(0)
    category: int | None = None
    taker: bool | None = None
    is_taker: bool | None = None
    is_self: bool | None = None
    external_oid: str = ""
    position_mode: int | None = None
    reduce_only: bool | None = None


class OpenOrderCount(Wire, frozen=True, kw_only=True):
    """§5.5 ``open_order_total_count``."""

    sum_count: int
    limit_order_count: int = 0
    stop_order_count: int = 0
    plan_order_count: int = 0
    track_order_count: int = 0


# ---------------------------------------------------------------- plan / stop / track (§5.6–5.8)


class PlanOrderData(Wire, frozen=True, kw_only=True):
    """§5.6 plan row; also ``push.personal.plan.order``. ``execute_cycle`` is in hours."""

    _IDS = ("id", "order_id")
    _TS = ("create_time", "update_time")
    id: WireId
    symbol: str
    side: int
    vol: Decimal
    trigger_price: Decimal
    trigger_type: int
    state: int
    leverage: int = 0
    price: Decimal | None = None
    open_type: int = 0
    execute_cycle: int | None = None
    trend: int | None = None
    order_type: int | None = None
    error_code: int = 0
    order_id: WireId | None = None
    price_protect: int | None = None
    position_mode: int | None = None
    loss_trend: int | None = None
    profit_trend: int | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    reduce_only: bool | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class StopOrderData(Wire, frozen=True, kw_only=True):
    """§5.7 stop (TP/SL) row; also ``push.personal.stop.planorder``."""

    _IDS = ("id", "order_id", "position_id", "place_order_id")
    _TS = ("create_time", "update_time")
    id: WireId
    symbol: str
    state: int
    position_id: WireId
    order_id: WireId | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    trigger_side: int = 0
    position_type: int | None = None
    vol: Decimal | None = None
    reality_vol: Decimal | None = None
    place_order_id: WireId | None = None
    error_code: int = 0
    is_finished: int = 0
    version: int = 0
    loss_trend: int | None = None
    profit_trend: int | None = None
    price_protect: int | None = None
    profit_loss_vol_type: str | None = None
    take_profit_vol: Decimal | None = None
    stop_loss_vol: Decimal | None = None
    vol_type: int | None = None
    take_profit_reverse: int | None = None
    stop_loss_reverse: int | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class TrackOrderData(Wire, frozen=True, kw_only=True):
    """§5.8 trailing order row; also ``push.personal.track.order``."""

    _IDS = ("id", "order_id")
    _TS = ("create_time", "update_time")
    id: WireId
    symbol: str
    side: int
    vol: Decimal
    state: int
    leverage: int = 0
    open_type: int = 0
    trend: int | None = None
    active_price: Decimal | None = None
    mark_price: Decimal | None = None
    back_type: int | None = None
    back_value: Decimal | None = None
    trigger_price: Decimal | None = None
    trigger_type: int | None = None
    order_id: WireId | None = None
    error_code: int = 0
    position_mode: int | None = None
    reduce_only: bool | None = None
    create_time: WireTs = 0
    update_time: WireTs = 0


class StpGroup(Wire, frozen=True, kw_only=True):
    """§5.9 STP blacklist group."""

    group_name: str
    black_list: list[str]
    create_time: int = 0
    update_time: int = 0


#: Response type of endpoints whose ``data`` no source pins down (returned as plain JSON values).
AnyData = Any

__all__ = [
    "AnyData",
    "AssetData",
    "BareId",
    "BatchOrderResult",
    "CancelResult",
    "ContractDetail",
    "CreateResult",
    "DealData",
    "DepthCommit",
    "DepthData",
    "DiscountType",
    "FairPriceData",
    "FeeDeductConfig",
    "FundingHistoryRow",
    "FundingRateData",
    "FundingRecord",
    "IndexPriceData",
    "KlineData",
    "Level",
    "LeverageRow",
    "OpenOrderCount",
    "OrderData",
    "OrderDealData",
    "Page",
    "PlanOrderData",
    "PositionData",
    "ProfitRate",
    "RiseFallRates",
    "RiskLimitRow",
    "RiskLimitTier",
    "RiskReverse",
    "RiskReverseSnapshot",
    "StopOrderData",
    "StpGroup",
    "TickerData",
    "TieredFeeRate",
    "TieredFeeRateV2",
    "TrackOrderData",
    "TransferRecord",
    "Wire",
    "WireId",
    "WireTs",
    "ZeroFeeContract",
    "ZeroFeeRate",
]
