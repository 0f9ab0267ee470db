"""The emulator's I/O shell: one aiohttp server for REST (``/api/v1/...``), WebSocket (``/edge``)
and the token-protected control interface (``/_emulator/...``) on one port (spec §1, §12).

``async with Emulator(...) as ex:`` starts the venue, binds ``127.0.0.1`` (port 0 = a free port)
and runs the clock loop: every ``tick_ms`` of real time it calls ``venue.advance(now_ms)`` and
fans the publications out to subscribed sessions, each publication encoded once per channel
variant (``fanout.py``). Server-to-client frames are written as pre-built WebSocket frames
straight to the transport, so one encoding serves every subscriber.

Per-connection rules live in ``ws_session.py``/``limits.py``; faults in ``faults.py`` (applied
here for connection-level actions: TCP reset, stall, close codes, bad frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

import mexc_futures.emulator.server.auth as auth
import mexc_futures.emulator.server.benchmode as benchmode
from mexc_futures.clock import Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.emulator.server.benchmode import BurstResult, PacedResult
from mexc_futures.emulator.server.clock import EmulatorClock
from mexc_futures.emulator.server.control import PREFIX as CONTROL_PREFIX
from mexc_futures.emulator.server.control import add_control_routes
from mexc_futures.emulator.server.edge_guard import ConnectionGuard
from mexc_futures.emulator.server.fanout import Fanout
from mexc_futures.emulator.server.faults import (
    Faults,
)
from mexc_futures.emulator.server.latency import Latency, LatencyModel, PushDelay
from mexc_futures.emulator.server.limits import (
    RestLimiter,
    WsLimits,
)
from mexc_futures.emulator.server.link import Link
from mexc_futures.emulator.server.memprobe import MemoryProbe, add_memory_routes
from mexc_futures.emulator.server.rest_app import RestApp
from mexc_futures.emulator.server.ws_edge import WsEdge
from mexc_futures.emulator.venue.venue import Venue, VenueConfig

log = logging.getLogger(__name__)



def generate_key_pair(prefix: str = "mx0vglEMU") -> tuple[str, str]:
    """A fresh test key pair in MEXC's format (``mx0v...`` access key, 32-hex secret)."""
    return prefix + secrets.token_hex(8), secrets.token_hex(16)


