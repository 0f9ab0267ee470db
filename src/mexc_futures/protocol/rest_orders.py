"""REST ``data`` structs of the order, plan, stop, track and STP endpoints (spec §5.3–§5.9).

Tolerance and strictness follow ``protocol.rest`` (docs/codec.md). Amounts are ``Decimal``; ids
are ``str``. ``OrderData``, ``OrderDealData``, ``PlanOrderData``, ``StopOrderData`` and
``TrackOrderData`` are also the payloads of the matching ``push.personal.*`` channels (§7.8).
"""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.protocol.wirebase import Wire, WireId, WireTs


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


__all__ = [
    "BatchOrderResult",
    "CancelResult",
    "CreateResult",
    "OpenOrderCount",
    "OrderData",
    "OrderDealData",
    "PlanOrderData",
    "StopOrderData",
    "StpGroup",
    "TrackOrderData",
]
