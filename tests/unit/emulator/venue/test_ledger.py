"""Exact money, accounts that must exist, the caller's time and ground truth (emulator core)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from mexc_futures.emulator.venue.codes import VenueError
from mexc_futures.emulator.venue.venue import Venue
from tests.unit.emulator._emulator import START, call, create, private, quiet_venue, top

POS = "/api/v1/private/position"


def D(x: Any) -> Decimal:
    """A JSON number as a client with ``Decimal`` parsing sees it (shortest repr)."""
    return Decimal(str(x))


def _asset(v: Venue, account: str = "alice") -> dict[str, Any]:
    path = {"currency": "USDT"}
    return dict(
        call(v, "GET", "/api/v1/private/account/asset/{currency}", path=path, account=account)
    )


def _churn(v: Venue, rng: random.Random, rounds: int) -> None:
    """Random small trades between alice (taker) and bob (maker), opening and closing."""
    for _ in range(rounds):
        bid, ask = top(v)
        vol = rng.randint(1, 37)
        long_pos = next(
            (p for p in call(v, "GET", f"{POS}/open_positions") if p["positionType"] == 1), None
        )
        if long_pos is not None and long_pos["holdVol"] >= vol and rng.random() < 0.5:
            create(v, "bob", side=1, price=round(ask - 0.1 * rng.randint(1, 5), 1), vol=vol)
            create(v, "alice", side=4, type=5, vol=vol)
        else:
            create(v, "bob", side=3, price=round(bid + 0.1 * rng.randint(1, 5), 1), vol=vol)
            create(v, "alice", side=1, type=5, vol=vol)


def test_wallet_equals_decimal_sum_of_what_the_client_saw() -> None:
    """I2-style reconciliation: balance + Σ profit − Σ fee + Σ funding, to the last digit."""
    v = quiet_venue()
    rng = random.Random(5)
    _churn(v, rng, 150)
    v.advance(v.engine.markets["BTC_USDT"].next_settle_ms + 10)
    _churn(v, rng, 150)
    fills = v.truth.fills("alice")
    assert len(fills) >= 300
    deals = call(
        v,
        "GET",
        "/api/v1/private/order/list/order_deals/v3",
        query={
            "symbol": "BTC_USDT",
            "page_size": 1000,
            "start_time": START - 1,
            "end_time": v.now_ms + 1,
        },
    )
    assert sorted(str(d["id"]) for d in deals) == sorted(d["id"] for d in fills)
    funding = call(v, "GET", f"{POS}/funding_records", query={"page_size": 100})["resultList"]
    assert funding
    expected = (
        D(10_000)
        + sum((D(d["profit"]) for d in deals), Decimal(0))
        - sum((D(d["fee"]) for d in deals), Decimal(0))
        + sum((D(f["funding"]) for f in funding), Decimal(0))
    )
    a = _asset(v)
    assert D(a["equity"]) - D(a["unrealized"]) == expected
    assert Decimal(v.truth.balance("alice")) == expected
    # isolated only: available + positionMargin + frozen is the wallet, exactly
    assert D(a["availableBalance"]) + D(a["positionMargin"]) + D(a["frozenBalance"]) == expected
    open_im = sum((D(p["im"]) for p in call(v, "GET", f"{POS}/open_positions")), Decimal(0))
    assert D(a["positionMargin"]) == open_im


def test_unknown_api_key_is_401_unless_added() -> None:
    v = quiet_venue()
    with pytest.raises(VenueError) as exc:
        call(v, "GET", "/api/v1/private/account/assets", account="mallory")
    assert exc.value.code == 401
    with pytest.raises(VenueError):
        create(v, "mallory")
    assert "mallory" not in v.engine.accounts
    with pytest.raises(VenueError):
        v.set_balance("mallory", "USDT", 1)
    # public endpoints do not care who asks
    assert call(v, "GET", "/api/v1/contract/ping", account="mallory")
    v.add_account("mallory", "secret")
    assert (
        call(
            v,
            "GET",
            "/api/v1/private/account/asset/{currency}",
            path={"currency": "USDT"},
            account="mallory",
        )["availableBalance"]
        == 10_000
    )


def test_handle_uses_the_callers_time() -> None:
    v = quiet_venue()
    at = START + 7_777
    oid = v.handle(
        "POST",
        "/api/v1/private/order/create",
        {},
        {},
        {
            "symbol": "BTC_USDT",
            "side": 1,
            "type": 1,
            "openType": 1,
            "leverage": 20,
            "vol": 1,
            "price": round(top(v)[0] - 50, 1),
        },
        "alice",
        now_ms=at,
    )
    assert oid["ts"] == at
    row = call(v, "GET", "/api/v1/private/order/get/{order_id}", path={"order_id": oid["orderId"]})
    assert row["createTime"] == at
    # time never runs backwards: an older now_ms is served at the venue's current time
    late = v.handle("GET", "/api/v1/contract/ping", {}, {}, None, None, now_ms=START)
    assert late == at


def test_truth_positions_and_fills() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    create(v, "bob", side=3, price=round(bid + 0.1, 1), vol=9)
    create(v, "alice", side=1, type=5, vol=9)
    pubs = private(v.drain())
    assert v.truth.positions("alice") == call(v, "GET", f"{POS}/open_positions")
    pushed = [p.data for p in pubs if p.topic == "personal.order.deal"]
    assert v.truth.fills("alice") == pushed
    assert [f["taker"] for f in v.truth.fills("bob")] == [False]
    assert v.truth.fills("alice", symbol="ETH_USDT") == []
    call(v, "POST", f"{POS}/close_all", None)
    assert v.truth.positions("alice") == []
    [closed] = v.truth.positions("alice", closed=True)
    assert (closed["state"], closed["holdVol"]) == (3, 0)
    with pytest.raises(KeyError):
        v.truth.fills("mallory")
