"""Conditional intents and tracked rows in words (activity lines, CLI tables; issue #15)."""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.model.intents import (
    AmendStop,
    CancelConditional,
    CloseAll,
    ConditionalIntent,
    PlaceBatch,
    PlaceChase,
    PlaceStop,
    PlaceTrailing,
    PlaceTrigger,
    PriceType,
    ReversePosition,
)

SIDES = {1: "open long", 2: "close short", 3: "open short", 4: "close long"}
PRICE_TYPES = {1: "last", 2: "fair", 3: "index"}


def _n(x: Decimal | None) -> str:
    return "-" if x is None else f"{x:,f}"


def _pt(p: PriceType | None) -> str:
    return "" if p is None or p == PriceType.LAST else f" ({PRICE_TYPES[int(p)]} price)"


def describe(intent: ConditionalIntent | PlaceBatch | PlaceChase) -> str:
    """``trigger BTC_USDT open long 1 when last price <= 80,000 (market)`` and the like."""
    match intent:
        case PlaceBatch():
            return f"batch of {len(intent.orders)} orders (stpMode {intent.stp_mode})"
        case PlaceChase():
            cap = "" if intent.limit_price is None else f" up to {_n(intent.limit_price)}"
            start = "best price" if intent.price is None else _n(intent.price)
            return (
                f"chase {intent.symbol} {SIDES[int(intent.side)]} {_n(intent.vol)} from {start}"
                f"{cap}"
            )
        case PlaceTrigger():
            op = ">=" if intent.when == 1 else "<="
            at = "market" if intent.price is None else f"limit {_n(intent.price)}"
            return (
                f"trigger {intent.symbol} {SIDES[int(intent.side)]} {_n(intent.vol)} when "
                f"{PRICE_TYPES[int(intent.price_type)]} price {op} {_n(intent.trigger_price)} "
                f"({at})"
            )
        case PlaceStop():
            side = "long" if intent.position_side == 1 else "short"
            return (
                f"protect {intent.symbol} {side}: stop-loss {_n(intent.stop_loss_price)}"
                f"{_pt(intent.stop_loss_trigger)}, take-profit {_n(intent.take_profit_price)}"
                f"{_pt(intent.take_profit_trigger)}"
            )
        case PlaceTrailing():
            back = (
                f"{intent.callback_rate * 100:f}%"
                if intent.callback_rate is not None
                else _n(intent.callback_distance)
            )
            act = "" if intent.activation_price is None else f" from {_n(intent.activation_price)}"
            return (
                f"trailing {intent.symbol} {SIDES[int(intent.side)]} {_n(intent.vol)} "
                f"callback {back}{act}"
            )
        case ReversePosition():
            side = "long" if intent.position_side == 1 else "short"
            return f"reverse {intent.symbol} {side}"
        case CloseAll():
            return "close all positions at market"
        case AmendStop():
            ref = f"stop {intent.stop_id}" if intent.stop_id else f"order {intent.order_id}"
            return (
                f"amend {intent.symbol} {ref}: stop-loss {_n(intent.stop_loss_price)}, "
                f"take-profit {_n(intent.take_profit_price)}"
            )
        case CancelConditional():
            return f"cancel {intent.symbol} {intent.kind} {intent.venue_id}"


__all__ = ["PRICE_TYPES", "SIDES", "describe"]
