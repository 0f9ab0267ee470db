"""Every REST response and WS frame the emulator emits decodes with the project's codec and has
the field names and JSON types of the matching golden vectors (vectors/*.json).

Shape rule, per object (``data``, or its first row when ``data`` is a list, or the page's first
``resultList`` row): keys present in *every* vector of that endpoint/channel must be present
(minus ``MAY_LACK``); emulator keys must appear in *some* vector (plus ``MAY_ADD``: optional fields
documented in the spec); a key in both has the same JSON type (int/float are one "number" type;
``null`` matches anything).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.protocol import codec
from mexc_futures.protocol.endpoints import endpoint, match
from tests.conftest import load_vectors
from tests.integration.emulator.emulator_helpers import get, login, post, recv_json

# documented optional fields (spec §4-§7) the vectors happen not to show
MAY_ADD: dict[str, set[str]] = {
    "*": {"cts", "i", "positionMode", "reduceOnly", "version", "marginRatio", "profitRatio",
          "newOpenAvgPrice", "newCloseAvgPrice", "closeProfitLoss", "fee", "deductFeeList",
          "totalFee", "zeroSaveTotalFeeBinance", "zeroTradeTotalFeeBinance", "pnl",
          "holdAvgPriceFullyScale", "openAvgPriceFullyScale", "availableCash", "availableOpen",
          "debtAmount", "contributeMarginAmount", "vcoinId", "bonusExpireTime", "cashBalance",
          "equity", "unrealized", "isSelf", "opponentUid", "externalOid", "taker", "isTaker",
          "idxPrice", "fairPrice", "remainVol", "makerFeeRate", "takerFeeRate", "bizSource",
          "positionType", "sideType", "bboTypeNum", "usedMargin", "stopLossPrice",
          "takeProfitPrice", "lossTrend", "profitTrend", "priceProtect", "openAvgPrice",
          "riseFallRatesOfTimezone", "zone", "contractId", "showCancelReason",
          "showProfitRateShare", "priceStr", "dealAvgPriceStr", "maxLeverageView", "category",
          "adlLevel", "autoAddIm", "timestamp", "nextSettleTime", "limitBySys", "currentMmr",
          "openType", "leverage", "symbol", "mmr", "imr", "maxVol", "level", "realOpen",
          "realClose", "realHigh", "realLow"},
}
MAY_LACK: dict[str, set[str]] = {"*": {"cts", "ts", "feeCurrency", "positionMode"}}
# spec §7.3: v1 docs show ack ``ts`` as a string, live shows a number (the emulator follows live)
TYPE_OK = {("rs.login", "ts"), ("rs.sub.deal", "ts"), ("rs.personal.filter", "ts")}
# ``data`` is a map symbol -> rows (spec §5.1)
BY_SYMBOL = {"risk_limit"}


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    return type(v).__name__


def _row(data: Any) -> dict[str, Any] | None:
    if isinstance(data, list):
        return _row(data[0]) if data else None
    if isinstance(data, dict) and "resultList" in data:
        return _row(data["resultList"])
    return data if isinstance(data, dict) else None


def _compare(name: str, ours: dict[str, Any], refs: list[dict[str, Any]]) -> list[str]:
    problems = []
    union = set().union(*refs)
    common = set.intersection(*(set(r) for r in refs))
    extra = set(ours) - union - MAY_ADD["*"] - MAY_ADD.get(name, set())
    missing = common - set(ours) - MAY_LACK["*"] - MAY_LACK.get(name, set())
    if extra:
        problems.append(f"{name}: fields not in any vector {sorted(extra)}")
    if missing:
        problems.append(f"{name}: missing fields {sorted(missing)}")
    for key in set(ours) & union:
        theirs = {_kind(r[key]) for r in refs if key in r} - {"null"}
        mine = _kind(ours[key])
        if mine != "null" and theirs and mine not in theirs and (name, key) not in TYPE_OK:
            problems.append(f"{name}.{key}: {mine} where vectors have {sorted(theirs)}")
    return problems


def _rest_refs() -> dict[str, list[dict[str, Any]]]:
    refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in load_vectors("rest_responses.json")["entries"]:
        path, method, resp = e.get("path", ""), e.get("method", ""), e.get("response")
        found = match(method, path) if path.startswith("/") else None
        if found is None or not isinstance(resp, dict):
            continue
        data = resp.get("data", resp)
        if found[0].name in BY_SYMBOL and isinstance(data, dict) and data:
            data = next(iter(data.values()))
        row = _row(data)
        if row:
            refs[found[0].name].append(row)
    return refs


def _ws_refs() -> dict[str, list[dict[str, Any]]]:
    refs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in load_vectors("ws_pushes.json")["entries"]:
        m = e.get("message")
        if isinstance(m, dict) and isinstance(m.get("channel"), str) and e.get(
                "direction", "server->client") == "server->client":
            refs[m["channel"]].append(m)
    return refs


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(symbols=["BTC_USDT", "ETH_USDT"], seed=11, rest_limits=False) as e:
        e.venue.set_flow_rate("BTC_USDT", 100)
        yield e


PUBLIC_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("ping", "/api/v1/contract/ping", {}),
    ("contract_detail", "/api/v1/contract/detail", {"symbol": "BTC_USDT"}),
    ("support_currencies", "/api/v1/contract/support_currencies", {}),
    ("depth", "/api/v1/contract/depth/BTC_USDT", {"limit": 5}),
    ("depth_commits", "/api/v1/contract/depth_commits/BTC_USDT/5", {}),
    ("index_price", "/api/v1/contract/index_price/BTC_USDT", {}),
    ("fair_price", "/api/v1/contract/fair_price/BTC_USDT", {}),
    ("funding_rate", "/api/v1/contract/funding_rate/BTC_USDT", {}),
    ("funding_rates", "/api/v1/contract/funding_rate", {}),
    ("kline", "/api/v1/contract/kline/BTC_USDT", {"interval": "Min1"}),
    ("kline_index_price", "/api/v1/contract/kline/index_price/BTC_USDT", {}),
    ("kline_fair_price", "/api/v1/contract/kline/fair_price/BTC_USDT", {}),
    ("deals", "/api/v1/contract/deals/BTC_USDT", {}),
    ("ticker", "/api/v1/contract/ticker", {"symbol": "BTC_USDT"}),
    ("risk_reverse", "/api/v1/contract/risk_reverse", {}),
    ("risk_reverse_history", "/api/v1/contract/risk_reverse/history",
     {"symbol": "BTC_USDT", "page_num": 1, "page_size": 5}),
    ("funding_rate_history", "/api/v1/contract/funding_rate/history",
     {"symbol": "BTC_USDT", "page_num": 1, "page_size": 5}),
]
PRIVATE_GETS: list[tuple[str, str, dict[str, Any]]] = [
    ("account_assets", "/api/v1/private/account/assets", {}),
    ("account_asset", "/api/v1/private/account/asset/USDT", {}),
    ("risk_limit", "/api/v1/private/account/risk_limit", {}),
    ("open_positions", "/api/v1/private/position/open_positions", {}),
    ("leverage", "/api/v1/private/position/leverage", {"symbol": "BTC_USDT"}),
    ("position_mode", "/api/v1/private/position/position_mode", {}),
    ("open_orders", "/api/v1/private/order/list/open_orders", {"page_num": 1, "page_size": 20}),
    ("history_orders", "/api/v1/private/order/list/history_orders",
     {"symbol": "BTC_USDT", "page_num": 1, "page_size": 20}),
    ("order_deals_v3", "/api/v1/private/order/list/order_deals/v3",
     {"symbol": "BTC_USDT", "page_num": 1, "page_size": 20}),
    ("open_order_total_count", "/api/v1/private/order/open_order_total_count", {}),
    ("stop_open_orders", "/api/v1/private/stoporder/open_orders", {}),
    ("plan_orders", "/api/v1/private/planorder/list/orders", {"page_num": 1, "page_size": 20}),
]


async def _trade(ex: Emulator, http: aiohttp.ClientSession) -> tuple[str, str]:
    _, book = await get(http, ex, "/api/v1/contract/depth/BTC_USDT", {"limit": 1})
    ask, bid = book["data"]["asks"][0][0], book["data"]["bids"][0][0]
    body = {"symbol": "BTC_USDT", "vol": 2, "leverage": 10, "type": 1, "openType": 2}
    _, filled = await post(http, ex, "/api/v1/private/order/create",
                           dict(body, price=ask, side=1, externalOid="shape-fill"))
    _, resting = await post(http, ex, "/api/v1/private/order/create",
                            dict(body, price=round(bid * 0.9, 1), side=1,
                                 externalOid="shape-rest"))
    return filled["data"]["orderId"], resting["data"]["orderId"]


async def test_rest_shapes(ex: Emulator) -> None:
    refs = _rest_refs()
    problems: list[str] = []
    async with aiohttp.ClientSession() as http:
        filled, resting = await _trade(ex, http)
        calls = [(n, p, q, None) for n, p, q in PUBLIC_CALLS] + [
            (n, p, q, ex.credentials) for n, p, q in PRIVATE_GETS] + [
            ("order_get", f"/api/v1/private/order/get/{resting}", {}, ex.credentials),
            ("order_get_external", "/api/v1/private/order/external/BTC_USDT/shape-rest", {},
             ex.credentials),
            ("order_batch_query", "/api/v1/private/order/batch_query",
             {"order_ids": f"{filled},{resting}"}, ex.credentials),
            ("order_deal_details", f"/api/v1/private/order/deal_details/{filled}", {},
             ex.credentials),
        ]
        for name, path, query, creds in calls:
            status, body = await get(http, ex, path, query, creds=creds)
            assert status == 200, name
            codec.decode_response(endpoint(name), json.dumps(body))
            data = body.get("data")
            if name in BY_SYMBOL and isinstance(data, dict) and data:
                data = next(iter(data.values()))
            row = _row(data)
            if row and refs.get(name):
                problems += _compare(name, row, refs[name])
        _, cancelled = await post(http, ex, "/api/v1/private/order/cancel", [resting])
        codec.decode_response(endpoint("order_cancel"), json.dumps(cancelled))
        problems += _compare("order_cancel", _row(cancelled["data"]) or {},
                             refs["order_cancel"])
    assert problems == [], "\n".join(problems)


async def test_ws_shapes(ex: Emulator) -> None:
    refs = _ws_refs()
    seen: dict[str, dict[str, Any]] = {}
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(ex.ws_url)
        seen["rs.login"] = await login(ws, ex)
        for ch, param in [("tickers", {}), ("ticker", {}), ("deal", {}), ("depth", {}),
                          ("depth.full", {"limit": 5}), ("kline", {"interval": "Min1"}),
                          ("funding.rate", {}), ("index.price", {}), ("fair.price", {}),
                          ("contract", {})]:
            await ws.send_str(json.dumps({"method": f"sub.{ch}",
                                          "param": dict(param, symbol="BTC_USDT")}))
        await ws.send_str('{"method":"ping"}')
        await ws.send_str('{"method":"sub.deal","param":{"symbol":"NOPE_USDT"}}')
        await _trade(ex, http)
        ex.venue.set_api_allowed("ETH_USDT", False)  # -> push.contract
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.5
        while loop.time() < deadline:
            try:
                frame = await recv_json(ws, max(0.05, deadline - loop.time()))
            except TimeoutError:
                break
            seen.setdefault(frame["channel"], frame)
        await ws.close()
    problems: list[str] = []
    for channel, frame in seen.items():
        decoded = codec.decode_frame(json.dumps(frame))
        assert type(decoded).__name__ != "Unknown", channel
        if channel in refs:
            problems += _compare(channel, frame, refs[channel])
            data = _row(frame["data"])
            ref_rows = [r for f in refs[channel] if (r := _row(f.get("data")))]
            if channel == "push.contract":  # spec §7.5: same fields as REST contract/detail
                ref_rows += _rest_refs()["contract_detail"]
            if data and ref_rows:
                problems += _compare(channel + ".data", data, ref_rows)
    for must in ("pong", "rs.sub.deal", "rs.error", "rs.login", "push.depth", "push.deal",
                 "push.depth.full", "push.ticker", "push.tickers", "push.kline",
                 "push.index.price", "push.fair.price", "push.contract", "push.personal.order",
                 "push.personal.order.deal", "push.personal.position", "push.personal.asset"):
        assert must in seen, must
    assert problems == [], "\n".join(problems)
