"""The endpoint table (spec §4–§5, §9.1): unique, complete, and match/build round trips."""

from __future__ import annotations

import pytest

from mexc_futures.protocol.endpoints import ENDPOINTS, build_path, endpoint, match
from tests.conftest import load_vectors


def test_names_and_method_paths_are_unique() -> None:
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)
    assert len({(e.method, e.path) for e in ENDPOINTS}) == len(ENDPOINTS)


def test_every_spec_path_of_sections_4_and_5_is_present() -> None:
    """Every path of spec §4-§5 (extracted into ``tests/vectors/spec_endpoints.json``)."""
    found = {(e["method"], e["path"]) for e in load_vectors("spec_endpoints.json")["entries"]}
    assert len(found) > 60
    have = {(e.method, e.path) for e in ENDPOINTS}
    paths = {e.path for e in ENDPOINTS}
    missing = [(m, p) for m, p in found if ((m, p) not in have if m else p not in paths)]
    assert missing == []


def test_signed_iff_private_and_buckets_follow_spec_9_1() -> None:
    for e in ENDPOINTS:
        assert e.signed == e.path.startswith("/api/v1/private/")
        assert e.bucket.capacity > 0
        assert e.bucket.per_seconds > 0
    limits = {
        "ping": (20, 2.0),
        "depth": (10, 2.0),
        "ticker": (10, 2.0),
        "contract_detail": (10, 2.0),
        "deals": (20, 2.0),
        "order_create": (4, 2.0),
        "order_submit_batch": (4, 2.0),
        "stop_place": (5, 2.0),
        "order_batch_query": (5, 2.0),
        "change_leverage": (10, 10.0),
        "order_cancel": (20, 2.0),
    }
    for name, (cap, per) in limits.items():
        b = endpoint(name).bucket
        assert (b.capacity, b.per_seconds) == (cap, per), name
    assert endpoint("open_order_total_count").bucket.name == (
        endpoint("open_order_total_count_post").bucket.name
    )


@pytest.mark.parametrize("ep", ENDPOINTS, ids=lambda e: e.name)
def test_build_then_match_round_trips(ep: object) -> None:
    from mexc_futures.protocol.endpoints import Endpoint

    assert isinstance(ep, Endpoint)
    params = {n: f"v{i}X_1" for i, n in enumerate(ep.path_params)}
    path = build_path(ep, **params)
    assert "{" not in path
    got = match(ep.method, path + "?a=1&b=2")
    assert got is not None
    assert got == (ep, params)
    assert match(ep.method.lower(), path) == (ep, params)


def test_variants_resolve_to_the_right_endpoint() -> None:
    cases = {
        ("GET", "/api/v1/contract/risk_reverse"): "risk_reverse",
        ("GET", "/api/v1/contract/risk_reverse/BTC_USDT"): "risk_reverse_symbol",
        ("GET", "/api/v1/contract/risk_reverse/history"): "risk_reverse_history",
        ("GET", "/api/v1/contract/funding_rate/history"): "funding_rate_history",
        ("GET", "/api/v1/contract/funding_rate/BTC_USDT"): "funding_rate",
        ("GET", "/api/v1/contract/funding_rate"): "funding_rates",
        ("GET", "/api/v1/private/order/list/open_orders"): "open_orders",
        ("GET", "/api/v1/private/order/list/open_orders/BTC_USDT"): "open_orders_symbol",
        ("GET", "/api/v1/private/order/open_order_total_count"): "open_order_total_count",
        ("POST", "/api/v1/private/order/open_order_total_count"): "open_order_total_count_post",
        ("GET", "/api/v1/private/account/asset/USDT"): "account_asset",
        ("GET", "/api/v1/private/account/asset/analysis/today_pnl"): "today_pnl",
        ("GET", "/api/v1/private/account/asset/analysis/1"): "asset_analysis",
        ("POST", "/api/v1/private/planorder/place/v2"): "plan_place_v2",
        ("GET", "/api/v1/contract/kline/index_price/BTC_USDT"): "kline_index_price",
        ("GET", "/api/v1/contract/kline/BTC_USDT"): "kline",
    }
    for (method, path), name in cases.items():
        got = match(method, path)
        assert got is not None, path
        assert got[0].name == name, path
    ext = match("GET", "/api/v1/private/order/external/BTC_USDT/_m_abc")
    assert ext is not None
    assert ext[1] == {"symbol": "BTC_USDT", "external_oid": "_m_abc"}


def test_no_match_and_bad_params() -> None:
    assert match("GET", "/api/v1/contract/nope") is None
    assert match("POST", "/api/v1/contract/ping") is None
    assert match("GET", "/api/v1/contract/depth/") is None
    with pytest.raises(ValueError, match="missing"):
        build_path(endpoint("depth"))
    with pytest.raises(ValueError, match="unexpected"):
        build_path(endpoint("ping"), symbol="X")
    with pytest.raises(ValueError, match="invalid"):
        build_path(endpoint("depth"), symbol="A/B")
    with pytest.raises(KeyError, match="nope"):
        endpoint("nope")
