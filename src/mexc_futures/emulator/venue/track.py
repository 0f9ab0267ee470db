"""Trailing (track) orders, STP groups, ``close_orders`` and ``planorder/change_stop_order``
(spec §5.6, §5.8, §5.9, §5.4; fidelity audit row 13: endpoints the venue serves).

Trailing order (§5.8): placed with ``trend`` (1 last, 2 fair, 3 index), an optional
``activePrice`` and a callback ``backType`` 1 (``backValue`` a fraction, 0.01 = 1 %) or 2 (an
absolute price distance). State 0 "not activated" until the trend price reaches ``activePrice``
(at or above it for a selling order, at or below for a buying one; no ``activePrice``: active at
once), then 1 "activated": the venue follows the extreme (the high for a sell, the low for a
buy) and, when the price comes back by the callback, places a market order (state 2 with
``orderId``, or 3 with the refusal's code in ``errorCode``). Cancelled: 4. Every change
(placed, edited, activated, triggered, failed, cancelled) is pushed as
``push.personal.track.order`` with the row of ``trackorder/list/orders`` (spec §7.8; no filter key
names it in §7.7, so it passes any ``personal.filter``).

STP groups (§5.9) are the account's own named lists of uids; the venue restricts them to market
makers, the emulator lets any account keep them (they affect no matching here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import NO_DATA, VenueError, fail
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.engine import Engine, float_field, int_field
from mexc_futures.emulator.venue.handlers_orders import _body_obj, _order_id, _window
from mexc_futures.emulator.venue.handlers_public import Handler, Req, sliced
from mexc_futures.emulator.venue.orders import MARKET, UNTRIGGERED
from mexc_futures.emulator.venue.placement import opt_float

NOT_ACTIVATED, ACTIVATED, TRIGGERED, TRIGGER_FAILED, CANCELED = 0, 1, 2, 3, 4
PRV = "/api/v1/private"


@dataclass
class TrackOrder:
    """One trailing order."""

    track_id: int
    account: str
    contract: Contract
    side: int
    vol: int
    leverage: int
    open_type: int
    trend: int
    active_price: float
    back_type: int
    back_value: float
    position_mode: int
    reduce_only: bool
    create_time: int
    update_time: int
    state: int = NOT_ACTIVATED
    extreme: float = 0.0
    trigger_price: float = 0.0
    mark_price: float = 0.0
    order_id: int = 0
    error_code: int = 0

    @property
    def sells(self) -> bool:
        """True for a selling order: 3 opens a short, 4 closes a long (§5.3)."""
        return self.side in (3, 4)

    def row(self) -> dict[str, Any]:
        c = self.contract
        return {
            "id": str(self.track_id), "symbol": c.symbol, "leverage": self.leverage,
            "side": self.side, "vol": self.vol, "openType": self.open_type, "trend": self.trend,
            "activePrice": self.active_price, "markPrice": self.mark_price,
            "backType": self.back_type, "backValue": self.back_value,
            "triggerPrice": self.trigger_price, "triggerType": 1 if self.sells else 2,
            "orderId": str(self.order_id) if self.order_id else None,
            "errorCode": self.error_code, "state": self.state,
            "createTime": self.create_time, "updateTime": self.update_time,
            "positionMode": self.position_mode, "reduceOnly": self.reduce_only,
        }


def _acct(r: Req) -> Account:
    if r.account is None:
        raise fail(401, "Unauthorized")
    return r.account


def _terms(c: Contract, body: dict[str, Any], current: TrackOrder | None) -> dict[str, Any]:
    trend = int_field(body, "trend", 3001, default=current.trend if current else 1)
    if trend not in (1, 2, 3):
        raise fail(3001)
    back_type = int_field(body, "backType", 600, default=current.back_type if current else None)
    back_value = float_field(
        body, "backValue", default=current.back_value if current else None
    )
    if back_type not in (1, 2) or back_value <= 0 or (back_type == 1 and back_value >= 1):
        raise fail(600)
    if back_type == 2 and not c.is_tick_multiple(back_value):
        raise fail(2015)
    active = opt_float(body, "activePrice") if "activePrice" in body else (
        current.active_price if current else 0.0
    )
    if active < 0 or (active and not c.is_tick_multiple(active)):
        raise fail(2015)
    vol = int_field(body, "vol", 2011, default=current.vol if current else None)
    if not c.min_vol <= vol <= c.max_vol:
        raise fail(2011)
    return {"trend": trend, "back_type": back_type, "back_value": back_value,
            "active_price": active, "vol": vol}


def _price(e: Engine, sym: str, trend: int) -> float:
    m = e.markets[sym]
    return {1: m.last_price, 2: m.fair_price, 3: m.index_price}[trend]


def track_place(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    body = _body_obj(r)
    c = e.contract(body.get("symbol"))
    if not c.api_allowed:
        raise fail(1002)
    side = int_field(body, "side", 2001)
    if side not in (1, 2, 3, 4):
        raise fail(2001)
    open_type = int_field(body, "openType", 2002, default=1)
    if open_type not in (1, 2):
        raise fail(2002)
    leverage = int_field(body, "leverage", 2006, default=acct.leverage_for(c, 1)[0])
    if not c.min_leverage <= leverage <= c.max_leverage:
        raise fail(2006)
    terms = _terms(c, body, None)
    t = TrackOrder(
        track_id=next(e.ids.track), account=acct.api_key, contract=c, side=side, vol=terms["vol"],
        leverage=leverage, open_type=open_type, trend=terms["trend"],
        active_price=terms["active_price"], back_type=terms["back_type"],
        back_value=terms["back_value"], position_mode=acct.position_mode,
        reduce_only=bool(body.get("reduceOnly")), create_time=r.now, update_time=r.now,
    )
    acct.tracks[t.track_id] = t
    _push(e, acct, t)
    return str(t.track_id)


def _push(e: Engine, acct: Account, t: TrackOrder) -> None:
    e.push(acct, "personal.track.order", t.contract.symbol, t.row())


def track_cancel(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    body = r.body if isinstance(r.body, dict) else {}
    sym = body.get("symbol")
    symbol = e.contract(sym).symbol if sym else None
    tid = _order_id(body["trackOrderId"]) if body.get("trackOrderId") is not None else None
    for t in acct.tracks.values():
        if t.state in (NOT_ACTIVATED, ACTIVATED) and (tid is None or t.track_id == tid) and (
            symbol is None or t.contract.symbol == symbol
        ):
            t.state, t.update_time = CANCELED, r.now
            _push(e, acct, t)
    return NO_DATA


def track_change(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    body = _body_obj(r)
    t = acct.tracks.get(_order_id(body.get("trackOrderId")))
    if t is None or t.state not in (NOT_ACTIVATED, ACTIVATED):
        raise fail(5002)
    terms = _terms(t.contract, body, t)  # validated in full before anything changes
    t.trend, t.back_type, t.back_value = terms["trend"], terms["back_type"], terms["back_value"]
    t.active_price, t.vol, t.update_time = terms["active_price"], terms["vol"], r.now
    _push(e, acct, t)
    return NO_DATA


def track_list(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    states = {int(s) for s in str(r.q("states", "")).split(",") if s.strip().isdigit()}
    side = r.qint("side")
    start, end = _window(r)
    rows = [
        t.row() for t in sorted(acct.tracks.values(), key=lambda x: -x.track_id)
        if (symbol is None or t.contract.symbol == symbol) and (not states or t.state in states)
        and (side is None or t.side == side) and start <= t.create_time <= end
    ]
    page = r.qint("pageIndex") or r.qint("page_num") or 1
    size = r.qint("pageSize") or r.qint("page_size") or 20
    if page < 1 or not 1 <= size <= 100:
        raise fail(600)
    return rows[(page - 1) * size : page * size]


def check_tracks(e: Engine, acct: Account, now: int) -> None:
    """Activate, follow and trigger the account's trailing orders (called by ``advance``)."""
    for t in list(acct.tracks.values()):
        if t.state not in (NOT_ACTIVATED, ACTIVATED):
            continue
        p = _price(e, t.contract.symbol, t.trend)
        t.mark_price = p
        if t.state == NOT_ACTIVATED:
            if t.active_price and (p < t.active_price if t.sells else p > t.active_price):
                continue
            t.state, t.extreme, t.update_time = ACTIVATED, p, now
            _push(e, acct, t)
        t.extreme = max(t.extreme, p) if t.sells else min(t.extreme, p)
        back = t.back_value * t.extreme if t.back_type == 1 else t.back_value
        t.trigger_price = t.extreme - back if t.sells else t.extreme + back
        if not math.isfinite(t.trigger_price) or (
            p > t.trigger_price if t.sells else p < t.trigger_price
        ):
            continue
        body = {"symbol": t.contract.symbol, "vol": t.vol, "leverage": t.leverage,
                "side": t.side, "type": MARKET, "openType": t.open_type,
                "reduceOnly": t.reduce_only}
        try:
            t.order_id = e.place(acct, body, now).order_id
            t.state = TRIGGERED
        except VenueError as exc:
            t.state, t.error_code = TRIGGER_FAILED, exc.code
        t.update_time = now
        _push(e, acct, t)


