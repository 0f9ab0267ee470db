"""Wire structs for every server->client WebSocket frame of spec §7 (frozen ``msgspec`` structs).

Every frame is a JSON object routed on ``channel`` (§7.4). Known channels are tagged structs of one
``msgspec`` union (``TAGGED``), decoded in one pass by ``protocol.codec.decode_frame``; the frame's
channel is available as ``frame.channel``. Three kinds are not tagged because their channel is open:
``SubAck`` (``rs.sub.<x>``), ``UnsubAck`` (``rs.unsub.<x>``) and ``Unknown`` (any other channel,
kept with its raw text and counted, never dropped).

Tolerance (docs/codec.md): unknown extra fields ignored; ``ts`` number or string; ``push.deal`` data
object **or** array (always exposed as a tuple); depth levels with or without the order count;
private payloads reuse the REST row structs of ``protocol.rest`` (ids -> ``str``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec.structs import force_setattr

from mexc_futures.protocol.rest import (
    AssetData,
    ContractDetail,
    Level,
    OrderData,
    OrderDealData,
    PlanOrderData,
    PositionData,
    StopOrderData,
    TrackOrderData,
    Wire,
    WireId,
)


class _Data(msgspec.Struct, frozen=True, kw_only=True, rename="camel", gc=False):
    """Base of hot-path payloads: no normalisation hook, cheap to build."""


class _Frame(msgspec.Struct, frozen=True, kw_only=True, tag_field="channel", gc=False):
    """Base of tagged frames; ``ts`` is the push time in ms (numeric strings accepted)."""

    ts: int = 0

    @property
    def channel(self) -> str:
        """The frame's ``channel`` (its tag)."""
        tag = self.__struct_config__.tag
        assert isinstance(tag, str)
        return tag


class _Public(_Frame, frozen=True, kw_only=True):
    """Public push: routed on ``channel`` then top-level ``symbol`` (absent on ``push.tickers``)."""

    symbol: str = ""


# ---------------------------------------------------------------- control frames (§7.2–§7.7)


class Pong(_Frame, frozen=True, kw_only=True, tag="pong"):
    """``{"channel":"pong","data":<server ms>}`` (§7.2)."""

    data: int


class RsError(_Frame, frozen=True, kw_only=True, tag="rs.error"):
    """``rs.error``: text such as ``Contract [X] not exists`` (§7.3, §7.6)."""

    data: str | dict[str, Any]


class LoginAck(_Frame, frozen=True, kw_only=True, tag="rs.login"):
    """``rs.login``; ``data`` is ``"success"`` or (defensively) an object ``{code, msg}`` (§7.6)."""

    data: str | dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when the login succeeded."""
        return self.data == "success"


class FilterAck(_Frame, frozen=True, kw_only=True, tag="rs.personal.filter"):
    """``rs.personal.filter`` ack (§7.7)."""

    data: str | None = None


class SubAck(msgspec.Struct, frozen=True, kw_only=True):
    """``rs.sub.<channel>`` ack; names no symbol (§7.3). ``data`` is ``"success"`` live."""

    channel: str
    data: Any = None
    ts: int = 0

    @property
    def topic(self) -> str:
        """The subscribed channel, e.g. ``depth`` for ``rs.sub.depth``."""
        return self.channel.split(".", 2)[2]


class UnsubAck(SubAck, frozen=True, kw_only=True):
    """``rs.unsub.<channel>`` ack; disputed to exist at all (§7.3), never waited on."""


class Unknown(msgspec.Struct, frozen=True):
    """A frame whose channel this codec does not know; ``raw`` is the frame text, unparsed."""

    channel: str
    raw: str


# ---------------------------------------------------------------- public pushes (§7.5)


class DepthDelta(_Data, frozen=True, kw_only=True):
    """``push.depth`` data. Merged: ``begin..end`` with ``version == end``; unmerged: ``version``.

    Levels carry **absolute** sizes; ``vol == 0`` deletes the level (§8.1).
    """

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int
    begin: int | None = None
    end: int | None = None
    cts: int | None = None


class DepthPush(_Public, frozen=True, kw_only=True, tag="push.depth"):
    """``push.depth`` (§7.5)."""

    data: DepthDelta


class DepthFull(_Data, frozen=True, kw_only=True):
    """``push.depth.full`` data: the whole top-N, bids descending, asks ascending."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int
    cts: int | None = None


class DepthFullPush(_Public, frozen=True, kw_only=True, tag="push.depth.full"):
    """``push.depth.full`` (§7.5)."""

    data: DepthFull


