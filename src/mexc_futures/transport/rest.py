"""Signed REST client over aiohttp (spec §2 envelope, §3 signing, §4–§5 endpoints, §9.1 limits).

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
  ``cancel_with_external`` and ``cancel_all`` go over ``transport.order_lane`` — persistent raw
  HTTP/1.1 connections, a pre-built header template per endpoint, the body encoded by msgspec and
  signed from the precomputed HMAC state. Same signing, limiter, timeouts, logging, observer and
  fate-unknown semantics as the aiohttp path; a request goes through aiohttp instead when no lane
  connection can be had *before* anything is sent, and for good once the lane met an answer it
  does not parse (that request itself is fate-unknown). ``begin(name, ...)`` writes a lane request
  synchronously (when a connection is idle and the limiter has a slot) and returns the awaitable
  that completes the call.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import aiohttp
import msgspec
from yarl import URL

from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import (
    ApiError,
    ClockSkewError,
    ConfigError,
    RateLimitError,
    ServerError,
    TransportError,
    error_from_http_status,
)
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.codec import decode_response
from mexc_futures.protocol.endpoints import Endpoint, build_path, endpoint
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.protocol.signing import Signer, canonical_query
from mexc_futures.transport.clock import SYSTEM_CLOCK, Clock
from mexc_futures.transport.order_lane import (
    LaneFailure,
    LaneResponse,
    LaneUnavailable,
    OrderLane,
)

log = logging.getLogger("mexc_futures.rest")

_ENCODE = msgspec.json.Encoder(decimal_format="number").encode

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


#: Endpoints sent over the order lane (fixed paths, signed POSTs).
LANE_ENDPOINTS = frozenset(
    {"order_create", "order_cancel", "order_cancel_external", "order_cancel_all"}
)


class CreateOrderBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``order/create`` body (spec §5.3), encoded in this field order; ``None`` fields omitted."""

    symbol: str
    price: Decimal | None = None
    vol: Decimal
    leverage: int | None = None
    side: int
    type: int
    open_type: int = msgspec.field(name="openType")
    external_oid: str | None = msgspec.field(default=None, name="externalOid")
    position_id: int | None = msgspec.field(default=None, name="positionId")
    reduce_only: bool | None = msgspec.field(default=None, name="reduceOnly")
    stop_loss_price: Decimal | None = msgspec.field(default=None, name="stopLossPrice")
    take_profit_price: Decimal | None = msgspec.field(default=None, name="takeProfitPrice")


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
    return _ENCODE(body)


def _clean(d: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in d.items() if v is not None}


