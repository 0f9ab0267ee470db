"""Conflicting evidence, both readings (issue #14; fidelity audit rows 1, 2, 11, 12, 20):
the default is the most likely reading, ``VenueConfig(rules=VenueRules(...))`` the other."""

from __future__ import annotations

from typing import Any

import pytest

from mexc_futures.emulator.venue.accounts import ONE_WAY
from mexc_futures.emulator.venue.rules import VenueRules
from tests.unit.emulator._emulator import (
    ORDER,
    call,
    create,
    get,
    quiet_venue,
    top,
)
from tests.unit.emulator._emulator import error_code as _code


def _rules(**kw: Any) -> Any:
    return quiet_venue(rules=VenueRules(**kw))


def test_row1_position_mode_default() -> None:
    body = {"symbol": "BTC_USDT", "type": 5, "openType": 1, "leverage": 20, "side": 1, "vol": 1}
    as_v1 = quiet_venue(position_mode=ONE_WAY)
    assert call(as_v1, "POST", f"{ORDER}/create", body)["orderId"]
    as_v2 = quiet_venue(position_mode=ONE_WAY, rules=VenueRules(position_mode_default="hedge"))
    assert _code(lambda: call(as_v2, "POST", f"{ORDER}/create", body)) == 7002


def test_row2_cancel_all_symbol_key() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    create(v, price=round(bid * 0.9, 1), vol=1)
    call(v, "POST", f"{ORDER}/cancel_all", {})
    strict = _rules(cancel_all_requires_symbol=True)
    oid = create(strict, price=round(bid * 0.9, 1), vol=1)
    assert _code(lambda: call(strict, "POST", f"{ORDER}/cancel_all", {})) == 600
    assert get(strict, oid)["state"] == 2
    call(strict, "POST", f"{ORDER}/cancel_all", {"symbol": ""})  # "" = every contract
    assert get(strict, oid)["state"] == 4


@pytest.mark.parametrize("mode", ["in_place", "replace"])
def test_row11_chase(mode: str) -> None:
    v = _rules(chase=mode)
    bid, _ = top(v)
    oid = create(v, price=round(bid * 0.99, 1), vol=1, externalOid="chase-me")
    call(v, "POST", f"{ORDER}/chase_limit_order", {"orderId": oid})
    open_orders = call(v, "GET", f"{ORDER}/list/open_orders")
    assert len(open_orders) == 1
    assert open_orders[0]["price"] == bid
    if mode == "in_place":
        assert (open_orders[0]["orderId"], open_orders[0]["externalOid"]) == (oid, "chase-me")
    else:
        assert open_orders[0]["orderId"] != oid
        assert get(v, oid)["state"] == 4


def test_row12_duplicate_external_oid() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    first = create(v, price=round(bid * 0.9, 1), vol=1, externalOid="dup")
    with pytest.raises(Exception) as info:
        create(v, price=round(bid * 0.9, 1), vol=1, externalOid="dup")
    assert getattr(info.value, "code", None) == 603
    lenient = _rules(duplicate_external_oid="invalidate")
    first = create(lenient, price=round(bid * 0.9, 1), vol=1, externalOid="dup")
    second = create(lenient, price=round(bid * 0.9, 1), vol=1, externalOid="dup")
    assert (get(lenient, second)["state"], get(lenient, second)["errorCode"]) == (4, 22)
    found = call(lenient, "GET", f"{ORDER}/external/{{symbol}}/{{external_oid}}",
                 path={"symbol": "BTC_USDT", "external_oid": "dup"})
    assert found["orderId"] == first  # the id still names the first order


def test_row20_close_overflow() -> None:
    for mode, expect in (("reject", 2008), ("cancel", None)):
        v = _rules(close_overflow=mode)
        create(v, type=5, vol=2)
        close = {"symbol": "BTC_USDT", "type": 5, "openType": 1, "leverage": 20, "side": 4,
                 "vol": 5}
        if expect:
            assert _code(lambda v=v, close=close: call(v, "POST", f"{ORDER}/create", close)) \
                == expect
        else:
            oid = call(v, "POST", f"{ORDER}/create", close)["orderId"]
            row = get(v, oid)
            assert (row["state"], row["errorCode"], row["dealVol"]) == (4, 10, 0)
            pos = call(v, "GET", "/api/v1/private/position/open_positions")[0]
            assert (pos["holdVol"], pos["frozenVol"]) == (2, 0)


