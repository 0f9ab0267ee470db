"""Private account, position, plan-order and stop-order endpoints (spec §5.1, §5.2, §5.6, §5.7).

Choices (docs/emulator.md): ``change_position_mode`` with open orders, plans or positions answers
2019; ``change_margin`` on a cross position answers 600; unknown plan/stop ids in cancel arrays are
ignored (the call still succeeds, as the docs show no per-item result).
"""

from __future__ import annotations

from typing import Any

from . import triggers
from .accounts import CROSS, HEDGE, LONG, ONE_WAY, SHORT, Account, Position
from .codes import NO_DATA, fail
from .contracts import Contract
from .engine import Engine, _float, _int
from .handlers_orders import _acct, _body_list, _body_obj, _order_id
from .handlers_public import Handler, Req, paged, sliced
from .orders import MARKET, PLAN_CANCELLED, UNTRIGGERED


def _currencies(acct: Account, e: Engine) -> list[str]:
    quotes = {c.quote for c in e.contracts.values()}
    return sorted(quotes | set(acct.cash))


def assets(e: Engine, r: Req) -> Any:
    """``account/assets``: one row per currency."""
    acct = _acct(r)
    return [_asset(e, acct, cur) for cur in _currencies(acct, e)]


def _asset(e: Engine, acct: Account, currency: str) -> dict[str, Any]:
    return acct.asset_row(
        currency, e.unrealized(acct, currency), e.unrealized(acct, currency, cross_only=True)
    )


def asset(e: Engine, r: Req) -> Any:
    """``account/asset/{currency}``; unknown currency → 4001."""
    acct = _acct(r)
    cur = r.path["currency"].upper()
    if cur not in _currencies(acct, e):
        raise fail(4001)
    return _asset(e, acct, cur)


def _risk_rows(e: Engine, acct: Account, c: Contract) -> list[dict[str, Any]]:
    rows = []
    for ptype in (LONG, SHORT):
        lev, open_type = acct.leverage_for(c, ptype)
        pos = acct.position(c.symbol, ptype)
        if pos is not None:
            lev, open_type = pos.leverage, pos.open_type
        rows.append(
            {
                "level": 1,
                "maxVol": c.max_vol,
                "mmr": c.maintenance_margin_rate,
                "imr": c.initial_margin_rate,
                "maxLeverage": c.max_leverage,
                "symbol": c.symbol,
                "positionType": ptype,
                "openType": open_type,
                "leverage": lev,
                "limitBySys": False,
                "currentMmr": c.maintenance_margin_rate,
            }
        )
    return rows


def risk_limit(e: Engine, r: Req) -> Any:
    """``account/risk_limit``: map symbol → rows."""
    acct = _acct(r)
    sym = r.q("symbol")
    cs = [e.contract(sym)] if sym else list(e.contracts.values())
    return {c.symbol: _risk_rows(e, acct, c) for c in cs}


def tiered_fee_rate(e: Engine, r: Req) -> Any:
    """``account/tiered_fee_rate`` (v1 shape)."""
    acct = _acct(r)
    sym = r.q("symbol")
    c = e.contract(sym) if sym else next(iter(e.contracts.values()))
    deal_amount = sum(d["price"] * d["vol"] * c.contract_size for d in acct.fills)
    return {
        "level": 0,
        "dealAmount": round(deal_amount, 4),
        "walletBalance": round(acct.cash.get(c.quote, 0.0), 8),
        "makerFee": c.maker_fee_rate,
        "takerFee": c.taker_fee_rate,
        "makerFeeDiscount": 1,
        "takerFeeDiscount": 1,
    }


def change_risk_level(e: Engine, r: Req) -> Any:
    """Disabled upstream: 8817."""
    raise fail(8817)


def transfer_record(e: Engine, r: Req) -> Any:
    """No transfers in the emulator: an empty page."""
    _acct(r)
    return paged([], r)


# ------------------------------------------------------------------ positions
def open_positions(e: Engine, r: Req) -> Any:
    """``position/open_positions`` ``symbol?``, ``positionId?``."""
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    pid = r.qint("positionId")
    return [
        p.row(e.mark(p.symbol))
        for p in acct.positions.values()
        if (symbol is None or p.symbol == symbol) and (pid is None or p.position_id == pid)
    ]


def history_positions(e: Engine, r: Req) -> Any:
    """``position/list/history_positions``: closed positions, newest first (plain list)."""
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    ptype = r.qint("type")
    rows = [
        p.row(e.mark(p.symbol))
        for p in reversed(acct.history_positions)
        if (symbol is None or p.symbol == symbol) and (ptype is None or p.position_type == ptype)
    ]
    return sliced(rows, r)


