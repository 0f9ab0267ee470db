"""Fee and asset-analysis endpoints (spec §5.1 v2; fidelity audit row 13).

Read-only views computed from the account's own fills and funding records, so that a client
built on them sees numbers that add up with ``order_deals`` and ``funding_records``:

* fees: the contract's maker/taker rates (no tiers, no discounts, no fee deduction — the
  emulator's account has none: ``discountType`` both false, ``feeDeductConfigs`` empty, no
  zero-fee contracts);
* analysis: realised PnL (fill ``profit`` − fee + funding) per UTC day, its sum over a window, and
  a profit rate relative to the configured starting balance.

Where the v2 docs give no exact shape (analysis pages, fee details) the rows name their fields
plainly and the client's table decodes them as ``AnyData`` (docs/emulator.md "Choices").
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.engine import Engine
from mexc_futures.emulator.venue.handlers_public import Handler, Req, sliced
from mexc_futures.emulator.venue.money import dec
from mexc_futures.emulator.venue.orders import num

DAY_MS = 86_400_000
ACC = "/api/v1/private/account"


def _acct(r: Req) -> Account:
    if r.account is None:
        raise fail(401, "Unauthorized")
    return r.account


def _fills(e: Engine, r: Req, start: int, end: int) -> list[dict[str, Any]]:
    sym = r.q("symbol")
    symbol = e.contract(sym).symbol if sym else None
    return [
        f for f in _acct(r).fills
        if start <= int(f["timestamp"]) <= end and (symbol is None or f["symbol"] == symbol)
    ]


def _pnl_by_day(acct: Account, start: int, end: int) -> dict[int, Decimal]:
    days: dict[int, Decimal] = defaultdict(Decimal)
    for f in acct.fills:
        t = int(f["timestamp"])
        if start <= t <= end:
            days[t - t % DAY_MS] += dec(f["profit"]) - dec(f["fee"])
    for rec in acct.funding_records:
        t = int(rec["settleTime"])
        if start <= t <= end:
            days[t - t % DAY_MS] += dec(rec["funding"])
    return days


def _window(r: Req, default_days: int = 7) -> tuple[int, int]:
    body = r.body if isinstance(r.body, dict) else {}
    start = body.get("startTime", r.qint("start_time"))
    end = body.get("endTime", r.qint("end_time"))
    end_ms = int(end) if isinstance(end, int | str) and str(end).isdigit() else r.now
    start_ms = (
        int(start) if isinstance(start, int | str) and str(start).isdigit()
        else end_ms - default_days * DAY_MS
    )
    if start_ms > end_ms:
        raise fail(600)
    return start_ms, end_ms


# ---------------------------------------------------------------- fee rates
def tiered_fee_rate_v2(e: Engine, r: Req) -> Any:
    sym = r.q("symbol")
    c = e.contract(sym) if sym else next(iter(e.contracts.values()))
    acct = _acct(r)
    month = r.now - 30 * DAY_MS
    amount = sum(
        (dec(f["price"]) * f["vol"] * dec(c.contract_size) for f in acct.fills
         if int(f["timestamp"]) >= month), Decimal(0)
    )
    return {
        "originalMakerFee": c.maker_fee_rate, "originalTakerFee": c.taker_fee_rate,
        "realMakerFee": c.maker_fee_rate, "realTakerFee": c.taker_fee_rate,
        "joinDiscount": False, "enjoyDiscount": False, "discountRate": 1,
        "joinDeduct": False, "enjoyDeduct": False, "deductRate": 1,
        "dealAmount": num(amount), "walletBalance": num(acct.wallet(c.quote)),
        "feeRateMode": "NORMAL", "tieredFeeRates": [], "leverageFeeRates": [],
    }


def contract_fee_rate(e: Engine, r: Req) -> Any:
    sym = r.q("symbol")
    contracts = [e.contract(sym)] if sym else list(e.contracts.values())
    return [
        {"symbol": c.symbol, "makerFee": c.maker_fee_rate, "takerFee": c.taker_fee_rate}
        for c in contracts
    ]


def zero_fee_rate(e: Engine, r: Req) -> Any:
    _acct(r)
    return {"contracts": []}


def fee_deduct_configs(e: Engine, r: Req) -> Any:
    _acct(r)
    return []


def discount_type(e: Engine, r: Req) -> Any:
    _acct(r)
    return {"useFeeDiscount": False, "useFeeDeduct": False}


def contract_fee_discount_config(e: Engine, r: Req) -> Any:
    _acct(r)
    return []


def order_fee_details(e: Engine, r: Req) -> Any:
    """Fee of each fill in the window (``symbol``?, ``start_time``?, ``end_time``?)."""
    start, end = _window(r)
    rows = [
        {"id": f["id"], "orderId": f["orderId"], "symbol": f["symbol"], "fee": f["fee"],
         "feeCurrency": f["feeCurrency"], "taker": f["taker"], "timestamp": f["timestamp"]}
        for f in reversed(_fills(e, r, start, end))
    ]
    return sliced(rows, r)


def order_deal_fee_total(e: Engine, r: Req) -> Any:
    start, end = _window(r, 30)
    fills = _fills(e, r, start, end)
    total = sum((dec(f["fee"]) for f in fills), Decimal(0))
    return {"total": num(total), "currency": "USDT", "count": len(fills)}


# ----------------------------------------------------------------- analysis
def profit_rate(e: Engine, r: Req) -> Any:
    """``profit_rate/{type}``: 1 = day, 2 = week (other values 600)."""
    kind = r.path.get("type", "")
    if kind not in ("1", "2"):
        raise fail(600)
    acct = _acct(r)
    days = 1 if kind == "1" else 7
    pnl = sum(_pnl_by_day(acct, r.now - days * DAY_MS, r.now).values(), Decimal(0))
    base = acct.wallet("USDT") - pnl
    rate = pnl / base if base > 0 else Decimal(0)
    return {"profitRate": num(rate.quantize(Decimal("0.0001"))), "ranking": 0,
            "statisticTime": r.now}


def _summary(acct: Account, start: int, end: int) -> dict[str, Any]:
    days = _pnl_by_day(acct, start, end)
    fee = sum(
        (dec(f["fee"]) for f in acct.fills if start <= int(f["timestamp"]) <= end), Decimal(0)
    )
    return {"startTime": start, "endTime": end,
            "pnl": num(sum(days.values(), Decimal(0))), "fee": num(fee),
            "days": [{"date": d, "pnl": num(v)} for d, v in sorted(days.items())]}


def asset_analysis(e: Engine, r: Req) -> Any:
    """``asset/analysis/{type}`` (GET) and the v3 POST variants: PnL per UTC day in a window."""
    kind = r.path.get("type")
    if kind is not None and kind not in ("1", "2", "3"):
        raise fail(600)
    start, end = _window(r, {"1": 7, "2": 30, "3": 90}.get(kind or "", 7))
    return _summary(_acct(r), start, end)


def asset_analysis_calendar(e: Engine, r: Req) -> Any:
    start, end = _window(r, 30)
    return _summary(_acct(r), start, end)["days"]


def today_pnl(e: Engine, r: Req) -> Any:
    day = r.now - r.now % DAY_MS
    return {"pnl": _summary(_acct(r), day, r.now)["pnl"], "date": day}


def yesterday_pnl(e: Engine, r: Req) -> Any:
    day = r.now - r.now % DAY_MS - DAY_MS
    return {"pnl": _summary(_acct(r), day, day + DAY_MS - 1)["pnl"], "date": day}


def asset_analysis_export(e: Engine, r: Req) -> Any:
    start, end = _window(r, 30)
    return _summary(_acct(r), start, end)["days"]


A = ACC + "/asset/analysis"
ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", ACC + "/tiered_fee_rate/v2"): tiered_fee_rate_v2,
    ("GET", ACC + "/profit_rate/{type}"): profit_rate,
    ("GET", ACC + "/feeDeductConfigs"): fee_deduct_configs,
    ("GET", ACC + "/discountType"): discount_type,
    ("GET", ACC + "/contract/fee_rate"): contract_fee_rate,
    ("GET", ACC + "/contract/zero_fee_rate"): zero_fee_rate,
    ("GET", A + "/{type}"): asset_analysis,
    ("POST", A + "/v3"): asset_analysis,
    ("POST", A + "/calendar/daily/v3"): asset_analysis_calendar,
    ("POST", A + "/calendar/monthly/v3"): asset_analysis_calendar,
    ("POST", A + "/recent/v3"): asset_analysis,
    ("GET", A + "/today_pnl"): today_pnl,
    ("GET", A + "/yesterday_pnl"): yesterday_pnl,
    ("GET", A + "/export"): asset_analysis_export,
    ("GET", ACC + "/config/contractFeeDiscountConfig"): contract_fee_discount_config,
    ("GET", "/api/v1/private/order/fee_details"): order_fee_details,
    ("GET", ACC + "/asset_book/order_deal_fee/total"): order_deal_fee_total,
}

__all__ = ["ROUTES"]