class DepthStep(_Data, frozen=True, kw_only=True):
    """``push.depth.step`` data, aggregated by price step (§7.5)."""

    asks: tuple[Level, ...]
    bids: tuple[Level, ...]
    version: int | None = None
    ask_market_level_price: float | None = None
    bid_market_level_price: float | None = None
    ct: int | None = None


class DepthStepPush(_Public, frozen=True, kw_only=True, tag="push.depth.step"):
    """``push.depth.step`` (§7.5)."""

    data: DepthStep


class DealItem(_Data, frozen=True, kw_only=True):
    """One public deal ``{p, v, T, O, M, t, i?, cts?}`` (§4.5, §7.5); ``i`` normalised to str."""

    p: float
    v: float
    taker_side: int = msgspec.field(name="T")
    open_flag: int = msgspec.field(name="O", default=0)
    self_trade: int = msgspec.field(name="M", default=2)
    t: int
    i: WireId | None = None
    cts: int | None = None

    def __post_init__(self) -> None:
        i: object = self.i
        if i.__class__ is int:
            force_setattr(self, "i", str(i))


if TYPE_CHECKING:
    Deals = tuple[DealItem, ...]
else:  # what arrives: one object (v1 docs) or an array (live since 2025-11)
    Deals = DealItem | tuple[DealItem, ...]


class DealPush(_Public, frozen=True, kw_only=True, tag="push.deal"):
    """``push.deal``; ``data`` is always a tuple of deals after decoding."""

    data: Deals

    def __post_init__(self) -> None:
        data: object = self.data
        if data.__class__ is DealItem:
            force_setattr(self, "data", (data,))


class WsTicker(_Data, frozen=True, kw_only=True):
    """``push.ticker`` data and ``push.tickers`` rows (``riseFallRates`` is an **array** here)."""

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
    zone: str | None = None
    rise_fall_rates: tuple[float, ...] | None = None
    rise_fall_rates_of_timezone: tuple[float, ...] | None = None
    contract_id: int | None = None


class TickerPush(_Public, frozen=True, kw_only=True, tag="push.ticker"):
    """``push.ticker`` (§7.5)."""

    data: WsTicker


class TickersPush(_Public, frozen=True, kw_only=True, tag="push.tickers"):
    """``push.tickers``: rows changed since the last frame (the first frame has all)."""

    data: tuple[WsTicker, ...]


class KlineBar(_Data, frozen=True, kw_only=True):
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


class KlinePush(_Public, frozen=True, kw_only=True, tag="push.kline"):
    """``push.kline`` (§7.5)."""

    data: KlineBar


class FundingRateItem(_Data, frozen=True, kw_only=True):
    """``push.funding.rate`` data (v1 has no ``nextSettleTime``)."""

    symbol: str
    rate: float
    next_settle_time: int | None = None


class FundingRatePush(_Public, frozen=True, kw_only=True, tag="push.funding.rate"):
    """``push.funding.rate`` (§7.5)."""

    data: FundingRateItem


class PriceItem(_Data, frozen=True, kw_only=True):
    """``{symbol, price}`` of index / fair price pushes."""

    symbol: str
    price: float


class IndexPricePush(_Public, frozen=True, kw_only=True, tag="push.index.price"):
    """``push.index.price`` (§7.5)."""

    data: PriceItem


class FairPricePush(_Public, frozen=True, kw_only=True, tag="push.fair.price"):
    """``push.fair.price`` (mark price, §7.5)."""

    data: PriceItem


class ContractPush(_Public, frozen=True, kw_only=True, tag="push.contract"):
    """``push.contract``: one contract-detail object when it changes."""

    data: ContractDetail


class EventContractPush(_Public, frozen=True, kw_only=True, tag="push.event.contract"):
    """``push.event.contract``: fields not captured [UNCONFIRMED]; ``data`` kept as JSON."""

    data: Any = None


# ---------------------------------------------------------------- private pushes (§7.8)


class PersonalStopOrder(Wire, frozen=True, kw_only=True):
    """``push.personal.stop.order``: TP/SL attached to a limit order."""

    _IDS = ("order_id",)
    symbol: str
    order_id: WireId
    loss_trend: int | None = None
    profit_trend: int | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None


class PersonalRiskLimit(Wire, frozen=True, kw_only=True):
    """``push.personal.risk.limit``."""

    symbol: str
    position_type: int
    level: int
    max_vol: Decimal
    mmr: Decimal
    imr: Decimal
    risk_source: int | None = None
    max_leverage: int | None = None
    leverage: int | None = None
    open_type: int | None = None
    limit_by_sys: bool | None = None
    max_vol_view: Decimal | None = None


