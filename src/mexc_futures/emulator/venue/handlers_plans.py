"""Private plan-order and TP/SL stop-order endpoints (spec §5.6, §5.7).

Split from the account and position endpoints (``handlers_account.py``): these endpoints manage
conditional orders (stored, listed, edited, cancelled); the rules that trigger them live in
``triggers.py``.

Choices (docs/emulator.md): unknown plan/stop ids in cancel arrays are ignored (the call still
succeeds, as the docs show no per-item result).
"""

from __future__ import annotations

from typing import Any

import mexc_futures.emulator.venue.triggers as triggers
from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import NO_DATA, fail
from mexc_futures.emulator.venue.engine import Engine, float_field, int_field
from mexc_futures.emulator.venue.handlers_orders import (
    _acct,
    _body_list,
    _body_obj,
    _order_id,
    filtered_rows,
)
from mexc_futures.emulator.venue.handlers_public import Handler, Req, sliced
from mexc_futures.emulator.venue.orders import MARKET, PLAN_CANCELLED, UNTRIGGERED, StopOrder
from mexc_futures.emulator.venue.placement import opt_float


# ---------------------------------------------------------------------- plans
def plan_place(e: Engine, r: Req) -> Any:
    """``planorder/place`` and ``/place/v2``: plan id string."""
    return str(triggers.place_plan(e, _acct(r), _body_obj(r), r.now).plan_id)


def plan_cancel(e: Engine, r: Req) -> Any:
    """``planorder/cancel`` ``[{symbol, orderId}]`` (≤ 50)."""
    acct = _acct(r)
    for item in _body_list(r, 50, 2013):
        triggers.cancel_plan(e, acct, _order_id(item.get("orderId")), r.now)
    return NO_DATA


def plan_cancel_all(e: Engine, r: Req) -> Any:
    """``planorder/cancel_all`` ``{symbol?}``."""
    acct = _acct(r)
    sym = r.body.get("symbol") if isinstance(r.body, dict) else None
    symbol = e.contract(sym).symbol if sym else None
    for plan in list(acct.plans.values()):
        if symbol is None or plan.contract.symbol == symbol:
            triggers.cancel_plan(e, acct, plan.plan_id, r.now)
    return NO_DATA


def plan_change_price(e: Engine, r: Req) -> Any:
    """``planorder/change_price``."""
    acct = _acct(r)
    body = _body_obj(r)
    plan = acct.plans.get(_order_id(body.get("orderId")))
    if plan is None or plan.state != UNTRIGGERED:
        raise fail(5002)
    c = plan.contract
    trigger = float_field(body, "triggerPrice")
    if trigger <= 0 or not c.is_tick_multiple(trigger):
        raise fail(3004)
    trigger_type = int_field(body, "triggerType", 3002, default=plan.trigger_type)
    if trigger_type not in (1, 2):
        raise fail(3002)
    trend = int_field(body, "trend", 3001, default=plan.trend)
    if trend not in (1, 2, 3):
        raise fail(3001)
    order_type = int_field(body, "orderType", 2029, default=plan.order_type)
    if order_type not in (1, 2, 3, 4, 5):
        raise fail(2029)
    price = triggers.plan_price(c, body, order_type) if body.get("price") else plan.price
    if price == 0 and order_type != MARKET:
        raise fail(2007)
    # validated in full before anything changes: a refused change leaves the plan untouched
    plan.trigger_price, plan.price = trigger, price
    plan.trigger_type, plan.trend, plan.order_type = trigger_type, trend, order_type
    plan.update_time = r.now
    e.push(acct, "personal.plan.order", plan.contract.symbol, plan.row())
    return NO_DATA


def plan_list(e: Engine, r: Req) -> Any:
    """``planorder/list/orders``: plain array, newest first."""
    acct = _acct(r)
    newest = sorted(acct.plans.values(), key=lambda p: p.plan_id, reverse=True)
    window = (r.qint("start_time", 0) or 0, r.qint("end_time", r.now) or r.now)
    return sliced(filtered_rows(e, r, newest, window), r)


# ---------------------------------------------------------------------- stops
def stop_place(e: Engine, r: Req) -> Any:
    """``stoporder/place``: stop id (number)."""
    return triggers.place_stop(e, _acct(r), _body_obj(r), r.now).stop_id


def stop_cancel(e: Engine, r: Req) -> Any:
    """``stoporder/cancel`` ``[{stopPlanOrderId}]`` (≤ 50)."""
    acct = _acct(r)
    for item in _body_list(r, 50, 2013):
        stop = acct.stops.get(_order_id(item.get("stopPlanOrderId")))
        if stop is not None and not stop.finished:
            e.finish_stop(acct, stop, PLAN_CANCELLED, r.now)
    return NO_DATA


