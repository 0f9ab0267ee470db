"""REST request handling of the emulator (spec §2 envelope, §3 auth, §9.1 limits, §11 switches).

For each request: match the endpoint table (unknown path -> HTTP 404) -> authenticate if signed
(401 / 513 / 602 / 704) -> per-endpoint token bucket (510) -> fault hooks -> ``venue.handle`` ->
envelope. Business errors are HTTP 200 with ``{"success":false,"code":N,"message":...}``; success
is ``{"success":true,"code":0,"data":...}`` with ``data`` omitted for void calls (spec §2, §12.1).
HTTP 404/500/504 are reserved for edge-like failures and the injected faults.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
from aiohttp import web

from mexc_futures.emulator.server.auth import AuthFailure, KeyTable, authenticate, is_trade_endpoint
from mexc_futures.emulator.server.clock import EmulatorClock
from mexc_futures.emulator.server.faults import (
    MAINTENANCE_TEXT,
    TRADING_DISABLED,
    Delay,
    Faults,
    Http404,
    Http500,
    Maintenance,
    TradingDisabled,
)
from mexc_futures.emulator.server.latency import Latency
from mexc_futures.emulator.server.limits import RATE_LIMIT_CODE, RATE_LIMIT_MESSAGE, RestLimiter
from mexc_futures.emulator.venue.venue import NO_DATA, VenueError
from mexc_futures.protocol import endpoints
from mexc_futures.protocol.signing import GetSigning

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder(decimal_format="number").encode
_decode = msgspec.json.Decoder().decode
CALLS_KEEP = 100_000
BODY_TIMEOUT_S = 10.0  # real seconds to receive a request body
CODE_HEADER = "X-Emulator-Code"
JSON = "application/json"


class HandlesRequests(Protocol):
    """The part of ``venue.Venue`` the REST shell calls (seams "Emulator core")."""

    def handle(
        self,
        method: str,
        template: str,
        path_params: dict[str, str],
        query: dict[str, str],
        body: Any,
        account: str | None,
        *,
        now_ms: int | None = None,
        server_ms: int | None = None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class RestCall:
    """Ground truth of one REST call: venue ms, endpoint name, caller, answered code/status."""

    ts: int
    endpoint: str
    caller: str
    code: int
    http_status: int


def envelope_error(code: int, message: str) -> web.Response:
    """HTTP 200 business error (spec §2). The code is also kept in a private header for the
    call log (stripped before sending)."""
    body = _encode({"success": False, "code": code, "message": message})
    response = web.Response(body=body, content_type=JSON)
    response.headers[CODE_HEADER] = str(code)
    return response


def envelope_ok(data: Any) -> web.Response:
    """HTTP 200 success; ``NO_DATA`` omits ``data`` (spec §2)."""
    payload = {"success": True, "code": 0} if data is NO_DATA else {
        "success": True, "code": 0, "data": data
    }
    return web.Response(body=_encode(payload), content_type=JSON)


def edge_error(status: int) -> web.Response:
    """An edge-like failure without an envelope (HTTP 404/500/504)."""
    return web.Response(status=status, text=f"{status} {web.Response(status=status).reason}")


class RestApp:
    """The aiohttp handler for every ``/api/v1/...`` path."""

    def __init__(
        self,
        *,
        venue: HandlesRequests,
        keys: KeyTable,
        limiter: RestLimiter,
        faults: Faults,
        clock: EmulatorClock,
    ) -> None:
        self.venue = venue
        self.keys = keys
        self.limiter = limiter
        self.faults = faults
        self.clock = clock
        self.calls: deque[RestCall] = deque(maxlen=CALLS_KEEP)
        #: the emulator's latency model (``latency.Latency``): entry before the venue sees a
        #: request, response before its answer leaves; None: no added latency
        self.latency: Latency | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:  # a body that never completes is timed out (reliability D14)
            body = await asyncio.wait_for(request.read(), BODY_TIMEOUT_S)
        except TimeoutError:
            return web.Response(status=408, text="408 Request Timeout")
        if self.latency is not None:
            await self.latency.wait("entry")
        found = endpoints.match(request.method, request.path)
        if found is None:
            return edge_error(404)
        ep, path_params = found
        caller = request.remote or "?"
        try:
            response = await self._answer(request, ep, path_params, body, caller)
        except Exception:  # a venue bug must not kill the server: answer 500, keep the trace
            log.exception("emulator: %s %s failed", request.method, request.path)
            response = edge_error(500)
        code = int(response.headers.pop(CODE_HEADER, "0"))
        self.calls.append(
            RestCall(self.clock.venue_ms(), ep.name, caller, code, response.status)
        )
        if self.latency is not None:
            await self.latency.wait("response")
        return response

    def _get_signing(self) -> GetSigning:
        """``VenueRules.get_signing`` of the venue (fidelity row 16); ``"any"`` without one."""
        rules = getattr(getattr(self.venue, "config", None), "rules", None)
        mode: GetSigning = getattr(rules, "get_signing", "any")
        return mode

    async def _answer(
        self,
        request: web.Request,
        ep: endpoints.Endpoint,
        path_params: dict[str, str],
        body: bytes,
        caller: str,
    ) -> web.Response:
        query = dict(request.query)
        account: str | None = None
        if ep.signed:
            try:
                key = authenticate(
                    self.keys,
                    request.headers,
                    method=ep.method,
                    query=query,
                    raw_query=request.query_string,
                    body=body,
                    now_ms=self.clock.time_ms(),
                    trade=is_trade_endpoint(ep.name, ep.method),
                    get_signing=self._get_signing(),
                    window_scale=self.clock.speed,  # the window bounds real latency
                )
            except AuthFailure as exc:
                return envelope_error(exc.code, exc.message)
            account, caller = key.account, key.api_key
        if not self.limiter.allow(caller, ep.bucket, self.clock.monotonic()):
            return envelope_error(RATE_LIMIT_CODE, RATE_LIMIT_MESSAGE)
        fault = self.faults.rest_fault(ep.name, ep.path)
        early = await self._fault_before(fault)
        if early is not None:
            return early
        parsed = _parse_body(body) if ep.method == "POST" else None
        if parsed is _BAD_JSON:
            return envelope_error(601, "Data decoding error")
        try:
            data = self.venue.handle(
                ep.method, ep.path, path_params, query, parsed, account,
                now_ms=self.clock.venue_ms(), server_ms=self.clock.time_ms(),
            )
        except VenueError as exc:
            response = envelope_error(exc.code, exc.message)
        else:
            response = envelope_ok(data)
        if isinstance(fault, Http500):
            return edge_error(500)  # after_accept: the venue has executed the call
        if isinstance(fault, Delay):
            await asyncio.sleep(fault.seconds)
        return response

    async def _fault_before(self, fault: object) -> web.Response | None:
        """Faults that answer without running the call."""
        if isinstance(fault, Http404):
            return edge_error(404)
        if isinstance(fault, TradingDisabled):
            return envelope_error(*TRADING_DISABLED)
        if isinstance(fault, Maintenance):
            return envelope_error(fault.code, MAINTENANCE_TEXT[fault.code])
        if isinstance(fault, Http500) and not fault.after_accept:
            return edge_error(500)
        if isinstance(fault, Delay) and not fault.execute:
            await asyncio.sleep(fault.seconds)
            return edge_error(504)
        return None


_BAD_JSON = object()


def _parse_body(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return _decode(body)
    except (msgspec.DecodeError, RecursionError, ValueError):  # nesting bombs too (D11)
        return _BAD_JSON


__all__ = ["RestApp", "RestCall", "edge_error", "envelope_error", "envelope_ok"]
