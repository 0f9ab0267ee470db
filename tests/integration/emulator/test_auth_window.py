"""The signature window measures real latency, at any emulator speed (issue #14, item 3).

The venue refuses a request (REST 513, WS login ``rs.error``) whose ``Request-Time``/``reqTime``
is more than the window (default 10 s) behind its clock or 2 s ahead of it. A time-scaled
emulator runs its clock ``speed`` × real time, so a login signed 2 real seconds before it
arrives — a loaded machine — is 40 venue seconds old at ``--speed 20``. The window is about the
request's real delay, so the emulator scales it with its speed: accepted there as the venue
would; 11 real seconds late is refused at any speed. No real waiting: the request is signed with
a time the delay would have produced.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from mexc_futures.emulator.server.server import Emulator

from .emulator_helpers import get, recv_json

ASSETS = "/api/v1/private/account/assets"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _login_late(http: aiohttp.ClientSession, ex: Emulator, late_real_s: float) -> dict:
    """A WS login signed ``late_real_s`` real seconds before it reaches the emulator."""
    req_time = ex.clock.time_ms() - int(late_real_s * 1000 * ex.speed)
    param = ex.credentials.signer().ws_login(str(req_time))
    async with http.ws_connect(ex.ws_url) as ws:
        await ws.send_str(json.dumps({"method": "login", "param": param}))
        while True:  # rs.login on success, rs.error otherwise
            frame = await recv_json(ws, 5.0)
            if frame.get("channel") in ("rs.login", "rs.error"):
                return frame


async def test_ws_login_two_real_seconds_late_is_accepted_at_speed_20(
    http: aiohttp.ClientSession,
) -> None:
    async with Emulator(symbols=["BTC_USDT"], speed=20) as ex:
        frame = await _login_late(http, ex, 2.0)  # 40 venue seconds behind
        assert frame["data"] == "success", frame
        refused = await _login_late(http, ex, 11.0)  # beyond the 10 s window, in real time
        assert refused["data"] != "success", refused


async def test_ws_login_beyond_the_window_is_refused_at_speed_1(
    http: aiohttp.ClientSession,
) -> None:
    async with Emulator(symbols=["BTC_USDT"], speed=1) as ex:
        assert (await _login_late(http, ex, 2.0))["data"] == "success"
        refused = await _login_late(http, ex, 11.0)
        assert refused["data"] != "success", refused
        assert "window" in refused["data"]


@pytest.mark.parametrize(("speed", "late_s", "code"),
                         [(20, 2.0, 0), (20, 9.0, 0), (20, 11.0, 513), (1, 11.0, 513),
                          (20, -1.5, 0), (20, -3.0, 513)])
async def test_rest_window_is_real_time_at_any_speed(
    http: aiohttp.ClientSession, speed: float, late_s: float, code: int
) -> None:
    async with Emulator(symbols=["BTC_USDT"], speed=speed) as ex:
        req_time = ex.clock.time_ms() - int(late_s * 1000 * speed)
        _, body = await get(http, ex, ASSETS, creds=ex.credentials, req_time=req_time)
        assert body["code"] == code, body
