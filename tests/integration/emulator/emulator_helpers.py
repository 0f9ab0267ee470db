"""Helpers for driving the emulator over real loopback sockets (aiohttp client)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from mexc_futures.config import Credentials
from mexc_futures.emulator.server.server import Emulator

SYMS = ["BTC_USDT", "ETH_USDT", "SOL_USDT"]


def headers(ex: Emulator, creds: Credentials, payload: str, *, req_time: int | None = None,
            method: str = "POST", query: dict[str, Any] | None = None) -> dict[str, str]:
    signer = creds.signer()
    rt = str(ex.clock.time_ms() if req_time is None else req_time)
    if method == "GET":
        _, sig = signer.sign_get(rt, query or {})
    else:
        sig = signer.sign_post(rt, payload)
    return signer.auth_headers(rt, sig)


async def get(s: aiohttp.ClientSession, ex: Emulator, path: str,
              params: dict[str, Any] | None = None, creds: Credentials | None = None,
              **kw: Any) -> tuple[int, Any]:
    from mexc_futures.protocol.signing import canonical_query

    query = canonical_query(params or {})
    url = ex.rest_url + path + (f"?{query}" if query else "")
    hdrs = headers(ex, creds, "", method="GET", query=params, **kw) if creds else {}
    async with s.get(url, headers=hdrs) as r:
        text = await r.text()
        return r.status, (json.loads(text) if r.content_type == "application/json" else text)


async def post(s: aiohttp.ClientSession, ex: Emulator, path: str, body: Any,
               creds: Credentials | None = None, *, raw: str | None = None,
               **kw: Any) -> tuple[int, Any]:
    payload = raw if raw is not None else json.dumps(body, separators=(",", ":"))
    hdrs = headers(ex, creds or ex.credentials, payload, **kw)
    async with s.post(ex.rest_url + path, data=payload.encode(), headers=hdrs) as r:
        text = await r.text()
        return r.status, (json.loads(text) if r.content_type == "application/json" else text)


async def recv_json(ws: aiohttp.ClientWebSocketResponse, wait: float = 2.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=wait)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    out: dict[str, Any] = json.loads(msg.data)
    return out


async def recv_until(ws: aiohttp.ClientWebSocketResponse, channel: str,
                     wait: float = 3.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        frame = await recv_json(ws, max(0.01, deadline - loop.time()))
        if frame.get("channel") == channel:
            return frame


async def login(ws: aiohttp.ClientWebSocketResponse, ex: Emulator, *,
                subscribe: bool | None = None, inside: bool = False) -> dict[str, Any]:
    param: dict[str, Any] = ex.credentials.signer().ws_login(str(ex.clock.time_ms()))
    msg: dict[str, Any] = {"method": "login", "param": param}
    if subscribe is not None:
        if inside:
            param["subscribe"] = subscribe
        else:
            msg["subscribe"] = subscribe
    await ws.send_str(json.dumps(msg))
    return await recv_until(ws, "rs.login")