class Emulator(WsEdge):
    """A local MEXC Futures exchange (seams "Emulator server").

    ``credentials`` is a key pair with trade permission (generated unless ``api_key`` and
    ``api_secret`` are given); ``readonly_credentials`` is a second key on the same account
    without trade permission (704 on trade endpoints). ``speed`` scales venue time (limits,
    funding, klines, REST buckets); ``limits`` holds the WS rules; ``rest_limits=False`` turns
    the 510 buckets off; ``control_token`` protects ``/_emulator/...`` (generated if ``None``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        symbols: Sequence[str] | None = None,
        n_contracts: int | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        balance: float = 10_000,
        speed: float = 1.0,
        limits: WsLimits | None = None,
        *,
        rest_limits: bool = True,
        control_token: str | None = None,
        tick_ms: float = 10.0,
        venue: Venue | None = None,
        venue_options: dict[str, Any] | None = None,
        start_ms: int | None = None,
        clock: Clock | None = None,
        latency: LatencyModel | None = None,
    ) -> None:
        if (api_key is None) != (api_secret is None):
            raise ValueError("give both api_key and api_secret, or neither")
        key, secret = (api_key, api_secret) if api_key and api_secret else generate_key_pair()
        ro_key, ro_secret = generate_key_pair("mx0vglRO")
        self.host, self._port = host, port
        self.speed = speed
        self.limits = limits if limits is not None else WsLimits()
        self.credentials = Credentials(key, secret, source="emulator")
        self.readonly_credentials = Credentials(ro_key, ro_secret, source="emulator")
        self.control_token = control_token or secrets.token_urlsafe(16)
        self.keys = auth.KeyTable()
        self.keys.add(key, secret)
        self.keys.add(ro_key, ro_secret, account=key, trade=False)
        self.faults = Faults()
        self.faults.listeners.append(self._on_fault)
        # None: now; ``clock``: the time source instead of scaled wall time (lockstep backtests)
        self.clock = EmulatorClock(speed, self.faults, start_ms=start_ms, base=clock)
        self.venue = venue or Venue(
            VenueConfig(
                seed=seed,
                symbols=tuple(symbols) if symbols else None,
                n_contracts=n_contracts,
                balance=balance,
                accounts=(key,),
                **(venue_options or {}),
            )
        )
        self.rest_limiter = RestLimiter(enabled=rest_limits)
        self.rest = RestApp(
            venue=self.venue,
            keys=self.keys,
            limiter=self.rest_limiter,
            faults=self.faults,
            clock=self.clock,
        )
        # the explicit latency model (entry/response on REST, md on pushes); None: none added
        self.latency = Latency(latency, speed) if latency and not latency.zero else None
        self.rest.latency = self.latency
        self._delay = PushDelay(self.latency, self._push_to) if self.latency else None
        self.fanout = Fanout(self.faults)
        self.venue.wants = self.fanout.wants  # no depth frames built for symbols nobody watches
        self.links: dict[int, Link] = {}
        self.closed_links: dict[int, Link] = {}
        self._ids = itertools.count(1)
        self._tick_s = tick_ms / 1000.0
        #: venue ms of the next thing the market has due after ``now`` (a recording's next event;
        #: None: nothing known): the clock loop wakes for it instead of waiting for the next tick
        self.next_due: Callable[[int], int | None] | None = None
        self._runner: web.AppRunner | None = None
        self._clock_task: asyncio.Task[None] | None = None
        self._guard_task: asyncio.Task[None] | None = None
        self._listener: asyncio.Server | None = None
        self.guard = ConnectionGuard()
        self._bursting = False
        self._symbols = {s.upper(): s for s in self.venue.symbols()}
        self.memory: MemoryProbe | None = None  # set by build_app

    # -- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def build_app(self) -> web.Application:
        """The aiohttp application (REST catch-all, ``/edge``, control routes)."""
        app = web.Application(
            client_max_size=4 * 1024 * 1024, middlewares=[self.guard.middleware]
        )
        app.router.add_get("/edge", self._ws_handler)
        # ccxt-compat: ccxt's mexc ``load_markets`` always asks for spot markets and, with keys,
        # spot currencies; an empty spot venue lets unmodified ccxt run against the emulator.
        app.router.add_get("/api/v3/exchangeInfo", self._ccxt_spot_info)
        app.router.add_get("/api/v3/capital/config/getall", self._ccxt_spot_currencies)
        add_control_routes(app, self)
        self.memory = add_memory_routes(app, self, CONTROL_PREFIX)  # GET /_emulator/memory
        app.router.add_route("*", "/{tail:.*}", self.rest.handle)
        return app

    async def _ccxt_spot_info(self, _request: web.Request) -> web.Response:
        """ccxt-compat: an empty spot exchange (``GET /api/v3/exchangeInfo``)."""
        return web.json_response(
            {"timezone": "CST", "serverTime": self.clock.time_ms(), "rateLimits": [],
             "exchangeFilters": [], "symbols": []}
        )

    async def _ccxt_spot_currencies(self, _request: web.Request) -> web.Response:
        """ccxt-compat: no spot currencies (``GET /api/v3/capital/config/getall``)."""
        return web.json_response([])

    async def start(self) -> None:
        """Bind and serve; ``rest_url``/``ws_url`` are valid afterwards."""
        runner = self._runner = web.AppRunner(
            self.build_app(), access_log=None, handle_signals=False
        )
        await runner.setup()
        server = runner.server
        assert server is not None
        self.guard.set_factory(server)
        loop = asyncio.get_running_loop()
        # our own listener (not web.TCPSite) so that the guard sees every connection (D14)
        self._listener = await loop.create_server(
            self.guard.protocol, self.host, self._port, reuse_address=True
        )
        sockets = list(self._listener.sockets or ())
        if sockets:
            self._port = int(sockets[0].getsockname()[1])
        self.tick()
        self._clock_task = loop.create_task(self._run_clock())
        self._guard_task = loop.create_task(self._run_guard())

    async def stop(self) -> None:
        """Close every connection and the listener."""
        if self._clock_task is not None:
            self._clock_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock_task
            self._clock_task = None
        if self._guard_task is not None:
            self._guard_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._guard_task
            self._guard_task = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for link in list(self.links.values()):
            self._close(link, 1001, "server shutdown")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def serve_forever(self) -> None:
        """Run until cancelled (CLI)."""
        async with self:
            await asyncio.Event().wait()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def env(self) -> Environment:
        return Environment.local(self.host, self._port)

    @property
    def rest_url(self) -> str:
        return self.env.rest_url

    @property
    def ws_url(self) -> str:
        return self.env.ws_url

    @property
    def control_url(self) -> str:
        return self.rest_url + "/_emulator"

    @property
    def truth(self) -> Any:
        """The venue's ground truth (orders by externalOid, deals, book at a version, ...)."""
        return self.venue.truth

    # -- clock ---------------------------------------------------------------------------------
    async def _run_clock(self) -> None:
        while True:
            await asyncio.sleep(self._sleep_s())
            try:
                self.tick()
            except Exception:  # keep serving; the trace is in the log
                log.exception("emulator tick failed")

    def _sleep_s(self) -> float:
        due = self.next_due(self.clock.venue_ms()) if self.next_due is not None else None
        if due is None:
            return self._tick_s
        wait_ms = max(due - self.clock.venue_ms(), 1)
        return min(self._tick_s, wait_ms / 1000.0 / self.speed)

    async def _run_guard(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.guard.sweep()

    def tick(self) -> None:
        """Advance the venue to now, push what it published, enforce timed WS limits."""
        if self._bursting:
            return  # a burst owns the stream until it has been written
        now_ms = self.clock.venue_ms()
        pubs = self.venue.advance(now_ms)
        if pubs:
            for cid, frames in self.fanout.route(pubs, now_ms).items():
                if self._delay is not None:
                    self._delay.push(cid, b"".join(frames), len(frames))
                else:
                    self._push_to(cid, b"".join(frames), len(frames))
        if self.closed_links:
            self._expire_closed(now_ms)
        now_s = self.clock.monotonic()
        for link in list(self.links.values()):
            try:
                breach = link.conn.session.check(now_s)
                if breach is not None:
                    self._breach(link, breach)
            except Exception:
                log.exception("emulator: limits of connection %d failed", link.conn.id)

    def _push_to(self, cid: int, data: bytes, frames: int) -> None:
        link = self.links.get(cid)
        if link is not None:
            try:  # one failing connection never stops the pushes to the others
                self._send(link, data, frames)
            except Exception:
                log.exception("emulator: push to connection %d failed; dropping it", cid)
                self._drop(link)

    def advance(self, ms: int) -> None:
        """Jump venue time forward by ``ms`` and run one tick at once."""
        self.clock.advance(ms)
        self.tick()

    # -- burst (benchmarks) --------------------------------------------------------------------
    async def burst_depth(
        self, symbol: str, frames: int, *, levels: int = 5, chunk: int = 4096
    ) -> BurstResult:
        """Benchmark burst (``benchmode``): make ``frames`` merged ``push.depth`` frames of
        ``levels`` real book changes each, pre-encode them, then write them to every merged-depth
        subscriber of ``symbol`` as fast as the sockets take them. The clock loop pauses
        meanwhile, so versions stay contiguous and the venue's book, REST snapshots and
        ``truth.book`` agree with what was pushed."""
        canonical = self.resolve_symbol(symbol)
        if canonical is None:
            raise ValueError(f"unknown symbol {symbol}")
        self._bursting = True
        try:
            self.tick_once_unlocked()
            return await benchmode.burst(self, canonical, frames, levels, chunk)
        finally:
            self._bursting = False

    async def paced_depth(
        self,
        symbols: str | Sequence[str],
        frames: int,
        rate: float,
        *,
        levels: int = 5,
        mix: tuple[float, float, float] = (1.0, 0.0, 0.0),
        record_best_bid: bool = False,
        seed: int = 0,
    ) -> PacedResult:
        """Benchmark pace (``benchmode``): ``frames`` frames at ``rate`` per second over
        ``symbols`` (depth, deal and ticker in the shares ``mix``), each write stamped with
        ``time.perf_counter_ns()`` (CLOCK_MONOTONIC) in ``PacedResult.send_ns``. The clock loop
        pauses meanwhile; REST (orders included) keeps being served and its book changes go out
        in the next depth frame. ``PacedResult.limited`` is the emulator's "I was the
        bottleneck"."""
        names = [symbols] if isinstance(symbols, str) else list(symbols)
        canonical = []
        for s in names:
            c = self.resolve_symbol(s)
            if c is None:
                raise ValueError(f"unknown symbol {s}")
            canonical.append(c)
        if rate <= 0 or frames < 0:
            raise ValueError("rate must be > 0 and frames >= 0")
        self._bursting = True
        try:
            self.tick_once_unlocked()
            return await benchmode.paced(
                self, canonical, frames, rate, levels=levels, mix=mix,
                record_best_bid=record_best_bid, seed=seed,
            )
        finally:
            self._bursting = False

    def tick_once_unlocked(self) -> None:
        """One tick even while a burst holds the loop (flushes what the venue has queued)."""
        bursting, self._bursting = self._bursting, False
        try:
            self.tick()
        finally:
            self._bursting = bursting

    # -- ground truth --------------------------------------------------------------------------
    def pushed_versions(self, symbol: str, conn: int | None = None) -> list[tuple[int, int]]:
        """``(begin, end)`` of every depth frame handed to ``conn`` (or the first connection
        that received any) for ``symbol``, in order."""
        links = [*self.links.values(), *self.closed_links.values()]
        for link in links:
            if conn in (None, link.conn.id) and symbol in link.conn.pushed:
                return [(p[0], p[1]) for p in link.conn.pushed[symbol]]
        return []

    def connections(self) -> list[dict[str, Any]]:
        """Live and closed connections: id, peer, subscriptions, login, counters, close code."""
        rows = []
        for link in [*self.links.values(), *self.closed_links.values()]:
            s = link.conn.session
            rows.append(
                {
                    "id": s.conn_id,
                    "peer": link.peer,
                    "open": not link.closed,
                    "openedMs": link.opened_ms,
                    "closeCode": link.close_code,
                    "account": s.account,
                    "subscriptions": [list(k) for k in s.subs.values()],
                    "framesReceived": s.received_count,
                    "framesSent": link.sent_frames,
                    "stalledBytes": link.stalled_bytes,
                }
            )
        return rows

    def frames_received(self, conn: int) -> list[tuple[int, str]]:
        """``(venue ms, text)`` of every frame the client sent on ``conn`` (last 10 000)."""
        link = self.links.get(conn) or self.closed_links.get(conn)
        return list(link.conn.session.received) if link is not None else []


__all__ = ["BurstResult", "Emulator", "Link", "PacedResult", "generate_key_pair"]
