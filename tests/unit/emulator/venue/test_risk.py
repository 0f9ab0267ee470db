"""Risk-limit ladder (§4.1) and liquidation (margin.py, liquidation.py) of the emulator core."""

from __future__ import annotations

from typing import Any

import pytest

from mexc_futures.emulator.venue.venue import Publication, Venue
from tests.unit.emulator._emulator import ORDER, call, create, private, quiet_venue, top
from tests.unit.emulator._emulator import error_code as _code
from tests.unit.emulator._emulator import positions as _positions

POS = "/api/v1/private/position"
CS = 0.0001  # BTC_USDT contractSize
BIG = 10_000_000


def _open(v: Venue, vol: int, side: int = 1, symbol: str = "BTC_USDT", **body: Any) -> float:
    """bob rests inside the spread, alice takes all of it with a market order."""
    bid, ask = top(v, symbol)
    unit = v.contract(symbol).price_unit
    c = v.contract(symbol)
    price = c.price(c.ticks(bid + unit)) if side == 1 else c.price(c.ticks(ask - unit))
    create(v, "bob", symbol=symbol, side=3 if side == 1 else 1, price=price, vol=vol)
    create(v, "alice", symbol=symbol, side=side, type=5, vol=vol, **body)
    return price


def _move_mark(v: Venue, symbol: str, factor: float) -> None:
    """Shift a quiet market's mid and last price by ``factor`` and refresh on the next second."""
    m = v.engine.markets[symbol]
    m.mid *= factor
    m.last_price = v.contract(symbol).price(round(m.mid))


def _advance_s(v: Venue, seconds: int = 1) -> list[Publication]:
    return v.advance(v.now_ms + seconds * 1000)


def test_contract_detail_publishes_the_ladder() -> None:
    v = quiet_venue()
    d = call(v, "GET", "/api/v1/contract/detail", query={"symbol": "BTC_USDT"}, account=None)
    assert (d["riskBaseVol"], d["riskIncrVol"], d["riskLevelLimit"]) == (200_000, 200_000, 5)
    tiers = v.contract("BTC_USDT").risk_tiers()
    assert [t.max_vol for t in tiers] == [200_000, 400_000, 600_000, 800_000, 1_000_000]
    assert tiers[1].mmr == pytest.approx(d["maintenanceMarginRate"] + d["riskIncrMmr"])
    assert tiers[1].imr == pytest.approx(d["initialMarginRate"] + d["riskIncrImr"])
    assert [t.max_leverage for t in tiers] == [500, 250, 166, 125, 100]


def test_risk_tier_follows_position_and_2031_when_exceeded() -> None:
    v = quiet_venue()
    for who in ("alice", "bob"):
        v.set_balance(who, "USDT", BIG)
    rows = call(v, "GET", "/api/v1/private/account/risk_limit", query={"symbol": "BTC_USDT"})
    assert {r["level"] for r in rows["BTC_USDT"]} == {1}
    _open(v, 250_000)
    long_row = next(
        r
        for r in call(v, "GET", "/api/v1/private/account/risk_limit")["BTC_USDT"]
        if r["positionType"] == 1
    )
    assert (long_row["level"], long_row["maxVol"], long_row["maxLeverage"]) == (2, 400_000, 250)
    assert long_row["mmr"] == long_row["currentMmr"] == pytest.approx(0.002)
    pos = _positions(v)[0]
    q = 250_000 * CS
    p, im = pos["holdAvgPrice"], pos["im"]
    assert pos["liquidatePrice"] == pytest.approx((p * q - im) / (q * (1 - 0.002)), abs=0.1)
    bid, _ = top(v)
    low = round(bid - 500, 1)
    # leverage above the needed level's maxLeverage (level 1 allows 500, level 2 only 250)
    assert (
        _code(lambda: create(v, side=3, price=round(bid + 500, 1), vol=250_000, leverage=300))
        == 2031
    )
    # resting opening orders count towards the side's projected volume: top level is 1 000 000
    for _ in range(3):
        create(v, side=1, price=low, vol=250_000)
    assert _code(lambda: create(v, side=1, price=low, vol=1)) == 2031
    assert _code(lambda: create(v, side=1, price=low, vol=1, type=5)) == 2031


