"""Accounts, positions and checks of the emulator core (accounts.py, engine.py, handlers)."""

from __future__ import annotations

from typing import Any

import pytest

from mexc_futures.emulator.venue.codes import NO_DATA
from tests.unit.emulator._emulator import ORDER, call, create, get, quiet_venue, top
from tests.unit.emulator._emulator import error_code as _code
from tests.unit.emulator._emulator import positions as _positions

POS = "/api/v1/private/position"
CS = 0.0001  # BTC_USDT contractSize
TAKER, MAKER, MMR = 0.0004, 0.0001, 0.001


def _usdt(v: Any, account: str = "alice") -> dict[str, Any]:
    return dict(
        call(
            v,
            "GET",
            "/api/v1/private/account/asset/{currency}",
            path={"currency": "USDT"},
            account=account,
        )
    )


def _trade_inside(
    v: Any, taker_side: int, vol: int, taker: str = "alice", maker: str = "bob", **taker_body: Any
) -> float:
    """bob rests inside the spread, alice takes it: returns the trade price."""
    bid, ask = top(v)
    if taker_side in (1, 2):  # taker buys: maker sells just above the bid
        price = round(bid + 0.1, 1)
        create(v, maker, side=3, price=price, vol=vol)
    else:
        price = round(ask - 0.1, 1)
        create(v, maker, side=1, price=price, vol=vol)
    create(v, taker, side=taker_side, type=5, vol=vol, **taker_body)
    return price


def test_fees_average_price_and_realised_pnl() -> None:
    v = quiet_venue()
    p_open = _trade_inside(v, 1, 10)
    pos = _positions(v)[0]
    assert pos["holdVol"] == 10
    assert pos["holdAvgPrice"] == p_open
    assert pos["positionType"] == 1
    fee_open = p_open * 10 * CS * TAKER
    assert pos["im"] == pytest.approx(p_open * 10 * CS / 20, rel=1e-9)
    assert pos["realised"] == pytest.approx(-fee_open, abs=1e-8)
    bob = _positions(v, "bob")[0]
    assert bob["positionType"] == 2
    assert bob["realised"] == pytest.approx(-p_open * 10 * CS * MAKER, abs=1e-8)
    p_close = _trade_inside(v, 4, 10)
    fee_close = p_close * 10 * CS * TAKER
    pnl = (p_close - p_open) * 10 * CS
    assert _positions(v) == []
    hist = call(v, "GET", f"{POS}/list/history_positions")[0]
    assert hist["state"] == 3
    assert hist["closeAvgPrice"] == p_close
    assert hist["realised"] == pytest.approx(pnl - fee_open - fee_close, abs=1e-8)
    asset = _usdt(v)
    assert asset["availableBalance"] == pytest.approx(10_000 + pnl - fee_open - fee_close, abs=1e-8)
    assert asset["positionMargin"] == 0
    assert asset["frozenBalance"] == 0


def test_liquidation_price_formula_isolated_and_cross() -> None:
    v = quiet_venue()
    p = _trade_inside(v, 1, 100)
    pos = _positions(v)[0]
    q = 100 * CS
    im = p * q / 20
    expected = (p * q - im) / (q * (1 - MMR))
    assert pos["liquidatePrice"] == pytest.approx(expected, abs=0.1)
    p_short = _trade_inside(v, 3, 100, leverage=10)
    short = next(x for x in _positions(v) if x["positionType"] == 2)
    im_s = p_short * q / 10
    assert short["liquidatePrice"] == pytest.approx((p_short * q + im_s) / (q * (1 + MMR)), abs=0.1)
    v2 = quiet_venue()
    _trade_inside(v2, 1, 100, openType=2)
    cross = _positions(v2)[0]
    assert cross["openType"] == 2
    assert cross["liquidatePrice"] < pos["liquidatePrice"]


def test_frozen_margin_for_open_orders() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    price = round(bid - 100, 1)
    create(v, price=price, vol=50, leverage=10)
    asset = _usdt(v)
    assert asset["frozenBalance"] == pytest.approx(price * 50 * CS / 10, rel=1e-9)
    assert asset["availableBalance"] == pytest.approx(10_000 - asset["frozenBalance"], rel=1e-9)


def test_hedge_mode_holds_both_sides() -> None:
    v = quiet_venue()
    _trade_inside(v, 1, 5)
    _trade_inside(v, 3, 7)
    sides = sorted((p["positionType"], p["holdVol"]) for p in _positions(v))
    assert sides == [(1, 5), (2, 7)]


def test_one_way_mode_nets_and_flips() -> None:
    v = quiet_venue()
    assert call(v, "GET", f"{POS}/position_mode") == 1
    assert call(v, "POST", f"{POS}/change_position_mode", {"positionMode": 2}) is NO_DATA
    _trade_inside(v, 1, 10)
    _trade_inside(v, 3, 15)
    [pos] = _positions(v)
    assert (pos["positionType"], pos["holdVol"]) == (2, 5)
    assert _code(lambda: create(v, side=1, type=5, vol=1, positionMode=1)) == 7002
    assert get(v, create(v, side=1, type=5, vol=5, reduceOnly=True))["side"] == 2
    assert _positions(v) == []


def test_change_position_mode_refused_when_busy() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    create(v, price=round(bid - 50, 1), vol=1)
    assert (
        _code(lambda: call(v, "POST", f"{POS}/change_position_mode", {"positionMode": 2})) == 2019
    )


