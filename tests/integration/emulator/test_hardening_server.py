"""The emulator server cannot be knocked over (issue #14, reliability-audit D7, D10, D11, D14).

Real loopback sockets; no real waits beyond a few hundred milliseconds (injected clocks).
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

import mexc_futures.emulator.server.rest_app as rest_app
import mexc_futures.emulator.server.ws_edge as ws_edge
from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import ClockOffset
from mexc_futures.emulator.server.limits import WsLimits
from mexc_futures.emulator.server.ws_session import CLOSED_RECEIVED_KEEP, RECEIVED_TEXT_MAX
from tests.integration.emulator.emulator_helpers import get, post, recv_until

pytestmark = pytest.mark.asyncio

NEST = "[" * 100_000 + "]" * 100_000


async def test_nested_json_body_gets_601_not_500() -> None:
    """D11: a deeply nested body raised RecursionError → HTTP 500."""
    async with Emulator(symbols=["BTC_USDT"]) as ex, aiohttp.ClientSession() as s:
        status, body = await post(s, ex, "/api/v1/private/order/create", None, raw=NEST)
        assert status == 200
        assert body["code"] == 601
        status, body = await post(
            s, ex, "/api/v1/private/order/create", None,
            raw='{"symbol":"BTC_USDT","price":"Infinity","vol":1,"side":1,"type":1,'
                '"openType":1,"leverage":10}',
        )
        assert status == 200
        assert body["code"] == 600


async def test_nested_ws_frame_is_ignored_and_the_connection_lives() -> None:
    """D11: the same nesting closed the WebSocket with 1006."""
    async with (
        Emulator(symbols=["BTC_USDT"]) as ex,
        aiohttp.ClientSession() as s,
        s.ws_connect(ex.ws_url) as ws,
    ):
        await ws.send_str(NEST)
        await ws.send_str('{"method":"ping"}')
        pong = await recv_until(ws, "pong")
        assert pong["channel"] == "pong"


async def test_closed_connections_are_trimmed_and_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D7: every closed connection was kept forever with its last 10 000 frames (1 MB each)."""
    monkeypatch.setattr(ws_edge, "CLOSED_LINKS_KEEP", 3)
    big = json.dumps({"method": "x", "pad": "a" * 200_000})
    limits = WsLimits(max_messages=None)
    async with Emulator(symbols=["BTC_USDT"], limits=limits) as ex, aiohttp.ClientSession() as s:
        for _ in range(5):
            async with s.ws_connect(ex.ws_url) as ws:
                for _ in range(CLOSED_RECEIVED_KEEP + 20):
                    await ws.send_str(big)
                await ws.send_str('{"method":"ping"}')
                await recv_until(ws, "pong")
        for _ in range(100):
            if len(ex.links) == 0:
                break
            await asyncio.sleep(0.01)
        assert len(ex.closed_links) == 3
        for link in ex.closed_links.values():
            frames = ex.frames_received(link.conn.id)
            assert len(frames) <= CLOSED_RECEIVED_KEEP
            assert all(len(text) <= RECEIVED_TEXT_MAX + 20 for _, text in frames)
            assert link.conn.session.received_count == CLOSED_RECEIVED_KEEP + 21


async def test_ping_and_signatures_share_one_clock() -> None:
    """D10: after a +12 s offset was cleared, ping stayed 12 s ahead of the auth clock, so a
    client that synced to ping got 513 on every signed call."""
    async with Emulator(symbols=["BTC_USDT"]) as ex, aiohttp.ClientSession() as s:
        fid = ex.faults.add(ClockOffset(ms=12_000))
        _, pong = await get(s, ex, "/api/v1/contract/ping")
        ex.faults.clear(fid)
        _, pong = await get(s, ex, "/api/v1/contract/ping")
        assert abs(pong["data"] - ex.clock.time_ms()) < 2_000
        _, body = await post(
            s, ex, "/api/v1/private/order/cancel_all", {"symbol": "BTC_USDT"},
            req_time=pong["data"],
        )
        assert body["code"] == 0, body


async def test_half_sent_request_is_timed_out() -> None:
    """D14: a connection sending one header line every 10 s was never timed out."""
    now = [0.0]
    async with Emulator(symbols=["BTC_USDT"]) as ex:
        ex.guard.now = lambda: now[0]
        reader, writer = await asyncio.open_connection(ex.host, ex.port)
        writer.write(b"GET /api/v1/contract/ping HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        for _ in range(200):
            if any(c.partial_since is not None for c in ex.guard.conns.values()):
                break
            await asyncio.sleep(0.005)
        idle_r, idle_w = await asyncio.open_connection(ex.host, ex.port)  # sends nothing
        now[0] += ex.guard.header_timeout_s + 1
        assert ex.guard.sweep() == 1
        assert await asyncio.wait_for(reader.read(), 2.0) == b""
        writer.close()
        # a connection that has sent nothing is aiohttp's keep-alive business, not ours
        idle_w.write(b"GET /api/v1/contract/ping HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in await asyncio.wait_for(idle_r.readline(), 2.0)
        idle_w.close()


async def test_half_sent_body_is_timed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """D14: a body that never completes holds the handler forever."""
    monkeypatch.setattr(rest_app, "BODY_TIMEOUT_S", 0.2)
    async with Emulator(symbols=["BTC_USDT"]) as ex:
        reader, writer = await asyncio.open_connection(ex.host, ex.port)
        writer.write(b"POST /api/v1/private/order/create HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 100\r\n\r\n{\"a\":")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 3.0)
        assert b"408" in line
        writer.close()


async def test_one_failing_connection_does_not_stop_pushes_to_the_others() -> None:
    """D6 for connections: a write that raises on one link used to abort the whole tick."""
    async with Emulator(symbols=["BTC_USDT"]) as ex, aiohttp.ClientSession() as s:
        ex.venue.set_flow_rate("BTC_USDT", 200)
        async with s.ws_connect(ex.ws_url) as bad, s.ws_connect(ex.ws_url) as good:
            for ws in (bad, good):
                await ws.send_str('{"method":"sub.deal","param":{"symbol":"BTC_USDT"}}')
                await recv_until(ws, "rs.sub.deal")
            bad_id = min(ex.links)

            def boom(_data: bytes) -> None:
                raise RuntimeError("transport bug")

            ex.links[bad_id].transport.write = boom  # type: ignore[method-assign]
            frame = await recv_until(good, "push.deal", 5.0)
            assert frame["symbol"] == "BTC_USDT"
            frame = await recv_until(good, "push.deal", 5.0)  # and the next tick too
            assert frame["symbol"] == "BTC_USDT"
