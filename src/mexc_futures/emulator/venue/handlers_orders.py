"""Private order endpoints of spec §5.3–§5.5 over an :class:`Engine`.

Choices (docs/emulator.md): an unknown order on ``get``/``external`` answers 2040
``"order not exist"``; ``change_limit_order`` cancels the old order and creates a new one with a new
id and an auto ``externalOid``; ``chase_limit_order`` reprices to a best price (``rules``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import NO_DATA, VenueError, fail
from mexc_futures.emulator.venue.engine import Engine
from mexc_futures.emulator.venue.handlers_public import Handler, Req, sliced
from mexc_futures.emulator.venue.orders import Order, PlanOrder

CANCEL_MSG = {0: "success", 2040: "order not exist", 2041: "order state cannot be cancelled"}
DAY_MS = 86_400_000


def _acct(r: Req) -> Account:
    if r.account is None:
        raise fail(401, "Unauthorized")
    return r.account


def _body_obj(r: Req) -> dict[str, Any]:
    if not isinstance(r.body, dict):
        raise fail(600)
    return r.body


def _body_list(r: Req, limit: int, code: int, *, objects: bool = True) -> list[Any]:
    body = r.body if isinstance(r.body, list) else [r.body] if isinstance(r.body, dict) else None
    if body is None:
        raise fail(600)
    if len(body) > limit:
        raise fail(code)
    if objects and not all(isinstance(item, dict) for item in body):
        raise fail(600)
    return body


def _order_id(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int | str):
        raise fail(600)
    try:
        n = int(str(v))
    except ValueError:
        raise fail(600) from None
    if not 0 <= n < 2**63:
        raise fail(600)
    return n


def create(e: Engine, r: Req) -> Any:
    """``order/create``: ``{orderId: str, ts}``."""
    order = e.place(_acct(r), _body_obj(r), r.now)
    return {"orderId": str(order.order_id), "ts": r.now}


def submit(e: Engine, r: Req) -> Any:
    """Legacy ``order/submit``: the bare order id (number)."""
    return e.place(_acct(r), _body_obj(r), r.now).order_id


def submit_batch(e: Engine, r: Req) -> Any:
    """``order/submit_batch`` (≤ 50): per-item ``{orderId, errorCode}``."""
    acct = _acct(r)
    out: list[dict[str, Any]] = []
    for item in _body_list(r, 50, 2014):
        try:
            out.append({"orderId": e.place(acct, item, r.now).order_id, "errorCode": 0})
        except VenueError as exc:
            out.append({"orderId": 0, "errorCode": exc.code})
    return out


def _cancel_result(order_id: int, code: int) -> dict[str, Any]:
    return {"orderId": order_id, "errorCode": code, "errorMsg": CANCEL_MSG[code]}


def cancel(e: Engine, r: Req) -> Any:
    """``order/cancel``: bare array of ids (≤ 50) → per-item results (2040/2041/0)."""
    acct = _acct(r)
    ids = _body_list(r, 50, 2013, objects=False)
    return [_cancel_result(oid, e.cancel(acct, oid, r.now)) for oid in map(_order_id, ids)]


def cancel_external(e: Engine, r: Req) -> Any:
    """``cancel_with_external`` (object or array) / ``batch_cancel_with_external``."""
    acct = _acct(r)
    out = []
    for item in _body_list(r, 50, 2013):
        if not isinstance(item, dict):
            raise fail(600)
        sym = str(item.get("symbol", "")).upper()
        oid = acct.by_external.get((sym, str(item.get("externalOid", ""))))
        if oid is None:
            out.append(_cancel_result(0, 2040))
        else:
            out.append(_cancel_result(oid, e.cancel(acct, oid, r.now)))
    return out


def cancel_all(e: Engine, r: Req) -> Any:
    """``order/cancel_all`` ``{symbol?}``: no data."""
    acct = _acct(r)
    if e.rules.cancel_all_requires_symbol and not (
        isinstance(r.body, dict) and "symbol" in r.body
    ):
        raise fail(600)  # v2: ``symbol`` required; ``""`` = every contract (fidelity row 2)
    sym = r.body.get("symbol") if isinstance(r.body, dict) else None
    symbol = e.contract(sym).symbol if sym else None
    for order in acct.open_orders(symbol):
        e.cancel(acct, order.order_id, r.now)
    return NO_DATA


def _find(acct: Account, order_id: int) -> Order:
    order = acct.orders.get(order_id)
    if order is None:
        raise fail(2040, "order not exist")
    return order


def get_order(e: Engine, r: Req) -> Any:
    """``order/get/{order_id}``: order row."""
    return _find(_acct(r), _order_id(r.path["order_id"])).row()


def get_external(e: Engine, r: Req) -> Any:
    """``order/external/{symbol}/{external_oid}``: order row."""
    acct = _acct(r)
    sym = e.contract(r.path["symbol"]).symbol
    oid = acct.by_external.get((sym, r.path["external_oid"]))
    if oid is None:
        raise fail(2040, "order not exist")
    return acct.orders[oid].row()


def batch_query(e: Engine, r: Req) -> Any:
    """``order/batch_query?order_ids=a,b`` (≤ 50)."""
    acct = _acct(r)
    raw = str(r.q("order_ids", ""))
    ids = [x for x in raw.split(",") if x.strip()]
    if not ids:
        raise fail(600)
    if len(ids) > 50:
        raise fail(2034)
    return [acct.orders[i].row() for i in map(_order_id, ids) if i in acct.orders]


def batch_query_external(e: Engine, r: Req) -> Any:
    """``batch_query_with_external``: array of ``{symbol, externalOid}``."""
    acct = _acct(r)
    out = []
    for item in _body_list(r, 50, 2034):
        oid = acct.by_external.get(
            (str(item.get("symbol", "")).upper(), str(item.get("externalOid")))
        )
        if oid is not None:
            out.append(acct.orders[oid].row())
    return out


def deal_details(e: Engine, r: Req) -> Any:
    """``order/deal_details/{order_id}``: fills of one order."""
    acct = _acct(r)
    oid = str(_order_id(r.path["order_id"]))
    return [_deal_row(d) for d in acct.fills if d["orderId"] == oid]


def _deal_row(d: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "symbol",
        "side",
        "vol",
        "price",
        "feeCurrency",
        "fee",
        "timestamp",
        "profit",
        "category",
        "orderId",
        "taker",
        "positionMode",
    )
    return {k: d[k] for k in keys}


def _window(r: Req) -> tuple[int, int]:
    end = r.qint("end_time", r.now) or r.now
    start = r.qint("start_time", end - 7 * DAY_MS) or 0
    if end - start > 90 * DAY_MS or start > end:
        raise fail(6003, "time range error")
    return start, end


def order_deals(e: Engine, r: Req) -> Any:
    """``list/order_deals`` (≤ 100/page) and ``/v3`` (≤ 1000/page), newest first."""
    acct = _acct(r)
    sym = e.contract(r.q("symbol")).symbol
    start, end = _window(r)
    rows = [
        _deal_row(d)
        for d in reversed(acct.fills)
        if d["symbol"] == sym and start <= d["timestamp"] <= end
    ]
    return sliced(rows, r, 1000 if str(r.extra.get("template", "")).endswith("/v3") else 100)


def open_orders(e: Engine, r: Req) -> Any:
    """``list/open_orders`` and ``/{symbol}``: plain array, newest first."""
    acct = _acct(r)
    sym = r.path.get("symbol") or r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    return sliced([o.row() for o in acct.open_orders(symbol)], r)


def history_orders(e: Engine, r: Req) -> Any:
    """``list/history_orders``: filters ``symbol``, ``states``, ``side``, ``category``, window."""
    acct = _acct(r)
    newest = sorted(acct.orders.values(), key=lambda o: o.order_id, reverse=True)
    return sliced(filtered_rows(e, r, newest, _window(r)), r)


def filtered_rows(
    e: Engine, r: Req, items: Iterable[Order | PlanOrder], window: tuple[int, int]
) -> list[dict[str, Any]]:
    """Rows of ``items`` passing the query filters ``symbol``, ``states`` ("3,4"), ``side`` and
    the ``(start, end)`` creation-time window (order and plan history lists)."""
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    states = {int(s) for s in str(r.q("states", "")).split(",") if s.strip().isdigit()}
    side = r.qint("side")
    start, end = window
    return [
        x.row()
        for x in items
        if (symbol is None or x.symbol == symbol)
        and (not states or x.state in states)
        and (side is None or x.side == side)
        and start <= x.create_time <= end
    ]


def open_order_total_count(e: Engine, r: Req) -> Any:
    """``open_order_total_count`` (GET or POST)."""
    acct = _acct(r)
    limit = len(acct.open_orders())
    plans = sum(1 for p in acct.plans.values() if p.state == 1)
    stops = sum(1 for s in acct.stops.values() if not s.finished)
    return {
        "sumCount": limit + plans + stops,
        "limitOrderCount": limit,
        "stopOrderCount": stops,
        "planOrderCount": plans,
        "trackOrderCount": 0,
    }


def change_limit_order(e: Engine, r: Req) -> Any:
    """``change_limit_order`` ``{orderId, price, vol}``: new order id (string)."""
    acct = _acct(r)
    body = _body_obj(r)
    old = _find(acct, _order_id(body.get("orderId")))
    if not old.active or old.order_type not in (1, 2):
        raise fail(2041, "order state cannot be cancelled")
    new_body = {
        "symbol": old.symbol,
        "price": body.get("price", old.price),
        "vol": body.get("vol", old.remain),
        "side": old.side,
        "type": old.order_type,
        "openType": old.open_type,
        "leverage": old.leverage,
    }
    e.check_replacement(acct, old, new_body, r.now)  # refused → the original stays untouched
    e.cancel(acct, old.order_id, r.now)
    return str(e.place(acct, new_body, r.now).order_id)


def chase_limit_order(e: Engine, r: Req) -> Any:
    """``chase_limit_order`` ``{orderId}``: reprice to the best price; no data.

    Fidelity row 11, defaults: in place (``rules.chase`` "in_place": the order keeps its id and
    externalOid; "replace": cancel and place a new order, new id, new auto externalOid) at the
    best price of the order's own side (``rules.chase_side`` "same"; "opposite": the other
    side's best, where the order crosses and takes what is there)."""
    acct = _acct(r)
    old = _find(acct, _order_id(_body_obj(r).get("orderId")))
    if not old.active or old.order_type not in (1, 2):
        raise fail(2041, "order state cannot be cancelled")
    book = e.books[old.symbol]
    bid_side = (old.side in (1, 2)) == (e.rules.chase_side == "same")
    best = book.best_bid() if bid_side else book.best_ask()
    price = old.contract.price(best) if best is not None else old.price
    if e.rules.chase == "in_place":
        ticks = old.contract.ticks(price)
        if ticks != old.contract.ticks(old.price):
            e.chase(acct, old, ticks, r.now)
        return NO_DATA
    body = {
        "symbol": old.symbol,
        "price": price,
        "vol": old.remain,
        "side": old.side,
        "type": 1,
        "openType": old.open_type,
        "leverage": old.leverage,
    }
    e.check_replacement(acct, old, body, r.now)
    e.cancel(acct, old.order_id, r.now)
    e.place(acct, body, r.now)
    return NO_DATA


