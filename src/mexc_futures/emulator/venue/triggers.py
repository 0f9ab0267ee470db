"""Plan orders, TP/SL stop orders and funding settlement (spec §5.6, §5.7, §4.7).

Functions over an :class:`Engine`; each queues the private pushes it causes
(``personal.plan.order``, ``personal.stop.planorder``, ``personal.position``, ``personal.asset``).

* Plans trigger when the chosen price (``trend`` 1 last, 2 fair, 3 index) is ``≥`` (``triggerType``
  1) or ``≤`` (2) ``triggerPrice``; the order is then placed like a REST create. Success → state 3
  with ``orderId``; a rejection → state 5 with the envelope code in ``errorCode``. Plans expire
  (state 4) after ``executeCycle`` hours (request 1 → 24 h, 2 → 168 h).
* Stops close ``vol`` of their position with a market order when the take-profit (``profitTrend``
  price) or stop-loss (``lossTrend`` price) level is crossed; a stop whose position is gone becomes
  invalid (state 4).
* Funding: at ``nextSettleTime`` every open position pays ``holdVol × contractSize × fair × rate``
  (longs pay a positive rate, shorts receive it), booked to 8 decimals (``money.py``) and
  recorded in ``funding_records`` and ``holdFee``.

Liquidation lives in ``liquidation.py``.
"""

from __future__ import annotations

import logging
from typing import Any

from mexc_futures.emulator.venue.accounts import LONG, SHORT, Account
from mexc_futures.emulator.venue.codes import VenueError, fail
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.engine import Engine, float_field, int_field
from mexc_futures.emulator.venue.money import booked, dec, notional
from mexc_futures.emulator.venue.orders import (
    EXEC_FAILED,
    EXECUTED,
    MARKET,
    PLAN_CANCELLED,
    PLAN_INVALID,
    UNTRIGGERED,
    PlanOrder,
    StopOrder,
    num,
)
from mexc_futures.emulator.venue.placement import opt_float

CYCLE_HOURS = {1: 24, 2: 168}
INTERNAL_ERROR = 9999  # errorCode of a plan/stop the venue failed to execute for its own reasons
log = logging.getLogger(__name__)


def plan_oid(engine: Engine, plan: PlanOrder) -> str:
    """``externalOid`` of the order a plan places: ``planorder_<planId>_<n>`` (fidelity row 14,
    ccxt PR #12680 live ``fetchOrder``: ``planorder_266949662181769728_10``). ``n`` is the venue's
    running count of triggered plans (what the venue counts is unknown; docs/emulator.md)."""
    return f"planorder_{plan.plan_id}_{next(engine.ids.plan_trigger)}"


def trend_price(engine: Engine, symbol: str, trend: int) -> float:
    """Price of ``trend`` (1 last, 2 fair, 3 index) for ``symbol``."""
    m = engine.markets[symbol]
    return {1: m.last_price, 2: m.fair_price, 3: m.index_price}[trend]


# ---------------------------------------------------------------------- plans
def place_plan(engine: Engine, acct: Account, body: dict[str, Any], now: int) -> PlanOrder:
    """``planorder/place`` (§5.6): validate and store an untriggered plan."""
    c = engine.contract(body.get("symbol"))
    if not c.api_allowed:
        raise fail(1002)
    trend = int_field(body, "trend", 3001, default=1)
    if trend not in (1, 2, 3):
        raise fail(3001)
    trigger_type = int_field(body, "triggerType", 3002)
    if trigger_type not in (1, 2):
        raise fail(3002)
    cycle = int_field(body, "executeCycle", 3003, default=1)
    if cycle not in CYCLE_HOURS:
        raise fail(3003)
    trigger = float_field(body, "triggerPrice")
    if trigger <= 0 or not c.is_tick_multiple(trigger):
        raise fail(3004)
    side = int_field(body, "side", 2001)
    order_type = int_field(body, "orderType", 2029, default=MARKET)
    if side not in (1, 2, 3, 4):
        raise fail(2001)
    if order_type not in (1, 2, 3, 4, 5):
        raise fail(2029)
    vol = int_field(body, "vol", 2011)
    if not c.min_vol <= vol <= c.max_vol:
        raise fail(2011)
    price = plan_price(c, body, order_type)
    plan = PlanOrder(
        plan_id=next(engine.ids.plan),
        account=acct.api_key,
        contract=c,
        side=side,
        vol=vol,
        leverage=int_field(body, "leverage", 2006, default=acct.leverage_for(c, LONG)[0]),
        open_type=int_field(body, "openType", 2002, default=1),
        trigger_price=trigger,
        trigger_type=trigger_type,
        execute_cycle_h=CYCLE_HOURS[cycle],
        trend=trend,
        order_type=order_type,
        price=price,
        create_time=now,
        position_mode=acct.position_mode,
        reduce_only=bool(body.get("reduceOnly")),
        price_protect=int_field(body, "priceProtect", default=0),
        stop_loss_price=opt_float(body, "stopLossPrice"),
        take_profit_price=opt_float(body, "takeProfitPrice"),
    )
    acct.plans[plan.plan_id] = plan
    engine.push(acct, "personal.plan.order", c.symbol, plan.row())
    return plan


