"""Validation of a new order (create/submit body of spec §5.3): the rules, in the order they apply.

Why a module of its own: the placement rules are a long, ordered list of checks whose *order* is
part of the contract (the first failure wins, and clients test for specific codes). Keeping them
in one function, apart from the execution and fill arithmetic, makes that order readable and
testable. :func:`build_order` raises ``VenueError`` or returns an :class:`Order` not yet accepted.

Order (first failure wins): contract (1001) → ``apiAllowed`` / contract state (1002) → field
types (600, side 2001, type 2029, openType 2002) → ``externalOid`` length (2030) and duplicates
(603) → position mode (7002) → volume (2015 fractional, 2011 range) → price (2007 ≤ 0, 2015 off
the grid, 2003/2004 outside the band) → leverage (2006, 2021) → close volume (2009, 2008) → risk
limit (2031) → open-order count (2036) → margin (2005).
"""

from __future__ import annotations

import math
from typing import Any

import mexc_futures.emulator.venue.codes as codes
from mexc_futures.emulator.venue.accounts import HEDGE, LONG, ONE_WAY, SHORT, Account, Position
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.margin import MarginEngine
from mexc_futures.emulator.venue.money import dec, notional
from mexc_futures.emulator.venue.orders import MARKET, MARKET_TO_LIMIT, Order, is_buy, opens
from mexc_futures.emulator.venue.rules import (
    EC_CLOSE_OVERFLOW,
    EC_OID_DUPLICATE,
    open_type_allowed,
)

MAX_INT = 2**63 - 1  # ids and counts beyond a Java long are refused (600)


def _number(v: Any, code: int) -> float:
    """A finite number from a JSON value (number or numeric string), else ``VenueError(code)``.

    Non-finite values (``NaN``, ``Infinity``, ``1e400``), booleans, containers and numbers too big
    for a float are refused at the edge (reliability D6, D11): they must never reach the book.
    """
    if v is None or isinstance(v, bool) or not isinstance(v, int | float | str):
        raise fail(code)
    if isinstance(v, str) and len(v) > 64:
        raise fail(code)
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        raise fail(code) from None
    if not math.isfinite(f):
        raise fail(code)
    return f


def int_field(body: dict[str, Any], key: str, code: int = 600, default: int | None = None) -> int:
    """``body[key]`` as an integer (``"3"``, ``3.0`` accepted), else ``VenueError(code)``."""
    f = _number(body.get(key, default), code)
    if f != int(f) or abs(f) > MAX_INT:
        raise fail(code)
    return int(f)


def float_field(body: dict[str, Any], key: str, default: float | None = None) -> float:
    """``body[key]`` as a finite float, else ``VenueError(600)``."""
    return _number(body.get(key, default), 600)


def opt_float(body: dict[str, Any], key: str) -> float:
    """Optional finite float: absent, ``null``, ``""`` or ``0`` → 0.0; else as ``float_field``."""
    v = body.get(key)
    if v is None or v == "" or v == 0:
        return 0.0
    return _number(v, 600)