class AdlLevel(Wire, frozen=True, kw_only=True):
    """``push.personal.adl.level``."""

    _IDS = ("position_id",)
    adl_level: int
    position_id: WireId


class PositionMode(Wire, frozen=True, kw_only=True):
    """``push.personal.position.mode``: 1 hedge, 2 one-way."""

    position_mode: int


class LeverageMode(Wire, frozen=True, kw_only=True):
    """``push.personal.leverage.mode``: ``lm`` 1 advanced, 2 simple."""

    lm: int


class LiquidateRisk(Wire, frozen=True, kw_only=True):
    """``push.personal.liquidate.risk``."""

    _IDS = ("position_id",)
    symbol: str
    position_id: WireId
    liquidate_price: Decimal
    margin_ratio: Decimal | None = None
    adl_level: int | None = None


class GenericNotify(Wire, frozen=True, kw_only=True):
    """``push.personal.generic.notify``, e.g. a margin warning (``type`` 1)."""

    type: int
    param: dict[str, Any] = msgspec.field(default_factory=dict)


class OrderChase(Wire, frozen=True, kw_only=True):
    """``push.personal.order.chase``: a chase failed with error ``ec`` on symbol ``s``."""

    ec: int
    s: str


class ReversePosition(Wire, frozen=True, kw_only=True):
    """``push.personal.reverse.position``."""

    _IDS = ("position_id",)
    position_id: WireId
    state: int
    contract_id: int | None = None
    error_code: int = 0


class OrderPush(_Frame, frozen=True, kw_only=True, tag="push.personal.order"):
    """``push.personal.order``: on every state change, ``version`` increments."""

    data: OrderData


class OrderDealPush(_Frame, frozen=True, kw_only=True, tag="push.personal.order.deal"):
    """``push.personal.order.deal``: one fill of one of our orders."""

    data: OrderDealData


class PositionPush(_Frame, frozen=True, kw_only=True, tag="push.personal.position"):
    """``push.personal.position`` (``state`` 3 = closed)."""

    data: PositionData


class AssetPush(_Frame, frozen=True, kw_only=True, tag="push.personal.asset"):
    """``push.personal.asset``."""

    data: AssetData


class PlanOrderPush(_Frame, frozen=True, kw_only=True, tag="push.personal.plan.order"):
    """``push.personal.plan.order`` (plan row, §5.6)."""

    data: PlanOrderData


class StopOrderPush(_Frame, frozen=True, kw_only=True, tag="push.personal.stop.order"):
    """``push.personal.stop.order``."""

    data: PersonalStopOrder


class StopPlanOrderPush(_Frame, frozen=True, kw_only=True, tag="push.personal.stop.planorder"):
    """``push.personal.stop.planorder`` (stop row, §5.7)."""

    data: StopOrderData


class TrackOrderPush(_Frame, frozen=True, kw_only=True, tag="push.personal.track.order"):
    """``push.personal.track.order`` (track row, §5.8)."""

    data: TrackOrderData


class RiskLimitPush(_Frame, frozen=True, kw_only=True, tag="push.personal.risk.limit"):
    """``push.personal.risk.limit``."""

    data: PersonalRiskLimit


class AdlLevelPush(_Frame, frozen=True, kw_only=True, tag="push.personal.adl.level"):
    """``push.personal.adl.level``."""

    data: AdlLevel


class PositionModePush(_Frame, frozen=True, kw_only=True, tag="push.personal.position.mode"):
    """``push.personal.position.mode``."""

    data: PositionMode


class LeverageModePush(_Frame, frozen=True, kw_only=True, tag="push.personal.leverage.mode"):
    """``push.personal.leverage.mode``."""

    data: LeverageMode


class LiquidateRiskPush(_Frame, frozen=True, kw_only=True, tag="push.personal.liquidate.risk"):
    """``push.personal.liquidate.risk``."""

    data: LiquidateRisk


class GenericNotifyPush(_Frame, frozen=True, kw_only=True, tag="push.personal.generic.notify"):
    """``push.personal.generic.notify``."""

    data: GenericNotify


class OrderChasePush(_Frame, frozen=True, kw_only=True, tag="push.personal.order.chase"):
    """``push.personal.order.chase``."""

    data: OrderChase


class ReversePositionPush(_Frame, frozen=True, kw_only=True, tag="push.personal.reverse.position"):
    """``push.personal.reverse.position``."""

    data: ReversePosition