# ------------------------------------------------------------------- others
def close_orders(e: Engine, r: Req) -> Any:
    """``order/list/close_orders``: finished closing orders (sides 2 and 4), newest first."""
    acct = _acct(r)
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    start, end = _window(r)
    rows = [
        o.row() for o in sorted(acct.orders.values(), key=lambda o: -o.order_id)
        if o.side in (2, 4) and not o.active and start <= o.create_time <= end
        and (symbol is None or o.symbol == symbol)
    ]
    return sliced(rows, r)


def plan_change_stop_order(e: Engine, r: Req) -> Any:
    """``planorder/change_stop_order``: the TP/SL a plan attaches to its order (0/null removes)."""
    acct = _acct(r)
    body = _body_obj(r)
    plan = acct.plans.get(_order_id(body.get("orderId")))
    if plan is None or plan.state != UNTRIGGERED:
        raise fail(5002)
    loss_trend = int_field(body, "lossTrend", 3001, default=plan.loss_trend)
    profit_trend = int_field(body, "profitTrend", 3001, default=plan.profit_trend)
    if loss_trend not in (1, 2, 3) or profit_trend not in (1, 2, 3):
        raise fail(3001)
    sl = opt_float(body, "stopLossPrice") if "stopLossPrice" in body else plan.stop_loss_price
    tp = opt_float(body, "takeProfitPrice") if "takeProfitPrice" in body else plan.take_profit_price
    c = plan.contract
    if sl < 0 or tp < 0 or (sl and not c.is_tick_multiple(sl)) or (
        tp and not c.is_tick_multiple(tp)
    ):
        raise fail(2015)
    plan.stop_loss_price, plan.take_profit_price = sl, tp
    plan.loss_trend, plan.profit_trend, plan.update_time = loss_trend, profit_trend, r.now
    e.push(acct, "personal.plan.order", c.symbol, plan.row())
    return NO_DATA


