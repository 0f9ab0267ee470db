"""Core of the signed REST client over aiohttp (spec §2 envelope, §3 signing, §9.1 limits).

Contract:

* One keep-alive ``aiohttp.ClientSession`` per client (or the caller's); paths come only from
  ``protocol.endpoints``; ``data`` is decoded once into typed structs by ``protocol.codec``.
* Signing (§3.2): GET parameters sorted and percent-encoded, the query sent byte-for-byte as
  signed; POST bodies are compact JSON (decimals as JSON numbers) and signed exactly as sent.
  **Every attempt is signed afresh** with a new ``Request-Time`` = local clock + measured offset.
* Clock offset (§3.4): ``sync_clock`` pings ``/api/v1/contract/ping`` a few times and keeps the
  sample with the smallest round trip (offset = server time - local midpoint). A 513 answer
  re-measures and retries.
* Rate limits (§9.1): every attempt first waits for a slot of the endpoint's bucket
  (``protocol.ratelimit``); a 510 (or HTTP 429) stretches the bucket and is retried — the venue
  refused the request before acting on it.
* Failures: HTTP 4xx are classified (``EdgeError``) and logged, never retried. On anything that
  changes state, HTTP 5xx, an envelope server error, a timeout or a broken connection raise with
  ``fate_unknown=True``: the caller must look the request up — it is never "failed" and never
  retried here. Reads (GET and query POSTs) are retried with bounded jittered backoff.
* Logs carry method, endpoint name, status, code and latency — never headers, the signature or the
  secret; exchange text is escaped by ``errors``.
* ``observer`` (optional) sees the outcome of every attempt (the kill switch counts 404s, codes and
  the error rate there).
* Order lane (``order_lane=True``, the default with credentials): ``order/create``, ``cancel``,
  ``cancel_with_external`` and ``cancel_all`` go over ``transport.rest_lane`` (raw keep-alive
  HTTP/1.1) with the same signing, limiter, timeouts, logging, observer and fate-unknown
  semantics as the aiohttp path; a request goes through aiohttp instead when no lane connection
  can be had *before* anything is sent, and for good once the lane met an answer it does not
  parse (that request itself is fate-unknown). ``begin(name, ...)`` writes a lane request
  synchronously (when a connection is idle and the limiter has a slot) and returns the awaitable
  that completes the call.

Reading an answer (status, envelope, undecodable bodies) is ``transport.rest_answer``; the
venue clock (``sync_clock``, ``venue_time_ms``) is ``transport.rest_clock``; both are mixed into
``RestCore``. The typed endpoint methods live in ``rest_public`` / ``rest_private``;
``transport.rest`` composes them with this core into ``RestClient``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol, Self

import aiohttp
import msgspec
from yarl import URL

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import (
    ClockSkewError,
    ConfigError,
    RateLimitError,
    ServerError,
    TransportError,
)
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.endpoints import Endpoint, build_path, endpoint
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.protocol.signing import Signer, canonical_query, get_signing_string
from mexc_futures.transport.order_lane import LaneResponse, LaneUnavailable, OrderLane
from mexc_futures.transport.rest_answer import AnswerReader
from mexc_futures.transport.rest_clock import RestClockSync
from mexc_futures.transport.rest_lane import LaneDispatch

log = logging.getLogger("mexc_futures.rest")

#: The JSON encoder of request bodies (compact, decimals as numbers): ``encode_body`` unwrapped.
_ENCODE_FAST = msgspec.json.Encoder(decimal_format="number").encode
_EXPONENT = re.compile(rb"[0-9][eE][+-]?[0-9]")


def _plain(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return msgspec.Raw(format(obj, "f").encode())
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def ENCODE(body: object) -> bytes:
    """Compact JSON with decimals as plain numbers, **never exponent form** (fidelity row 18:
    msgspec writes ``Decimal("0.00000010")`` as ``1.0E-7``): the fast encoding, redone with
    fixed-point numbers only when it shows a digit-exponent pattern anywhere."""
    out = _ENCODE_FAST(body)
    if _EXPONENT.search(out) is None:
        return out
    plain = _plain(msgspec.to_builtins(body, builtin_types=(Decimal,)))
    return _ENCODE_FAST(plain)


#: Endpoints that put a new order on the book: ``send_gate`` is consulted before each attempt.
GATED = frozenset(
    {
        "order_create",
        "order_submit",
        "order_change_limit",
        "order_chase",  # moves an order (and may make it take: fidelity row 11)
        "order_submit_batch",
        "plan_place_v2",
        "stop_place",
        "track_place",
        "reverse_position",
    }
)

#: POST endpoints that only read: safe to retry.
READ_POSTS = frozenset(
    {
        "order_batch_query_external",
        "open_order_total_count_post",
        "asset_analysis_v3",
        "asset_analysis_daily",
        "asset_analysis_monthly",
        "asset_analysis_recent",
    }
)


class RestObserver(Protocol):
    """Sees every attempt: HTTP status (0 = no answer), envelope code (0 ok, -1 none), ok."""

    def rest_outcome(self, ep: Endpoint, http_status: int, code: int, ok: bool) -> None: ...


def rows(data: Any) -> list[Any]:
    """A list endpoint's rows whether ``data`` is a plain array or a ``Page`` (spec §2)."""
    if data is None:
        return []
    if isinstance(data, w.Page):
        return list(data.result_list)
    return list(data)