def test_order_validation_codes() -> None:
    v = quiet_venue(api_disallowed=("ETH_USDT",))
    bid, _ = top(v)
    px = round(bid - 5, 1)
    assert _code(lambda: create(v, symbol="NOPE_USDT", price=px, vol=1)) == 1001
    assert _code(lambda: create(v, symbol="ETH_USDT", price=2000, vol=1)) == 1002
    v.set_api_allowed("SOL_USDT", False)
    assert _code(lambda: create(v, symbol="sol_usdt", price=150, vol=1)) == 1002
    v.set_api_allowed("SOL_USDT", True)
    assert _code(lambda: create(v, price=px, vol=10_000_000)) == 2011
    assert _code(lambda: create(v, price=px, vol=0)) == 2011
    assert _code(lambda: create(v, price=px, vol=1.5)) == 2015
    assert _code(lambda: create(v, price=px + 0.05, vol=1)) == 2015
    assert _code(lambda: create(v, price=px, vol="abc")) == 600
    assert _code(lambda: create(v, price=px, vol=1, side=9)) == 2001
    assert _code(lambda: create(v, price=px, vol=1, type=9)) == 2029
    assert _code(lambda: create(v, price=px, vol=1, leverage=501)) == 2006
    assert _code(lambda: create(v, price=px, vol=1, externalOid="x" * 33)) == 2030
    assert _code(lambda: create(v, price=px, vol=300_000, leverage=1)) == 2005
    assert _code(lambda: create(v, side=4, type=5, vol=1)) == 2009
    assert _code(lambda: create(v, price=round(bid * 1.5, 1), vol=1)) == 2003
    _trade_inside(v, 1, 2)
    assert _code(lambda: create(v, type=5, vol=1, leverage=50)) == 2021
    assert _code(lambda: create(v, side=4, type=5, vol=3)) == 2008


def test_limits_on_counts() -> None:
    v = quiet_venue()
    v.contract("BTC_USDT").max_num_orders = (2, 2)
    bid, _ = top(v)
    create(v, price=round(bid - 5, 1), vol=1)
    create(v, price=round(bid - 6, 1), vol=1)
    assert _code(lambda: create(v, price=round(bid - 7, 1), vol=1)) == 2036
    assert _code(lambda: call(v, "POST", f"{ORDER}/submit_batch", [{}] * 51)) == 2014
    ids = ",".join(str(i) for i in range(51))
    assert _code(lambda: call(v, "GET", f"{ORDER}/batch_query", query={"order_ids": ids})) == 2034


def test_submit_returns_bare_id() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    oid = call(
        v,
        "POST",
        f"{ORDER}/submit",
        {
            "symbol": "BTC_USDT",
            "price": round(bid - 5, 1),
            "vol": 1,
            "side": 1,
            "type": 1,
            "openType": 1,
            "leverage": 5,
        },
    )
    assert isinstance(oid, int)
    assert get(v, str(oid))["leverage"] == 5


def test_change_leverage_and_margin() -> None:
    v = quiet_venue()
    _trade_inside(v, 1, 100)
    pos = _positions(v)[0]
    pid = pos["positionId"]
    call(v, "POST", f"{POS}/change_leverage", {"positionId": pid, "leverage": 10})
    after = _positions(v)[0]
    assert after["leverage"] == 10
    assert after["im"] == pytest.approx(pos["im"] * 2, rel=1e-9)
    assert after["liquidatePrice"] < pos["liquidatePrice"]
    call(v, "POST", f"{POS}/change_margin", {"positionId": pid, "amount": 50, "type": "ADD"})
    added = _positions(v)[0]
    assert added["im"] == pytest.approx(after["im"] + 50, rel=1e-9)
    assert added["liquidatePrice"] < after["liquidatePrice"]
    assert (
        _code(
            lambda: call(
                v,
                "POST",
                f"{POS}/change_margin",
                {"positionId": pid, "amount": 10_000, "type": "SUB"},
            )
        )
        == 2018  # fidelity row 19: "exceeds the maximum reducible margin" (CN v1), not 2005
    )
    assert (
        _code(lambda: call(v, "POST", f"{POS}/change_leverage", {"positionId": 1, "leverage": 5}))
        == 2009
    )
    call(v, "POST", f"{POS}/change_leverage", {"symbol": "ETH_USDT", "leverage": 7, "openType": 1})
    lev = call(v, "GET", f"{POS}/leverage", query={"symbol": "ETH_USDT"})
    assert {row["leverage"] for row in lev} == {7}


def test_close_all_and_reverse() -> None:
    v = quiet_venue()
    _trade_inside(v, 1, 5)
    pid = _positions(v)[0]["positionId"]
    assert (
        call(v, "POST", f"{POS}/reverse", {"symbol": "BTC_USDT", "positionId": pid, "vol": 5})
        is NO_DATA
    )
    [short] = _positions(v)
    assert (short["positionType"], short["holdVol"]) == (2, 5)
    assert call(v, "POST", f"{POS}/close_all", None) == []
    assert _positions(v) == []


def test_funding_records_after_settlement() -> None:
    v = quiet_venue()
    _trade_inside(v, 1, 100)
    m = v.engine.markets["BTC_USDT"]
    settle = m.next_settle_ms
    before = _usdt(v)["availableBalance"]
    v.advance(settle + 10)
    page = call(v, "GET", f"{POS}/funding_records", query={"symbol": "BTC_USDT"})
    [rec] = page["resultList"]
    assert rec["rate"] == m.funding_history[0]["fundingRate"]
    expected = -rec["positionValue"] * rec["rate"]
    assert rec["funding"] == pytest.approx(expected, abs=1e-8)
    assert _positions(v)[0]["holdFee"] == pytest.approx(expected, abs=1e-8)
    assert _usdt(v)["availableBalance"] == pytest.approx(before + expected, abs=1e-6)
