"""The venue core cannot be knocked over (issue #14, reliability-audit D2, D6, D10, D11).

Each test here failed on the code before the fix (see CHANGELOG / the #14 report).
"""

from __future__ import annotations

from typing import Any

import pytest

from mexc_futures.emulator.venue.codes import VenueError
from mexc_futures.emulator.venue.venue import Venue
from tests.unit.emulator._emulator import ORDER, START, call, create, get, quiet_venue, top

PLAN = "/api/v1/private/planorder/place"


def _plan(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "symbol": "BTC_USDT", "price": "84000", "vol": 1, "side": 1, "openType": 1,
        "leverage": 10, "triggerPrice": 1, "triggerType": 1, "executeCycle": 1, "orderType": 1,
        "trend": 1,
    }
    body.update(over)
    return body


def _code(v: Venue, method: str, template: str, body: Any, **kw: Any) -> int:
    with pytest.raises(VenueError) as info:
        call(v, method, template, body, **kw)
    return info.value.code


@pytest.mark.parametrize("price", ["Infinity", "NaN", "-Infinity", "1e400", 1e308 * 10, 1e308])
def test_plan_with_non_finite_price_is_refused_at_the_edge(price: Any) -> None:
    """D6: ``"price":"Infinity"`` used to be stored and poison every later tick."""
    v = quiet_venue()
    assert _code(v, "POST", PLAN, _plan(price=price)) in (600, 2007, 2015)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vol", "NaN"), ("vol", "Infinity"), ("side", "NaN"), ("side", "-inf"),
        ("type", "Infinity"), ("openType", 1e400), ("leverage", "NaN"), ("price", "NaN"),
        ("price", "Infinity"), ("symbol", 123), ("symbol", ["BTC_USDT"]), ("vol", [1]),
        ("vol", {"a": 1}), ("vol", 10**400), ("stopLossPrice", "NaN"),
        ("takeProfitPrice", "Infinity"), ("positionMode", "NaN"), ("price", 1e308),
        ("price", "1e308"),
    ],
)
def test_bad_order_fields_get_a_venue_code(field: str, value: Any) -> None:
    """D11: these raised OverflowError / ValueError / AttributeError (HTTP 500)."""
    v = quiet_venue()
    body = {"symbol": "BTC_USDT", "price": 84000, "vol": 1, "side": 1, "type": 1,
            "openType": 1, "leverage": 10, field: value}
    assert _code(v, "POST", f"{ORDER}/create", body) > 0


def test_bad_items_in_list_bodies_get_a_venue_code() -> None:
    """D11: non-object items in batch bodies raised AttributeError."""
    v = quiet_venue()
    assert _code(v, "POST", "/api/v1/private/planorder/cancel", [1, 2]) == 600
    assert _code(v, "POST", f"{ORDER}/batch_query_with_external", ["x"]) == 600
    assert _code(v, "GET", f"{ORDER}/get/{{order_id}}", None, path={"order_id": "1e400"}) == 600


def test_a_plan_that_fails_unexpectedly_does_not_stop_the_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D6: one plan raising inside ``check_plans`` aborted ``advance`` for every symbol."""
    v = quiet_venue(flow_rate=5.0)
    call(v, "POST", PLAN, _plan(triggerPrice=1, price=0, orderType=5), account="bob")

    def boom(*_a: Any, **_k: Any) -> Any:
        raise ValueError("venue bug")

    monkeypatch.setattr(v.engine, "place", boom)
    pubs = v.advance(START + 5_000)
    assert any(p.topic.startswith("depth") for p in pubs)
    plans = call(v, "GET", "/api/v1/private/planorder/list/orders", account="bob")
    assert plans[0]["state"] == 5  # execution failed, never retried
    v.advance(START + 10_000)  # and the next tick runs as well


def test_a_failing_symbol_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """D6 generalised: a failure in one symbol's step is isolated and logged."""
    v = quiet_venue(flow_rate=5.0)
    v.advance(START + 1)
    market = v.engine.markets["BTC_USDT"]

    def boom(*_a: Any, **_k: Any) -> None:
        raise OverflowError("venue bug")

    monkeypatch.setattr(market, "step", boom)
    pubs = v.advance(START + 5_000)
    assert {p.symbol for p in pubs if p.topic == "ticker"} >= {"ETH_USDT", "SOL_USDT"}
    assert v.tick_failures >= 1


def test_refused_amend_leaves_the_original_order_untouched() -> None:
    """D2 (emulator half): an amend refused for an off-grid price used to cancel the original."""
    v = quiet_venue()
    bid, _ = top(v)
    oid = create(v, price=round(bid * 0.99, 1), vol=1)
    code = _code(v, "POST", f"{ORDER}/change_limit_order",
                 {"orderId": oid, "price": round(bid * 0.99, 1) + 0.03, "vol": 1})
    assert code == 2015
    assert get(v, oid)["state"] == 2
    assert [o["orderId"] for o in call(v, "GET", f"{ORDER}/list/open_orders")] == [oid]


def test_accepted_amend_may_use_the_margin_the_original_held() -> None:
    """The dry run releases the original's margin: an amend of a max-size order passes."""
    v = quiet_venue(balance=100.0)
    bid, _ = top(v)
    price = round(bid * 0.99, 1)
    # BTC contract 0.0001: one contract ~8.3 USDT notional; 20x leverage → ~0.42 margin each
    oid = create(v, price=price, vol=200)
    new = call(v, "POST", f"{ORDER}/change_limit_order",
               {"orderId": oid, "price": price - 1, "vol": 200})
    assert get(v, oid)["state"] == 4
    assert get(v, str(new))["state"] == 2


def test_ping_answers_the_signature_clock() -> None:
    """D10: ping answered venue time while signatures were checked against the server clock."""
    v = quiet_venue()
    v.advance(START + 20_000)
    got = v.handle("GET", "/api/v1/contract/ping", {}, {}, None, None,
                   now_ms=START + 20_000, server_ms=START + 8_000)
    assert got == START + 8_000


def test_triggered_plan_order_gets_a_planorder_id() -> None:
    """Fidelity row 14: plan-triggered orders are ``planorder_<planId>_<n>``, not ``_m_…``."""
    v = quiet_venue()
    plan_id = call(v, "POST", PLAN, _plan(triggerPrice=1, price=0, orderType=5), account="bob")
    v.advance(START + 2_000)
    plans = call(v, "GET", "/api/v1/private/planorder/list/orders", account="bob")
    assert plans[0]["state"] == 3
    order = get(v, str(plans[0]["orderId"]), account="bob")
    assert order["externalOid"].startswith(f"planorder_{plan_id}_")
