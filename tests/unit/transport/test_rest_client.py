"""RestClient against a scripted aiohttp server on 127.0.0.1 (spec §2, §3, §9.1).

The server verifies every signature (``verify_post`` / ``verify_get``), checks ``Request-Time``
against its own clock (12 s ahead of ours), and answers from a per-path script.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
import pytest
from aiohttp import web

from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import (
    ClockSkewError,
    EdgeError,
    InsufficientBalanceError,
    TransportError,
)
from mexc_futures.protocol.endpoints import Endpoint
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.protocol.signing import request_time_in_window, verify_get, verify_post
from mexc_futures.transport.rest import RestClient, encode_body

# pragma: allowlist nextline secret - a dummy test key, not a credential
KEY, SECRET = "mx0vglTESTKEY", "canary-secret-value-123"
SKEW_MS = 12_000


@dataclass
class Script:
    answers: dict[str, list[object]] = field(default_factory=dict)
    seen: list[tuple[str, str, bytes, str]] = field(default_factory=list)  # path, rt, body, sig
    signer: object = None

    def next(self, path: str) -> object:
        queue = self.answers.get(path)
        return queue.pop(0) if queue else "ok"


SCRIPT = web.AppKey("script", Script)


def _ok(data: object) -> web.Response:
    return web.json_response({"success": True, "code": 0, "data": data})


def _err(code: int, msg: str = "") -> web.Response:
    return web.json_response({"success": False, "code": code, "message": msg})


async def _handler(request: web.Request) -> web.StreamResponse:
    script = request.app[SCRIPT]
    server_ms = time.time_ns() // 1_000_000 + SKEW_MS
    if request.path == "/api/v1/contract/ping":
        return _ok(server_ms)
    body = await request.read()
    rt = request.headers.get("Request-Time", "")
    sig = request.headers.get("Signature", "")
    script.seen.append((request.path, rt, body, sig))
    signer = Credentials(KEY, SECRET).signer()
    if request.method == "POST":
        good = verify_post(signer, rt, body, sig)
    else:
        good = verify_get(signer, rt, dict(request.query), sig, raw_query=request.query_string)
    if not good:
        return _err(602, "Signature verification failed!")
    if not request_time_in_window(rt, server_ms):
        return _err(513, "Invalid request")
    answer = script.next(request.path)
    if (isinstance(answer, int) and answer >= 1000) or answer in (510, 513):
        assert isinstance(answer, int)
        return _err(answer, "refused\x1b[2J")
    if isinstance(answer, int):
        return web.Response(status=answer, text="<html>edge</html>")
    if answer == "hang":
        await __import__("asyncio").sleep(1.0)
    if request.path.endswith("/order/create"):
        return _ok({"orderId": "739113577038255616", "ts": server_ms})
    return _ok(
        [{"currency": "USDT", "positionMargin": 0, "availableBalance": 5, "frozenBalance": 0}]
    )


@pytest.fixture
async def server() -> AsyncIterator[tuple[Environment, Script]]:
    app = web.Application()
    script = Script()
    app[SCRIPT] = script
    app.router.add_route("*", "/{tail:.*}", _handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Environment.local("127.0.0.1", port), script
    await runner.cleanup()


class Outcomes:
    def __init__(self) -> None:
        self.seen: list[tuple[str, int, int, bool]] = []

    def rest_outcome(self, ep: Endpoint, http_status: int, code: int, ok: bool) -> None:
        self.seen.append((ep.name, http_status, code, ok))


def client(env: Environment, **kw: object) -> RestClient:
    return RestClient(env, Credentials(KEY, SECRET), retry_base=0.01, **kw)  # type: ignore[arg-type]


CREATE = {
    "symbol": "BTC_USDT",
    "side": 1,
    "order_type": 1,
    "vol": Decimal(2),
    "open_type": 1,
    "price": Decimal("100.50"),
    "leverage": 5,
    "external_oid": "mfX",
}


async def test_clock_offset_then_signed_create(server: tuple[Environment, Script]) -> None:
    env, script = server
    async with client(env) as rest:
        offset = await rest.sync_clock()
        assert abs(offset - SKEW_MS) < 500
        res = await rest.create_order(**CREATE)  # type: ignore[arg-type]
    assert res.order_id == "739113577038255616"
    path, _rt, body, _sig = script.seen[-1]
    assert path == "/api/v1/private/order/create"
    assert (
        body == b'{"symbol":"BTC_USDT","price":100.50,"vol":2,"leverage":5,"side":1,"type":1,'
        b'"openType":1,"externalOid":"mfX"}'
    )


async def test_create_over_aiohttp_path_without_lane(server: tuple[Environment, Script]) -> None:
    env, script = server
    async with client(env, order_lane=False) as rest:
        await rest.sync_clock()
        res = await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert rest.lane is None
    assert res.order_id == "739113577038255616"
    assert script.seen[-1][2].startswith(b'{"symbol":"BTC_USDT","price":100.50')


async def test_create_goes_over_the_order_lane(server: tuple[Environment, Script]) -> None:
    env, _script = server
    async with client(env) as rest:
        await rest.sync_clock()
        await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert rest.lane is not None
        assert rest.lane.sent == 1


async def test_513_remeasures_and_signs_afresh(server: tuple[Environment, Script]) -> None:
    env, script = server
    async with client(env) as rest:  # offset 0: the server sees us 12 s late -> 513
        await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert rest.clock_syncs == 1
    sigs = [s for p, _, _, s in script.seen if p.endswith("create")]
    rts = [rt for p, rt, _, _ in script.seen if p.endswith("create")]
    assert len(sigs) == 2
    assert sigs[0] != sigs[1]
    assert rts[0] != rts[1]


async def test_unrecoverable_skew_raises(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/order/create"] = [513] * 10
    async with client(env, read_retries=2) as rest:
        await rest.sync_clock()
        with pytest.raises(ClockSkewError):
            await rest.create_order(**CREATE)  # type: ignore[arg-type]


async def test_5xx_on_create_is_fate_unknown_and_not_retried(
    server: tuple[Environment, Script],
) -> None:
    env, script = server
    script.answers["/api/v1/private/order/create"] = [500]
    obs = Outcomes()
    async with client(env, observer=obs) as rest:
        await rest.sync_clock()
        with pytest.raises(EdgeError) as ei:
            await rest.create_order(**CREATE)  # type: ignore[arg-type]
    assert ei.value.fate_unknown
    assert len([p for p, *_ in script.seen if p.endswith("create")]) == 1
    assert ("order_create", 500, 500, False) in obs.seen


async def test_timeout_on_create_is_fate_unknown(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/order/create"] = ["hang"]
    async with client(env) as rest:
        await rest.sync_clock()
        with pytest.raises(TransportError) as ei:
            await rest.create_order(**CREATE, request_timeout=0.2)  # type: ignore[arg-type]
    assert ei.value.fate_unknown


async def test_get_retried_after_5xx(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/account/assets"] = [502, 503]
    async with client(env) as rest:
        await rest.sync_clock()
        assets = await rest.get_assets()
    assert assets[0].available_balance == 5
    assert len(script.seen) == 3


async def test_4xx_classified_not_retried(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/account/assets"] = [404, 404]
    async with client(env) as rest:
        await rest.sync_clock()
        with pytest.raises(EdgeError) as ei:
            await rest.get_assets()
    assert ei.value.http_status == 404
    assert not ei.value.fate_unknown
    assert len(script.seen) == 1


async def test_business_error_escaped(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/order/create"] = [2005]
    async with client(env) as rest:
        await rest.sync_clock()
        with pytest.raises(InsufficientBalanceError) as ei:
            await rest.create_order(**CREATE)  # type: ignore[arg-type]
    assert "\x1b" not in str(ei.value)
    assert not ei.value.fate_unknown


async def test_510_backs_off_and_retries(server: tuple[Environment, Script]) -> None:
    env, script = server
    script.answers["/api/v1/private/account/assets"] = [510]
    limiter = RateLimiter(margin=0.0, backoff_factor=1.0)
    async with client(env, limiter=limiter) as rest:
        await rest.sync_clock()
        t0 = time.monotonic()
        await rest.get_assets()
        waited = time.monotonic() - t0
    assert limiter.limited_count("account_assets") == 1
    assert waited >= 1.9  # 20/2s bucket: one full window of silence after the 510


async def test_secret_and_signature_never_logged(
    server: tuple[Environment, Script], caplog: pytest.LogCaptureFixture
) -> None:
    env, script = server
    script.answers["/api/v1/private/order/create"] = [500]
    caplog.set_level("DEBUG")
    async with client(env) as rest:
        await rest.sync_clock()
        with pytest.raises(EdgeError):
            await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert SECRET not in repr(rest)
    sigs = {s for *_, s in script.seen}
    text = caplog.text
    assert SECRET not in text
    assert not any(s and s in text for s in sigs)


def test_encode_body_is_compact_with_numeric_decimals() -> None:
    assert encode_body({"a": Decimal("1.10"), "b": [1, 2]}) == b'{"a":1.10,"b":[1,2]}'
    assert msgspec.json.decode(encode_body({"x": None})) == {"x": None}
