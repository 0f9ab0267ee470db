"""``--json`` rows of trigger, TP/SL and trailing orders (issue #15), in the one schema style of
``cli.schema``: snake_case names, words for enumerations, decimal strings, times in ms."""

from __future__ import annotations

from typing import Any

from mexc_futures.cli.cond_fmt import PRICE_TYPES, SIDES
from mexc_futures.cli.schema import POSITION, num
from mexc_futures.execution.conditional import TrackedConditional
from mexc_futures.protocol import rest as w

PLAN_STATES = {1: "waiting", 2: "cancelled", 3: "executed", 4: "expired", 5: "failed"}
TRACK_STATES = {0: "waiting", 1: "active", 2: "triggered", 3: "failed", 4: "cancelled"}
KINDS = {1: "limit", 2: "post-only", 3: "ioc", 4: "fok", 5: "market"}


def plan(r: w.PlanOrderData) -> dict[str, Any]:
    """A trigger (plan) order row."""
    return {
        "trigger_id": r.id,
        "symbol": r.symbol,
        "side": SIDES.get(r.side, str(r.side)),
        "vol": num(r.vol),
        "when": "rises to" if r.trigger_type == 1 else "falls to",
        "trigger_price": num(r.trigger_price),
        "price_type": PRICE_TYPES.get(r.trend or 1, str(r.trend)),
        "type": KINDS.get(r.order_type or 5, str(r.order_type)),
        "price": num(r.price) if r.price else None,
        "state": PLAN_STATES.get(r.state, str(r.state)),
        "order_id": r.order_id or None,
        "created_ms": r.create_time or None,
    }


def stop(r: w.StopOrderData) -> dict[str, Any]:
    """A stop-loss / take-profit row."""
    return {
        "stop_id": r.id,
        "symbol": r.symbol,
        "position_id": r.position_id,
        "position": POSITION.get(r.position_type or 0),
        "vol": num(r.vol),
        "stop_loss": num(r.stop_loss_price) if r.stop_loss_price else None,
        "take_profit": num(r.take_profit_price) if r.take_profit_price else None,
        "stop_loss_price_type": PRICE_TYPES.get(r.loss_trend or 1),
        "take_profit_price_type": PRICE_TYPES.get(r.profit_trend or 1),
        "state": PLAN_STATES.get(r.state, str(r.state)),
        "created_ms": r.create_time or None,
    }


def track(r: w.TrackOrderData) -> dict[str, Any]:
    """A trailing order row."""
    rate = r.back_type == 1
    return {
        "trailing_id": r.id,
        "symbol": r.symbol,
        "side": SIDES.get(r.side, str(r.side)),
        "vol": num(r.vol),
        "callback_rate": num(r.back_value) if rate else None,
        "callback_distance": None if rate else num(r.back_value),
        "activation_price": num(r.active_price) if r.active_price else None,
        "price_type": PRICE_TYPES.get(r.trend or 1),
        "state": TRACK_STATES.get(r.state, str(r.state)),
        "order_id": r.order_id or None,
        "created_ms": r.create_time or None,
    }


def tracked(c: TrackedConditional) -> dict[str, Any]:
    """A journaled conditional intent and what became of it."""
    return {
        "key": c.key,
        "kind": c.kind.replace("_", "-"),
        "symbol": c.symbol,
        "venue_id": c.venue_id,
        "state": c.state.value.replace("_", " "),
        "error_code": c.error_code or None,
        "created_ms": c.created_ms,
    }


__all__ = ["PLAN_STATES", "TRACK_STATES", "plan", "stop", "track", "tracked"]
