"""The emulator over real loopback sockets: REST envelope/auth/limits, WS protocol, order life."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mexc_futures.config import Credentials
from mexc_futures.emulator.server.server import Emulator

from .emulator_helpers import SYMS, get, headers, login, post, recv_json, recv_until

CREATE = "/api/v1/private/order/create"


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(symbols=SYMS, seed=3) as emulator:
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# ---------------------------------------------------------------- REST envelope and status
async def test_envelopes_and_unknown_path(ex: Emulator, http: aiohttp.ClientSession) -> None:
    status, body = await get(http, ex, "/api/v1/contract/ping")
    assert status == 200
    assert body["success"] is True
    assert body["code"] == 0
    assert isinstance(body["data"], int)
    status, body = await get(http, ex, "/api/v1/contract/depth/NOPE_USDT")
    assert (status, body) == (200, {"success": False, "code": 1001,
                                    "message": "Contract does not exist"})
    status, _ = await get(http, ex, "/api/v1/contract/nothing/here")
    assert status == 404
    status, body = await post(http, ex, "/api/v1/private/order/cancel_all", {"symbol": "BTC_USDT"})
    assert body == {"success": True, "code": 0}  # void call: no data key


# ---------------------------------------------------------------- auth (spec §3, §12.2)
async def test_auth_401(ex: Emulator, http: aiohttp.ClientSession) -> None:
    async with http.get(ex.rest_url + "/api/v1/private/account/assets") as r:
        assert (r.status, (await r.json())["code"]) == (200, 401)
    stranger = Credentials("mx0vglUNKNOWNkey0001", "s" * 32)
    _, body = await get(http, ex, "/api/v1/private/account/assets", creds=stranger)
    assert body["code"] == 401


async def test_auth_513_ahead_behind_and_recv_window(
    ex: Emulator, http: aiohttp.ClientSession
) -> None:
    now = ex.clock.time_ms()
    path = "/api/v1/private/account/assets"
    _, ahead = await get(http, ex, path, creds=ex.credentials, req_time=now + 3_000)
    _, behind = await get(http, ex, path, creds=ex.credentials, req_time=now - 11_000)
    assert ahead["code"] == 513
    assert behind["code"] == 513
    signer = ex.credentials.signer()
    rt = str(now - 20_000)
    hdrs = signer.auth_headers(rt, signer.sign(rt, ""), recv_window_ms=30)  # 30 = seconds
    async with http.get(ex.rest_url + path, headers=hdrs) as r:
        assert (await r.json())["code"] == 0
    hdrs = signer.auth_headers(rt, signer.sign(rt, ""), recv_window_ms=15_000)  # ms
    async with http.get(ex.rest_url + path, headers=hdrs) as r:
        assert (await r.json())["code"] == 513


async def test_auth_602_get_and_post(ex: Emulator, http: aiohttp.ClientSession) -> None:
    wrong = Credentials(ex.credentials.api_key, "not-the-secret")
    _, body = await get(http, ex, "/api/v1/private/order/list/history_orders",
                        {"symbol": "BTC_USDT", "page_num": 1}, creds=wrong)
    assert body == {"success": False, "code": 602, "message": "Signature verification failed!"}
    _, body = await post(http, ex, CREATE, {"symbol": "BTC_USDT"}, creds=wrong)
    assert body["code"] == 602
    # POST: signed over different bytes than sent -> 602
    payload = '{"symbol": "BTC_USDT"}'
    hdrs = headers(ex, ex.credentials, payload.replace(" ", ""))
    async with http.post(ex.rest_url + "/api/v1/private/order/cancel_all", data=payload,
                         headers=hdrs) as r:
        assert (await r.json())["code"] == 602


async def test_space_separated_body_signed_as_sent(
    ex: Emulator, http: aiohttp.ClientSession
) -> None:
    raw = json.dumps({"symbol": "BTC_USDT"})  # default separators ", " / ": " (demo SDKs)
    assert " " in raw
    _, body = await post(http, ex, "/api/v1/private/order/cancel_all", None, raw=raw)
    assert body == {"success": True, "code": 0}


async def test_get_raw_value_variant_accepted(ex: Emulator, http: aiohttp.ClientSession) -> None:
    signer = ex.credentials.signer()
    rt = str(ex.clock.time_ms())
    raw = "order_ids=1,2"
    hdrs = signer.auth_headers(rt, signer.sign(rt, raw))  # pymexc-style: raw values signed
    async with http.get(ex.rest_url + "/api/v1/private/order/batch_query?order_ids=1%2C2",
                        headers=hdrs) as r:
        assert (await r.json())["code"] != 602


async def test_auth_704_read_only_key(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ro = ex.readonly_credentials
    _, body = await get(http, ex, "/api/v1/private/account/assets", creds=ro)
    assert body["code"] == 0
    _, body = await post(http, ex, CREATE, {"symbol": "BTC_USDT", "vol": 1}, creds=ro)
    assert body["code"] == 704


async def test_rest_rate_limit_510(ex: Emulator, http: aiohttp.ClientSession) -> None:
    codes = [(await get(http, ex, "/api/v1/contract/depth/BTC_USDT"))[1]["code"]
             for _ in range(12)]
    assert codes[:10] == [0] * 10
    assert codes[-1] == 510
    status, body = await get(http, ex, "/api/v1/contract/depth/BTC_USDT")
    assert (status, body) == (200, {"success": False, "code": 510,
                                    "message": "Requests are too frequent, please try again later"})


# ---------------------------------------------------------------- order life over REST + WS
def _order_body(symbol: str, price: float, vol: int, side: int, oid: str) -> dict[str, object]:
    return {"symbol": symbol, "price": price, "vol": vol, "leverage": 10, "side": side,
            "type": 1, "openType": 2, "externalOid": oid}


async def _private_frames(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[dict]:
    frames: list[dict] = []
    while len(frames) < n:
        f = await recv_json(ws, 3.0)
        if f["channel"].startswith("push.personal."):
            frames.append(f)
    return frames


async def test_order_whole_life(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ex.venue.set_flow_rate("ETH_USDT", 0.0001)  # quiet book: only our orders trade
    other = Credentials("mx0vglCOUNTERPARTY01", "c" * 32)
    ex.keys.add(other.api_key, other.secret)
    ex.venue.add_account(other.api_key, other.secret)  # the venue never invents accounts
    ws = await http.ws_connect(ex.ws_url)
    assert (await login(ws, ex))["data"] == "success"
    await ws.send_str(json.dumps({"method": "personal.filter", "param": {"filters": [
        {"filter": "order", "rules": ["ETH_USDT"]}, {"filter": "order.deal"},
        {"filter": "position"}, {"filter": "asset"}]}}))
    await recv_until(ws, "rs.personal.filter")
    _, book = await get(http, ex, "/api/v1/contract/depth/ETH_USDT", {"limit": 1})
    best_ask, ask_vol = book["data"]["asks"][0][:2]
    # 1) partial fill: buy more than the best ask holds, at that price -> rest the remainder
    _, created = await post(http, ex, CREATE, _order_body("ETH_USDT", best_ask, ask_vol + 5, 1,
                                                          "life-1"))
    assert created["code"] == 0
    order_id = created["data"]["orderId"]
    frames = await _private_frames(ws, 1)
    first = frames[0]
    assert first["channel"] == "push.personal.order"
    assert first["data"]["state"] == 2
    assert first["data"]["dealVol"] == ask_vol
    rest = []
    while not rest or rest[-1]["channel"] != "push.personal.asset":
        rest += await _private_frames(ws, 1)
    kinds = [f["channel"].removeprefix("push.personal.") for f in rest]
    assert kinds[-2:] == ["position", "asset"]
    assert set(kinds[:-2]) == {"order.deal"}
    # 2) the counterparty sells the remainder into our resting order -> filled
    _, sold = await post(http, ex, CREATE, _order_body("ETH_USDT", best_ask, 5, 3, "cp-1"),
                         creds=other)
    assert sold["code"] == 0
    seq = []
    while not seq or seq[-1]["channel"] != "push.personal.asset":
        seq += await _private_frames(ws, 1)
    kinds = [f["channel"].removeprefix("push.personal.") for f in seq]
    assert kinds[0] == "order"
    assert seq[0]["data"]["state"] == 3
    assert seq[0]["data"]["orderId"] == order_id
    assert kinds.index("order.deal") < kinds.index("position") < kinds.index("asset")
    _, pos = await get(http, ex, "/api/v1/private/position/open_positions",
                       {"symbol": "ETH_USDT"}, creds=ex.credentials)
    assert pos["data"][0]["holdVol"] == ask_vol + 5
    assert [o["state"] for o in ex.truth.orders(externalOid="life-1")] == [3]
    await ws.close()


async def test_cancel_races(ex: Emulator, http: aiohttp.ClientSession) -> None:
    _, book = await get(http, ex, "/api/v1/contract/depth/BTC_USDT", {"limit": 1})
    far = round(book["data"]["bids"][0][0] * 0.9, 1)
    _, created = await post(http, ex, CREATE, _order_body("BTC_USDT", far, 1, 1, "race-1"))
    oid = created["data"]["orderId"]
    results = await asyncio.gather(
        *(post(http, ex, "/api/v1/private/order/cancel", [oid]) for _ in range(3))
    )
    codes = sorted(body["data"][0]["errorCode"] for _, body in results)
    assert codes[0] == 0
    assert all(c in (2040, 2041) for c in codes[1:])  # exactly one cancel wins
    _, missing = await post(http, ex, "/api/v1/private/order/cancel", ["123"])
    assert missing["data"][0]["errorCode"] == 2040
    _, ext = await get(http, ex, "/api/v1/private/order/external/BTC_USDT/race-1",
                       creds=ex.credentials)
    assert ext["data"]["state"] == 4


# ---------------------------------------------------------------- WebSocket protocol
async def test_ws_ping_acks_errors_silence(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str('{"method":"ping"}')
    pong = await recv_json(ws)
    assert pong["channel"] == "pong"
    assert pong["data"] == pong["ts"]
    await ws.send_str('{"method":"sub.nope","param":{}}')  # unknown method: silence
    await ws.send_str('{"method":"sub.deal","param":{"symbol":"NOPE_USDT"}}')
    err = await recv_json(ws)
    assert (err["channel"], err["data"]) == ("rs.error", "Contract [NOPE_USDT] not exists")
    channels = ["tickers", "ticker", "deal", "depth", "depth.full", "kline", "funding.rate",
                "index.price", "fair.price", "contract"]
    for ch in channels:
        await ws.send_str(json.dumps({"method": f"sub.{ch}", "param": {"symbol": "BTC_USDT"}}))
    acks = []
    while len(acks) < len(channels):
        f = await recv_json(ws)
        if f["channel"].startswith("rs."):
            acks.append(f)
    assert [a["channel"] for a in acks] == [f"rs.sub.{ch}" for ch in channels]
    assert all(set(a) == {"channel", "data", "ts"} and a["data"] == "success" for a in acks)
    await ws.close()


async def test_ws_depth_modes_and_full_limit(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ex.venue.set_flow_rate("SOL_USDT", 200)
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str(json.dumps({"method": "sub.depth", "param": {"symbol": "SOL_USDT",
                                                                    "compress": False}}))
    await ws.send_str(json.dumps({"method": "sub.depth.full", "param": {"symbol": "SOL_USDT",
                                                                         "limit": 5}}))
    seen: dict[str, dict] = {}
    while len(seen) < 2:
        f = await recv_json(ws)
        if f["channel"] in ("push.depth", "push.depth.full"):
            seen[f["channel"]] = f["data"]
    assert "begin" not in seen["push.depth"]
    assert len(seen["push.depth"]["asks"]) + len(seen["push.depth"]["bids"]) == 1
    assert len(seen["push.depth.full"]["asks"]) <= 5
    assert len(seen["push.depth.full"]["bids"]) <= 5
    await ws.close()


@pytest.mark.parametrize("inside", [False, True])
async def test_login_subscribe_false_both_placements(
    ex: Emulator, http: aiohttp.ClientSession, inside: bool
) -> None:
    ws = await http.ws_connect(ex.ws_url)
    assert (await login(ws, ex, subscribe=False, inside=inside))["data"] == "success"
    ex.venue.set_balance(ex.credentials.api_key, "USDT", 5000)  # pushes personal.asset
    with pytest.raises(asyncio.TimeoutError):
        await recv_until(ws, "push.personal.asset", wait=0.3)
    await ws.send_str(json.dumps({"method": "personal.filter",
                                  "param": {"filters": [{"filter": "asset"}]}}))
    await recv_until(ws, "rs.personal.filter")
    ex.venue.set_balance(ex.credentials.api_key, "USDT", 6000)
    asset = await recv_until(ws, "push.personal.asset")
    assert asset["data"]["currency"] == "USDT"
    await ws.close()


async def test_login_default_gets_all_and_bad_login(
    ex: Emulator, http: aiohttp.ClientSession
) -> None:
    ws = await http.ws_connect(ex.ws_url)
    await login(ws, ex)
    ex.venue.set_balance(ex.credentials.api_key, "USDT", 7000)
    assert (await recv_until(ws, "push.personal.asset"))["data"]["availableBalance"] > 0
    bad = await http.ws_connect(ex.ws_url)
    await bad.send_str(json.dumps({"method": "login", "param": {
        "apiKey": ex.credentials.api_key, "reqTime": str(ex.clock.time_ms()),
        "signature": "0" * 64}}))
    assert (await recv_json(bad))["channel"] == "rs.error"
    await ws.close()
    await bad.close()
