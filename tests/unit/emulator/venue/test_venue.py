"""Venue facade (emulator/venue.py): order types, lifecycle pushes, shapes vs golden vectors,
plan/stop triggers, burst."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from mexc_futures.emulator.venue.codes import NO_DATA, VenueError
from tests.conftest import load_vectors
from tests.unit.emulator._emulator import ORDER, START, call, create, get, private, quiet_venue, top


def _kind(x: Any) -> str:
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, int | float):
        return "number"
    return type(x).__name__


def _rest_vector(path: str, source: str = "") -> Any:
    for e in load_vectors("rest_responses.json")["entries"]:
        if e["path"] == path and source in e["source"]:
            return e["response"]["data"]
    raise LookupError(path)


def _ws_vector(channel: str) -> Any:
    for e in load_vectors("ws_pushes.json")["entries"]:
        msg = e.get("message") or {}
        if msg.get("channel") == channel and e.get("direction") == "server->client":
            return msg["data"]
    raise LookupError(channel)


def assert_shape(
    ours: dict[str, Any], vector: dict[str, Any], ignore: tuple[str, ...] = ()
) -> None:
    """Every vector field is present with the same JSON kind (null vectors match anything)."""
    for key, value in vector.items():
        if key in ignore:
            continue
        assert key in ours, f"missing {key}"
        if value is not None and ours[key] is not None:
            assert _kind(ours[key]) == _kind(value), f"{key}: {ours[key]!r} vs {value!r}"


# ------------------------------------------------------------------ order types
def test_limit_rests_and_shows_in_book() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    oid = create(v, price=round(bid - 10, 1), vol=5)
    row = get(v, oid)
    assert row["state"] == 2
    assert row["dealVol"] == 0
    assert row["version"] == 1
    assert re.fullmatch(r"_m_[0-9a-f]{32}", row["externalOid"])
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "btc_usdt"}, account=None
    )
    assert [round(bid - 10, 1), 5, 1] in depth["bids"]


def test_crossing_limit_partially_fills_then_rests() -> None:
    v = quiet_venue()
    _, ask = top(v)
    level = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )
    ask_vol = level["asks"][0][1]
    oid = create(v, price=ask, vol=ask_vol + 3)
    row = get(v, oid)
    assert row["state"] == 2
    assert row["dealVol"] == ask_vol
    assert row["dealAvgPrice"] == ask
    assert top(v)[0] == ask  # the rest is now the best bid


def test_post_only_cancelled_when_crossing() -> None:
    v = quiet_venue()
    bid, ask = top(v)
    crossed = get(v, create(v, type=2, price=ask, vol=1))
    assert (crossed["state"], crossed["errorCode"], crossed["dealVol"]) == (4, 20, 0)
    assert get(v, create(v, type=2, price=bid, vol=1))["state"] == 2


def test_ioc_and_fok() -> None:
    v = quiet_venue()
    _, ask = top(v)
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )
    ask_vol = depth["asks"][0][1]
    ioc = get(v, create(v, type=3, price=ask, vol=ask_vol + 5))
    assert (ioc["state"], ioc["errorCode"], ioc["dealVol"]) == (4, 18, ask_vol)
    _, ask2 = top(v)
    vol2 = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )["asks"][0][1]
    fok = get(v, create(v, type=4, price=ask2, vol=vol2 + 1))
    assert (fok["state"], fok["errorCode"], fok["dealVol"]) == (4, 19, 0)
    ok = get(v, create(v, type=4, price=ask2, vol=vol2))
    assert (ok["state"], ok["dealVol"]) == (3, vol2)


def test_market_and_market_to_limit() -> None:
    v = quiet_venue(book_levels=2)
    mkt = get(v, create(v, type=5, vol=3))
    assert mkt["state"] == 3
    assert mkt["price"] == mkt["dealAvgPrice"]
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )
    total = sum(level[1] for level in depth["asks"])
    last = depth["asks"][-1][0]
    m2l = get(v, create(v, type=6, vol=total + 4))
    assert m2l["state"] == 2
    assert m2l["dealVol"] == total
    assert m2l["price"] == last
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )
    assert depth["asks"] == []
    assert depth["bids"][0][:2] == [last, 4]


def test_private_push_order_after_fill() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    inside = round(bid + 0.1, 1)
    maker = create(v, "bob", side=3, price=inside, vol=4)
    v.advance(START + 10)
    taker = create(v, type=5, vol=4)
    pubs = v.advance(START + 20)
    alice = private(pubs)
    assert [p.topic for p in alice] == [
        "personal.order",
        "personal.order.deal",
        "personal.position",
        "personal.asset",
    ]
    assert alice[0].data["orderId"] == taker
    assert alice[0].data["state"] == 3
    assert alice[1].data["taker"] is True
    assert alice[1].data["price"] == inside
    bob = private(pubs, "bob")
    assert [p.topic for p in bob][:2] == ["personal.order", "personal.order.deal"]
    assert bob[0].data["orderId"] == maker
    assert bob[1].data["taker"] is False
    deals = [p for p in pubs if p.topic == "deal"]
    assert deals
    assert deals[0].data[0]["p"] == inside
    assert deals[0].data[0]["T"] == 1


def test_cancel_results_and_cancel_all() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    open_id = create(v, price=round(bid - 5, 1), vol=1)
    filled = create(v, type=5, vol=1)
    out = call(v, "POST", f"{ORDER}/cancel", [open_id, int(filled), "101716841474621953"])
    assert [(r["orderId"], r["errorCode"], r["errorMsg"]) for r in out] == [
        (int(open_id), 0, "success"),
        (int(filled), 2041, "order state cannot be cancelled"),
        (101716841474621953, 2040, "order not exist"),
    ]
    assert_shape(out[0], _rest_vector("/api/v1/private/order/cancel")[0])
    create(v, price=round(bid - 5, 1), vol=1, externalOid="keep-1")
    create(v, price=round(bid - 6, 1), vol=1)
    assert (
        call(
            v,
            "POST",
            f"{ORDER}/cancel_with_external",
            {"symbol": "BTC_USDT", "externalOid": "keep-1"},
        )[0]["errorCode"]
        == 0
    )
    assert call(v, "POST", f"{ORDER}/cancel_all", {"symbol": "BTC_USDT"}) is NO_DATA
    assert call(v, "GET", f"{ORDER}/list/open_orders") == []
    with pytest.raises(VenueError) as exc:
        call(v, "POST", f"{ORDER}/cancel", list(range(51)))
    assert exc.value.code == 2013


def test_external_lookup_and_duplicate_oid() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    oid = create(v, price=round(bid - 5, 1), vol=2, externalOid="client-7")
    row = call(
        v,
        "GET",
        f"{ORDER}/external/{{symbol}}/{{external_oid}}",
        path={"symbol": "btc_usdt", "external_oid": "client-7"},
    )
    assert row["orderId"] == oid
    with pytest.raises(VenueError) as exc:
        create(v, price=round(bid - 5, 1), vol=2, externalOid="client-7")
    assert exc.value.code == 603
    assert v.truth.order_count("client-7") == 1
    with pytest.raises(VenueError) as missing:
        call(
            v,
            "GET",
            f"{ORDER}/external/{{symbol}}/{{external_oid}}",
            path={"symbol": "BTC_USDT", "external_oid": "nope"},
        )
    assert missing.value.code == 2040


def test_amend_returns_new_id() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    old = create(v, price=round(bid - 5, 1), vol=2)
    new = call(
        v,
        "POST",
        f"{ORDER}/change_limit_order",
        {"orderId": old, "price": round(bid - 4, 1), "vol": 3},
    )
    assert isinstance(new, str)
    assert new != old
    assert get(v, old)["state"] == 4
    assert get(v, new)["vol"] == 3


# ----------------------------------------------------------------------- shapes
def test_rest_shapes_match_vectors() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    create(v, type=5, vol=2, externalOid="shape")
    oid = create(v, price=round(bid - 5, 1), vol=1)
    v.advance(START + 2000)
    row = get(v, oid)
    assert_shape(
        row, _rest_vector("/api/v1/private/order/batch_query?order_ids=743829153601634818")[0]
    )
    created = call(
        v,
        "POST",
        f"{ORDER}/create",
        {
            "symbol": "BTC_USDT",
            "type": 1,
            "openType": 1,
            "leverage": 20,
            "side": 1,
            "price": round(bid - 5, 1),
            "vol": 1,
        },
    )
    assert_shape(created, _rest_vector("/api/v1/private/order/create"))
    pos = call(v, "GET", "/api/v1/private/position/open_positions")[0]
    assert_shape(pos, _rest_vector("/api/v1/private/position/open_positions", "Mexc.Net")[0])
    assets = call(v, "GET", "/api/v1/private/account/assets")
    assert_shape(assets[0], _rest_vector("/api/v1/private/account/assets")[0])
    fills = call(
        v, "GET", "/api/v1/private/order/list/order_deals/v3", query={"symbol": "BTC_USDT"}
    )
    assert_shape(
        fills[0],
        _rest_vector(
            "/api/v1/private/order/list/order_deals/v3?symbol=DOGE_USDT&page_num=1&page_size=20"
        )[0],
    )
    lev = call(v, "GET", "/api/v1/private/position/leverage", query={"symbol": "BTC_USDT"})
    assert_shape(lev[0], _rest_vector("/api/v1/private/position/leverage?symbol=BTC_USDT")[0])
    risk = call(v, "GET", "/api/v1/private/account/risk_limit", query={"symbol": "BTC_USDT"})
    assert_shape(
        risk["BTC_USDT"][0], _rest_vector("/api/v1/private/account/risk_limit")["BTC_USDT"][0]
    )
    public = {
        "/api/v1/contract/depth/BTC_USDT": (
            "/api/v1/contract/depth/{symbol}",
            {"symbol": "BTC_USDT"},
        ),
        "/api/v1/contract/ticker?symbol=BTC_USDT": ("/api/v1/contract/ticker", {}),
    }
    for vec, (template, path) in public.items():
        ours = call(v, "GET", template, path=path, query={"symbol": "BTC_USDT"}, account=None)
        assert_shape(ours, _rest_vector(vec))
    commits = call(
        v,
        "GET",
        "/api/v1/contract/depth_commits/{symbol}/{limit}",
        path={"symbol": "BTC_USDT", "limit": "5"},
        account=None,
    )
    assert_shape(commits[0], _rest_vector("/api/v1/contract/depth_commits/BTC_USDT/20")[0])
    assert [c["version"] for c in commits] == sorted((c["version"] for c in commits), reverse=True)
    detail = call(v, "GET", "/api/v1/contract/detail", query={"symbol": "BTC_USDT"}, account=None)
    assert_shape(
        detail,
        _rest_vector("/api/v1/contract/detail?symbol=BTC_USDT"),
        ignore=(
            "baseCoinIconUrl",
            "vid",
            "baseCoinId",
            "riskLimitCustom",
            "tieredDealAmount",
            "tieredEffectiveDay",
            "tieredAppointContract",
            "tieredExcludeContractId",
            "tieredContractIds",
            "tieredExcludeZeroFee",
            "statisticType",
            "fixedStartTime",
            "fixedEndTime",
        ),
    )
    kline = call(
        v,
        "GET",
        "/api/v1/contract/kline/{symbol}",
        path={"symbol": "BTC_USDT"},
        query={"interval": "Min15"},
        account=None,
    )
    assert set(kline) == set(
        _rest_vector(
            "/api/v1/contract/kline/BTC_USDT?interval=Min15&start=1609992674&end=1610113500"
        )
    )
    funding = call(v, "GET", "/api/v1/contract/funding_rate", account=None)
    assert_shape(funding[0], _rest_vector("/api/v1/contract/funding_rate", "live-probe")[0])


def test_push_shapes_match_vectors() -> None:
    v = quiet_venue(flow_rate=20.0)
    _bid, _ = top(v)
    create(v, type=5, vol=2)
    pubs = []
    for i in range(1, 40):
        pubs += v.advance(START + i * 100)
    by_topic: dict[str, Any] = {}
    for p in pubs:
        by_topic.setdefault(p.topic, p.data)
    checks = {
        "personal.order": "push.personal.order",
        "personal.order.deal": "push.personal.order.deal",
        "personal.position": "push.personal.position",
        "personal.asset": "push.personal.asset",
        "depth.full": "push.depth.full",
        "ticker": "push.ticker",
        "kline": "push.kline",
        "funding.rate": "push.funding.rate",
        "index.price": "push.index.price",
        "fair.price": "push.fair.price",
    }
    for topic, channel in checks.items():
        assert topic in by_topic, topic
        assert_shape(by_topic[topic], _ws_vector(channel))
    assert_shape(by_topic["deal"][0], _ws_vector("push.deal")[0])
    assert_shape(by_topic["tickers"][0], _ws_vector("push.tickers")[0])
    unmerged = next(p.data for p in pubs if p.topic == "depth")
    assert set(unmerged) == {"cts", "asks", "bids", "version"}
    merged = next(p.data for p in pubs if p.topic == "depth.merged")
    assert set(merged) == {"cts", "asks", "bids", "begin", "end", "version"}


# ---------------------------------------------------------------- plans / stops
def test_plan_order_triggers_and_expires() -> None:
    v = quiet_venue()
    last = v.engine.markets["BTC_USDT"].last_price
    base = {
        "symbol": "BTC_USDT",
        "vol": 1,
        "leverage": 20,
        "side": 1,
        "openType": 1,
        "triggerType": 2,
        "executeCycle": 1,
        "orderType": 5,
        "trend": 1,
    }
    hit = call(
        v,
        "POST",
        "/api/v1/private/planorder/place/v2",
        base | {"triggerPrice": round(last + 100, 1)},
    )
    far = call(
        v, "POST", "/api/v1/private/planorder/place", base | {"triggerPrice": round(last / 2, 1)}
    )
    assert isinstance(hit, str)
    pubs = v.advance(START + 1000)
    plans = {p["id"]: p for p in call(v, "GET", "/api/v1/private/planorder/list/orders")}
    assert plans[hit]["state"] == 3
    assert get(v, plans[hit]["orderId"])["state"] == 3
    assert plans[far]["state"] == 1
    assert plans[far]["executeCycle"] == 24
    assert any(p.topic == "personal.plan.order" and p.data["state"] == 3 for p in pubs)
    v.advance(START + 25 * 3_600_000)
    plans = {
        p["id"]: p
        for p in call(
            v,
            "GET",
            "/api/v1/private/planorder/list/orders",
            query={"end_time": str(START + 26 * 3_600_000)},
        )
    }
    assert plans[far]["state"] == 4
    with pytest.raises(VenueError) as exc:
        call(v, "POST", "/api/v1/private/planorder/place", base | {"triggerPrice": 1, "trend": 9})
    assert exc.value.code == 3001


def test_stop_order_take_profit_closes_position() -> None:
    v = quiet_venue()
    create(v, type=5, vol=5, stopLossPrice=1000.0)
    pos = call(v, "GET", "/api/v1/private/position/open_positions")[0]
    attached = call(v, "GET", "/api/v1/private/stoporder/open_orders")
    assert attached[0]["stopLossPrice"] == 1000.0
    assert attached[0]["vol"] == 5
    last = v.engine.markets["BTC_USDT"].last_price
    tp = round(last + 0.5, 1)
    stop_id = call(
        v,
        "POST",
        "/api/v1/private/stoporder/place",
        {
            "positionId": pos["positionId"],
            "vol": 5,
            "takeProfitPrice": tp,
            "lossTrend": 1,
            "profitTrend": 1,
        },
    )
    assert isinstance(stop_id, int)
    create(v, "bob", type=5, vol=600, leverage=100)  # bob lifts the offers: last price rises
    assert v.engine.markets["BTC_USDT"].last_price >= tp
    v.advance(START + 1000)
    stops = {s["id"]: s for s in call(v, "GET", "/api/v1/private/stoporder/list/orders")}
    assert stops[stop_id]["state"] == 3
    assert stops[stop_id]["triggerSide"] == 1
    assert call(v, "GET", "/api/v1/private/position/open_positions") == []
    assert stops[attached[0]["id"]]["state"] == 4  # its position is gone


# ------------------------------------------------------------------------ burst
def test_burst_is_contiguous_and_consistent_with_truth() -> None:
    v = quiet_venue()
    before = v.truth.version("BTC_USDT")
    frames = v.burst("BTC_USDT", 10, 30)
    assert len(frames) == 30
    assert frames[0].data["begin"] == before + 1
    for a, b in itertools.pairwise(frames):
        assert b.data["begin"] == a.data["end"] + 1
    book = {("b", p): s for p, s, _ in v.truth.book_at("BTC_USDT", before)["bids"]}
    book |= {("a", p): s for p, s, _ in v.truth.book_at("BTC_USDT", before)["asks"]}
    for f in frames:
        for side, key in (("b", "bids"), ("a", "asks")):
            for p, s, _ in f.data[key]:
                if s == 0:
                    book.pop((side, p), None)
                else:
                    book[(side, p)] = s
    end = frames[-1].data["end"]
    truth = v.truth.book_at("BTC_USDT", end)
    expect = {("b", p): s for p, s, _ in truth["bids"]} | {("a", p): s for p, s, _ in truth["asks"]}
    assert book == expect
    depth = call(
        v, "GET", "/api/v1/contract/depth/{symbol}", path={"symbol": "BTC_USDT"}, account=None
    )
    assert depth["version"] == end
    after = [
        p for p in v.advance(START + 1000) if p.topic == "depth.merged" and p.symbol == "BTC_USDT"
    ]
    assert not after or after[0].data["begin"] == end + 1
