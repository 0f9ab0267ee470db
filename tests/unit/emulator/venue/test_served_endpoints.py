"""The emulator serves every endpoint of the client's table (issue #14, fidelity audit row 13:
28 endpoints answered 511), and its answers decode with the client's own structs."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from mexc_futures.emulator.venue.codes import NO_DATA
from mexc_futures.protocol.codec import decode_response
from mexc_futures.protocol.endpoints import ENDPOINTS
from tests.unit.emulator._emulator import START, call, create, get, quiet_venue, top

_PARAM = re.compile(r"\{([^}]+)\}")
PRV = "/api/v1/private"


def test_every_endpoint_in_the_table_is_served() -> None:
    v = quiet_venue()
    missing = [
        ep.name for ep in ENDPOINTS if (ep.method, _PARAM.sub("{}", ep.path)) not in v._routes
    ]
    assert missing == []


def _decode(name: str, data: Any) -> Any:
    ep = next(e for e in ENDPOINTS if e.name == name)
    payload = {"success": True, "code": 0} if data is NO_DATA else {
        "success": True, "code": 0, "data": data}
    return decode_response(ep, msgspec.json.encode(payload))


@pytest.mark.parametrize(
    ("name", "method", "path", "params", "body"),
    [
        ("tiered_fee_rate_v2", "GET", "/account/tiered_fee_rate/v2", {"symbol": "BTC_USDT"}, None),
        ("profit_rate", "GET", "/account/profit_rate/{type}", {"type": "1"}, None),
        ("fee_deduct_configs", "GET", "/account/feeDeductConfigs", {}, None),
        ("discount_type", "GET", "/account/discountType", {}, None),
        ("contract_fee_rate", "GET", "/account/contract/fee_rate", {}, None),
        ("zero_fee_rate", "GET", "/account/contract/zero_fee_rate", {}, None),
        ("asset_analysis", "GET", "/account/asset/analysis/{type}", {"type": "1"}, None),
        ("asset_analysis_v3", "POST", "/account/asset/analysis/v3", {}, {}),
        ("asset_analysis_daily", "POST", "/account/asset/analysis/calendar/daily/v3", {}, {}),
        ("asset_analysis_monthly", "POST", "/account/asset/analysis/calendar/monthly/v3", {},
         {}),
        ("asset_analysis_recent", "POST", "/account/asset/analysis/recent/v3", {}, {}),
        ("today_pnl", "GET", "/account/asset/analysis/today_pnl", {}, None),
        ("yesterday_pnl", "GET", "/account/asset/analysis/yesterday_pnl", {}, None),
        ("asset_analysis_export", "GET", "/account/asset/analysis/export", {}, None),
        ("contract_fee_discount_config", "GET", "/account/config/contractFeeDiscountConfig", {},
         None),
        ("order_fee_details", "GET", "/order/fee_details", {}, None),
        ("order_deal_fee_total", "GET", "/account/asset_book/order_deal_fee/total", {}, None),
        ("close_orders", "GET", "/order/list/close_orders", {}, None),
        ("track_orders", "GET", "/trackorder/list/orders", {}, None),
        ("stp_blacklist", "GET", "/market_maker/self_trade/blacklist", {}, None),
        ("stp_blacklist_search", "GET", "/market_maker/self_trade/blacklist/search", {}, None),
    ],
)
def test_read_endpoints_decode_with_the_client_structs(
    name: str, method: str, path: str, params: dict[str, str], body: Any
) -> None:
    v = quiet_venue()
    create(v, type=5, vol=3)  # a fill, so that fee and PnL views have something to add up
    path_params = {k: params.pop(k) for k in list(params) if "{" + k + "}" in path}
    data = call(v, method, PRV + path, body, query=params, path=path_params)
    _decode(name, data)


def test_fee_views_add_up_with_the_fills() -> None:
    v = quiet_venue()
    create(v, type=5, vol=3)
    fills = call(v, "GET", f"{PRV}/order/list/order_deals", query={"symbol": "BTC_USDT"})
    total = call(v, "GET", f"{PRV}/account/asset_book/order_deal_fee/total")
    assert total["total"] == pytest.approx(sum(f["fee"] for f in fills))
    assert total["count"] == len(fills)
    today = call(v, "GET", f"{PRV}/account/asset/analysis/today_pnl")
    assert today["pnl"] == pytest.approx(sum(f["profit"] - f["fee"] for f in fills))


def test_trailing_sell_triggers_after_the_callback() -> None:
    v = quiet_venue(flow_rate=0.0)
    m = v.engine.markets["BTC_USDT"]
    tid = call(v, "POST", f"{PRV}/trackorder/place",
               {"symbol": "BTC_USDT", "side": 3, "vol": 1, "leverage": 10, "openType": 1,
                "trend": 1, "backType": 1, "backValue": 0.01})
    v.advance(START + 1000)
    row = call(v, "GET", f"{PRV}/trackorder/list/orders")[0]
    assert (row["id"], row["state"]) == (tid, 1)  # no activePrice: active at once
    high = m.last_price
    m.last_price = high * 1.02  # a new high: the trigger follows it
    v.advance(START + 2000)
    assert call(v, "GET", f"{PRV}/trackorder/list/orders")[0]["state"] == 1
    m.last_price = high * 1.02 * 0.985  # back by 1.5 % > 1 %: triggered
    v.advance(START + 3000)
    row = call(v, "GET", f"{PRV}/trackorder/list/orders")[0]
    assert row["state"] == 2
    assert get(v, row["orderId"])["side"] == 3


def test_trailing_order_change_cancel_and_bad_input() -> None:
    v = quiet_venue(flow_rate=0.0)
    bid, _ = top(v)
    body = {"symbol": "BTC_USDT", "side": 1, "vol": 1, "leverage": 10, "openType": 1,
            "trend": 1, "activePrice": round(bid * 0.5, 1), "backType": 2, "backValue": 10}
    tid = call(v, "POST", f"{PRV}/trackorder/place", body)
    with pytest.raises(Exception) as info:
        call(v, "POST", f"{PRV}/trackorder/change_order",
             {"trackOrderId": tid, "backType": 1, "backValue": "NaN"})
    assert getattr(info.value, "code", None) == 600
    call(v, "POST", f"{PRV}/trackorder/change_order",
         {"trackOrderId": tid, "backType": 1, "backValue": 0.02, "vol": 2})
    row = call(v, "GET", f"{PRV}/trackorder/list/orders")[0]
    assert (row["backType"], row["backValue"], row["vol"], row["state"]) == (1, 0.02, 2, 0)
    call(v, "POST", f"{PRV}/trackorder/cancel", {"trackOrderId": tid})
    assert call(v, "GET", f"{PRV}/trackorder/list/orders")[0]["state"] == 4


def test_plan_change_stop_order_and_stp_groups() -> None:
    v = quiet_venue()
    bid, _ = top(v)
    plan = call(v, "POST", f"{PRV}/planorder/place",
                {"symbol": "BTC_USDT", "price": round(bid * 0.9, 1), "vol": 1, "side": 1,
                 "openType": 1, "leverage": 10, "triggerPrice": round(bid * 0.8, 1),
                 "triggerType": 2, "executeCycle": 1, "orderType": 1, "trend": 1})
    call(v, "POST", f"{PRV}/planorder/change_stop_order",
         {"orderId": plan, "stopLossPrice": round(bid * 0.7, 1), "lossTrend": 2})
    row = call(v, "GET", f"{PRV}/planorder/list/orders")[0]
    assert row.get("stopLossPrice") == round(bid * 0.7, 1)
    stp = f"{PRV}/market_maker/self_trade/blacklist"
    call(v, "POST", f"{stp}/create", {"configName": "g1", "blacklist": [123, 456]})
    call(v, "POST", f"{stp}/update", {"configName": "g1", "blacklist": [789]})
    assert [g["blackList"] for g in call(v, "GET", stp)] == [["789"]]
    call(v, "POST", f"{stp}/delete", {"configName": "g1"})
    assert call(v, "GET", stp) == []


def test_trailing_orders_are_pushed_on_every_change() -> None:
    """``push.personal.track.order`` (spec §7.8) on place, edit, activation, trigger and cancel,
    with the list row, and decodable by the client (issue #15 item 2)."""
    from mexc_futures.protocol import ws
    from mexc_futures.protocol.codec import decode_frame
    from tests.unit.emulator._emulator import private

    v = quiet_venue(flow_rate=0.0)
    m = v.engine.markets["BTC_USDT"]
    v.drain()
    sell = {"symbol": "BTC_USDT", "side": 3, "vol": 1, "leverage": 10, "openType": 1,
            "trend": 1, "backType": 1, "backValue": 0.01}
    tid = call(v, "POST", f"{PRV}/trackorder/place", sell)
    call(v, "POST", f"{PRV}/trackorder/change_order", {"trackOrderId": tid, "backValue": 0.012})
    pubs = v.advance(START + 1000)  # active at once
    high = m.last_price
    m.last_price = high * 0.98  # back by 2 % > 1.2 %: triggered
    pubs += v.advance(START + 2000)
    other = call(v, "POST", f"{PRV}/trackorder/place", sell | {"activePrice": round(high * 2, 1)})
    call(v, "POST", f"{PRV}/trackorder/cancel", {"trackOrderId": other})
    pubs += v.drain()
    pushed = [
        (p.data["id"], p.data["state"]) for p in private(pubs) if p.topic == "personal.track.order"
    ]
    assert pushed == [(tid, 0), (tid, 0), (tid, 1), (tid, 2), (other, 0), (other, 4)]
    frame = msgspec.json.encode(
        {"channel": "push.personal.track.order", "data": call(
            v, "GET", f"{PRV}/trackorder/list/orders")[0], "ts": START}
    )
    msg = decode_frame(frame)
    assert isinstance(msg, ws.TrackOrderPush)
    assert msg.data.id == other