def _uids(body: dict[str, Any]) -> list[str]:
    raw = body.get("blacklist", body.get("blackList"))
    if not isinstance(raw, list) or not all(
        isinstance(u, int | str) and not isinstance(u, bool) and str(u).isdigit() for u in raw
    ):
        raise fail(600)
    return [str(u) for u in raw]


def _config_name(body: dict[str, Any]) -> str:
    name = body.get("configName")
    if not isinstance(name, str) or not 0 < len(name) <= 64:
        raise fail(600)
    return name


def stp_list(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    name = r.q("configName")
    return [g for n, g in acct.stp_groups.items() if name is None or n == name]


def stp_create(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    body = _body_obj(r)
    name = _config_name(body)
    if name in acct.stp_groups:
        raise fail(600, "STP group already exists")
    acct.stp_groups[name] = {"groupName": name, "blackList": _uids(body),
                             "createTime": r.now, "updateTime": r.now}
    return NO_DATA


def stp_update(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    body = _body_obj(r)
    group = acct.stp_groups.get(_config_name(body))
    if group is None:
        raise fail(600, "STP group does not exist")
    group["blackList"], group["updateTime"] = _uids(body), r.now
    return NO_DATA


def stp_delete(e: Engine, r: Req) -> Any:
    acct = _acct(r)
    if acct.stp_groups.pop(_config_name(_body_obj(r)), None) is None:
        raise fail(600, "STP group does not exist")
    return NO_DATA


STP = PRV + "/market_maker/self_trade/blacklist"
ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", PRV + "/trackorder/place"): track_place,
    ("POST", PRV + "/trackorder/cancel"): track_cancel,
    ("POST", PRV + "/trackorder/change_order"): track_change,
    ("GET", PRV + "/trackorder/list/orders"): track_list,
    ("GET", PRV + "/order/list/close_orders"): close_orders,
    ("POST", PRV + "/planorder/change_stop_order"): plan_change_stop_order,
    ("GET", STP): stp_list,
    ("GET", STP + "/search"): stp_list,
    ("POST", STP + "/create"): stp_create,
    ("POST", STP + "/update"): stp_update,
    ("POST", STP + "/delete"): stp_delete,
}

__all__ = ["ROUTES", "TrackOrder", "check_tracks"]