def funding_records(e: Engine, r: Req) -> Any:
    """``position/funding_records``: page, newest first."""
    acct = _acct(r)
    sym = r.q("symbol")
    pid = r.qint("position_id")
    rows = [
        {k: v for k, v in f.items() if k != "positionId"}
        for f in reversed(acct.funding_records)
        if (sym is None or f["symbol"] == str(sym).upper())
        and (pid is None or f["positionId"] == pid)
    ]
    return paged(rows, r)


def leverage(e: Engine, r: Req) -> Any:
    """``position/leverage?symbol=``: one row per position type."""
    acct = _acct(r)
    c = e.contract(r.q("symbol"))
    return [
        {k: v for k, v in row.items() if k not in ("symbol", "maxLeverage")}
        | {"maxLeverageView": c.max_leverage}
        for row in _risk_rows(e, acct, c)
    ]


def position_mode(e: Engine, r: Req) -> Any:
    """``position/position_mode``: 1 hedge, 2 one-way."""
    return _acct(r).position_mode


def _position(acct: Account, body: dict[str, Any]) -> Position:
    pos = acct.positions.get(_int(body, "positionId", 2009))
    if pos is None or not pos.hold_vol:
        raise fail(2009)
    return pos


def change_leverage(e: Engine, r: Req) -> Any:
    """``change_leverage``: by ``positionId``, or by ``symbol``/``positionType``/``openType``."""
    acct = _acct(r)
    body = _body_obj(r)
    lev = _int(body, "leverage", 2006)
    if body.get("positionId") is not None:
        pos = _position(acct, body)
        c = pos.contract
        _check_lev(c, lev)
        new_im = pos.qty() * pos.hold_avg_price / lev
        if new_im - pos.im > e.available(acct, c.quote):
            raise fail(2005)
        pos.im = pos.oim = new_im
        pos.leverage = lev
        acct.leverage[(c.symbol, pos.position_type)] = (lev, pos.open_type)
        pos.touch(r.now)
        e.push_position(pos)
        e.push_asset(acct, c.quote)
        return NO_DATA
    c = e.contract(body.get("symbol"))
    _check_lev(c, lev)
    open_type = _int(body, "openType", 2002, default=1)
    ptypes = [_int(body, "positionType", 2022)] if body.get("positionType") else [LONG, SHORT]
    for pt in ptypes:
        if pt not in (LONG, SHORT):
            raise fail(2022)
        if acct.position(c.symbol, pt) is not None:
            raise fail(2019)
        acct.leverage[(c.symbol, pt)] = (lev, open_type)
    return NO_DATA


def _check_lev(c: Contract, lev: int) -> None:
    if not c.min_leverage <= lev <= c.max_leverage:
        raise fail(2006)


def change_margin(e: Engine, r: Req) -> Any:
    """``change_margin`` ``{positionId, amount, type: ADD|SUB}`` (isolated only)."""
    acct = _acct(r)
    body = _body_obj(r)
    pos = _position(acct, body)
    amount = _float(body, "amount")
    kind = str(body.get("type", "")).upper()
    if pos.open_type == CROSS or amount <= 0 or kind not in ("ADD", "SUB"):
        raise fail(600)
    quote = pos.contract.quote
    if kind == "ADD":
        if amount > e.available(acct, quote):
            raise fail(2005)
        pos.im += amount
    else:
        floor = pos.qty() * pos.hold_avg_price / pos.leverage
        if pos.im - amount < floor * 0.999999:
            raise fail(2005)
        pos.im -= amount
    pos.touch(r.now)
    e.push_position(pos)
    e.push_asset(acct, quote)
    return NO_DATA


def change_position_mode(e: Engine, r: Req) -> Any:
    """``change_position_mode`` ``{positionMode}``; 2019 with orders, plans or positions."""
    acct = _acct(r)
    mode = _int(_body_obj(r), "positionMode", 600)
    if mode not in (HEDGE, ONE_WAY):
        raise fail(600)
    busy = (
        acct.positions
        or acct.open_orders()
        or any(p.state == UNTRIGGERED for p in acct.plans.values())
    )
    if busy:
        raise fail(2019)
    acct.position_mode = mode
    e.push(acct, "personal.position.mode", None, {"positionMode": mode})
    return NO_DATA


def _close_position(e: Engine, acct: Account, pos: Position, vol: int, now: int) -> None:
    for order in acct.open_orders(pos.symbol):
        if order.position_id == pos.position_id and order.side in (2, 4):
            e.cancel(acct, order.order_id, now)
    e.place(
        acct,
        {
            "symbol": pos.symbol,
            "vol": vol,
            "side": 4 if pos.position_type == LONG else 2,
            "type": MARKET,
            "openType": pos.open_type,
        },
        now,
    )