def _liquidation_pushes(pubs: list[Publication]) -> list[str]:
    return [p.topic for p in private(pubs)]


def test_isolated_position_liquidated_by_takeover_order() -> None:
    v = quiet_venue()
    p_open = _open(v, 100)
    pos = _positions(v)[0]
    liq = pos["liquidatePrice"]
    bid, _ = top(v)
    close_id = create(v, side=4, type=1, price=round(bid * 1.2, 1), vol=40)
    v.drain()
    _move_mark(v, "BTC_USDT", 0.93)
    assert _positions(v)[0]["holdVol"] == 100  # nothing happens before the next refresh
    pubs = _advance_s(v)
    assert _positions(v) == []
    mine = private(pubs)
    cancelled = next(
        p.data for p in mine if p.topic == "personal.order" and p.data["orderId"] == close_id
    )
    assert (cancelled["state"], cancelled["errorCode"]) == (4, 13)
    takeover = next(p.data for p in mine if p.topic == "personal.order" and p.data["category"] == 2)
    assert (takeover["state"], takeover["side"], takeover["dealVol"]) == (3, 4, 100)
    deal = next(p.data for p in mine if p.topic == "personal.order.deal")
    assert (deal["category"], deal["price"], deal["vol"]) == (2, liq, 100)
    assert deal["profit"] == pytest.approx((liq - p_open) * 100 * CS, abs=1e-8)
    assert deal["fee"] == pytest.approx(liq * 100 * CS * 0.0004, abs=1e-8)
    topics = [p.topic for p in mine if p.data.get("orderId") != close_id]
    tail = topics[topics.index("personal.order") :]
    assert tail[:4] == [
        "personal.order",
        "personal.order.deal",
        "personal.position",
        "personal.asset",
    ]
    closed = next(p.data for p in mine if p.topic == "personal.position")
    assert (closed["state"], closed["holdVol"]) == (3, 0)
    hist = call(v, "GET", f"{ORDER}/list/history_orders", query={"symbol": "BTC_USDT"})
    assert any(o["category"] == 2 and o["orderId"] == takeover["orderId"] for o in hist)


def test_cross_liquidation_price_follows_other_marks_and_liquidates() -> None:
    v = quiet_venue()
    _open(v, 1000, openType=2)
    _open(v, 100, symbol="ETH_USDT", openType=2)
    cash = v.engine.accounts["alice"].wallet("USDT")
    v.set_balance("alice", "USDT", float(cash) - 9_000)  # thin cross backing
    _advance_s(v)
    btc = next(p for p in _positions(v) if p["symbol"] == "BTC_USDT")
    liq_before = btc["liquidatePrice"]
    _move_mark(v, "ETH_USDT", 0.98)  # an ETH loss eats into BTC's cross backing
    pubs = _advance_s(v)
    btc_after = next(p for p in _positions(v) if p["symbol"] == "BTC_USDT")
    assert btc_after["liquidatePrice"] > liq_before
    pushed = [
        p.data["liquidatePrice"]
        for p in private(pubs)
        if p.topic == "personal.position" and p.symbol == "BTC_USDT"
    ]
    assert pushed == [btc_after["liquidatePrice"]]
    fair = v.engine.markets["BTC_USDT"].fair_price
    _move_mark(v, "BTC_USDT", (btc_after["liquidatePrice"] * 0.995) / fair)
    pubs = _advance_s(v)
    assert [p["symbol"] for p in _positions(v)] == ["ETH_USDT"]
    takeover = next(
        p.data for p in private(pubs) if p.topic == "personal.order" and p.data["category"] == 2
    )
    assert (takeover["symbol"], takeover["openType"], takeover["state"]) == ("BTC_USDT", 2, 3)