@pytest.mark.parametrize("mode", ["in_place", "replace"])
def test_row11_chase_to_the_opposite_best_takes(mode: str) -> None:
    """``chase_side="opposite"`` (spec §5.3's reading): a buy moved to the best ask crosses and
    fills there; a post-only one is cancelled instead of taking."""
    v = _rules(chase=mode, chase_side="opposite")
    bid, ask = top(v)
    oid = create(v, price=round(bid * 0.99, 1), vol=1, externalOid="chase-me")
    call(v, "POST", f"{ORDER}/chase_limit_order", {"orderId": oid})
    assert call(v, "GET", f"{ORDER}/list/open_orders") == []
    filled = [r for r in call(v, "GET", f"{ORDER}/list/history_orders") if r["state"] == 3]
    assert [(r["dealVol"], r["dealAvgPrice"]) for r in filled] == [(1, ask)]
    if mode == "in_place":
        assert filled[0]["orderId"] == oid
    maker = create(v, type=2, price=round(bid * 0.99, 1), vol=1)
    call(v, "POST", f"{ORDER}/chase_limit_order", {"orderId": maker})
    if mode == "in_place":
        assert get(v, maker)["state"] == 4
    assert call(v, "GET", f"{ORDER}/list/open_orders") == []


# fidelity row 10: positionOpenType's meaning, REST detail (default) or the v2 WS push.contract
ROW10 = {  # (reading, positionOpenType) -> openType values an opening order may use
    ("rest", 1): {1}, ("rest", 2): {2}, ("rest", 3): {1, 2},
    ("ws", 1): {1, 2}, ("ws", 2): {2}, ("ws", 3): {1},
}


@pytest.mark.parametrize(("reading", "value"), sorted(ROW10))
def test_row10_position_open_type_both_readings(reading: str, value: int) -> None:
    v = quiet_venue(rules=VenueRules(position_open_type=reading),  # type: ignore[arg-type]
                    position_open_types={"BTC_USDT": value})
    detail = call(v, "GET", "/api/v1/contract/detail", query={"symbol": "BTC_USDT"}, account=None)
    assert detail["positionOpenType"] == value
    bid, _ = top(v)
    for open_type in (1, 2):
        opening = {"price": round(bid * 0.9, 1), "vol": 1, "openType": open_type}
        if open_type in ROW10[(reading, value)]:
            assert get(v, create(v, **opening))["openType"] == open_type
        else:
            assert _code(lambda body=opening: create(v, **body)) == 2002  # "Wrong open type"
    assert call(v, "GET", f"{ORDER}/list/open_orders", query={"symbol": "BTC_USDT"}) != []


def test_row10_closes_are_never_refused() -> None:
    """A close keeps its position's margin mode whatever the contract says now."""
    v = quiet_venue(rules=VenueRules(position_open_type="ws"))
    bid, _ = top(v)
    v.set_position_open_type("BTC_USDT", 1)  # ws: both -> an isolated long opens
    create(v, type=5, vol=2, openType=1)
    v.set_position_open_type("BTC_USDT", 2)  # ws: cross only -> isolated opens refused ...
    assert _code(lambda: create(v, price=round(bid * 0.9, 1), vol=1, openType=1)) == 2002
    assert get(v, create(v, type=5, side=4, vol=2, openType=1))["state"] == 3  # ... closes not


def test_row10_default_reading_and_value() -> None:
    v = quiet_venue()
    assert VenueRules().position_open_type == "rest"
    rows = call(v, "GET", "/api/v1/contract/detail", account=None)
    assert {r["positionOpenType"] for r in rows} == {3}
    with pytest.raises(ValueError, match="NOPE_USDT is not a listed contract"):
        quiet_venue(position_open_types={"NOPE_USDT": 1})


def test_row10_one_way_reduce_is_not_an_open() -> None:
    """One-way mode: a side-1 order against a short only reduces it — not refused; one that
    flips the position opens the rest and is."""
    v = quiet_venue(position_mode=ONE_WAY, rules=VenueRules(position_open_type="ws"))
    v.set_position_open_type("BTC_USDT", 1)  # ws: both
    create(v, type=5, side=3, vol=2, openType=2)  # a cross short
    v.set_position_open_type("BTC_USDT", 3)  # ws: isolated only
    assert get(v, create(v, type=5, side=1, vol=1, openType=2))["state"] == 3  # reduces only
    assert _code(lambda: create(v, type=5, side=1, vol=3, openType=2)) == 2002  # would flip