class RestClient:
    """Typed MEXC Futures REST client. ``async with RestClient(env, creds) as rest: ...``."""

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
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security  # nosec B311 - retry jitter, not security
        self._base = env.rest_url.rstrip("/")
        #: ``clock`` runs this many times faster than real time (emulator ``speed``): limiter
        #: waits, computed on ``clock``, are divided by it before sleeping.
        self.time_scale = time_scale or float(getattr(clock, "speed", 1.0))
        self.offset_ms = 0
        self.rtt_ms = 0.0
        self.clock_syncs = 0
        #: Raw keep-alive connections for the order endpoints (None: disabled or no credentials).
        self.lane: OrderLane | None = None
        if order_lane and self._signer is not None:
            self.lane = OrderLane(
                self._base, max_connections=lane_connections, connect_timeout=min(timeout, 5.0)
            )
        self._lane_heads: dict[str, bytes] = {}

    def __repr__(self) -> str:
        key = self._signer.masked_key if self._signer else None
        return f"RestClient({self.env.name!r}, api_key={key!r})"

    async def __aenter__(self) -> RestClient:
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
    def request_time(self) -> str:
        """``Request-Time`` header value: local ms + measured server offset (spec §3.4)."""
        return str(self.clock.time_ms() + self.offset_ms)

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
        query = canonical_query(_clean(params)) if params else ""
        if ep.method == "POST" and body is not None:
            payload = body if isinstance(body, bytes) else encode_body(body)
        else:
            payload = b""
        changes_state = ep.method == "POST" and ep.name not in READ_POSTS
        timeout = request_timeout or self.timeout
        wait = self.limiter.acquire(ep.bucket, self.clock.monotonic())
        first: tuple[asyncio.Future[LaneResponse], float] | None = None
        if wait <= 0 and self._lane_usable(ep):
            lane = self.lane
            assert lane is not None  # nosec B101 - checked by _lane_usable
            if lane.has_idle():
                first = self._lane_send(lane, ep, url_path, payload, timeout)
        return self._run(ep, url_path, query, payload, changes_state, timeout, wait, first)

    async def _run(
        self,
        ep: Endpoint,
        url_path: str,
        query: str,
        payload: bytes,
        changes_state: bool,
        request_timeout: float,
        wait: float,
        first: tuple[asyncio.Future[LaneResponse], float] | None,
    ) -> Any:
        attempt = 0
        while True:
            if attempt > 0:
                wait = self.limiter.acquire(ep.bucket, self.clock.monotonic())
            if wait > 0:
                await asyncio.sleep(wait / self.time_scale)
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
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry_cap, self.retry_base * 2.0**attempt)
        return ceiling * (0.5 + 0.5 * self._rng.random())

    # ------------------------------------------------------------------ order lane
    def _lane_usable(self, ep: Endpoint) -> bool:
        lane = self.lane
        return lane is not None and not lane.unusual and ep.name in LANE_ENDPOINTS

    def _lane_send(
        self, lane: OrderLane, ep: Endpoint, url_path: str, payload: bytes, timeout: float
    ) -> tuple[asyncio.Future[LaneResponse], float]:
        """Sign and write one lane request now (raises ``LaneUnavailable``: nothing sent)."""
        assert self._signer is not None  # nosec B101 - lane endpoints are signed
        head = self._lane_heads.get(url_path)
        if head is None:
            head = self._lane_heads[url_path] = self._lane_head(lane, url_path)
        rt = self.request_time()
        sig = self._signer.sign_bytes(rt, payload)
        request = b"".join(
            (
                head,
                rt.encode(),
                b"\r\nSignature: ",
                sig.encode(),
                b"\r\nContent-Length: ",
                str(len(payload)).encode(),
                b"\r\n\r\n",
                payload,
            )
        )
        t0 = self.clock.monotonic()
        return lane.send(request, timeout), t0

    def _lane_head(self, lane: OrderLane, url_path: str) -> bytes:
        """The fixed part of a lane request: everything up to the ``Request-Time`` value."""
        assert self._signer is not None  # nosec B101 - lane endpoints are signed
        fixed = self._signer.auth_headers("", "", recv_window_ms=self.recv_window_ms)
        lines = [f"POST {url_path} HTTP/1.1", f"Host: {lane.authority}"]
        lines += [f"{k}: {v}" for k, v in fixed.items() if k not in ("Request-Time", "Signature")]
        lines += ["Accept-Encoding: identity", "Connection: keep-alive", "Request-Time: "]
        return "\r\n".join(lines).encode("latin-1")

    async def _lane_finish(
        self, ep: Endpoint, fut: asyncio.Future[LaneResponse], t0: float, changes_state: bool
    ) -> Any:
        lane = self.lane
        assert lane is not None  # nosec B101 - only lane requests get here
        try:
            res = await fut
        except LaneFailure as e:
            lane.note_unusual(fut)
            if lane.unusual:
                log.warning("order lane: unusual answer (%s); using aiohttp from now on", e)
            self._notify(ep, 0, -1, False)
            what = "timed out" if "in time" in str(e) else type(e).__name__
            log.warning("%s %s: no answer (%s, lane)", ep.method, ep.name, what)
            raise TransportError(
                f"{ep.name}: no answer ({what})", fate_unknown=changes_state, endpoint=ep.name
            ) from None
        ms = (self.clock.monotonic() - t0) * 1000
        return self._finish(ep, res.status, res.body, ms, changes_state, "lane")

    async def warm_lane(self) -> bool:
        """Open a lane connection ahead of the first order; False if there is no lane or it
        cannot connect (orders then go through aiohttp until a connect succeeds)."""
        lane = self.lane
        if lane is None or lane.unusual:
            return False
        if lane.has_idle():
            return True
        try:
            await lane.connect()
        except (OSError, TimeoutError, LaneUnavailable) as e:
            log.warning("order lane: cannot connect (%s)", type(e).__name__)
            return False
        return True

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
        lane = self.lane
        if lane is not None and self._lane_usable(ep):
            if not lane.has_idle() and lane.can_connect():
                await self.warm_lane()
            try:
                fut, t0 = self._lane_send(lane, ep, url_path, payload, timeout)
            except LaneUnavailable:
                pass  # nothing was sent: aiohttp below
            else:
                return await self._lane_finish(ep, fut, t0, changes_state)
        headers: dict[str, str] = {}
        if ep.signed:
            assert self._signer is not None  # nosec B101 - checked in begin
            rt = self.request_time()
            signed = query if ep.method == "GET" else payload
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

    def _finish(
        self, ep: Endpoint, status: int, raw: bytes, ms: float, changes_state: bool, via: str
    ) -> Any:
        """Classify one answer (HTTP status, envelope) into ``data`` or an ``ApiError``;
        ``via`` (``lane`` / ``aiohttp``) is logged."""
        if status != 200:
            self._notify(ep, status, status, False)
            err = error_from_http_status(
                status,
                raw.decode("utf-8", "replace"),
                endpoint=ep.name,
                state_changing=changes_state,
            )
            log.warning(
                "%s %s -> HTTP %d (%s) in %.1f ms via %s",
                ep.method,
                ep.name,
                status,
                type(err).__name__,
                ms,
                via,
            )
            raise err
        try:
            data = decode_response(ep, raw)
        except ApiError as err:
            self._notify(ep, 200, err.code, False)
            if isinstance(err, ServerError):
                err.fate_unknown = changes_state
                err.retryable = not changes_state
            log.info("%s %s -> code %d in %.1f ms via %s", ep.method, ep.name, err.code, ms, via)
            raise
        self._notify(ep, 200, 0, True)
        self.limiter.on_success(ep.bucket, self.clock.monotonic())
        log.debug("%s %s -> ok in %.1f ms via %s", ep.method, ep.name, ms, via)
        return data

    def _notify(self, ep: Endpoint, status: int, code: int, ok: bool) -> None:
        if self.observer is not None:
            self.observer.rest_outcome(ep, status, code, ok)

    async def sync_clock(self, samples: int = 3) -> int:
        """Measure the server clock offset (RTT-corrected, best of ``samples``); returns ms."""
        best: tuple[float, float] | None = None
        for _ in range(samples):
            m0, t0 = self.clock.monotonic(), self.clock.time_ms()
            server = await self.call("ping")
            rtt_ms = (self.clock.monotonic() - m0) * 1000
            offset = int(server) - (t0 + rtt_ms / 2)
            if best is None or rtt_ms < best[0]:
                best = (rtt_ms, offset)
        assert best is not None
        self.rtt_ms, self.offset_ms = best[0], round(best[1])
        self.clock_syncs += 1
        log.info("clock offset %d ms (rtt %.1f ms)", self.offset_ms, self.rtt_ms)
        return self.offset_ms

    # ------------------------------------------------------------------ public (§4)
    async def ping(self) -> int:
        """Server time in ms."""
        return int(await self.call("ping"))

    async def get_contracts(self) -> list[w.ContractDetail]:
        """Every contract (P2)."""
        return rows(await self.call("contract_detail"))

    async def get_contract(self, symbol: str) -> w.ContractDetail:
        """One contract (P2 with ``symbol``)."""
        data = await self.call("contract_detail", params={"symbol": symbol})
        return data[0] if isinstance(data, list) else data  # type: ignore[no-any-return]

    async def get_depth(self, symbol: str, limit: int | None = None) -> w.DepthData:
        """Order-book snapshot (P4)."""
        data: w.DepthData = await self.call(
            "depth", path={"symbol": symbol}, params={"limit": limit}
        )
        return data

    async def get_depth_commits(self, symbol: str, limit: int) -> list[w.DepthCommit]:
        """Last ``limit`` single-level changes, newest first (P5)."""
        return rows(await self.call("depth_commits", path={"symbol": symbol, "limit": limit}))

    async def get_deals(self, symbol: str, limit: int | None = None) -> list[w.DealData]:
        """Recent public trades (P12)."""
        return rows(await self.call("deals", path={"symbol": symbol}, params={"limit": limit}))

    async def get_klines(
        self,
        symbol: str,
        interval: str = "Min1",
        start: int | None = None,
        end: int | None = None,
        *,
        price: str = "last",
    ) -> w.KlineData:
        """Columnar klines (P9–P11); ``price`` is ``last``, ``index`` or ``fair``; s not ms."""
        name = {"last": "kline", "index": "kline_index_price", "fair": "kline_fair_price"}[price]
        data: w.KlineData = await self.call(
            name,
            path={"symbol": symbol},
            params={"interval": interval, "start": start, "end": end},
        )
        return data

    async def get_ticker(self, symbol: str) -> w.TickerData:
        """One ticker (P13)."""
        data = await self.call("ticker", params={"symbol": symbol})
        return data[0] if isinstance(data, list) else data  # type: ignore[no-any-return]

    async def get_tickers(self) -> list[w.TickerData]:
        """Every ticker (P13)."""
        return rows(await self.call("ticker"))

    async def get_funding_rate(self, symbol: str) -> w.FundingRateData:
        """Funding of one contract (P8)."""
        data: w.FundingRateData = await self.call("funding_rate", path={"symbol": symbol})
        return data

    async def get_funding_rates(self) -> list[w.FundingRateData]:
        """Funding of every contract (P8b)."""
        return rows(await self.call("funding_rates"))

    async def get_index_price(self, symbol: str) -> w.IndexPriceData:
        """Index price (P6)."""
        data: w.IndexPriceData = await self.call("index_price", path={"symbol": symbol})
        return data

    async def get_fair_price(self, symbol: str) -> w.FairPriceData:
        """Fair (mark) price (P7)."""
        data: w.FairPriceData = await self.call("fair_price", path={"symbol": symbol})
        return data

    # ------------------------------------------------------------------ account (§5.1–§5.2)
    async def get_assets(self) -> list[w.AssetData]:
        """Every asset row."""
        return rows(await self.call("account_assets"))

    async def get_asset(self, currency: str) -> w.AssetData:
        """One asset row."""
        data: w.AssetData = await self.call("account_asset", path={"currency": currency})
        return data

    async def get_positions(self, symbol: str | None = None) -> list[w.PositionData]:
        """Open positions."""
        return rows(await self.call("open_positions", params={"symbol": symbol}))

    async def get_position_mode(self) -> int:
        """1 hedge, 2 one-way."""
        return int(await self.call("position_mode"))

    async def change_position_mode(self, mode: int) -> None:
        """Switch hedge (1) / one-way (2); fails with anything open."""
        await self.call("change_position_mode", body={"positionMode": mode})

    async def get_leverage(self, symbol: str) -> list[w.LeverageRow]:
        """Leverage rows, one per position side."""
        return rows(await self.call("leverage", params={"symbol": symbol}))

    async def change_leverage(
        self,
        leverage: int,
        *,
        position_id: int | None = None,
        symbol: str | None = None,
        open_type: int | None = None,
        position_type: int | None = None,
    ) -> None:
        """Change leverage of a position, or of a symbol side without one."""
        body = _clean(
            {
                "positionId": position_id,
                "leverage": leverage,
                "openType": open_type,
                "symbol": symbol,
                "positionType": position_type,
            }
        )
        await self.call("change_leverage", body=body)

    async def close_all_positions(self) -> None:
        """Market-close every position."""
        await self.call("close_all_positions")

    # ------------------------------------------------------------------ orders (§5.3–§5.5)
    async def create_order(
        self,
        *,
        symbol: str,
        side: int,
        order_type: int,
        vol: Decimal,
        open_type: int,
        price: Decimal | None = None,
        leverage: int | None = None,
        external_oid: str | None = None,
        position_id: int | None = None,
        reduce_only: bool | None = None,
        stop_loss_price: Decimal | None = None,
        take_profit_price: Decimal | None = None,
        request_timeout: float | None = None,
    ) -> w.CreateResult:
        """``order/create``. A 5xx/timeout raises with ``fate_unknown`` (look it up by oid)."""
        body = CreateOrderBody(
            symbol=symbol,
            price=price,
            vol=vol,
            leverage=leverage,
            side=side,
            type=order_type,
            open_type=open_type,
            external_oid=external_oid,
            position_id=position_id,
            reduce_only=reduce_only,
            stop_loss_price=stop_loss_price,
            take_profit_price=take_profit_price,
        )
        data: w.CreateResult = await self.begin_create(body, request_timeout=request_timeout)
        return data

    def begin_create(
        self, body: CreateOrderBody, *, request_timeout: float | None = None
    ) -> Awaitable[w.CreateResult]:
        """``order/create`` via ``begin``: on the order lane the signed request is written
        before this returns; await the result (same failures as ``create_order``)."""
        return self.begin("order_create", body=_ENCODE(body), request_timeout=request_timeout)

    async def change_limit_order(self, order_id: str, price: Decimal, vol: Decimal) -> str:
        """Amend a limit order; returns the new order id."""
        body = {"orderId": order_id, "price": price, "vol": vol}
        return str(await self.call("order_change_limit", body=body))

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[w.CancelResult]:
        """Cancel up to 50 orders by id; per-item results (2040/2041 per item)."""
        return rows(await self.call("order_cancel", body=list(order_ids)))

    async def cancel_by_external(self, symbol: str, external_oid: str) -> list[w.CancelResult]:
        """Cancel one order by its externalOid (array body, v2)."""
        body = [{"symbol": symbol, "externalOid": external_oid}]
        return rows(await self.call("order_cancel_external", body=body))

    async def cancel_all(self, symbol: str | None = None) -> None:
        """Cancel every open order (of ``symbol``)."""
        await self.call("order_cancel_all", body=_clean({"symbol": symbol}))

    async def get_order(self, order_id: str) -> w.OrderData:
        """One order by venue id."""
        data: w.OrderData = await self.call("order_get", path={"order_id": order_id})
        return data

    async def get_order_by_external(self, symbol: str, external_oid: str) -> w.OrderData:
        """One order by externalOid (resolves UNKNOWN outcomes)."""
        data: w.OrderData = await self.call(
            "order_get_external", path={"symbol": symbol, "external_oid": external_oid}
        )
        return data

    async def batch_query(self, order_ids: Sequence[str]) -> list[w.OrderData]:
        """Up to 50 orders by id."""
        return rows(await self.call("order_batch_query", params={"order_ids": ",".join(order_ids)}))

    async def get_open_orders(self, page_size: int = 100) -> list[w.OrderData]:
        """Every open order (all pages)."""
        out: list[w.OrderData] = []
        page = 1
        while True:
            batch = rows(
                await self.call("open_orders", params={"page_num": page, "page_size": page_size})
            )
            out.extend(batch)
            if len(batch) < page_size:
                return out
            page += 1

    async def get_history_orders(
        self, symbol: str | None = None, *, page_size: int = 100, states: str | None = None
    ) -> list[w.OrderData]:
        """Recent orders (first page)."""
        params = {"symbol": symbol, "states": states, "page_num": 1, "page_size": page_size}
        return rows(await self.call("history_orders", params=params))

    async def get_order_deals(
        self, symbol: str, *, start_time: int | None = None, page_size: int = 100
    ) -> list[w.OrderDealData]:
        """Own fills of ``symbol`` (v1 ``order_deals``)."""
        params = {
            "symbol": symbol,
            "start_time": start_time,
            "page_num": 1,
            "page_size": page_size,
        }
        return rows(await self.call("order_deals", params=params))

    async def get_deal_details(self, order_id: str) -> list[w.OrderDealData]:
        """Fills of one order."""
        return rows(await self.call("order_deal_details", path={"order_id": order_id}))

    async def get_open_order_count(self) -> w.OpenOrderCount:
        """Counts of open limit, stop, plan and track orders."""
        data: w.OpenOrderCount = await self.call("open_order_total_count")
        return data

    # ------------------------------------------------------------------ plan / stop (§5.6–§5.7)
    async def cancel_all_plan_orders(self, symbol: str | None = None) -> None:
        """Cancel every plan (trigger) order."""
        await self.call("plan_cancel_all", body=_clean({"symbol": symbol}))

    async def cancel_all_stop_orders(self, symbol: str | None = None) -> None:
        """Cancel every TP/SL order."""
        await self.call("stop_cancel_all", body=_clean({"symbol": symbol}))

    async def get_plan_orders(self, symbol: str | None = None) -> list[w.PlanOrderData]:
        """Untriggered plan orders (state 1)."""
        now = self.clock.time_ms() + self.offset_ms
        params = {
            "symbol": symbol,
            "states": "1",
            "start_time": now - 7 * 86_400_000,
            "end_time": now + 60_000,
            "page_num": 1,
            "page_size": 100,
        }
        return rows(await self.call("plan_orders", params=params))

    async def get_stop_orders(self, symbol: str | None = None) -> list[w.StopOrderData]:
        """Open TP/SL orders."""
        return rows(await self.call("stop_open_orders", params={"symbol": symbol}))


__all__ = [
    "LANE_ENDPOINTS",
    "READ_POSTS",
    "CreateOrderBody",
    "RestClient",
    "RestObserver",
    "encode_body",
    "rows",
]