ORD = "/api/v1/private/order"
ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", f"{ORD}/create"): create,
    ("POST", f"{ORD}/submit"): submit,
    ("POST", f"{ORD}/submit_batch"): submit_batch,
    ("POST", f"{ORD}/cancel"): cancel,
    ("POST", f"{ORD}/cancel_with_external"): cancel_external,
    ("POST", f"{ORD}/batch_cancel_with_external"): cancel_external,
    ("POST", f"{ORD}/cancel_all"): cancel_all,
    ("GET", f"{ORD}/get/{{order_id}}"): get_order,
    ("GET", f"{ORD}/external/{{symbol}}/{{external_oid}}"): get_external,
    ("GET", f"{ORD}/batch_query"): batch_query,
    ("POST", f"{ORD}/batch_query_with_external"): batch_query_external,
    ("GET", f"{ORD}/deal_details/{{order_id}}"): deal_details,
    ("GET", f"{ORD}/list/open_orders"): open_orders,
    ("GET", f"{ORD}/list/open_orders/{{symbol}}"): open_orders,
    ("GET", f"{ORD}/list/history_orders"): history_orders,
    ("GET", f"{ORD}/list/order_deals"): order_deals,
    ("GET", f"{ORD}/list/order_deals/v3"): order_deals,
    ("GET", f"{ORD}/open_order_total_count"): open_order_total_count,
    ("POST", f"{ORD}/open_order_total_count"): open_order_total_count,
    ("POST", f"{ORD}/change_limit_order"): change_limit_order,
    ("POST", f"{ORD}/chase_limit_order"): chase_limit_order,
}