def plan_price(c: Contract, body: dict[str, Any], order_type: int) -> float:
    """The limit price of a plan: 0 for a market plan without one, else a positive finite price
    on the tick grid (2007 / 2015, the codes of ``order/create``), checked when the plan is
    placed so that a plan can never trigger into an order the venue cannot hold (D6)."""
    price = opt_float(body, "price")
    if price == 0 and order_type == MARKET:
        return 0.0
    if price <= 0:
        raise fail(2007)
    if not c.is_tick_multiple(price):
        raise fail(2015)
    return price


def _plan_done(engine: Engine, acct: Account, plan: PlanOrder, state: int, now: int) -> None:
    plan.state = state
    plan.update_time = now
    engine.push(acct, "personal.plan.order", plan.contract.symbol, plan.row())


def cancel_plan(engine: Engine, acct: Account, plan_id: int, now: int) -> bool:
    """Cancel an untriggered plan; False when unknown or final."""
    plan = acct.plans.get(plan_id)
    if plan is None or plan.state != UNTRIGGERED:
        return False
    _plan_done(engine, acct, plan, PLAN_CANCELLED, now)
    return True


def check_plans(engine: Engine, acct: Account, now: int) -> None:
    """Trigger or expire the account's untriggered plans."""
    for plan in list(acct.plans.values()):
        if plan.state != UNTRIGGERED:
            continue
        if now >= plan.create_time + plan.execute_cycle_h * 3_600_000:
            _plan_done(engine, acct, plan, PLAN_INVALID, now)
            continue
        p = trend_price(engine, plan.contract.symbol, plan.trend)
        hit = p >= plan.trigger_price if plan.trigger_type == 1 else p <= plan.trigger_price
        if not hit:
            continue
        body: dict[str, Any] = {
            "symbol": plan.contract.symbol,
            "price": plan.price or None,
            "vol": plan.vol,
            "leverage": plan.leverage,
            "side": plan.side,
            "type": plan.order_type,
            "openType": plan.open_type,
            "reduceOnly": plan.reduce_only,
            "stopLossPrice": plan.stop_loss_price or None,
            "takeProfitPrice": plan.take_profit_price or None,
        }
        try:
            order = engine.place(acct, body, now, external_oid=plan_oid(engine, plan))
        except VenueError as exc:
            plan.error_code = exc.code
            _plan_done(engine, acct, plan, EXEC_FAILED, now)
            continue
        except Exception:  # a venue bug: this plan fails, the tick and every other plan go on (D6)
            log.exception("emulator: plan %d failed to execute", plan.plan_id)
            plan.error_code = INTERNAL_ERROR
            _plan_done(engine, acct, plan, EXEC_FAILED, now)
            continue
        plan.order_id = order.order_id
        _plan_done(engine, acct, plan, EXECUTED, now)