def build_order(
    e: MarginEngine,
    acct: Account,
    body: dict[str, Any],
    now: int,
    *,
    validate_only: bool = False,
) -> tuple[Order, Position | None]:
    """Validate ``body``; return the new order and, for a closing order, its position.

    ``validate_only`` runs every rule without drawing an order id or an ``externalOid`` (the
    dry run of an amend, which must be refused before the original is touched).
    """
    c = e.contract(body.get("symbol"))
    if not c.api_allowed or c.state != 0:
        raise fail(1002)
    side = int_field(body, "side", 2001)
    otype = int_field(body, "type", 2029)
    open_type = int_field(body, "openType", 2002)
    if side not in (1, 2, 3, 4):
        raise fail(2001)
    if otype not in (1, 2, 3, 4, 5, 6):
        raise fail(2029)
    if open_type not in (1, 2):
        raise fail(2002)
    oid = body.get("externalOid")
    if oid is not None and not isinstance(oid, str):
        raise fail(600)
    if oid and len(oid) > 32:
        raise fail(2030)
    doom = 0  # an order the venue accepts and then invalidates (rules rows 12, 20)
    if oid and e.reject_duplicate_oid and (c.symbol, oid) in acct.by_external:
        if e.rules.duplicate_external_oid == "reject":
            raise fail(codes.DUPLICATE_EXTERNAL_OID)
        doom = EC_OID_DUPLICATE
    mode = acct.position_mode
    asked = body.get("positionMode")
    if asked is None and e.rules.position_mode_default == "hedge":
        asked = HEDGE  # v2 literal: "default dual-side" (fidelity row 1)
    if asked is not None and int_field({"positionMode": asked}, "positionMode") != mode:
        raise fail(codes.POSITION_MODE_MISMATCH)
    reduce_only = bool(body.get("reduceOnly")) and mode == ONE_WAY
    if reduce_only and side in (1, 3):
        side = 2 if side == 1 else 4
    raw_vol = float_field(body, "vol")
    if raw_vol != int(raw_vol):
        raise fail(2015)
    vol = int(raw_vol)
    if vol < c.min_vol or vol > c.max_vol:
        raise fail(2011)
    book = e.books[c.symbol]
    market = e.markets[c.symbol]
    buy = is_buy(side)
    if otype in (MARKET, MARKET_TO_LIMIT) and not body.get("price"):
        ref = book.best_ask() if buy else book.best_bid()
        price = c.price(ref) if ref is not None else market.last_price
    else:
        price = float_field(body, "price")
        if price <= 0:
            raise fail(2007)
        if not c.is_tick_multiple(price):
            raise fail(2015)
        if otype not in (MARKET, MARKET_TO_LIMIT):
            if buy and price > market.index_price * (1 + c.bid_limit_price_rate):
                raise fail(2003)
            if not buy and price < market.index_price * (1 - c.ask_limit_price_rate):
                raise fail(2004)
    ptype = LONG if side in (1, 4) else SHORT
    pos_for_close: Position | None = None
    if not opens(side):
        pos_for_close = acct.position(c.symbol, ptype)
        if pos_for_close is None or pos_for_close.hold_vol == 0:
            raise fail(2009)
        if vol > pos_for_close.hold_vol - pos_for_close.frozen_vol:
            if e.rules.close_overflow == "reject":
                raise fail(2008)
            doom = doom or EC_CLOSE_OVERFLOW
        leverage = pos_for_close.leverage
        open_type = pos_for_close.open_type
    else:
        set_lev, _ = acct.leverage_for(c, ptype)
        leverage = int_field(body, "leverage", 2006, default=set_lev)
        if not c.min_leverage <= leverage <= c.max_leverage:
            raise fail(2006)
        existing = acct.position(c.symbol, ptype)
        if existing is not None and existing.hold_vol and existing.leverage != leverage:
            raise fail(2021)
    opening_vol = 0
    if pos_for_close is None:
        opening_vol = vol
        if mode == ONE_WAY:
            opposite = acct.position(c.symbol, SHORT if ptype == LONG else LONG)
            if opposite is not None:
                opening_vol = max(0, vol - opposite.hold_vol)
        if opening_vol and not open_type_allowed(e.rules, c.position_open_type, open_type):
            raise fail(2002)  # positionOpenType forbids this margin mode for an open (row 10)
        if opening_vol:
            e.check_risk_limit(acct, c, ptype, opening_vol, leverage)
    if len(acct.open_orders(c.symbol)) >= c.max_num_orders[0 if mode == HEDGE else 1]:
        raise fail(codes.TOO_MANY_ORDERS)
    order = Order(
        order_id=0 if validate_only else next(e.ids.order),
        account=acct.api_key,
        contract=c,
        price=price,
        vol=vol,
        leverage=leverage,
        side=side,
        order_type=otype,
        open_type=open_type,
        external_oid=oid or ("" if validate_only else e.auto_oid()),
        position_mode=mode,
        reduce_only=reduce_only,
        create_time=now,
        update_time=now,
    )
    if pos_for_close is None:
        fee = notional(price, vol, c.contract_size) * dec(c.taker_fee_rate)
        if opening_vol and order.margin_for(opening_vol) + fee > e.available(acct, c.quote):
            raise fail(2005)
        order.order_margin = order.margin_for(vol)
    order.stop_loss_price = opt_float(body, "stopLossPrice")
    order.take_profit_price = opt_float(body, "takeProfitPrice")
    order.loss_trend = int_field(body, "lossTrend", default=1)
    order.profit_trend = int_field(body, "profitTrend", default=1)
    if doom:
        order.error_code = doom  # Engine.place registers it and ends it at once (state 4)
        return order, None
    return order, pos_for_close
