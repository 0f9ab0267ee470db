"""Private push frames of spec §7.8 (``push.personal.*``).

Order, fill, position, asset, plan, stop and track payloads are the REST row structs of
``protocol.rest_account`` / ``protocol.rest_orders`` (the venue sends the same rows); the others
are defined here. Ids are normalised to ``str``; channels whose fields were never captured keep
``data`` as plain JSON [UNCONFIRMED].
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from mexc_futures.protocol.rest_account import AssetData, PositionData
from mexc_futures.protocol.rest_orders import (
    OrderData,
    OrderDealData,
    PlanOrderData,
    StopOrderData,
    TrackOrderData,
)
from mexc_futures.protocol.wirebase import Wire, WireId
from mexc_futures.protocol.ws_base import Frame


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


class OrderPush(Frame, frozen=True, kw_only=True, tag="push.personal.order"):
    """``push.personal.order``: on every state change, ``version`` increments."""

    data: OrderData


class OrderDealPush(Frame, frozen=True, kw_only=True, tag="push.personal.order.deal"):
    """``push.personal.order.deal``: one fill of one of our orders."""

    data: OrderDealData


class PositionPush(Frame, frozen=True, kw_only=True, tag="push.personal.position"):
    """``push.personal.position`` (``state`` 3 = closed)."""

    data: PositionData


class AssetPush(Frame, frozen=True, kw_only=True, tag="push.personal.asset"):
    """``push.personal.asset``."""

    data: AssetData


class PlanOrderPush(Frame, frozen=True, kw_only=True, tag="push.personal.plan.order"):
    """``push.personal.plan.order`` (plan row, §5.6)."""

    data: PlanOrderData


class StopOrderPush(Frame, frozen=True, kw_only=True, tag="push.personal.stop.order"):
    """``push.personal.stop.order``."""

    data: PersonalStopOrder


class StopPlanOrderPush(Frame, frozen=True, kw_only=True, tag="push.personal.stop.planorder"):
    """``push.personal.stop.planorder`` (stop row, §5.7)."""

    data: StopOrderData


class TrackOrderPush(Frame, frozen=True, kw_only=True, tag="push.personal.track.order"):
    """``push.personal.track.order`` (track row, §5.8)."""

    data: TrackOrderData


class RiskLimitPush(Frame, frozen=True, kw_only=True, tag="push.personal.risk.limit"):
    """``push.personal.risk.limit``."""

    data: PersonalRiskLimit


class AdlLevelPush(Frame, frozen=True, kw_only=True, tag="push.personal.adl.level"):
    """``push.personal.adl.level``."""

    data: AdlLevel


class PositionModePush(Frame, frozen=True, kw_only=True, tag="push.personal.position.mode"):
    """``push.personal.position.mode``."""

    data: PositionMode


class LeverageModePush(Frame, frozen=True, kw_only=True, tag="push.personal.leverage.mode"):
    """``push.personal.leverage.mode``."""

    data: LeverageMode


class LiquidateRiskPush(Frame, frozen=True, kw_only=True, tag="push.personal.liquidate.risk"):
    """``push.personal.liquidate.risk``."""

    data: LiquidateRisk


class GenericNotifyPush(Frame, frozen=True, kw_only=True, tag="push.personal.generic.notify"):
    """``push.personal.generic.notify``."""

    data: GenericNotify


class OrderChasePush(Frame, frozen=True, kw_only=True, tag="push.personal.order.chase"):
    """``push.personal.order.chase``."""

    data: OrderChase


class ReversePositionPush(Frame, frozen=True, kw_only=True, tag="push.personal.reverse.position"):
    """``push.personal.reverse.position``."""

    data: ReversePosition


class UntypedPersonalPush(Frame, frozen=True, kw_only=True):
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


__all__ = [
    "AdlLevel",
    "AdlLevelPush",
    "AssetPush",
    "BonusPush",
    "CloseAllFailPush",
    "EventContractPositionPush",
    "GenericNotify",
    "GenericNotifyPush",
    "LeverageMode",
    "LeverageModePush",
    "LiquidateRisk",
    "LiquidateRiskPush",
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
    "ReversePosition",
    "ReversePositionPush",
    "RiskLimitPush",
    "StopOrderPush",
    "StopPlanOrderPush",
    "TrackOrderPush",
    "UntypedPersonalPush",
]