# ---------------------------------------------------------------------- stops
def place_stop(engine: Engine, acct: Account, body: dict[str, Any], now: int) -> StopOrder:
    """``stoporder/place`` (§5.7) on an open position."""
    pos = acct.positions.get(int_field(body, "positionId", 2009))
    if pos is None or pos.hold_vol == 0:
        raise fail(2009)
    sl = opt_float(body, "stopLossPrice")
    tp = opt_float(body, "takeProfitPrice")
    if sl <= 0 and tp <= 0:
        raise fail(5001)
    vol = int_field(body, "vol", 2011, default=pos.hold_vol)
    if vol <= 0 or vol > pos.hold_vol:
        raise fail(5004)
    loss_trend = int_field(body, "lossTrend", 3001, default=1)
    profit_trend = int_field(body, "profitTrend", 3001, default=1)
    if loss_trend not in (1, 2, 3) or profit_trend not in (1, 2, 3):
        raise fail(3001)
    mark = trend_price(engine, pos.symbol, 1)
    long_ = pos.position_type == LONG
    if (tp and (tp <= mark if long_ else tp >= mark)) or (
        sl and (sl >= mark if long_ else sl <= mark)
    ):
        raise fail(5003)
    for s in acct.stops.values():
        if (
            s.position_id == pos.position_id
            and not s.finished
            and s.stop_loss_price == sl
            and s.take_profit_price == tp
        ):
            return s
    stop = engine.open_stop(
        acct,
        pos,
        vol,
        (sl, tp),
        (loss_trend, profit_trend),
        now,
        price_protect=int_field(body, "priceProtect", default=0),
        vol_type=int_field(body, "volType", 600, default=1),
    )
    engine.push(acct, "personal.stop.planorder", pos.symbol, stop.row())
    return stop


def check_stops(engine: Engine, acct: Account, now: int) -> None:
    """Trigger the account's live stops whose TP or SL level was crossed."""
    for stop in list(acct.stops.values()):
        if stop.finished:
            continue
        pos = acct.positions.get(stop.position_id)
        if pos is None or pos.hold_vol == 0:
            engine.finish_stop(acct, stop, PLAN_INVALID, now)
            continue
        sym = pos.symbol
        long_ = pos.position_type == LONG
        tp_p = trend_price(engine, sym, stop.profit_trend)
        sl_p = trend_price(engine, sym, stop.loss_trend)
        side = 0
        if stop.take_profit_price and (
            tp_p >= stop.take_profit_price if long_ else tp_p <= stop.take_profit_price
        ):
            side = 1
        elif stop.stop_loss_price and (
            sl_p <= stop.stop_loss_price if long_ else sl_p >= stop.stop_loss_price
        ):
            side = 2
        if not side:
            continue
        vol = min(stop.vol, pos.hold_vol - pos.frozen_vol)
        stop.trigger_side = side
        if vol <= 0:
            stop.error_code = 2008
            engine.finish_stop(acct, stop, EXEC_FAILED, now)
            continue
        body = {
            "symbol": sym,
            "vol": vol,
            "side": 4 if long_ else 2,
            "type": MARKET,
            "openType": pos.open_type,
            "positionId": pos.position_id,
        }
        try:
            order = engine.place(acct, body, now)
        except VenueError as exc:
            stop.error_code = exc.code
            engine.finish_stop(acct, stop, EXEC_FAILED, now)
            continue
        except Exception:  # a venue bug: this stop fails, the tick goes on (D6)
            log.exception("emulator: stop %d failed to execute", stop.stop_id)
            stop.error_code = INTERNAL_ERROR
            engine.finish_stop(acct, stop, EXEC_FAILED, now)
            continue
        stop.place_order_id = order.order_id
        stop.reality_vol = order.deal_vol
        engine.finish_stop(acct, stop, EXECUTED, now)


# ------------------------------------------------------------ funding, liquidation
def settle_funding(engine: Engine, symbol: str, now: int) -> None:
    """Apply the current funding rate to every open position of ``symbol``."""
    m = engine.markets[symbol]
    rate = m.funding_rate
    for acct in engine.accounts.values():
        touched = False
        for pos in list(acct.positions.values()):
            if pos.symbol != symbol or not pos.hold_vol:
                continue
            value = notional(m.fair_price, pos.hold_vol, pos.contract.contract_size)
            funding = booked(value * dec(rate) * (-1 if pos.position_type == LONG else 1))
            pos.hold_fee += funding
            acct.book_cash(pos.contract.quote, funding)
            acct.funding_records.append(
                {
                    "id": (acct.funding_records[-1]["id"] + 1) if acct.funding_records else 1,
                    "symbol": symbol,
                    "positionType": pos.position_type,
                    "positionValue": num(value),
                    "funding": num(funding),
                    "rate": rate,
                    "settleTime": now,
                    "positionId": pos.position_id,
                }
            )
            pos.touch(now)
            engine.push_position(pos)
            touched = True
        if touched:
            engine.push_asset(acct, engine.contracts[symbol].quote)


__all__ = [
    "SHORT",
    "cancel_plan",
    "check_plans",
    "check_stops",
    "place_plan",
    "place_stop",
    "settle_funding",
]
