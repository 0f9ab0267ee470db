"""Black-box conformance of the emulator with the spec's §12 checklist.

Written as an outsider's acceptance test: the emulator is reached ONLY over raw HTTP (aiohttp
client) and a plain WebSocket, requests are signed by hand with ``hmac``/``hashlib`` (never the
project's ``Signer``, so a signing bug shared by client and emulator cannot hide), and nothing of
``mexc_futures`` is imported except ``Emulator`` to start the server in-process (its URLs and key
pair are what the CLI prints; one test starts the real CLI as a subprocess and uses those).
Venue time is moved with the control interface (``POST /_emulator/advance``), never by sleeping.

Each test names the §12 item (and the spec section) it checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import os
import re
import signal
import socket
import subprocess  # nosec B404 - the test starts the project's own CLI
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from yarl import URL

from mexc_futures.emulator.server.server import Emulator

pytestmark = pytest.mark.timeout(60)

SYM = "BTC_USDT"


# -- an outsider's client -------------------------------------------------------------------------
@dataclass
class Venue:
    """What a client knows about the venue: URLs, the key pair and the control token."""

    rest: str
    ws: str
    key: str
    secret: str
    token: str
    ro_key: str = ""
    ro_secret: str = ""


def now_ms() -> int:
    return int(time.time() * 1000)


def hmac_hex(secret: str, target: str) -> str:
    return hmac.new(secret.encode(), target.encode(), hashlib.sha256).hexdigest()


def signed_headers(v: Venue, param_string: str, *, req_time: int | None = None,
                   key: str | None = None, secret: str | None = None) -> dict[str, str]:
    """§3.1/§3.2 headers: ``Signature = hex(HMAC(secret, key + Request-Time + paramString))``."""
    k, s = key or v.key, secret or v.secret
    rt = str(now_ms() if req_time is None else req_time)
    return {"ApiKey": k, "Request-Time": rt, "Signature": hmac_hex(s, k + rt + param_string),
            "Content-Type": "application/json"}


async def rest(s: aiohttp.ClientSession, method: str, url: str | URL,
               headers: dict[str, str] | None = None, body: bytes | None = None
               ) -> tuple[int, str, Any]:
    async with s.request(method, url, headers=headers, data=body) as r:
        text = await r.text()
        return r.status, r.content_type, json.loads(text)


async def public(s: aiohttp.ClientSession, v: Venue, path: str) -> Any:
    status, _, env = await rest(s, "GET", v.rest + path)
    assert status == 200
    return env


async def sget(s: aiohttp.ClientSession, v: Venue, path: str, params: dict[str, str]) -> Any:
    """Signed GET with the docs' encoding (§3.3 SDK rule): sorted, values %-encoded (%20)."""
    qs = "&".join(f"{k}={quote(str(params[k]), safe='')}" for k in sorted(params))
    url = URL(v.rest + path + (f"?{qs}" if qs else ""), encoded=True)
    status, _, env = await rest(s, "GET", url, signed_headers(v, qs))
    assert status == 200
    return env


async def spost(s: aiohttp.ClientSession, v: Venue, path: str, payload: Any,
                *, raw: bytes | None = None) -> Any:
    """Signed POST over the exact body bytes (§3.2)."""
    body = raw if raw is not None else json.dumps(payload, separators=(",", ":")).encode()
    status, _, env = await rest(s, "POST", v.rest + path, signed_headers(v, body.decode()), body)
    assert status == 200
    return env


async def advance(s: aiohttp.ClientSession, v: Venue, ms: int) -> None:
    async with s.post(v.rest + "/_emulator/advance", json={"ms": ms},
                      headers={"X-Emulator-Token": v.token}) as r:
        assert r.status == 200


def ok(env: Any) -> Any:
    assert env["success"] is True, env
    assert env["code"] == 0, env
    return env.get("data")


def fail(env: Any, code: int, message: str | None = None) -> None:
    assert set(env) == {"success", "code", "message"}, env
    assert env["success"] is False, env
    assert env["code"] == code, env
    if message is not None:
        assert env["message"] == message


async def recv(ws: aiohttp.ClientWebSocketResponse, wait_s: float = 3.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=wait_s)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    frame: dict[str, Any] = json.loads(msg.data)
    return frame


