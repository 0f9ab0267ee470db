"""Market data: subscriptions -> typed event streams and exact local books (seams "Market data").

``async with MarketData(env) as md:`` then ``sub = await md.subscribe("depth", "BTC_USDT")``;
events arrive as an async iterator (``async for ev in sub`` or ``md.events()``) and/or through
callbacks (``sub.on(cb)`` / ``md.on(cb)``, called synchronously on the receive path).
``md.book(symbol)`` is the live book (``best_bid``, ``best_ask``, ``top(n)``, ``spread``,
``mid``, ``version``, ``synced``).

Composition (each part one concern): ``protocol.ledger`` places streams on connections,
``transport.pool`` supervises the sockets (each driven by ``protocol.session``),
``model.booksync`` keeps each ``push.depth`` book exact (spec §8), ``router`` routes every
frame (the hot path), runs the REST fetches the sync machines ask for and de-duplicates deals.
This module is the facade over them: lifecycle, the public API, the pool's connection hooks
(start/stop streams, staleness, deal gaps) and make-before-break rotation. The cut keeps the
per-frame code in one small module that can be profiled alone, and this one readable as the API.

Guarantees (reliability I3-I7):
  * a ``BookUpdate`` means the book is exact at its version; otherwise a ``BookResync`` is emitted
    (gap, reconnect, stale stream, audit divergence, crossed book);
  * deals are de-duplicated on ``i`` when present, else on ``(t, p, v, T, O, M, n)`` with ``n``
    the occurrence number of that tuple within its millisecond on its connection (I4); periods
    lost to a reconnect are reported as ``DealGap``;
  * rotation before the venue's lifetime limit is make-before-break: the twin connection's books
    take over at the exact next version and the old connection closes afterwards;
  * event queues are bounded (oldest dropped and counted); ``unsubscribe`` releases connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Hashable, Sequence
from types import TracebackType
from typing import Any, Protocol

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Environment
from mexc_futures.errors import MexcError
from mexc_futures.marketdata.config import MarketDataConfig, market_data_limiter
from mexc_futures.marketdata.private_stream import LoginError, PrivateStream
from mexc_futures.marketdata.route import ProbeQuiet, Route
from mexc_futures.marketdata.router import Router
from mexc_futures.marketdata.subscription import BookView, Callback, EventQueue, Subscription
from mexc_futures.model.booksync import BookSync, FullBookSync
from mexc_futures.model.events import MarketEvent
from mexc_futures.protocol.ledger import Ledger, Stream
from mexc_futures.protocol.session import ClientFrame, Sub
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import Pool

log = logging.getLogger("mexc_futures.marketdata")  # one logger for the manager (router too)

PUBLIC_CHANNELS = frozenset(
    {"tickers", "ticker", "deal", "kline", "depth", "depth.full", "funding.rate",
     "index.price", "fair.price", "contract"}
)
_NO_SYMBOL = frozenset({"tickers", "contract"})


class DepthSource(Protocol):
    """What book sync needs from REST (``transport.rest.RestClient`` fits)."""

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        """Spec §4.2 snapshot with ``bids``, ``asks``, ``version``."""
        ...

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        """Spec §4.3 commits, newest first."""
        ...


class MarketData(Router):
    """Public market data; see the module docstring."""

    def __init__(
        self,
        env: Environment,
        *,
        rest: DepthSource | None = None,
        clock: Clock = SYSTEM_CLOCK,
        config: MarketDataConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        cfg = config or MarketDataConfig()
        super().__init__(cfg, clock, Metrics(), Ledger(cfg.max_per_conn))
        self.env = env
        self._rest = rest
        self._own_rest: Any = None
        self._rng = rng or random.Random()  # noqa: S311  # nosec B311  # jitter

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> MarketData:
        if self._rest is None:
            from mexc_futures.transport.rest import RestClient

            self._own_rest = RestClient(self.env, clock=self.clock,
                                        limiter=market_data_limiter())
            self._rest = self._own_rest
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        cfg = self.config
        self._pool = Pool(self.env.ws_url, self, self._metrics, clock=self.clock, rng=self._rng,
                          session_config=cfg.session, backoff_base=cfg.backoff_base,
                          backoff_cap=cfg.backoff_cap)
        await self._pool.__aenter__()
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                await pool.__aexit__(None, None, None)
            if self._group is not None:
                group, self._group = self._group, None
                for task in list(self._tasks):
                    task.cancel()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(5.0):
                        await group.__aexit__(None, None, None)
        finally:
            if self._own_rest is not None:
                await self._own_rest.close()
            if self._queue is not None:
                self._queue.close()
            for st in self._streams.values():
                for sub in st.subs:
                    if sub._queue is not None:
                        sub._queue.close()

    # ---------------------------------------------------------------- public API

    async def subscribe(
        self, channel: str, symbol: str | None = None, **params: str | int | bool
    ) -> Subscription:
        """Subscribe to a public channel of spec §7.5 (``depth`` is synced, spec §8)."""
        if channel not in PUBLIC_CHANNELS:
            raise ValueError(f"unknown public channel {channel!r}: {sorted(PUBLIC_CHANNELS)}")
        if (symbol is None) != (channel in _NO_SYMBOL):
            raise ValueError(f"channel {channel!r} " + ("takes no symbol" if symbol else
                                                        "needs a symbol"))
        pool = self._need_pool()
        stream = Stream.of(channel, symbol, **params)
        st = self._streams.get(stream)
        if st is None:
            st = self._add_stream(stream)
            actions = self.ledger.add(stream)
            pool.apply(actions)
            conn = self.ledger.conn_of(stream)
            if conn is not None and conn in pool.live and pool.live[conn].session.opened_at:
                self._start_stream(st, conn)
        sub = Subscription(self, stream)
        st.subs.append(sub)
        self.listeners_changed()
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        """End ``sub``; the stream (and its connection, if emptied) goes when unused."""
        if not sub.active:
            return
        sub.active = False
        if sub._queue is not None:
            sub._queue.close()
        st = self._streams.get(sub.stream)
        if st is None:
            return
        with contextlib.suppress(ValueError):
            st.subs.remove(sub)
        self.listeners_changed()
        if st.subs:
            return
        self._drop_stream(st)
        self._need_pool().apply(self.ledger.remove(st.stream))

    def on(self, callback: Callback) -> None:
        """Call ``callback(event)`` for every market event (synchronously)."""
        self._callbacks.append(callback)
        self.listeners_changed()

    def events(self) -> AsyncIterator[MarketEvent]:
        """Every market event, as an async iterator (one shared bounded queue)."""
        if self._queue is None:
            self._queue = EventQueue(self.config.queue_size)
            self.listeners_changed()
        return self._iter(self._queue)

    async def _iter(self, q: EventQueue) -> AsyncIterator[MarketEvent]:
        while True:
            try:
                yield await q.get()
            except StopAsyncIteration:
                return

    def book(self, symbol: str) -> BookView:
        """The live book of ``symbol`` (``depth`` preferred over ``depth.full``)."""
        st = self._depth.get(symbol) or self._full.get(symbol)
        if st is None or st.sync is None:
            raise KeyError(f"no depth subscription for {symbol}")
        sync = st.sync
        return BookView(sync.book, lambda: bool(sync.synced))

    def sync_of(self, symbol: str) -> BookSync | FullBookSync:
        """The sync machine of ``symbol`` (stats, audits)."""
        st = self._depth.get(symbol) or self._full.get(symbol)
        if st is None or st.sync is None:
            raise KeyError(f"no depth subscription for {symbol}")
        return st.sync

    def force_resync(self, symbol: str, reason: str = "audit") -> None:
        """Drop ``symbol``'s book and resync it."""
        st = self._depth.get(symbol)
        if st is not None and isinstance(st.sync, BookSync):
            self._outputs(st, st.sync.force_resync(reason))

    @property
    def queue_size(self) -> int:
        """Bound of each event queue (``MarketDataConfig.queue_size``)."""
        return self.config.queue_size

    @property
    def connections(self) -> dict[int, tuple[Stream, ...]]:
        """Connection id -> streams, as the ledger places them."""
        return dict(self.ledger.connections)

    @property
    def pool(self) -> Pool:
        """The connection pool (tests, diagnostics)."""
        return self._need_pool()

    # ---------------------------------------------------------------- streams

    def _need_pool(self) -> Pool:
        if self._pool is None:
            raise MexcError("use `async with MarketData(env) as md:` first")
        return self._pool

    def _start_stream(self, st: Route, conn: int) -> None:
        """The stream's connection is (again) up: watch it, start its book sync."""
        pool = self._need_pool()
        live = pool.live.get(conn)
        silence = self.config.depth_silence
        if live is not None and silence is not None and st.sync is not None:
            live.session.watch(st.stream, silence, self.clock.monotonic())
            st.silence = silence
        if isinstance(st.sync, BookSync):
            if st.sync.handover_pending:
                return
            self._outputs(st, st.sync.start(source=conn, bridge=self.bridge_ok()))
            self._spawn(self._audit_loop(st), f"md-audit-{st.stream.symbol}")
        if st.gap_since is not None:
            now = self.clock.time_ms()
            self.deal_gap(st, st.gap_since, now)
            st.gap_since = None
            st.reopened = now  # until its first deal proves the subscription flows (D9)

    # ---------------------------------------------------------------- pool hooks

    def initial_frames(self, conn: int) -> Sequence[ClientFrame]:
        return [Sub(s.channel, tuple(sorted(s.param().items())), key=s)
                for s in self.ledger.streams_on(conn)]

    def wanted(self, conn: int) -> bool:
        return conn in self.ledger.connections

    def on_up(self, conn: int, reconnect: bool) -> None:
        if self._pool is None:  # closing: ``__aexit__`` let go of the pool before closing it,
            log.debug("conn %d up while closing: nothing started", conn)  # and a socket that
            return  # finished its login meanwhile must not raise out of the pool's teardown
        for s in self.ledger.streams_on(conn):
            st = self._streams.get(s)
            if st is not None:
                self._start_stream(st, conn)
        if conn in self._handover:
            self._check_handover(conn)

    def on_down(self, conn: int, reason: str) -> None:
        log.info("conn %d down: %s", conn, reason)
        twin = self._twin_of.get(conn)
        if twin is not None:  # a rotated-out connection: its twin may not have flowed yet (D9)
            now = self.clock.time_ms()
            for deal in self._deal_routes_on(conn):
                if deal.dedup is not None:
                    self.deal_gap(deal, self.gap_start(deal, now, conn), now)
                    deal.reopened = now
        for s in self.ledger.streams_on(conn):
            st = self._streams.get(s)
            if st is None:
                continue
            st.wire.pop(conn, None)  # a new socket starts a new frame sequence
            if st.sync is not None:
                self._outputs(st, st.sync.on_disconnect())
            if st.dedup is not None:
                start = self.gap_start(st, self.clock.time_ms(), conn)
                if st.gap_since is None:
                    st.gap_since = start

    def on_stale(self, conn: int, key: Hashable) -> None:
        st = self._streams.get(key) if isinstance(key, Stream) else None
        if st is None:
            return
        count = st.messages()
        if count != st.last_count:  # data flowed since the last check: not stale
            st.last_count = count
            self.mark_activity(st)
            self._rewatch(st, conn, reset=True)
            return
        sync = st.sync
        if isinstance(sync, BookSync) and sync.synced:
            # a silent book may just be quiet (fidelity row 8): the connection is alive (the
            # session closes it when pongs stop), so ask the symbol's own activity, else the venue
            verdict = self.silent_verdict(st)
            if verdict == "probe":
                self._queue_fetch(st, ProbeQuiet(sync.symbol, sync.version))
                return
            self.on_silence_verdict(st, verdict)
            return
        if isinstance(sync, BookSync):
            return  # not synced: its recovery is queued or under way (D5), a quiet book waits
        self._stale(st, conn)

    def on_silence_verdict(self, st: Route, verdict: str) -> None:
        conn = self.ledger.conn_of(st.stream)
        if conn is None:
            return
        if verdict == "idle":
            st.metrics.idle += 1
            self._rewatch(st, conn)
            return
        self._stale(st, conn)

    def _stale(self, st: Route, conn: int) -> None:
        """The stream is silent although its symbol moved: resync it and resubscribe."""
        st.metrics.stale += 1
        log.warning("stream %s %s stale on conn %d", st.stream.channel, st.stream.symbol, conn)
        self._rewatch(st, conn, reset=True)
        if isinstance(st.sync, BookSync):
            self._outputs(st, st.sync.force_resync("stale"))
        self._need_pool().send(conn, Sub(st.stream.channel,
                                         tuple(sorted(st.stream.param().items())), st.stream))

    def _rewatch(self, st: Route, conn: int, reset: bool = False) -> None:
        """Scale the watchdog per symbol: each idle verdict doubles the book's interval (up to
        ``quiet_max_factor`` x ``depth_silence``); data or a stale verdict resets it."""
        base = self.config.depth_silence
        live = self._pool.live.get(conn) if self._pool is not None else None
        if base is None or live is None:
            return
        cur = st.silence or base
        new = base if reset else min(cur * 2, base * self.config.quiet_max_factor)
        if new != cur or not st.silence:
            st.silence = new
            live.session.watch(st.stream, new, self.clock.monotonic())

    def on_rotate(self, conn: int) -> None:
        if conn not in self.ledger.connections:
            return
        twin, actions = self.ledger.rotate(conn)
        self._twin_of[conn] = twin
        log.info("rotating conn %d -> %d", conn, twin)
        for s in self.ledger.streams_on(twin):
            st = self._streams.get(s)
            if st is not None and isinstance(st.sync, BookSync):
                st.sync.begin_handover(twin)
                st.rotating = twin if st.sync.handover_pending else 0
        self._handover[twin] = asyncio.Event()
        self._spawn(self._finish_rotation(conn, twin), f"md-rotate-{conn}")
        self._need_pool().apply(actions)

    def on_venue_error(self, conn: int, text: str) -> None:
        log.warning("conn %d: venue error %r", conn, text)

    # ---------------------------------------------------------------- rotation

    async def _finish_rotation(self, old: int, twin: int) -> None:
        ev = self._handover[twin]
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ev.wait(), self.config.rotation_timeout / self.speed)
            await self._sleep(self.config.rotation_overlap)
        finally:
            self._handover.pop(twin, None)
            self._twin_of.pop(old, None)
            for s in self.ledger.streams_on(twin):
                st = self._streams.get(s)
                if st is not None and isinstance(st.sync, BookSync) and st.sync.handover_pending:
                    st.sync.begin_handover(twin)  # twin never joined: it becomes the stream
                    st.rotating = 0
                    self._outputs(st, st.sync.force_resync("reconnect"))
            if self._pool is not None:
                self._pool.apply(self.ledger.retire(old))


__all__ = [
    "PUBLIC_CHANNELS",
    "BookView",
    "DepthSource",
    "LoginError",
    "MarketData",
    "MarketDataConfig",
    "PrivateStream",
    "Subscription",
]