class UntypedPersonalPush(_Frame, frozen=True, kw_only=True):
    """Base of private channels named by the docs whose fields were never captured [UNCONFIRMED];
    ``data`` is kept as plain JSON."""

    data: Any = None


class CloseAllFailPush(
    UntypedPersonalPush, frozen=True, kw_only=True, tag="push.personal.position.closeall.fail"
):
    """``push.personal.position.closeall.fail`` [UNCONFIRMED fields]."""


class BonusPush(UntypedPersonalPush, frozen=True, kw_only=True, tag="push.personal.bonus"):
    """``push.personal.bonus`` [UNCONFIRMED fields]."""


class EventContractPositionPush(
    UntypedPersonalPush, frozen=True, kw_only=True, tag="push.personal.event.contract.position"
):
    """``push.personal.event.contract.position`` [UNCONFIRMED fields]."""


#: Every tagged frame type, decoded in one pass as a ``msgspec`` tagged union.
TAGGED: tuple[type[_Frame], ...] = (
    Pong,
    RsError,
    LoginAck,
    FilterAck,
    DepthPush,
    DepthFullPush,
    DepthStepPush,
    DealPush,
    TickerPush,
    TickersPush,
    KlinePush,
    FundingRatePush,
    IndexPricePush,
    FairPricePush,
    ContractPush,
    EventContractPush,
    OrderPush,
    OrderDealPush,
    PositionPush,
    AssetPush,
    PlanOrderPush,
    StopOrderPush,
    StopPlanOrderPush,
    TrackOrderPush,
    RiskLimitPush,
    AdlLevelPush,
    PositionModePush,
    LeverageModePush,
    LiquidateRiskPush,
    GenericNotifyPush,
    OrderChasePush,
    ReversePositionPush,
    CloseAllFailPush,
    BonusPush,
    EventContractPositionPush,
)

#: channel name -> frame type, for every tagged channel.
CHANNELS: dict[str, type[_Frame]] = {str(t.__struct_config__.tag): t for t in TAGGED}

PublicPush = (
    DepthPush
    | DepthFullPush
    | DepthStepPush
    | DealPush
    | TickerPush
    | TickersPush
    | KlinePush
    | FundingRatePush
    | IndexPricePush
    | FairPricePush
    | ContractPush
    | EventContractPush
)
PrivatePush = (
    OrderPush
    | OrderDealPush
    | PositionPush
    | AssetPush
    | PlanOrderPush
    | StopOrderPush
    | StopPlanOrderPush
    | TrackOrderPush
    | RiskLimitPush
    | AdlLevelPush
    | PositionModePush
    | LeverageModePush
    | LiquidateRiskPush
    | GenericNotifyPush
    | OrderChasePush
    | ReversePositionPush
    | CloseAllFailPush
    | BonusPush
    | EventContractPositionPush
)
Control = Pong | RsError | LoginAck | FilterAck | SubAck | UnsubAck
WsMessage = Control | PublicPush | PrivatePush | Unknown

__all__ = [
    "CHANNELS",
    "TAGGED",
    "AdlLevel",
    "AdlLevelPush",
    "AssetPush",
    "BonusPush",
    "CloseAllFailPush",
    "ContractPush",
    "Control",
    "DealItem",
    "DealPush",
    "Deals",
    "DepthDelta",
    "DepthFull",
    "DepthFullPush",
    "DepthPush",
    "DepthStep",
    "DepthStepPush",
    "EventContractPositionPush",
    "EventContractPush",
    "FairPricePush",
    "FilterAck",
    "FundingRateItem",
    "FundingRatePush",
    "GenericNotify",
    "GenericNotifyPush",
    "IndexPricePush",
    "KlineBar",
    "KlinePush",
    "LeverageMode",
    "LeverageModePush",
    "LiquidateRisk",
    "LiquidateRiskPush",
    "LoginAck",
    "OrderChase",
    "OrderChasePush",
    "OrderDealPush",
    "OrderPush",
    "PersonalRiskLimit",
    "PersonalStopOrder",
    "PlanOrderPush",
    "PositionMode",
    "PositionModePush",
    "PositionPush",
    "PriceItem",
    "PrivatePush",
    "PublicPush",
    "ReversePosition",
    "ReversePositionPush",
    "RiskLimitPush",
    "RsError",
    "StopOrderPush",
    "StopPlanOrderPush",
    "SubAck",
    "TickerPush",
    "TickersPush",
    "TrackOrderPush",
    "Unknown",
    "UnsubAck",
    "UntypedPersonalPush",
    "WsMessage",
    "WsTicker",
]