def encode_body(body: object) -> bytes:
    """Compact JSON (``,``/``:`` separators, decimals as numbers): the exact bytes signed."""
    return ENCODE(body)


def one(data: Any) -> Any:
    """A single-object endpoint's row whether ``data`` is the object or a one-row array."""
    return data[0] if isinstance(data, list) else data


def drop_none(d: Mapping[str, object]) -> dict[str, object]:
    """``d`` without its ``None`` values (optional parameters and body fields are omitted)."""
    return {k: v for k, v in d.items() if v is not None}


class RestCore(RestClockSync, AnswerReader):
    """Transport core shared by the endpoint method sets (``rest_public``, ``rest_private``):
    session, signing, limiter, clock offset, retries, error classification and the order-lane
    dispatch. Users build ``RestClient`` (``transport.rest``), which composes it with them."""

    def __init__(
        self,
        env: Environment,
        credentials: Credentials | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
        read_retries: int = 3,
        retry_base: float = 0.2,
        retry_cap: float = 2.0,
        recv_window_ms: int | None = None,
        observer: RestObserver | None = None,
        rng: random.Random | None = None,
        time_scale: float | None = None,
        order_lane: bool = True,
        lane_connections: int = 2,
    ) -> None:
        self.env = env
        self._signer: Signer | None = credentials.signer() if credentials else None
        self.clock = clock
        self._session = session
        self._own_session = session is None
        self.timeout = timeout
        self.limiter = limiter or RateLimiter()
        self.read_retries = read_retries
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.recv_window_ms = recv_window_ms
        self.observer = observer
        #: Called right before each attempt of an order-creating request (``GATED``) that was
        #: not written at once: raising there (e.g. ``KillSwitchActive``) drops a request that
        #: waited for a limiter slot while the kill switch tripped; nothing was sent.
        self.send_gate: Callable[[Endpoint], None] | None = None
        #: Set when the gate may have closed: gated requests waiting for a slot wake at once.
        self.gate_closed = asyncio.Event()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security  # nosec B311  # retry jitter, not security
        self._base = env.rest_url.rstrip("/")
        #: ``clock`` runs this many times faster than real time (emulator ``speed``): limiter
        #: waits, computed on ``clock``, are divided by it before sleeping.
        self.time_scale = time_scale or float(getattr(clock, "speed", 1.0))
        #: per bucket, woken when a request of it is answered (``_hold`` waits on it)
        self._answers: dict[str, asyncio.Event] = {}
        self.offset_ms = 0
        self._sample: tuple[float, float] | None = None  # (local ms, venue ms) of the last sync
        self._first_sample: tuple[float, float] | None = None
        self._rate = 1.0  # venue ms per local ms: 1.0 unless clearly scaled
        self.rtt_ms = 0.0
        self.clock_syncs = 0
        #: Raw keep-alive connections for the order endpoints (None: disabled or no credentials).
        self.lane: OrderLane | None = None
        self._lanes: LaneDispatch | None = None
        if order_lane and self._signer is not None:
            self.lane = OrderLane(
                self._base, max_connections=lane_connections, connect_timeout=min(timeout, 5.0)
            )
            self._lanes = LaneDispatch(self.lane, self._signer, clock=clock, notify=self._notify)

    def __repr__(self) -> str:
        key = self._signer.masked_key if self._signer else None
        return f"RestClient({self.env.name!r}, api_key={key!r})"

    async def __aenter__(self) -> Self:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=32, keepalive_timeout=30.0)
            self._session = aiohttp.ClientSession(connector=connector)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        """Close the order lane, and the session if this client created it."""
        if self.lane is not None:
            await self.lane.close()
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    # ------------------------------------------------------------------ core
    async def call(
        self,
        name: str,
        *,
        path: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        body: object = None,
        request_timeout: float | None = None,
    ) -> Any:
        """Call endpoint ``name``; returns the typed ``data`` (see the module contract)."""
        return await self.begin(
            name, path=path, params=params, body=body, request_timeout=request_timeout
        )

    def begin(
        self,
        name: str,
        *,
        path: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        body: object = None,
        request_timeout: float | None = None,
    ) -> Awaitable[Any]:
        """Start a call: a lane endpoint is signed and **written before this returns** when a
        lane connection is idle and the limiter has a slot; await the result for ``data``."""
        ep = endpoint(name)
        if ep.signed and self._signer is None:
            raise ConfigError(f"{name} is a private endpoint: give RestClient credentials")
        url_path = build_path(ep, **(path or {}))
        query = canonical_query(drop_none(params)) if params else ""
        if ep.method == "POST" and body is not None:
            payload = body if isinstance(body, bytes) else encode_body(body)
        else:
            payload = b""
        changes_state = ep.method == "POST" and ep.name not in READ_POSTS
        timeout = request_timeout or self.timeout
        now = self.clock.monotonic()
        slot = self.limiter.reserve(ep.bucket, now)
        first: tuple[asyncio.Future[LaneResponse], float] | None = None
        lanes = self._lanes
        if (
            slot <= now
            and lanes is not None
            and lanes.usable(ep)
            and lanes.lane.has_idle()
            and self.limiter.hold(ep.bucket, slot, now) == 0.0
        ):
            self.limiter.sending(ep.bucket, slot, self.clock.monotonic())
            first = lanes.send(url_path, payload, timeout, self.request_time(), self.recv_window_ms)
        return self._run(ep, url_path, query, payload, changes_state, timeout, slot, first)

    async def _run(
        self,
        ep: Endpoint,
        url_path: str,
        query: str,
        payload: bytes,
        changes_state: bool,
        request_timeout: float,
        slot: float,
        first: tuple[asyncio.Future[LaneResponse], float] | None,
    ) -> Any:
        attempt = 0
        while True:
            if attempt > 0:
                slot = self.limiter.reserve(ep.bucket, self.clock.monotonic())
            wait = slot - self.clock.monotonic()
            gated = first is None and self.send_gate is not None and ep.name in GATED
            try:
                if wait > 0 and gated:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.gate_closed.wait(), wait / self.time_scale)
                elif wait > 0:
                    await asyncio.sleep(wait / self.time_scale)
                if first is None:
                    await self._hold(ep, slot, request_timeout)
                if gated:
                    assert self.send_gate is not None  # nosec B101  # narrowing for mypy
                    self.send_gate(ep)
            except BaseException:  # cancelled, timed out or gated before sending: give the slot
                self.limiter.release(ep.bucket, slot, self.clock.monotonic())  # back (D5)
                raise
            if first is None:
                self.limiter.sending(ep.bucket, slot, self.clock.monotonic())
            try:
                if first is not None:
                    sent, first = first, None
                    return await self._lane_finish(ep, sent[0], sent[1], changes_state)
                return await self._attempt(
                    ep, url_path, query, payload, changes_state, request_timeout
                )
            except RateLimitError:
                self.limiter.on_rate_limited(ep.bucket, self.clock.monotonic())
                if attempt >= self.read_retries:
                    raise
            except ClockSkewError:
                if attempt >= self.read_retries:
                    raise
                await asyncio.sleep(self._backoff(attempt))
                await self.sync_clock()
            except (TransportError, ServerError) as err:
                if changes_state or attempt >= self.read_retries:
                    err.fate_unknown = changes_state
                    raise
                await asyncio.sleep(self._backoff(attempt))
            finally:
                self._answered(ep, slot)
            attempt += 1

    async def _hold(self, ep: Endpoint, slot: float, request_timeout: float) -> None:
        """Wait until the limiter lets the request at ``slot`` leave: a window after the answers
        of the requests a bucket's capacity before it (ratelimit docstring, S19). Bounded by
        ``request_timeout`` (real seconds): an answer that never comes does not hang a call."""
        give_up = self.clock.monotonic() + request_timeout * self.time_scale
        while (extra := self.limiter.hold(ep.bucket, slot, self.clock.monotonic())) != 0.0:
            left = (give_up - self.clock.monotonic()) / self.time_scale  # real seconds
            if left <= 0:
                return
            if extra is None:  # an earlier request is in flight: its answer decides
                ev = self._answers.setdefault(ep.bucket.name, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), min(left, 1.0))
            else:
                await asyncio.sleep(min(left, extra / self.time_scale))

    def _answered(self, ep: Endpoint, slot: float) -> None:
        self.limiter.answered(ep.bucket, slot, self.clock.monotonic())
        ev = self._answers.pop(ep.bucket.name, None)
        if ev is not None:
            ev.set()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry_cap, self.retry_base * 2.0**attempt)
        return ceiling * (0.5 + 0.5 * self._rng.random())

    # ------------------------------------------------------------------ order lane
    async def _lane_finish(
        self, ep: Endpoint, fut: asyncio.Future[LaneResponse], t0: float, changes_state: bool
    ) -> Any:
        lanes = self._lanes
        assert lanes is not None  # nosec B101  # only lane requests get here
        res = await lanes.answer(ep, fut, changes_state)
        ms = (self.clock.monotonic() - t0) * 1000
        return self._finish(ep, res.status, res.body, ms, changes_state, "lane")

    async def warm_lane(self) -> bool:
        """Open a lane connection ahead of the first order; False if there is no lane or it
        cannot connect (orders then go through aiohttp until a connect succeeds)."""
        return self._lanes is not None and await self._lanes.warm()

    # ------------------------------------------------------------------ one attempt
    async def _attempt(
        self,
        ep: Endpoint,
        url_path: str,
        query: str,
        payload: bytes,
        changes_state: bool,
        request_timeout: float,
    ) -> Any:
        timeout = request_timeout
        lanes = self._lanes
        if lanes is not None and lanes.usable(ep):
            if not lanes.lane.has_idle() and lanes.lane.can_connect():
                await lanes.warm()
            try:
                fut, t0 = lanes.send(
                    url_path, payload, timeout, self.request_time(), self.recv_window_ms
                )
            except LaneUnavailable:
                pass  # nothing was sent: aiohttp below
            else:
                return await self._lane_finish(ep, fut, t0, changes_state)
        headers: dict[str, str] = {}
        if ep.signed:
            assert self._signer is not None  # nosec B101  # checked in begin
            rt = self.request_time()
            signed = get_signing_string(query) if ep.method == "GET" else payload
            sig = self._signer.sign_bytes(
                rt, signed.encode() if isinstance(signed, str) else signed
            )
            headers = self._signer.auth_headers(rt, sig, recv_window_ms=self.recv_window_ms)
        elif ep.method == "POST":
            headers = {"Content-Type": "application/json"}
        url = URL(
            f"{self._base}{url_path}?{query}" if query else f"{self._base}{url_path}", encoded=True
        )
        session = self._ensure_session()
        t0 = self.clock.monotonic()
        try:
            async with session.request(
                ep.method,
                url,
                data=payload if ep.method == "POST" else None,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                status = resp.status
                raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            self._notify(ep, 0, -1, False)
            what = "timed out" if isinstance(e, TimeoutError) else type(e).__name__
            log.warning("%s %s: no answer (%s)", ep.method, ep.name, what)
            raise TransportError(
                f"{ep.name}: no answer ({what})", fate_unknown=changes_state, endpoint=ep.name
            ) from None
        ms = (self.clock.monotonic() - t0) * 1000
        return self._finish(ep, status, raw, ms, changes_state, "aiohttp")

    def _notify(self, ep: Endpoint, status: int, code: int, ok: bool) -> None:
        if self.observer is not None:
            self.observer.rest_outcome(ep, status, code, ok)