def close_all(e: Engine, r: Req) -> Any:
    """``position/close_all``: market-close every position; ``data: []``."""
    acct = _acct(r)
    for pos in list(acct.positions.values()):
        _close_position(e, acct, pos, pos.hold_vol, r.now)
    return []


def reverse(e: Engine, r: Req) -> Any:
    """``position/reverse`` ``{symbol, positionId, vol}``: close, then open the other side."""
    acct = _acct(r)
    body = _body_obj(r)
    pos = _position(acct, body)
    vol = _int(body, "vol", 2011, default=pos.hold_vol)
    if vol != pos.hold_vol:
        raise fail(2011)
    lev, open_type, ptype = pos.leverage, pos.open_type, pos.position_type
    _close_position(e, acct, pos, vol, r.now)
    e.place(
        acct,
        {
            "symbol": pos.symbol,
            "vol": vol,
            "side": 3 if ptype == LONG else 1,
            "type": MARKET,
            "openType": open_type,
            "leverage": lev,
        },
        r.now,
    )
    return NO_DATA


def void(e: Engine, r: Req) -> Any:
    """Accepted, no effect (e.g. ``change_auto_add_im``)."""
    _acct(r)
    return NO_DATA


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
    plan.trigger_price = _float(body, "triggerPrice")
    plan.price = float(body.get("price") or plan.price)
    plan.trigger_type = _int(body, "triggerType", 3002, default=plan.trigger_type)
    plan.trend = _int(body, "trend", 3001, default=plan.trend)
    plan.order_type = _int(body, "orderType", 2029, default=plan.order_type)
    plan.update_time = r.now
    e.push(acct, "personal.plan.order", plan.contract.symbol, plan.row())
    return NO_DATA


def plan_list(e: Engine, r: Req) -> Any:
    """``planorder/list/orders``: plain array, newest first."""
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    states = {int(s) for s in str(r.q("states", "")).split(",") if s.strip().isdigit()}
    side = r.qint("side")
    start, end = r.qint("start_time", 0) or 0, r.qint("end_time", r.now) or r.now
    rows = [
        p.row()
        for p in sorted(acct.plans.values(), key=lambda p: p.plan_id, reverse=True)
        if (symbol is None or p.contract.symbol == symbol)
        and (not states or p.state in states)
        and (side is None or p.side == side)
        and start <= p.create_time <= end
    ]
    return sliced(rows, r)


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
            triggers.finish_stop(e, acct, stop, PLAN_CANCELLED, r.now)
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
        triggers.finish_stop(e, acct, stop, PLAN_CANCELLED, r.now)
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


def _edit_stop(e: Engine, acct: Account, stop: Any, body: dict[str, Any], now: int) -> None:
    if "stopLossPrice" in body:
        stop.stop_loss_price = float(body.get("stopLossPrice") or 0)
    if "takeProfitPrice" in body:
        stop.take_profit_price = float(body.get("takeProfitPrice") or 0)
    stop.loss_trend = _int(body, "lossTrend", 3001, default=stop.loss_trend)
    stop.profit_trend = _int(body, "profitTrend", 3001, default=stop.profit_trend)
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
    order.stop_loss_price = float(body.get("stopLossPrice") or order.stop_loss_price)
    order.take_profit_price = float(body.get("takeProfitPrice") or order.take_profit_price)
    for stop in acct.stops.values():
        if stop.order_id == oid and not stop.finished:
            _edit_stop(e, acct, stop, body, r.now)
    return NO_DATA


A, PO, PL, ST = (
    "/api/v1/private/account",
    "/api/v1/private/position",
    "/api/v1/private/planorder",
    "/api/v1/private/stoporder",
)
ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", f"{A}/assets"): assets,
    ("GET", f"{A}/asset/{{currency}}"): asset,
    ("GET", f"{A}/risk_limit"): risk_limit,
    ("GET", f"{A}/tiered_fee_rate"): tiered_fee_rate,
    ("GET", f"{A}/transfer_record"): transfer_record,
    ("POST", f"{A}/change_risk_level"): change_risk_level,
    ("GET", f"{PO}/open_positions"): open_positions,
    ("GET", f"{PO}/list/history_positions"): history_positions,
    ("GET", f"{PO}/funding_records"): funding_records,
    ("GET", f"{PO}/leverage"): leverage,
    ("GET", f"{PO}/position_mode"): position_mode,
    ("POST", f"{PO}/change_leverage"): change_leverage,
    ("POST", f"{PO}/change_margin"): change_margin,
    ("POST", f"{PO}/change_position_mode"): change_position_mode,
    ("POST", f"{PO}/change_auto_add_im"): void,
    ("POST", f"{PO}/close_all"): close_all,
    ("POST", f"{PO}/reverse"): reverse,
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
