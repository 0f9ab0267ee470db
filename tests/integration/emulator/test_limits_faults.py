"""Emulator WS limits, fault injection and the control interface, over loopback sockets.

Long venue timeouts run in well under 2 s real time through ``speed`` or ``advance``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mexc_futures.emulator.server.faults import (
    BadFrame,
    ClockOffset,
    CloseWith,
    Delay,
    DepthFault,
    DropTcp,
    Http404,
    Http500,
    Maintenance,
    Stall,
    TradingDisabled,
)
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.server import Emulator

from .emulator_helpers import SYMS, get, post, recv_json, recv_until

CREATE = "/api/v1/private/order/create"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(symbols=SYMS, seed=5) as emulator:
        yield emulator


async def _end(ws: aiohttp.ClientWebSocketResponse, wait: float = 3.0) -> aiohttp.WSMessage:
    """Read until the connection ends; return the CLOSE/CLOSED/ERROR message."""
    while True:
        msg = await ws.receive(timeout=wait)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                        aiohttp.WSMsgType.ERROR):
            return msg


def _sub(channel: str, **param: object) -> str:
    return json.dumps({"method": f"sub.{channel}", "param": param})


# ---------------------------------------------------------------- limits
async def test_31st_subscription_refused_with_spot_rules(http: aiohttp.ClientSession) -> None:
    async with Emulator(symbols=SYMS, limits=WsLimits.spot_rules()) as ex:
        await _thirty_one(ex, http)


async def _thirty_one(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(ex.ws_url)
    intervals = ["Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Hour8", "Day1", "Week1",
                 "Month1"]
    for sym in SYMS:
        for iv in intervals:
            await ws.send_str(_sub("kline", symbol=sym, interval=iv))
    await ws.send_str(_sub("deal", symbol="BTC_USDT"))
    replies: list[dict] = []
    while len(replies) < 31:
        f = await recv_json(ws)
        if f["channel"].startswith("rs."):
            replies.append(f)
    assert [r["channel"] for r in replies[:30]] == ["rs.sub.kline"] * 30
    assert replies[30]["channel"] == "rs.error"
    assert len(ex.connections()[0]["subscriptions"]) == 30
    assert not ws.closed
    await ws.close()


async def test_no_subscription_cap_by_default(ex: Emulator, http: aiohttp.ClientSession) -> None:
    """Fidelity row 5: 150+ subscriptions on one futures socket in three live reports."""
    ws = await http.ws_connect(ex.ws_url)
    channels = ["deal", "ticker", "index.price", "fair.price", "funding.rate", "depth.full"]
    intervals = ["Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Hour8", "Day1", "Week1",
                 "Month1"]
    sent = 0
    for sym in SYMS:
        for ch in channels:
            await ws.send_str(_sub(ch, symbol=sym))
            sent += 1
        for iv in intervals:
            await ws.send_str(_sub("kline", symbol=sym, interval=iv))
            sent += 1
    acks = 0
    while acks < sent:
        f = await recv_json(ws)
        assert f["channel"] != "rs.error", f
        acks += f["channel"].startswith("rs.sub.")
    assert len(ex.connections()[0]["subscriptions"]) == sent > 30
    await ws.close()


async def test_message_rate_disconnect_is_opt_in(http: aiohttp.ClientSession) -> None:
    async with Emulator(symbols=SYMS, limits=WsLimits(max_messages=100)) as ex:
        ws = await http.ws_connect(ex.ws_url)
        for _ in range(101):
            await ws.send_str('{"method":"ping"}')
        msg = await _end(ws)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert msg.data == 1008


async def test_idle_rule_is_the_60s_ping_rule(http: aiohttp.ClientSession) -> None:
    """Fidelity row 6: no subscription and no ping → closed at 60 s (1006), not at 30 s."""
    async with Emulator(symbols=SYMS, speed=100) as ex:
        opened = ex.clock.monotonic()
        idle = await http.ws_connect(ex.ws_url)  # never subscribes, never pings
        pinger = await http.ws_connect(ex.ws_url)  # never subscribes, pings all along

        async def keep_pinging() -> None:
            while True:
                await pinger.send_str('{"method":"ping"}')
                await asyncio.sleep(0.05)  # 5 venue-s

        task = asyncio.get_running_loop().create_task(keep_pinging())
        try:
            texts = []
            while True:
                m = await idle.receive(timeout=5)
                if m.type != aiohttp.WSMsgType.TEXT:
                    break
                texts.append(json.loads(m.data))
            closed_after = ex.clock.monotonic() - opened
            assert m.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)  # no frame
            assert texts[-1]["data"] == "more than 60 seconds no response, close the channel"
            assert closed_after >= 59.0  # not the spot docs' 30 s first-subscription close
            assert not pinger.closed  # no subscription, but pings: kept open
            assert [c["closeCode"] for c in ex.connections() if c["open"]] == [None]
        finally:
            task.cancel()
        await pinger.close()


async def test_no_subscription_and_no_ping_close(http: aiohttp.ClientSession) -> None:
    async with Emulator(symbols=SYMS, speed=100, limits=WsLimits.spot_rules()) as ex:
        idle = await http.ws_connect(ex.ws_url)  # never subscribes: closed at 30 venue-s
        quiet = await http.ws_connect(ex.ws_url)  # subscribes, never pings: 60 venue-s
        await quiet.send_str(_sub("index.price", symbol="BTC_USDT"))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        msg = await _end(idle)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert msg.data == 1000
        texts = []
        while True:
            m = await quiet.receive(timeout=3)
            if m.type != aiohttp.WSMsgType.TEXT:
                break
            texts.append(json.loads(m.data))
        assert m.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)  # no close frame
        assert texts[-1] == {"channel": "rs.error", "ts": texts[-1]["ts"],
                             "data": "more than 60 seconds no response, close the channel"}
        assert loop.time() - t0 < 2.0


async def test_pings_keep_connection_alive(http: aiohttp.ClientSession) -> None:
    # venue time jumps (ex.advance) instead of real sleeps at speed 100: under load a 0.15 s
    # sleep could stretch past 60 venue-s and the test flaked
    async with Emulator(symbols=SYMS) as ex:
        ws = await http.ws_connect(ex.ws_url)
        await ws.send_str(_sub("fair.price", symbol="BTC_USDT"))
        for _ in range(8):  # 8 × 15 venue-s = 120 venue-s, a ping before each jump
            await ws.send_str('{"method":"ping"}')
            await recv_until(ws, "pong")  # the server has seen the ping
            ex.advance(15_000)
        assert not ws.closed
        assert [c["open"] for c in ex.connections()] == [True]
        await ws.close()


async def test_max_lifetime(http: aiohttp.ClientSession) -> None:
    async with Emulator(
        symbols=SYMS, limits=WsLimits(ping_timeout_s=None, max_lifetime_s=86_400.0)
    ) as ex:
        ws = await http.ws_connect(ex.ws_url)
        await ws.send_str(_sub("deal", symbol="BTC_USDT"))
        await recv_json(ws)
        ex.advance(24 * 3600 * 1000)
        msg = await _end(ws)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert msg.data == 1001


# ---------------------------------------------------------------- connection faults
async def test_drop_tcp(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str('{"method":"ping"}')
    await recv_json(ws)
    ex.faults.add(DropTcp())
    msg = await _end(ws)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert ws.close_code in (None, 1006)


async def test_stall_then_clear(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(ex.ws_url)
    fid = ex.faults.add(Stall())
    await ws.send_str('{"method":"ping"}')
    with pytest.raises(asyncio.TimeoutError):
        await ws.receive(timeout=0.3)
    assert not ws.closed
    ex.faults.clear(fid)
    await ws.send_str('{"method":"ping"}')
    assert (await recv_json(ws))["channel"] == "pong"
    await ws.close()


@pytest.mark.parametrize("code", [1000, 1001, 1012])
async def test_close_codes(ex: Emulator, http: aiohttp.ClientSession, code: int) -> None:
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str('{"method":"ping"}')
    await recv_json(ws)
    ex.faults.add(CloseWith(code=code))
    msg = await _end(ws)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.CLOSE, code)


async def test_bad_frames_connection_survives(ex: Emulator, http: aiohttp.ClientSession) -> None:
    ws = await http.ws_connect(ex.ws_url, max_msg_size=8 * 1024 * 1024)
    await ws.send_str('{"method":"ping"}')
    await recv_json(ws)
    for kind in ("malformed", "truncated", "binary", "oversized", "unknown_channel"):
        ex.faults.add(BadFrame(kind=kind))  # type: ignore[arg-type]
        msg = await ws.receive(timeout=2)
        if kind == "binary":
            assert msg.type == aiohttp.WSMsgType.BINARY
            continue
        assert msg.type == aiohttp.WSMsgType.TEXT
        if kind in ("malformed", "truncated"):
            with pytest.raises(json.JSONDecodeError):
                json.loads(msg.data)
        elif kind == "oversized":
            assert len(msg.data) == 2 * 1024 * 1024
        else:
            assert json.loads(msg.data)["channel"] == "push.mystery"
    await ws.send_str('{"method":"ping"}')
    assert (await recv_json(ws))["channel"] == "pong"
    await ws.close()


# ---------------------------------------------------------------- depth faults
async def _depth_versions(ws: aiohttp.ClientWebSocketResponse, n: int) -> list[dict]:
    out: list[dict] = []
    while len(out) < n:
        f = await recv_json(ws)
        if f["channel"] == "push.depth":
            out.append(f["data"])
    return out


@pytest.mark.parametrize("action", ["skip", "duplicate", "reorder", "corrupt"])
async def test_depth_faults(ex: Emulator, http: aiohttp.ClientSession, action: str) -> None:
    ex.venue.set_flow_rate("SOL_USDT", 500)
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str(_sub("depth", symbol="SOL_USDT", compress=False))
    before = await _depth_versions(ws, 3)
    cid = ex.connections()[0]["id"]
    # frames pushed before the fault but not read yet are in flight (a slow reader under load
    # may have many more than 40 of them): read past them, then 40 that the fault could touch
    sent = ex.pushed_versions("SOL_USDT", cid)
    last_clean = sent[-1][1] if sent else before[-1]["version"]
    ex.faults.add(DepthFault(symbol="SOL_USDT", action=action, conn=cid, count=1))  # type: ignore[arg-type]
    frames: list[dict] = []
    while sum(1 for d in frames if d["version"] > last_clean) < 40:
        frames += await _depth_versions(ws, 1)
    versions = [d["version"] for d in frames]
    # the fault may hit the very next frame: count the step from the last frame read before it
    steps = [b - a for a, b in itertools.pairwise([before[-1]["version"], *versions])]
    if action == "skip":
        assert 2 in steps
    elif action == "duplicate":
        assert 0 in steps
    elif action == "reorder":
        assert -1 in steps
    else:
        assert set(steps) == {1}  # no version gap ...
        # every level of both sides against the truth at the frame's version: a frame can carry
        # both sides (commits merged) and the fault corrupts its first bid then, not its ask
        wrong = [d for d in frames
                 if any(_truth_size(ex, d, side, lvl[0]) != lvl[1]
                        for side in ("asks", "bids") for lvl in d[side])]
        both = sum(1 for d in frames if d["asks"] and d["bids"])
        assert len(wrong) == 1, (both, wrong)  # ... but one level silently wrong
    pushed = [e for _, e in ex.pushed_versions("SOL_USDT", cid)]
    n = len(versions)
    assert any(pushed[i : i + n] == versions for i in range(len(pushed)))  # truth == received
    await ws.close()


def _truth_size(ex: Emulator, data: dict, side: str, price: float) -> int:
    book = ex.truth.book_at("SOL_USDT", data["version"])
    return next((v for p, v, _ in book[side] if p == price), 0)


# ---------------------------------------------------------------- REST faults
def _order(oid: str, price: float) -> dict[str, object]:
    return {"symbol": "BTC_USDT", "price": price, "vol": 1, "leverage": 10, "side": 1,
            "type": 1, "openType": 2, "externalOid": oid}


async def _far_bid(ex: Emulator, http: aiohttp.ClientSession) -> float:
    _, book = await get(http, ex, "/api/v1/contract/depth/BTC_USDT", {"limit": 1})
    return round(book["data"]["bids"][0][0] * 0.9, 1)


async def test_http500_after_and_before_accept(ex: Emulator, http: aiohttp.ClientSession) -> None:
    price = await _far_bid(ex, http)
    ex.faults.add(Http500())
    status, _ = await post(http, ex, CREATE, _order("s16", price))
    assert status == 500
    assert len(ex.truth.orders(externalOid="s16")) == 1
    _, found = await get(http, ex, "/api/v1/private/order/external/BTC_USDT/s16",
                         creds=ex.credentials)
    assert found["data"]["externalOid"] == "s16"
    ex.faults.add(Http500(after_accept=False))
    status, _ = await post(http, ex, CREATE, _order("s18", price))
    assert status == 500
    assert ex.truth.orders(externalOid="s18") == []


async def test_delay_past_timeout(ex: Emulator, http: aiohttp.ClientSession) -> None:
    price = await _far_bid(ex, http)
    ex.faults.add(Delay(seconds=0.4))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(post(http, ex, CREATE, _order("s17", price)), 0.15)
    assert len(ex.truth.orders(externalOid="s17")) == 1  # executed, answer late
    ex.faults.add(Delay(seconds=0.2, execute=False))
    status, _ = await post(http, ex, CREATE, _order("s17b", price))
    assert status == 504
    assert ex.truth.orders(externalOid="s17b") == []


async def test_404_1002_maintenance(ex: Emulator, http: aiohttp.ClientSession) -> None:
    price = await _far_bid(ex, http)
    fid = ex.faults.add(Http404())
    status, _ = await get(http, ex, "/api/v1/private/order/list/open_orders", creds=ex.credentials)
    assert status == 404
    assert (await get(http, ex, "/api/v1/contract/ping"))[0] == 200  # public unaffected
    ex.faults.clear(fid)
    fid = ex.faults.add(TradingDisabled())
    _, body = await post(http, ex, CREATE, _order("td", price))
    assert body == {"success": False, "code": 1002, "message": "Contract not allow place order!"}
    ex.faults.clear(fid)
    for code in (604, 801):
        fid = ex.faults.add(Maintenance(code=code))  # type: ignore[arg-type]
        _, body = await post(http, ex, "/api/v1/private/order/cancel", ["1"])
        assert body["code"] == code
        ex.faults.clear(fid)


async def test_clock_offset_513_then_resync(ex: Emulator, http: aiohttp.ClientSession) -> None:
    client_now = ex.clock.time_ms()
    ex.faults.add(ClockOffset(ms=12_000))
    _, body = await get(http, ex, "/api/v1/private/account/assets", creds=ex.credentials,
                        req_time=client_now)
    assert body["code"] == 513
    _, ping = await get(http, ex, "/api/v1/contract/ping")
    assert ping["data"] - client_now >= 12_000
    _, body = await get(http, ex, "/api/v1/private/account/assets", creds=ex.credentials,
                        req_time=ping["data"])
    assert body["code"] == 0


# ---------------------------------------------------------------- control interface
async def test_control_interface(ex: Emulator, http: aiohttp.ClientSession) -> None:
    base = ex.control_url
    async with http.get(base + "/state") as r:
        assert r.status == 401
    auth = {"X-Emulator-Token": ex.control_token}
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str('{"method":"ping"}')
    await recv_json(ws)
    async with http.post(base + "/faults", json={"fault": "stall"}, headers=auth) as r:
        fid = (await r.json())["id"]
    async with http.get(base + "/faults", headers=auth) as r:
        assert (await r.json())[str(fid)] == {"fault": "stall", "conn": None}
    async with http.post(base + "/faults", json={"fault": "bogus"}, headers=auth) as r:
        assert r.status == 400
    async with http.delete(base + "/faults", headers=auth) as r:
        assert r.status == 200
    assert ex.faults.active() == {}
    async with http.get(base + "/connections", headers=auth) as r:
        conns = await r.json()
    assert conns[0]["framesReceived"] == 1
    async with http.get(base + f"/connections/{conns[0]['id']}/frames", headers=auth) as r:
        assert (await r.json())[0]["frame"] == '{"method":"ping"}'
    before = ex.clock.time_ms()
    async with http.post(base + "/advance", json={"ms": 5000}, headers=auth) as r:
        assert (await r.json())["timeMs"] >= before + 5000
    async with http.get(base + "/truth/book/BTC_USDT", headers=auth) as r:
        assert set(await r.json()) == {"asks", "bids", "version"}
    async with http.get(base + "/truth/orders?externalOid=none", headers=auth) as r:
        assert await r.json() == []
    async with http.get(base + "/rest_calls", headers={"Authorization":
                                                        f"Bearer {ex.control_token}"}) as r:
        assert r.status == 200
    await ws.close()