def stop_cancel_all(e: Engine, r: Req) -> Any:
    """``stoporder/cancel_all`` ``{positionId?, symbol?}``."""
    acct = _acct(r)
    body = r.body if isinstance(r.body, dict) else {}
    sym = body.get("symbol")
    symbol = e.contract(sym).symbol if sym else None
    pid = body.get("positionId")
    for stop in list(acct.stops.values()):
        if stop.finished or (symbol and stop.contract.symbol != symbol):
            continue
        if pid is not None and stop.position_id != _order_id(pid):
            continue
        e.finish_stop(acct, stop, PLAN_CANCELLED, r.now)
    return NO_DATA


def _stop_rows(e: Engine, r: Req, only_open: bool) -> list[dict[str, Any]]:
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    finished = r.qint("is_finished")
    state = r.qint("state")
    return [
        s.row()
        for s in sorted(acct.stops.values(), key=lambda s: s.stop_id, reverse=True)
        if (symbol is None or s.contract.symbol == symbol)
        and (not only_open or not s.finished)
        and (finished is None or int(s.finished) == finished)
        and (state is None or s.state == state)
    ]


def stop_list(e: Engine, r: Req) -> Any:
    """``stoporder/list/orders``."""
    return sliced(_stop_rows(e, r, False), r)


def stop_open(e: Engine, r: Req) -> Any:
    """``stoporder/open_orders``."""
    return _stop_rows(e, r, True)


def stop_details(e: Engine, r: Req) -> Any:
    """``stoporder/order_details/{id}``."""
    stop = _acct(r).stops.get(_order_id(r.path["id"]))
    if stop is None:
        raise fail(5002)
    return stop.row()


def _edit_stop(e: Engine, acct: Account, stop: StopOrder, body: dict[str, Any], now: int) -> None:
    sl = opt_float(body, "stopLossPrice") if "stopLossPrice" in body else stop.stop_loss_price
    tp = opt_float(body, "takeProfitPrice") if "takeProfitPrice" in body else stop.take_profit_price
    loss_trend = int_field(body, "lossTrend", 3001, default=stop.loss_trend)
    profit_trend = int_field(body, "profitTrend", 3001, default=stop.profit_trend)
    if loss_trend not in (1, 2, 3) or profit_trend not in (1, 2, 3):
        raise fail(3001)
    if sl < 0 or tp < 0:
        raise fail(5001)
    stop.stop_loss_price, stop.take_profit_price = sl, tp
    stop.loss_trend, stop.profit_trend = loss_trend, profit_trend
    stop.version += 1
    stop.update_time = now
    e.push(acct, "personal.stop.planorder", stop.contract.symbol, stop.row())


def stop_change_plan_price(e: Engine, r: Req) -> Any:
    """``stoporder/change_plan_price`` ``{stopPlanOrderId, ...}``."""
    acct = _acct(r)
    body = _body_obj(r)
    stop = acct.stops.get(_order_id(body.get("stopPlanOrderId")))
    if stop is None or stop.finished:
        raise fail(5002)
    _edit_stop(e, acct, stop, body, r.now)
    return NO_DATA


def stop_change_price(e: Engine, r: Req) -> Any:
    """``stoporder/change_price`` ``{orderId (limit order), ...}``: the order's attached TP/SL."""
    acct = _acct(r)
    body = _body_obj(r)
    oid = _order_id(body.get("orderId"))
    order = acct.orders.get(oid)
    if order is None:
        raise fail(2040, "order not exist")
    order.stop_loss_price = opt_float(body, "stopLossPrice") or order.stop_loss_price
    order.take_profit_price = opt_float(body, "takeProfitPrice") or order.take_profit_price
    for stop in acct.stops.values():
        if stop.order_id == oid and not stop.finished:
            _edit_stop(e, acct, stop, body, r.now)
    return NO_DATA


PL, ST = "/api/v1/private/planorder", "/api/v1/private/stoporder"
ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", f"{PL}/place"): plan_place,
    ("POST", f"{PL}/place/v2"): plan_place,
    ("POST", f"{PL}/cancel"): plan_cancel,
    ("POST", f"{PL}/cancel_all"): plan_cancel_all,
    ("POST", f"{PL}/change_price"): plan_change_price,
    ("GET", f"{PL}/list/orders"): plan_list,
    ("POST", f"{ST}/place"): stop_place,
    ("POST", f"{ST}/cancel"): stop_cancel,
    ("POST", f"{ST}/cancel_all"): stop_cancel_all,
    ("GET", f"{ST}/list/orders"): stop_list,
    ("GET", f"{ST}/open_orders"): stop_open,
    ("GET", f"{ST}/order_details/{{id}}"): stop_details,
    ("POST", f"{ST}/change_plan_price"): stop_change_plan_price,
    ("POST", f"{ST}/change_price"): stop_change_price,
}