async def recv_channel(ws: aiohttp.ClientWebSocketResponse, channel: str,
                       wait_s: float = 3.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no {channel} frame"
        frame = await recv(ws, left)
        if frame.get("channel") == channel:
            return frame


async def private_until_pong(http: aiohttp.ClientSession, v: Venue,
                             ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Frames pushed before a pong, after flushing the venue's queued pushes.

    Private pushes travel on the venue's next tick, not with the REST reply (as live, a client
    cannot rely on their timing): ``/_emulator/advance`` with 0 ms runs that tick at once, so
    every push caused by earlier REST calls is on the socket before the ping's pong."""
    await advance(http, v, 0)
    await ws.send_json({"method": "ping"})
    frames = []
    while (f := await recv(ws))["channel"] != "pong":
        frames.append(f)
    return frames


def login_frame(v: Venue, *, placement: str | None = None, secret: str | None = None
                ) -> dict[str, Any]:
    rt = str(now_ms())
    param: dict[str, Any] = {"apiKey": v.key, "reqTime": rt,
                             "signature": hmac_hex(secret or v.secret, v.key + rt)}
    frame: dict[str, Any] = {"method": "login", "param": param}
    if placement == "top":
        frame["subscribe"] = False
    elif placement == "param":
        param["subscribe"] = False
    return frame


async def best_prices(s: aiohttp.ClientSession, v: Venue, symbol: str = SYM) -> tuple[float, float]:
    d = ok(await public(s, v, f"/api/v1/contract/depth/{symbol}?limit=5"))
    return d["bids"][0][0], d["asks"][0][0]


async def resting_buy(s: aiohttp.ClientSession, v: Venue, **extra: Any) -> Any:
    bid, _ = await best_prices(s, v)
    order = {"symbol": SYM, "price": bid, "vol": 1, "leverage": 10, "side": 1, "type": 2,
             "openType": 1, **extra}
    return await spost(s, v, "/api/v1/private/order/create", order)


def market_buy(vol: int = 2) -> dict[str, Any]:
    return {"symbol": SYM, "vol": vol, "leverage": 10, "side": 1, "type": 5, "openType": 1}


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
async def venue() -> AsyncIterator[Venue]:
    async with Emulator(seed=11, symbols=[SYM, "ETH_USDT"]) as ex:
        c, ro = ex.credentials, ex.readonly_credentials
        yield Venue(ex.rest_url, ex.ws_url, c.api_key, c.secret, ex.control_token,
                    ro.api_key, ro.secret)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


# -- §12.1 envelope and HTTP status ---------------------------------------------------------------
async def test_envelope_success_error_and_void(venue: Venue, http: aiohttp.ClientSession) -> None:
    status, ctype, env = await rest(http, "GET", venue.rest + "/api/v1/contract/ping")
    assert (status, ctype) == (200, "application/json")
    assert set(env) == {"success", "code", "data"}
    assert isinstance(env["data"], int)
    assert abs(env["data"] - now_ms()) < 5_000  # §4 P1: server time in ms
    status, _, env = await rest(http, "GET", venue.rest + "/api/v1/contract/depth/NOPE_USDT")
    assert status == 200  # §2: business errors are HTTP 200
    fail(env, 1001, "Contract does not exist")
    void = await spost(http, venue, "/api/v1/private/order/cancel_all", {"symbol": SYM})
    assert void == {"success": True, "code": 0}  # §2: data omitted for void calls


# -- §12.2 auth order and signing -----------------------------------------------------------------
async def test_auth_order_401_513_602(venue: Venue, http: aiohttp.ClientSession) -> None:
    path = venue.rest + "/api/v1/private/account/assets"
    stale = now_ms() - 30_000
    bad = {"ApiKey": "mx0vglNOPE", "Request-Time": str(stale), "Signature": "0" * 64}
    # unknown key wins over time and signature
    fail((await rest(http, "GET", path, bad))[2], 401, "Unauthorized")
    fail((await rest(http, "GET", path, {}))[2], 401)  # no ApiKey at all [UNCONFIRMED: 401]
    hdr = dict(bad, ApiKey=venue.key)
    fail((await rest(http, "GET", path, hdr))[2], 513,  # time is checked before the signature
         "Invalid request (for open api serves time more or less than 10s)")
    ahead = signed_headers(venue, "", req_time=now_ms() + 5_000)
    fail((await rest(http, "GET", path, ahead))[2], 513)  # > 2 s ahead
    behind = signed_headers(venue, "", req_time=now_ms() - 9_000)
    ok((await rest(http, "GET", path, behind))[2])  # 9 s behind is inside the 10 s window
    wide = dict(signed_headers(venue, "", req_time=stale), **{"Recv-Window": "40"})
    ok((await rest(http, "GET", path, wide))[2])  # Recv-Window 40 (s) admits 30 s behind
    narrow = dict(signed_headers(venue, "", req_time=now_ms() - 7_000), **{"Recv-Window": "5000"})
    fail((await rest(http, "GET", path, narrow))[2], 513)  # Recv-Window 5000 (ms) [UNCONFIRMED]
    badsig = dict(signed_headers(venue, ""), Signature="f" * 64)
    fail((await rest(http, "GET", path, badsig))[2], 602, "Signature verification failed!")
    ok((await rest(http, "GET", path, signed_headers(venue, "")))[2])
    # §3.5: a read-only key may read but not trade (704)
    ro = signed_headers(venue, "", key=venue.ro_key, secret=venue.ro_secret)
    ok((await rest(http, "GET", path, ro))[2])
    body = json.dumps({"symbol": SYM}).encode()
    ro = signed_headers(venue, body.decode(), key=venue.ro_key, secret=venue.ro_secret)
    fail((await rest(http, "POST", venue.rest + "/api/v1/private/order/cancel_all", ro, body))[2],
         704)


async def test_get_signing_encoded_and_raw_values(venue: Venue,
                                                  http: aiohttp.ClientSession) -> None:
    """§3.3 conclusion 2: the emulator accepts the %-encoded and the raw value string."""
    path = "/api/v1/private/order/list/history_orders"
    params = {"symbol": SYM, "states": "3,4", "page_num": "1", "page_size": "20"}
    encoded = "page_num=1&page_size=20&states=3%2C4&symbol=BTC_USDT"
    raw = "page_num=1&page_size=20&states=3,4&symbol=BTC_USDT"
    url = URL(venue.rest + path + "?" + encoded, encoded=True)
    for signed in (encoded, raw):  # official docs' Java / official 2026 demo SDKs
        assert isinstance(ok((await rest(http, "GET", url, signed_headers(venue, signed)))[2]),
                          list)
    raw_url = URL(venue.rest + path + "?" + raw, encoded=True)  # commas sent unencoded (pymexc)
    ok((await rest(http, "GET", raw_url, signed_headers(venue, raw)))[2])
    # a value with a space: %20 (docs), + (ccxt/Python urlencode) and raw, each as sent
    spaced = URL(venue.rest + path + "?note=a%20b&symbol=BTC_USDT", encoded=True)
    plussed = URL(venue.rest + path + "?note=a+b&symbol=BTC_USDT", encoded=True)
    for url_, signed in ((spaced, "note=a%20b&symbol=BTC_USDT"),
                         (plussed, "note=a+b&symbol=BTC_USDT"),
                         (spaced, "note=a b&symbol=BTC_USDT")):
        ok((await rest(http, "GET", url_, signed_headers(venue, signed)))[2])
    unsorted = "symbol=BTC_USDT&states=3%2C4&page_size=20&page_num=1"  # §3.3 conclusion 1
    fail((await rest(http, "GET", url, signed_headers(venue, unsorted)))[2], 602)
    # ... also when the URL itself is unsorted and signed exactly as sent
    unsorted_url = URL(venue.rest + path + "?" + unsorted, encoded=True)
    for signed in (unsorted, unsorted.replace("%2C", ",")):
        fail((await rest(http, "GET", unsorted_url, signed_headers(venue, signed)))[2], 602)
    ok((await rest(http, "GET", unsorted_url, signed_headers(venue, encoded)))[2])
    assert isinstance(ok(await sget(http, venue, path, params)), list)


async def test_post_signature_over_raw_bytes(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§3.2/§3.3: POST signs the body byte for byte; a spaced JSON body (Python demo SDK) works."""
    bid, _ = await best_prices(http, venue)
    order = {"symbol": SYM, "price": bid, "vol": 1, "leverage": 10, "side": 1, "type": 2,
             "openType": 1}
    spaced = json.dumps(order).encode()  # ", " and ": " separators
    assert b", " in spaced
    created = ok(await spost(http, venue, "/api/v1/private/order/create", None, raw=spaced))
    assert isinstance(created["orderId"], str)
    compact = json.dumps(order, separators=(",", ":"))
    hdr = signed_headers(venue, compact)  # signed compact, sent spaced -> not the same bytes
    fail((await rest(http, "POST", venue.rest + "/api/v1/private/order/create", hdr, spaced))[2],
         602, "Signature verification failed!")
    # no body: sign "" (§3.2), e.g. close_all
    hdr = signed_headers(venue, "")
    assert (await rest(http, "POST", venue.rest + "/api/v1/private/position/close_all", hdr))[2][
        "success"] is True
    # a bare JSON array body (§5.4 cancel) is signed as-is
    res = ok(await spost(http, venue, "/api/v1/private/order/cancel", [created["orderId"]]))
    assert res[0]["errorCode"] == 0


# -- §12.3 symbols ---------------------------------------------------------------------------------
async def test_symbols_lowercase_and_unknown(venue: Venue, http: aiohttp.ClientSession) -> None:
    d = ok(await public(http, venue, "/api/v1/contract/depth/btc_usdt"))
    assert d["bids"]
    assert d["asks"]
    detail = ok(await public(http, venue, "/api/v1/contract/detail?symbol=btc_usdt"))
    assert detail["symbol"] == SYM
    fail(await public(http, venue, "/api/v1/contract/detail?symbol=NOPE_USDT"), 1001,
         "Contract not exists")  # §6.1: the detail text
    for path in ("/api/v1/contract/ticker?symbol=NOPE_USDT", "/api/v1/contract/deals/NOPE_USDT",
                 "/api/v1/contract/kline/NOPE_USDT", "/api/v1/contract/fair_price/BTCUSDT",
                 "/api/v1/contract/funding_rate/NOPE_USDT"):
        fail(await public(http, venue, path), 1001, "Contract does not exist")
    order = dict(market_buy(), symbol="NOPE_USDT")
    fail(await spost(http, venue, "/api/v1/private/order/create", order), 1001)
    low = await resting_buy(http, venue, symbol="btc_usdt")
    row = ok(await sget(http, venue, f"/api/v1/private/order/get/{ok(low)['orderId']}", {}))
    assert row["symbol"] == SYM


# -- §12.4 ids, §12.5 lifecycle --------------------------------------------------------------------
async def test_ids_external_oid_and_states(venue: Venue, http: aiohttp.ClientSession) -> None:
    created = ok(await resting_buy(http, venue))
    assert set(created) == {"orderId", "ts"}
    assert isinstance(created["orderId"], str)
    oid = created["orderId"]
    assert oid.isdigit()
    assert len(oid) == 18
    row = ok(await sget(http, venue, f"/api/v1/private/order/get/{oid}", {}))
    assert row["orderId"] == oid
    assert row["state"] == 2
    assert row["dealVol"] == 0
    assert re.fullmatch(r"_m_[0-9a-f]{32}", row["externalOid"])
    by_ext = ok(await sget(http, venue,
                           f"/api/v1/private/order/external/{SYM}/{row['externalOid']}", {}))
    assert by_ext["orderId"] == oid
    batch = ok(await sget(http, venue, "/api/v1/private/order/batch_query",
                          {"order_ids": f"{oid},1"}))
    assert [r["orderId"] for r in batch] == [oid]
    cancelled = ok(await spost(http, venue, "/api/v1/private/order/cancel", [oid, "1"]))
    assert [type(r["orderId"]) for r in cancelled] == [int, int]  # numbers in cancel results
    assert cancelled[0] == {"orderId": int(oid), "errorCode": 0, "errorMsg": "success"}
    assert cancelled[1]["errorCode"] == 2040
    again = ok(await spost(http, venue, "/api/v1/private/order/cancel", [oid]))
    assert again[0]["errorCode"] == 2041
    row = ok(await sget(http, venue, f"/api/v1/private/order/get/{oid}", {}))
    assert row["state"] == 4
    assert row["version"] > 1
    filled = ok(await spost(http, venue, "/api/v1/private/order/create",
                            dict(market_buy(), externalOid="conf-1")))
    row = ok(await sget(http, venue, f"/api/v1/private/order/external/{SYM}/conf-1", {}))
    assert row["orderId"] == filled["orderId"]
    assert row["state"] == 3
    assert row["dealVol"] == 2
    assert row["dealAvgPrice"] > 0
    legacy = ok(await spost(http, venue, "/api/v1/private/order/submit", market_buy(1)))
    assert isinstance(legacy, int)  # §5.3: submit answers the bare id (number, v1 example)


async def test_positions_plans_and_stops(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§5.2 position rows and void calls, §5.6 plan id string / executeCycle in hours, §5.7 stop
    id and rows (``positionId`` a string there)."""
    assert ok(await sget(http, venue, "/api/v1/private/position/position_mode", {})) == 1
    ok(await spost(http, venue, "/api/v1/private/order/create", market_buy(4)))
    pos = ok(await sget(http, venue, "/api/v1/private/position/open_positions", {"symbol": SYM}))
    assert len(pos) == 1
    assert isinstance(pos[0]["positionId"], int)
    assert pos[0]["holdVol"] == 4
    assert pos[0]["positionType"] == 1
    assert pos[0]["state"] == 1
    pid = pos[0]["positionId"]
    lev = ok(await sget(http, venue, "/api/v1/private/position/leverage", {"symbol": SYM}))
    assert {row["positionType"] for row in lev} == {1, 2}
    assert await spost(http, venue, "/api/v1/private/position/change_margin",
                       {"positionId": pid, "amount": 1, "type": "ADD"}) == {"success": True,
                                                                             "code": 0}
    bid, ask = await best_prices(http, venue)
    plan = {"symbol": SYM, "price": bid, "vol": 1, "leverage": 10, "side": 1, "openType": 1,
            "triggerPrice": round(bid * 0.5, 1), "triggerType": 2, "executeCycle": 1,
            "orderType": 1, "trend": 1}
    plan_id = ok(await spost(http, venue, "/api/v1/private/planorder/place", plan))
    assert isinstance(plan_id, str)
    assert plan_id.isdigit()
    plans = ok(await sget(http, venue, "/api/v1/private/planorder/list/orders",
                          {"symbol": SYM, "states": "1", "page_num": "1", "page_size": "20"}))
    assert [(p["id"], p["state"], p["executeCycle"]) for p in plans] == [(plan_id, 1, 24)]
    assert await spost(http, venue, "/api/v1/private/planorder/cancel",
                       [{"symbol": SYM, "orderId": plan_id}]) == {"success": True, "code": 0}
    stop = {"positionId": pid, "vol": 4, "lossTrend": 1, "profitTrend": 1,
            "stopLossPrice": round(bid * 0.5, 1), "takeProfitPrice": round(ask * 1.5, 1),
            "volType": 2, "profitLossVolType": "SAME"}
    stop_id = ok(await spost(http, venue, "/api/v1/private/stoporder/place", stop))
    rows = ok(await sget(http, venue, "/api/v1/private/stoporder/open_orders", {"symbol": SYM}))
    assert [str(r["id"]) for r in rows] == [str(stop_id)]
    assert rows[0]["positionId"] == str(pid)
    assert rows[0]["state"] == 1
    assert await spost(http, venue, "/api/v1/private/stoporder/cancel",
                       [{"stopPlanOrderId": stop_id}]) == {"success": True, "code": 0}
    closed = await spost(http, venue, "/api/v1/private/position/close_all", None, raw=b"")
    assert closed == {"success": True, "code": 0, "data": []}  # §5.2: close_all data []


# -- §12.6 depth (REST) ----------------------------------------------------------------------------
def _check_sorted(asks: list[list[float]], bids: list[list[float]]) -> None:
    assert all(len(lv) == 3 for lv in asks + bids)  # [price, vol, count]
    assert all(lv[1] > 0 and isinstance(lv[2], int) and lv[2] > 0 for lv in asks + bids)
    assert [lv[0] for lv in bids] == sorted({lv[0] for lv in bids}, reverse=True)
    assert [lv[0] for lv in asks] == sorted({lv[0] for lv in asks})
    assert bids[0][0] < asks[0][0]


async def test_rest_depth_and_commits(venue: Venue, http: aiohttp.ClientSession) -> None:
    await advance(http, venue, 5_000)
    d = ok(await public(http, venue, f"/api/v1/contract/depth/{SYM}"))
    assert set(d) == {"asks", "bids", "version", "timestamp", "cts"}
    assert d["cts"] is None
    assert isinstance(d["version"], int)
    assert abs(d["timestamp"] - now_ms()) < 3_600_000
    _check_sorted(d["asks"], d["bids"])
    five = ok(await public(http, venue, f"/api/v1/contract/depth/{SYM}?limit=5"))
    assert len(five["asks"]) == len(five["bids"]) == 5
    commits = ok(await public(http, venue, f"/api/v1/contract/depth_commits/{SYM}/20"))
    assert len(commits) == 20
    versions = [c["version"] for c in commits]
    assert versions == list(range(versions[0], versions[0] - 20, -1))  # newest first, one each
    assert versions[0] <= ok(await public(http, venue, f"/api/v1/contract/depth/{SYM}"))["version"]
    for c in commits:
        assert set(c) >= {"asks", "bids", "version"}
        assert len(c["asks"]) + len(c["bids"]) == 1
        assert len((c["asks"] + c["bids"])[0]) == 3


async def test_kline_columnar_seconds(venue: Venue, http: aiohttp.ClientSession) -> None:
    k = ok(await public(http, venue, f"/api/v1/contract/kline/{SYM}?interval=Min5"))
    cols = {"time", "open", "close", "high", "low", "vol", "amount", "realOpen", "realClose",
            "realHigh", "realLow"}
    assert set(k) == cols
    assert len({len(k[c]) for c in cols}) == 1
    assert k["time"]
    now_s = time.time()
    assert all(isinstance(t, int) and t % 300 == 0 for t in k["time"])  # bar open, seconds
    assert k["time"] == sorted(k["time"])
    assert now_s - 600 < k["time"][-1] <= now_s
    start = k["time"][-3]
    ranged = ok(await public(http, venue,
                             f"/api/v1/contract/kline/{SYM}?interval=Min5&start={start}"))
    assert ranged["time"][0] == start
    idx = ok(await public(http, venue, f"/api/v1/contract/kline/index_price/{SYM}"))
    assert set(idx) == cols
    assert set(idx["vol"]) <= {0}


# -- §12.7 WS control ------------------------------------------------------------------------------
async def test_ws_ping_acks_errors_and_silence(venue: Venue, http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(venue.ws) as ws:
        await ws.send_str('{"method":"ping"}')
        pong = await recv(ws)
        assert set(pong) == {"channel", "data", "ts"}
        assert pong["channel"] == "pong"
        assert isinstance(pong["data"], int)
        assert abs(pong["data"] - now_ms()) < 5_000
        await ws.send_json({"method": "sub.ticker", "param": {"symbol": "NOPE_USDT"}})
        err = await recv(ws)
        assert err["channel"] == "rs.error"
        assert err["data"] == "Contract [NOPE_USDT] not exists"
        await ws.send_json({"method": "sub.nope", "param": {"symbol": SYM}})
        await ws.send_str("not json")
        await ws.send_json({"method": "ping"})
        assert (await recv(ws))["channel"] == "pong"  # nothing for the unknown method
        for sym in (SYM, "eth_usdt"):
            await ws.send_json({"method": "sub.fair.price", "param": {"symbol": sym}})
            ack = await recv_channel(ws, "rs.sub.fair.price")
            assert set(ack) == {"channel", "data", "ts"}
            assert ack["data"] == "success"
        await ws.send_json({"method": "sub.depth.full", "param": {"symbol": SYM, "limit": 7}})
        assert (await recv_channel(ws, "rs.error"))["data"] == "Not support limit"


async def _depth_frames(ws: aiohttp.ClientWebSocketResponse, channel: str, n: int
                        ) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    while len(frames) < n:
        f = await recv(ws)
        if f.get("channel") == channel:
            assert f["symbol"] == SYM
            assert isinstance(f["ts"], int)
            frames.append(f["data"])
    return frames


async def test_ws_depth_merged_unmerged_full(venue: Venue, http: aiohttp.ClientSession) -> None:
    async with (http.ws_connect(venue.ws) as merged, http.ws_connect(venue.ws) as unmerged,
                http.ws_connect(venue.ws) as full):
        await merged.send_json({"method": "sub.depth", "param": {"symbol": SYM}})
        await unmerged.send_json({"method": "sub.depth",
                                  "param": {"symbol": SYM, "compress": False}})
        await full.send_json({"method": "sub.depth.full", "param": {"symbol": SYM, "limit": 5}})
        for ws, ch in ((merged, "depth"), (unmerged, "depth"), (full, "depth.full")):
            assert await recv(ws) == {"channel": f"rs.sub.{ch}", "data": "success",
                                      "ts": pytest.approx(now_ms(), abs=5_000)}
        for _ in range(3):
            await advance(http, venue, 1_000)
        m = await _depth_frames(merged, "push.depth", 4)
        for prev, cur in itertools.pairwise(m):
            assert cur["begin"] == prev["end"] + 1  # §8.1 merged contiguity
        for f in m:
            assert f["begin"] <= f["end"] == f["version"]
            for side in ("asks", "bids"):
                prices = [lv[0] for lv in f[side]]
                assert len(prices) == len(set(prices))
                assert all(len(lv) == 3 for lv in f[side])
        u = await _depth_frames(unmerged, "push.depth", 6)
        assert all("begin" not in f and len(f["asks"]) + len(f["bids"]) == 1 for f in u)
        assert [f["version"] for f in u] == list(range(u[0]["version"], u[0]["version"] + 6))
        fl = await _depth_frames(full, "push.depth.full", 2)
        for f in fl:
            assert len(f["asks"]) == len(f["bids"]) == 5
            _check_sorted(f["asks"], f["bids"])
        assert fl[1]["version"] >= fl[0]["version"]


async def test_ws_book_sync_recipe(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§8.2 as a client runs it: buffer merged frames, REST snapshot V, drop end <= V, the first
    applied frame straddles V+1, later ones are contiguous; the rebuilt book equals the venue's
    book at the last applied version (ground truth over the control interface)."""
    async with http.ws_connect(venue.ws) as ws:
        await ws.send_json({"method": "sub.depth", "param": {"symbol": SYM}})
        assert (await recv(ws))["channel"] == "rs.sub.depth"
        await advance(http, venue, 1_000)
        snap = ok(await public(http, venue, f"/api/v1/contract/depth/{SYM}"))
        book = {"asks": {p: (v, n) for p, v, n in snap["asks"]},
                "bids": {p: (v, n) for p, v, n in snap["bids"]}}
        last = snap["version"]
        for _ in range(4):
            await advance(http, venue, 1_000)
        first = True
        while last < snap["version"] + 10:
            f = (await recv_channel(ws, "push.depth"))["data"]
            if f["end"] <= snap["version"]:
                continue
            assert (f["begin"] <= last + 1 <= f["end"]) if first else f["begin"] == last + 1
            first = False
            for side in ("asks", "bids"):
                for p, v, n in f[side]:
                    if v == 0:
                        book[side].pop(p, None)
                    else:
                        book[side][p] = (v, n)
            last = f["end"]
        async with http.get(venue.rest + f"/_emulator/truth/book/{SYM}",
                            params={"version": str(last)},
                            headers={"X-Emulator-Token": venue.token}) as r:
            truth = await r.json()
    assert truth["version"] == last
    for side, desc in (("asks", False), ("bids", True)):
        rebuilt = [[p, v, n] for p, (v, n) in sorted(book[side].items(), reverse=desc)]
        depth = len(truth[side])
        assert rebuilt[:depth] == truth[side]


async def test_ws_public_channel_shapes(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§7.4/§7.5: push envelope ``{symbol, data, channel, ts}``; arrays where the spec says so."""
    subs = [("deal", {"symbol": SYM}), ("kline", {"symbol": SYM, "interval": "Min1"}),
            ("ticker", {"symbol": SYM}), ("tickers", {}), ("index.price", {"symbol": SYM}),
            ("fair.price", {"symbol": SYM})]
    async with http.ws_connect(venue.ws) as ws:
        for ch, param in subs:
            await ws.send_json({"method": f"sub.{ch}", "param": param})
            assert (await recv_channel(ws, f"rs.sub.{ch}"))["data"] == "success"
        seen: dict[str, dict[str, Any]] = {}
        for _ in range(20):
            if len(seen) == len(subs):
                break
            await advance(http, venue, 1_500)
            with_pong = await private_until_pong(http, venue, ws)
            for f in with_pong:
                seen.setdefault(f["channel"].removeprefix("push."), f)
    assert set(seen) == {ch for ch, _ in subs}, set(seen)
    for ch, f in seen.items():
        if ch == "tickers":
            assert "symbol" not in f
            assert isinstance(f["data"], list)
        else:
            assert f["symbol"] == SYM
            assert list(f)[-2:] == ["channel", "ts"]
    deal = seen["deal"]["data"]
    assert isinstance(deal, list)
    assert set(deal[0]) >= {"p", "v", "T", "O", "M", "t"}
    k = seen["kline"]["data"]
    assert k["interval"] == "Min1"
    assert k["t"] % 60 == 0
    assert k["t"] < 10**11
    t = seen["ticker"]["data"]
    assert isinstance(t["riseFallRates"], list)
    assert len(t["riseFallRates"]) == 6
    assert set(seen["index.price"]["data"]) == {"symbol", "price"}


async def test_public_rest_shapes(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§4.5 deals newest first, §4.6 REST ``riseFallRates`` object, §4.7 funding fields."""
    await advance(http, venue, 10_000)  # ~10 synthetic takers at the light profile's 1/s
    deals = ok(await public(http, venue, f"/api/v1/contract/deals/{SYM}?limit=5"))
    assert 0 < len(deals) <= 5
    assert all(set(d) >= {"p", "v", "T", "O", "M", "t"} for d in deals)
    assert [d["t"] for d in deals] == sorted((d["t"] for d in deals), reverse=True)
    tick = ok(await public(http, venue, f"/api/v1/contract/ticker?symbol={SYM}"))
    assert isinstance(tick["riseFallRates"], dict)
    assert tick["bid1"] < tick["ask1"]
    assert isinstance(ok(await public(http, venue, "/api/v1/contract/ticker")), list)
    fr = ok(await public(http, venue, f"/api/v1/contract/funding_rate/{SYM}"))
    assert set(fr) >= {"symbol", "fundingRate", "maxFundingRate", "minFundingRate",
                       "collectCycle", "nextSettleTime", "timestamp"}
    assert fr["nextSettleTime"] % (fr["collectCycle"] * 3_600_000) == 0
    detail = ok(await public(http, venue, "/api/v1/contract/detail"))
    assert len(detail) == 2
    assert {d["symbol"] for d in detail} == {SYM, "ETH_USDT"}


async def test_private_variants_clients_use(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§5.4 cancel_with_external v1 object and v2 array; §5.5 open_order_total_count GET+POST."""
    for ext, body_of in (("conf-v1", lambda e: {"symbol": SYM, "externalOid": e}),
                         ("conf-v2", lambda e: [{"symbol": SYM, "externalOid": e}])):
        ok(await resting_buy(http, venue, externalOid=ext))
        res = await spost(http, venue, "/api/v1/private/order/cancel_with_external", body_of(ext))
        ok(res)
        row = ok(await sget(http, venue, f"/api/v1/private/order/external/{SYM}/{ext}", {}))
        assert row["state"] == 4
    ok(await resting_buy(http, venue))
    got = ok(await sget(http, venue, "/api/v1/private/order/open_order_total_count", {}))
    posted = ok(await spost(http, venue, "/api/v1/private/order/open_order_total_count", None,
                            raw=b""))
    assert got == posted
    assert got["limitOrderCount"] == 1
    opens = ok(await sget(http, venue, "/api/v1/private/order/list/open_orders",
                          {"page_num": "1", "page_size": "20"}))
    assert len(opens) == 1
    assert isinstance(opens[0]["orderId"], str)


async def test_ws_repeat_unsub_and_ping_timeout(venue: Venue,
                                                http: aiohttp.ClientSession) -> None:
    """§7.3: a repeated sub is acked again, never doubled; unsub has no ack (default) and stops
    the stream. §7.2/§12.7: 60 s of venue time without a ping -> rs.error text, then closed."""
    async with http.ws_connect(venue.ws) as ws:
        for _ in range(2):
            await ws.send_json({"method": "sub.fair.price", "param": {"symbol": SYM}})
            assert (await recv(ws))["channel"] == "rs.sub.fair.price"
        await ws.send_json({"method": "sub.ticker", "param": {"symbol": "ETH_USDT"}})
        assert (await recv(ws))["channel"] == "rs.sub.ticker"
        await advance(http, venue, 3_000)
        frames = await private_until_pong(http, venue, ws)
        fair = [f["ts"] for f in frames if f["channel"] == "push.fair.price"]
        assert fair
        assert len(fair) == len(set(fair))
        await ws.send_json({"method": "unsub.fair.price", "param": {"symbol": SYM}})
        await advance(http, venue, 3_000)
        frames = await private_until_pong(http, venue, ws)
        assert not [f for f in frames if f["channel"] in ("rs.unsub.fair.price",
                                                          "push.fair.price")]
    async with http.ws_connect(venue.ws) as idle:
        await idle.send_json({"method": "sub.ticker", "param": {"symbol": SYM}})
        await advance(http, venue, 61_000)
        texts = []
        while (msg := await idle.receive(timeout=3)).type == aiohttp.WSMsgType.TEXT:
            texts.append(json.loads(msg.data))
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.ERROR)
        assert texts[-1] == {"channel": "rs.error",
                             "data": "more than 60 seconds no response, close the channel",
                             "ts": texts[-1]["ts"]}


# -- §12.8 login and private pushes ----------------------------------------------------------------
async def test_login_both_placements_and_filter_replace(venue: Venue,
                                                        http: aiohttp.ClientSession) -> None:
    async with http.ws_connect(venue.ws) as bad:
        await bad.send_json(login_frame(venue, secret="0" * 32))
        assert (await recv(bad))["channel"] == "rs.error"
    for placement in ("top", "param"):
        async with http.ws_connect(venue.ws) as ws:
            await ws.send_json(login_frame(venue, placement=placement))
            assert (await recv(ws))["channel"] == "rs.login"
            ok(await spost(http, venue, "/api/v1/private/order/create", market_buy(1)))
            assert await private_until_pong(http, venue, ws) == []  # subscribe:false: no push
            await ws.send_json({"method": "personal.filter",
                                "param": {"filters": [{"filter": "asset"}]}})
            assert (await recv(ws))["channel"] == "rs.personal.filter"
            await ws.send_json({"method": "personal.filter",  # replaces the asset filter
                                "param": {"filters": [{"filter": "order", "rules": [SYM]}]}})
            assert (await recv(ws))["channel"] == "rs.personal.filter"
            ok(await spost(http, venue, "/api/v1/private/order/create", market_buy(1)))
            got = [f["channel"] for f in await private_until_pong(http, venue, ws)]
            assert got
            assert set(got) == {"push.personal.order"}


async def test_private_push_order(venue: Venue, http: aiohttp.ClientSession) -> None:
    """§7.8's order after a filled market order: order -> order.deal -> position -> asset."""
    rank = {"push.personal.order": 0, "push.personal.order.deal": 1,
            "push.personal.position": 2, "push.personal.asset": 3}
    async with http.ws_connect(venue.ws) as ws:
        await ws.send_json(login_frame(venue))
        assert (await recv(ws))["channel"] == "rs.login"
        created = ok(await spost(http, venue, "/api/v1/private/order/create", market_buy(3)))
        frames = [f for f in await private_until_pong(http, venue, ws) if f["channel"] in rank]
    assert all(set(f) == {"channel", "data", "ts"} for f in frames)  # no top-level symbol
    kinds = [rank[f["channel"]] for f in frames]
    assert kinds == sorted(kinds), kinds
    assert set(kinds) == {0, 1, 2, 3}, kinds
    orders = [f["data"] for f in frames if f["channel"] == "push.personal.order"]
    assert all(o["orderId"] == created["orderId"] for o in orders)
    assert [o["state"] for o in orders][-1] == 3
    versions = [o["version"] for o in orders]
    assert versions == sorted(set(versions))


# -- §12.10 rate limits ----------------------------------------------------------------------------
async def test_rate_limits_510_http_200(venue: Venue, http: aiohttp.ClientSession) -> None:
    bid, _ = await best_prices(http, venue)
    order = {"symbol": SYM, "price": bid, "vol": 1, "leverage": 10, "side": 1, "type": 2,
             "openType": 1}
    codes = [(await spost(http, venue, "/api/v1/private/order/create", order))["code"]
             for _ in range(5)]
    assert codes == [0, 0, 0, 0, 510]  # §9.1: order/create 4 / 2 s
    env = await spost(http, venue, "/api/v1/private/order/create", order)
    fail(env, 510, "Requests are too frequent, please try again later")
    # public depth: 10 / 2 s per client (best_prices used one)
    codes = [(await public(http, venue, f"/api/v1/contract/depth/{SYM}"))["code"]
             for _ in range(10)]
    assert codes == [0] * 9 + [510]
    # another bucket is unaffected
    ok(await public(http, venue, "/api/v1/contract/ping"))


# -- the CLI as an outsider starts it --------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _read_banner(proc: asyncio.subprocess.Process) -> str:
    """stdout up to the "Serving" line (what a supervisor reading the pipe sees)."""
    assert proc.stdout is not None
    text = ""
    while "Serving" not in text:
        line = (await proc.stdout.readline()).decode()
        if not line:
            break
        text += line
    return text


def _field(banner: str, label: str) -> str:
    found = re.search(rf"^{label}\s+(\S+)", banner, re.MULTILINE)
    assert found, (label, banner)
    return found.group(1)


async def test_cli_emulator_end_to_end() -> None:
    """``mexc-futures emulator`` in a subprocess: URLs and keys from stdout, a signed order, then
    SIGINT -> exit 0 without a traceback. stdout is a pipe and not forced unbuffered: the banner
    must reach a supervisor that reads it line by line."""
    exe = Path(sys.executable).with_name("mexc-futures")
    port = _free_port()
    env = {k: val for k, val in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = await asyncio.create_subprocess_exec(
        str(exe), "emulator", "--port", str(port), "--symbols", "BTC_USDT,ETH_USDT",
        "--seed", "5", stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    try:
        banner = await asyncio.wait_for(_read_banner(proc), 20)
        if "Serving" not in banner:
            proc.kill()
            _, err_b = await asyncio.wait_for(proc.communicate(), 15)
            pytest.fail(f"no banner on stdout: {banner!r}\nstderr: {err_b.decode()}")
        rest_url = _field(banner, "REST")
        assert rest_url == f"http://127.0.0.1:{port}/api/v1/contract/ping"
        v = Venue(rest=rest_url.removesuffix("/api/v1/contract/ping"),
                  ws=_field(banner, "WebSocket"), key=_field(banner, "API key"),
                  secret=_field(banner, "API secret"), token=_field(banner, "Token"))
        assert v.ws == f"ws://127.0.0.1:{port}/edge"
        async with aiohttp.ClientSession() as s:
            ok(await public(s, v, "/api/v1/contract/ping"))
            async with s.ws_connect(v.ws) as ws:
                await ws.send_json(login_frame(v))
                assert (await recv(ws))["channel"] == "rs.login"
                created = ok(await spost(s, v, "/api/v1/private/order/create", market_buy(1)))
                push = await recv_channel(ws, "push.personal.order")
                assert push["data"]["orderId"] == created["orderId"]
            assert ok(await sget(s, v, "/api/v1/private/account/assets", {}))
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            out_b, err_b = await asyncio.wait_for(proc.communicate(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert "Stopped." in out
