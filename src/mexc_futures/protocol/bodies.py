"""Request bodies of the conditional, batch and position endpoints (spec §5.2, §5.3, §5.6–§5.8).

Typed ``msgspec`` structs encoded camelCase, ``None`` fields omitted (``omit_defaults``), decimals
as JSON numbers by the client's encoder (``transport.rest_core.ENCODE``). One struct per body the
venue documents; the field list and the codes the venue answers are in each docstring. The
``order/create`` body is ``transport.rest_private.CreateOrderBody``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec


class _Body(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    """Base: camelCase on the wire, absent when ``None``."""


def _sent(value: int) -> Any:
    """A default that is always encoded (``omit_defaults`` drops only plain defaults): the
    venue documents these fields as required, so they go out even when left at the default."""
    return msgspec.field(default_factory=lambda: value)


class PlanOrderBody(_Body, kw_only=True):
    """§5.6 ``planorder/place/v2``. ``trigger_type`` 1 (price >= trigger) / 2 (<=); ``trend`` the
    price that triggers it: 1 last, 2 fair, 3 index; ``execute_cycle`` 1 = 24 h, 2 = 7 d;
    ``order_type`` 1-5 (§10; ``price`` omitted for 5 market). Venue codes: 3001 bad trend, 3002 bad
    triggerType, 3003 bad executeCycle, 3004 bad trigger price, 2011/2015 quantity, 2029 type."""

    symbol: str
    price: Decimal | None = None
    vol: Decimal
    leverage: int | None = None
    side: int
    open_type: int
    trigger_price: Decimal
    trigger_type: int
    execute_cycle: int = _sent(1)
    order_type: int = _sent(5)
    trend: int = _sent(1)
    price_protect: int | None = None
    position_mode: int | None = None
    loss_trend: int | None = None
    profit_trend: int | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    reduce_only: bool | None = None


class PlanChangePriceBody(_Body, kw_only=True):
    """§5.6 ``planorder/change_price``: move an untriggered plan (5002 when it is gone)."""

    symbol: str
    order_id: str
    trigger_price: Decimal
    price: Decimal | None = None
    order_type: int | None = None
    trigger_type: int | None = None
    trend: int | None = None


class PlanChangeStopBody(_Body, kw_only=True):
    """§5.6 ``planorder/change_stop_order``: the TP/SL a plan attaches once it executes. A 0
    price removes that side; a bad trend answers 3001."""

    symbol: str
    order_id: str
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    loss_trend: int | None = None
    profit_trend: int | None = None


class StopOrderBody(_Body, kw_only=True):
    """§5.7 ``stoporder/place``: TP/SL on an open position. At least one price > 0 (5001); a
    price on the wrong side of the market answers 5003, a volume over the position 5004, no
    such position 2009. ``vol_type`` 1 partial (``vol``), 2 the whole position. A non-final
    TP/SL at the same prices answers with the previous id (the venue de-duplicates)."""

    position_id: int
    vol: Decimal | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    loss_trend: int = _sent(1)
    profit_trend: int = _sent(1)
    price_protect: int | None = None
    vol_type: int = _sent(2)
    profit_loss_vol_type: str | None = None
    take_profit_vol: Decimal | None = None
    stop_loss_vol: Decimal | None = None


class StopChangeBody(_Body, kw_only=True):
    """§5.7 ``stoporder/change_plan_price`` (``stop_plan_order_id``) or ``stoporder/change_price``
    (``order_id``: the TP/SL attached to a limit order). 5002 when the stop is gone; 0 removes."""

    stop_plan_order_id: str | None = None
    order_id: str | None = None
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    loss_trend: int | None = None
    profit_trend: int | None = None


class TrackOrderBody(_Body, kw_only=True):
    """§5.8 ``trackorder/place``: trailing stop. ``back_type`` 1 = ``back_value`` is a callback
    rate (0.01 = 1 %), 2 = an absolute price distance; ``active_price`` arms it once crossed
    (absent = armed at once); ``trend`` 1 last, 2 fair, 3 index."""

    symbol: str
    leverage: int | None = None
    side: int
    vol: Decimal
    open_type: int
    trend: int = _sent(1)
    active_price: Decimal | None = None
    back_type: int = _sent(1)
    back_value: Decimal
    position_mode: int | None = None
    reduce_only: bool | None = None


class TrackChangeBody(_Body, kw_only=True):
    """§5.8 ``trackorder/change_order``."""

    symbol: str
    track_order_id: str
    trend: int = _sent(1)
    active_price: Decimal | None = None
    back_type: int = _sent(1)
    back_value: Decimal
    vol: Decimal


class ReverseBody(_Body, kw_only=True):
    """§5.2 ``position/reverse``: close ``vol`` of the position and open the same the other way."""

    symbol: str
    position_id: int
    vol: Decimal


class ChangeMarginBody(_Body, kw_only=True):
    """§5.2 ``position/change_margin`` (isolated only): ``type`` ``ADD`` or ``SUB``; taking out
    more than the position can spare answers 2018."""

    position_id: int
    amount: Decimal
    type: str


class AutoAddMarginBody(_Body, kw_only=True):
    """§5.2 ``position/change_auto_add_im``."""

    position_id: int
    is_enabled: bool


class ExternalRef(_Body, kw_only=True):
    """§5.4/§5.5 ``{symbol, externalOid}`` item of the batch cancel and query by external id."""

    symbol: str
    external_oid: str


__all__ = [
    "AutoAddMarginBody",
    "ChangeMarginBody",
    "ExternalRef",
    "PlanChangePriceBody",
    "PlanChangeStopBody",
    "PlanOrderBody",
    "ReverseBody",
    "StopChangeBody",
    "StopOrderBody",
    "TrackChangeBody",
    "TrackOrderBody",
]
