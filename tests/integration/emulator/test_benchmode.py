"""The emulator's benchmark modes over loopback: burst and paced depth (versions contiguous, the
book a client rebuilds equals the venue's truth), per-frame send stamps, the bottleneck verdict,
REST orders drained into the paced stream, the control routes and the ccxt-compat spot stubs."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.server import Emulator

from .emulator_helpers import post

SYM = "BTC_USDT"
OPTS = {"flow_rate": 0.001, "merge_interval_ms": 10, "publish_unmerged": False}


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(symbols=[SYM, "ETH_USDT"], seed=5, limits=WsLimits.off(),
                        rest_limits=False, balance=1e6, venue_options=OPTS) as emulator:
        yield emulator


class Reader:
    """A merged-depth client: applies frames to a dict book, checks ``begin == last end + 1``."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.version = 0
        self.gaps = 0
        self.frames = 0
        self.arrived: list[int] = []
        self.other: list[str] = []

    async def sync(self, http: aiohttp.ClientSession, ex: Emulator) -> None:
        async with http.get(f"{ex.rest_url}/api/v1/contract/depth/{SYM}") as r:
            snap = (await r.json())["data"]
        self.bids = {p: v for p, v, _ in snap["bids"]}
        self.asks = {p: v for p, v, _ in snap["asks"]}
        self.version = snap["version"]

    def apply(self, msg: dict[str, Any]) -> None:
        if msg.get("channel") != "push.depth":
            self.other.append(str(msg.get("channel")))
            return
        d = msg["data"]
        if d["end"] <= self.version:
            return
        if d["begin"] != self.version + 1:
            self.gaps += 1
        for side, levels in ((self.bids, d["bids"]), (self.asks, d["asks"])):
            for p, v, _ in levels:
                if v:
                    side[p] = v
                else:
                    side.pop(p, None)
        self.version = d["end"]
        self.frames += 1
        self.arrived.append(time.perf_counter_ns())

    def book(self) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        return (sorted(self.bids.items(), reverse=True), sorted(self.asks.items()))


def truth_book(ex: Emulator, version: int) -> tuple[list[tuple[float, float]], ...]:
    b = ex.truth.book(SYM, version=version)
    return ([(p, v) for p, v, _ in b["bids"]], [(p, v) for p, v, _ in b["asks"]])


async def subscribe(http: aiohttp.ClientSession, ex: Emulator) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(ex.ws_url)
    await ws.send_str(json.dumps({"method": "sub.depth", "param": {"symbol": SYM}}))
    ack = json.loads((await ws.receive(timeout=2)).data)
    assert ack["channel"] == "rs.sub.depth"
    return ws


async def read_until(ws: aiohttp.ClientWebSocketResponse, reader: Reader, version: int) -> None:
    while reader.version < version:
        msg = await ws.receive(timeout=5)
        reader.apply(json.loads(msg.data))


async def test_burst_is_contiguous_and_matches_truth(ex: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await subscribe(http, ex)
        reader = Reader()
        await reader.sync(http, ex)
        result = await ex.burst_depth(SYM, 3000, levels=5)
        await read_until(ws, reader, result.last_version)
        assert result.frames == 3000
        assert result.receivers == 1
        assert reader.gaps == 0
        assert result.last_version == ex.truth.version(SYM)
        assert reader.book() == truth_book(ex, result.last_version)
        assert result.first_send_ns <= result.last_send_ns
        assert result.capacity_fps > 0
        assert result.generate_s > 0
        pushed = ex.pushed_versions(SYM)
        assert all(b == a[1] + 1 for a, b in zip(pushed, [p[0] for p in pushed[1:]],
                                                  strict=False))
        await ws.close()


async def test_paced_stamps_orders_and_truth(ex: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await subscribe(http, ex)
        reader = Reader()
        await reader.sync(http, ex)
        creds = ex.credentials

        async def order_midway() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            price = ex.truth.book(SYM)["bids"][0][0]
            _, body = await post(http, ex, "/api/v1/private/order/create",
                                 {"symbol": SYM, "price": price, "vol": 1, "side": 1, "type": 1,
                                  "openType": 2, "leverage": 10, "externalOid": "pace-1"},
                                 creds=creds)
            assert isinstance(body, dict)
            return body

        placed = asyncio.ensure_future(order_midway())
        result = await ex.paced_depth(SYM, 400, 2000, record_best_bid=True)
        body = await placed
        assert body["code"] == 0
        await read_until(ws, reader, result.last_versions[SYM])
        assert reader.gaps == 0
        assert result.frames == 402  # lead + 400 paced + tail
        assert result.send_ns == sorted(result.send_ns)
        span_s = (result.send_ns[-2] - result.send_ns[1]) / 1e9
        assert 0.15 < span_s < 1.0  # 399 gaps at 2000/s = 0.2 s
        assert len(result.best_bid) == result.frames
        assert isinstance(result.limited, bool)
        assert result.capacity_fps > 2000
        assert reader.book() == truth_book(ex, result.last_versions[SYM])
        # the resting order's level change went out inside the paced stream
        rows = ex.truth.orders(externalOid="pace-1")
        assert len(rows) == 1
        await ws.close()


async def test_control_paced_and_ccxt_compat(ex: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        hdr = {"X-Emulator-Token": ex.control_token}
        url = ex.control_url + "/paced"
        async with http.post(url, json={"symbols": [SYM, "ETH_USDT"], "frames": 20,
                                        "rate": 1000, "mix": [0.6, 0.2, 0.2]},
                             headers=hdr) as r:
            doc = await r.json()
        assert doc["frames"] == 24  # two lead, 20 paced, two tail
        assert len(doc["sendNs"]) == len(doc["kinds"]) == len(doc["versions"]) == 24
        assert set(doc["lastVersions"]) == {SYM, "ETH_USDT"}
        async with http.post(url, json={"frames": 1}, headers=hdr) as r:
            assert r.status == 400
        async with http.post(ex.control_url + "/burst", json={"symbol": SYM, "frames": 10},
                             headers=hdr) as r:
            burst = await r.json()
        assert burst["frames"] == 10
        assert burst["capacityFps"] > 0
        async with http.get(ex.rest_url + "/api/v3/exchangeInfo") as r:
            assert (await r.json())["symbols"] == []
        async with http.get(ex.rest_url + "/api/v3/capital/config/getall?timestamp=1") as r:
            assert await r.json() == []
