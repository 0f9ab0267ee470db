"""Private account and position endpoints (spec §5.1, §5.2).

Split from the plan and stop endpoints (``handlers_plans.py``) because these read and change the
*money* side of an account (assets, risk tiers, leverage, margin, closing positions), while those
manage conditional orders that only later turn into orders.

Choices (docs/emulator.md): ``change_position_mode`` with open orders, plans or positions answers
2019; ``change_margin`` on a cross position answers 600; ``risk_limit`` and ``leverage`` show, per
position side, the risk tier the open position is in (level 1 without one).
"""

from __future__ import annotations

from typing import Any

from mexc_futures.emulator.venue.accounts import (
    CROSS,
    HEDGE,
    LONG,
    ONE_WAY,
    SHORT,
    Account,
    Position,
)
from mexc_futures.emulator.venue.codes import NO_DATA, fail
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.engine import Engine, float_field, int_field
from mexc_futures.emulator.venue.handlers_orders import _acct, _body_obj
from mexc_futures.emulator.venue.handlers_public import Handler, Req, paged, sliced
from mexc_futures.emulator.venue.money import ZERO, booked
from mexc_futures.emulator.venue.orders import MARKET, UNTRIGGERED, num


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
        tier = e.current_tier(acct, c, ptype)
        rows.append(
            {
                "level": tier.level,
                "maxVol": tier.max_vol,
                "mmr": tier.mmr,
                "imr": tier.imr,
                "maxLeverage": tier.max_leverage,
                "symbol": c.symbol,
                "positionType": ptype,
                "openType": open_type,
                "leverage": lev,
                "limitBySys": False,
                "currentMmr": tier.mmr,
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
        "walletBalance": num(acct.wallet(c.quote)),
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
    pos = acct.positions.get(int_field(body, "positionId", 2009))
    if pos is None or not pos.hold_vol:
        raise fail(2009)
    return pos


def change_leverage(e: Engine, r: Req) -> Any:
    """``change_leverage``: by ``positionId``, or by ``symbol``/``positionType``/``openType``."""
    acct = _acct(r)
    body = _body_obj(r)
    lev = int_field(body, "leverage", 2006)
    if body.get("positionId") is not None:
        pos = _position(acct, body)
        c = pos.contract
        _check_lev(c, lev)
        new_im = pos.margin_at(pos.hold_avg_price, pos.hold_vol, lev)
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
    open_type = int_field(body, "openType", 2002, default=1)
    ptypes = [int_field(body, "positionType", 2022)] if body.get("positionType") else [LONG, SHORT]
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
    amount = booked(float_field(body, "amount"))
    kind = str(body.get("type", "")).upper()
    if pos.open_type == CROSS or amount <= ZERO or kind not in ("ADD", "SUB"):
        raise fail(600)
    quote = pos.contract.quote
    if kind == "ADD":
        if amount > e.available(acct, quote):
            raise fail(2005)
        pos.im += amount
    else:
        floor = pos.margin_at(pos.hold_avg_price, pos.hold_vol, pos.leverage)
        if pos.im - amount < floor:
            # 2018 "exceeds the maximum reducible margin" (CN v1 table; fidelity row 19), not
            # 2005 "insufficient balance", which the English table's meaning suggested
            raise fail(2018)
        pos.im -= amount
    pos.touch(r.now)
    e.push_position(pos)
    e.push_asset(acct, quote)
    return NO_DATA


def change_position_mode(e: Engine, r: Req) -> Any:
    """``change_position_mode`` ``{positionMode}``; 2019 with orders, plans or positions."""
    acct = _acct(r)
    mode = int_field(_body_obj(r), "positionMode", 600)
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
    vol = int_field(body, "vol", 2011, default=pos.hold_vol)
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


A, PO = "/api/v1/private/account", "/api/v1/private/position"
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
}
