"""Wire structs for every server->client WebSocket frame of spec §7 (frozen ``msgspec`` structs).

Every frame is a JSON object routed on ``channel`` (§7.4). Known channels are tagged structs of one
``msgspec`` union (``TAGGED``), decoded in one pass by ``protocol.codec.decode_frame``; the frame's
channel is available as ``frame.channel``. Three kinds are not tagged because their channel is open:
``SubAck`` (``rs.sub.<x>``), ``UnsubAck`` (``rs.unsub.<x>``) and ``Unknown`` (any other channel,
kept with its raw text and counted, never dropped).

Tolerance (docs/codec.md): unknown extra fields ignored; ``ts`` number or string; ``push.deal`` data
object **or** array (always exposed as a tuple); depth levels with or without the order count;
private payloads reuse the REST row structs of ``protocol.rest`` (ids -> ``str``).

This module is the import path for every frame struct; they live in ``ws_base`` (bases, control
frames, acks, ``Unknown``), ``ws_public`` (§7.5) and ``ws_private`` (§7.8), and are re-exported
here unchanged together with the union ``TAGGED``, ``CHANNELS`` and the ``WsMessage`` types.
"""

from __future__ import annotations

from mexc_futures.protocol.ws_base import (
    FilterAck,
    Frame,
    LoginAck,
    Pong,
    RsError,
    SubAck,
    Unknown,
    UnsubAck,
)
from mexc_futures.protocol.ws_private import (
    AdlLevel,
    AdlLevelPush,
    AssetPush,
    BonusPush,
    CloseAllFailPush,
    EventContractPositionPush,
    GenericNotify,
    GenericNotifyPush,
    LeverageMode,
    LeverageModePush,
    LiquidateRisk,
    LiquidateRiskPush,
    OrderChase,
    OrderChasePush,
    OrderDealPush,
    OrderPush,
    PersonalRiskLimit,
    PersonalStopOrder,
    PlanOrderPush,
    PositionMode,
    PositionModePush,
    PositionPush,
    ReversePosition,
    ReversePositionPush,
    RiskLimitPush,
    StopOrderPush,
    StopPlanOrderPush,
    TrackOrderPush,
    UntypedPersonalPush,
)
from mexc_futures.protocol.ws_public import (
    ContractPush,
    DealItem,
    DealPush,
    Deals,
    DepthDelta,
    DepthFull,
    DepthFullPush,
    DepthPush,
    DepthStep,
    DepthStepPush,
    EventContractPush,
    FairPricePush,
    FundingRateItem,
    FundingRatePush,
    IndexPricePush,
    KlineBar,
    KlinePush,
    PriceItem,
    TickerPush,
    TickersPush,
    WsTicker,
)

#: Every tagged frame type, decoded in one pass as a ``msgspec`` tagged union.
TAGGED: tuple[type[Frame], ...] = (
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
CHANNELS: dict[str, type[Frame]] = {str(t.__struct_config__.tag): t for t in TAGGED}

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
    "Pong",
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
