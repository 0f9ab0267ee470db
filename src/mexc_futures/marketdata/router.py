"""Market-data channel routing: decoded pushes -> sync machines, de-duplication, event fan-out.

Why this cut: ``marketdata.facade`` is the facade people read (lifecycle, ``subscribe``, ``book``,
connection and rotation hooks). This module is what runs for every frame, so it is written for
speed and kept where it can be measured and reviewed alone (docs/performance.md):

  * routing is by decoded class, bound once per connection: ``push_routes(conn)`` hands the
    connection a handler for ``push.depth`` that already knows ``conn`` and its symbol table, so a
    depth frame costs one dict lookup, and an in-order merged frame goes straight to
    ``OrderBook.apply`` (``BookSync.on_depth``'s in-order branch is inlined here; every other
    frame calls ``BookSync.on_depth``);
  * an in-order frame builds no output list, and a ``BookUpdate`` is built only when the stream
    has listeners; listeners are flattened into one tuple per stream (``Route.fanout``) and one
    call (``Route.publish``: the listener itself when there is one), rebuilt when a callback or
    iterator is added or a subscription ends, never per frame;
  * everything off the in-order path (sync outputs, REST fetches the sync machines ask for,
    their retries) is here too, as plain tasks of the facade's task group;
  * with the compiled path active (``mexc_futures.speedups()``, docs/speedups.md) the router also
    keeps a ``_hot.DepthTable`` of its depth routes (``depth_table()``): each connection's
    compiled listener runs the same in-order branch in C on the raw frame and hands every frame
    it does not apply to the Python route below, unchanged. ``_hot_crossed`` is the one piece of
    the inlined branch it calls back into.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from mexc_futures._speedups import hot as _hot
from mexc_futures.clock import Clock
from mexc_futures.errors import MexcError
from mexc_futures.marketdata.config import MarketDataConfig
from mexc_futures.marketdata.subscription import Callback, DealDedup, EventQueue, Subscription
from mexc_futures.model.booksync import (
    BookSync,
    FetchCommits,
    FetchSnapshot,
    FullBookSync,
    SyncFailed,
    SyncOutput,
)
from mexc_futures.model.events import BookResync, BookUpdate
from mexc_futures.protocol import convert
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.ledger import Ledger, Stream
from mexc_futures.transport.metrics import Metrics, StreamMetrics
from mexc_futures.transport.pool import Pool, PoolHooks

log = logging.getLogger("mexc_futures.marketdata")

Listener = Callable[[Any], None]


class Route:
    """Routing state of one subscribed stream."""

    __slots__ = ("auditing", "dedup", "fanout", "gap_since", "last_count", "metrics", "publish",
                 "rotating", "stream", "subs", "sync")

    def __init__(self, stream: Stream, metrics: StreamMetrics) -> None:
        self.stream = stream
        self.metrics = metrics
        self.subs: list[Subscription] = []
        self.fanout: tuple[Listener, ...] = ()  # every listener of this stream, in call order
        #: one call that hands an event to all of ``fanout`` (the listener itself when there is
        #: one, ``None`` when there is none); rebuilt with ``fanout``
        self.publish: Listener | None = None
        self.sync: BookSync | FullBookSync | None = None
        self.dedup: DealDedup | None = None
        self.gap_since: int | None = None
        self.last_count = 0
        self.rotating = 0  # twin connection taking over this book (rotation), 0 if none
        self.auditing = False

    def messages(self) -> int:
        """Frames received for this stream (depth counts them in its sync machine)."""
        if isinstance(self.sync, BookSync):
            return self.sync.stats.frames
        return self.metrics.messages


def _publisher(fan: tuple[Listener, ...]) -> Listener | None:
    """One callable for a fan-out: ``None`` for none, the listener itself for one (the common
    case: no loop on the per-frame path), else a loop over all of them in order."""
    if not fan:
        return None
    if len(fan) == 1:
        return fan[0]

    def publish(ev: Any) -> None:
        for f in fan:
            f(ev)

    return publish


class Router(PoolHooks):
    """Stream tables, the per-frame paths and the sync machines' REST side (see module doc)."""

    def __init__(
        self, config: MarketDataConfig, clock: Clock, metrics: Metrics, ledger: Ledger
    ) -> None:
        self.config = config
        self.clock = clock
        self._metrics = metrics
        self.ledger = ledger
        self.speed: float = float(getattr(clock, "speed", 1.0))
        self._rest: Any = None
        self._pool: Pool | None = None
        self._group: asyncio.TaskGroup | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._streams: dict[Stream, Route] = {}
        self._depth: dict[str, Route] = {}  # symbol -> push.depth stream
        self._full: dict[str, Route] = {}  # symbol -> push.depth.full stream
        self._deals: dict[str, Route] = {}
        self._by_channel: dict[tuple[str, str], Route] = {}  # (push channel, symbol)
        self._callbacks: list[Callback] = []
        self._queue: EventQueue | None = None
        self._handover: dict[int, asyncio.Event] = {}
        #: the compiled listeners' view of ``_depth`` (None on the pure path)
        self._hot_table: Any = _hot.DepthTable() if _hot is not None else None

    # ---------------------------------------------------------------- stream tables

    def _add_stream(self, stream: Stream) -> Route:
        sym = stream.symbol or ""
        st = Route(stream, self._metrics.stream(stream.channel, sym))
        self._streams[stream] = st
        ch = stream.channel
        if ch == "depth":
            st.sync = BookSync(sym, commits_limit=self.config.commits_limit)
            self._depth[sym] = st
            if self._hot_table is not None and _hot is not None:
                self._hot_table.add(sym, _hot.DepthSlot(st, st.sync, self._hot_crossed))
        elif ch == "depth.full":
            st.sync = FullBookSync(sym)
            self._full[sym] = st
        elif ch == "deal":
            st.dedup = DealDedup(self.config.dedup_window_ms)
            self._deals[sym] = st
        self._by_channel["push." + ch, sym] = st
        return st

    def _drop_stream(self, st: Route) -> None:
        if isinstance(st.sync, BookSync):  # the stream's frame count survives in its metrics
            st.metrics.messages = st.sync.stats.frames
        self._streams.pop(st.stream, None)
        sym = st.stream.symbol or ""
        for table in (self._depth, self._full, self._deals):
            if table.get(sym) is st:
                del table[sym]
        if self._hot_table is not None and st.stream.channel == "depth":
            self._hot_table.remove(sym, st)
        self._by_channel.pop(("push." + st.stream.channel, sym), None)
        conn = self.ledger.conn_of(st.stream)
        live = self._pool.live.get(conn) if self._pool and conn is not None else None
        if live is not None:
            live.session.unwatch(st.stream)

    def listeners_changed(self) -> None:
        """Rebuild every stream's ``fanout`` (a callback, iterator or subscription came or went)."""
        shared: list[Listener] = list(self._callbacks)
        if self._queue is not None:
            shared.append(self._queue.put)
        for st in self._streams.values():
            fan: list[Listener] = []
            for sub in st.subs:
                fan.extend(sub.listeners())
            st.fanout = (*fan, *shared)
            st.publish = _publisher(st.fanout)

    @property
    def metrics(self) -> Metrics:
        """Per-connection and per-stream metrics.

        A depth stream's ``messages`` is its sync machine's frame count, folded in here on read
        so the per-frame path bumps one counter, not two.
        """
        for st in self._depth.values():
            if isinstance(st.sync, BookSync):
                st.metrics.messages = st.sync.stats.frames
        return self._metrics

    # ---------------------------------------------------------------- hot path

    def depth_table(self) -> Any:
        """The compiled listeners' depth routes (``_hot.DepthTable``), None on the pure path."""
        return self._hot_table

    def _hot_crossed(self, st: Route) -> None:
        """The compiled listener applied an in-order frame and the book came out crossed: the
        inlined branch's ``on_crossed`` tail below, for that frame."""
        sync: BookSync = st.sync  # type: ignore[assignment]  # depth routes hold a BookSync
        outs = sync.on_crossed()
        if outs:
            self._outputs(st, outs)
        twin = st.rotating
        if twin and sync.source == twin:
            st.rotating = 0
            self._check_handover(twin)

    def push_routes(self, conn: int) -> dict[type, Callable[[Any], None]]:
        """``push.depth`` goes straight to a handler bound to ``conn``; the rest to ``on_push``."""
        return {wire.DepthPush: self._depth_route(conn)}

    def _depth_route(self, conn: int) -> Callable[[Any], None]:
        table = self._depth
        outputs = self._outputs

        def on_depth(msg: wire.DepthPush) -> None:
            try:
                st = table[msg.symbol]
            except KeyError:  # not subscribed (any more)
                return
            sync: BookSync = st.sync  # type: ignore[assignment]  # depth routes hold a BookSync
            d = msg.data
            # ``BookSync.on_depth``'s in-order branch, inlined (this is the per-frame path): a
            # merged frame of the applying connection that continues the chain, while nothing
            # else (buffer, handover, fresh snapshot) needs a look. Every other frame, and an
            # unmerged one (``end`` absent), takes ``sync.on_depth``.
            end = d.end
            book = sync.book
            outs: list[SyncOutput] | None = None
            if sync.hot and end is not None and conn == sync.source:
                begin = d.begin
                if (end if begin is None else begin) == book.version + 1:
                    stats = sync.stats
                    stats.frames += 1
                    stats.applied += 1
                    crossed = book.apply(d.bids, d.asks)
                    book.version = end
                    ts = book.ts = msg.ts
                    if not crossed:
                        publish = st.publish
                        if publish is not None:  # ``sync.update_event()``, inlined
                            publish(BookUpdate(symbol=book.symbol, version=end,
                                               best_bid=book.best_bid, best_ask=book.best_ask,
                                               ts=ts))
                        return
                    outs = sync.on_crossed()
            if outs is None:
                outs = sync.on_depth(d, msg.ts, conn)
                if outs is None:  # applied in order: publish only to someone
                    fan = st.fanout
                    if fan:
                        ev = sync.update_event()
                        for f in fan:
                            f(ev)
                    return
            if outs:
                outputs(st, outs)
            # a rotation's take-over happens only off the in-order path (BookSync._try_handover)
            twin = st.rotating
            if twin and sync.source == twin:
                st.rotating = 0
                self._check_handover(twin)

        return on_depth

    def on_push(self, conn: int, msg: Any) -> None:
        """Every push other than ``push.depth`` (and ``push.depth`` when not routed)."""
        cls = msg.__class__
        if cls is wire.DepthPush:
            self._depth_route(conn)(msg)
            return
        if cls is wire.DealPush:
            st = self._deals.get(msg.symbol)
            if st is None:
                return
            st.metrics.messages += 1
            dedup = st.dedup
            assert dedup is not None  # nosec B101  # type narrowing
            fresh = [dedup.fresh(conn, d) for d in msg.data]
            st.metrics.duplicates = dedup.duplicates
            for ok, trade in zip(fresh, convert.trades(msg), strict=True):
                if ok:
                    self._emit(st, trade)
            return
        if cls is wire.DepthFullPush:
            st = self._full.get(msg.symbol)
            if st is None:
                return
            st.metrics.messages += 1
            sync_f = st.sync
            assert isinstance(sync_f, FullBookSync)  # nosec B101  # type narrowing
            d = msg.data
            self._outputs(st, sync_f.on_full(d.version, d.bids, d.asks, msg.ts))
            return
        self._other(msg)

    def _other(self, msg: Any) -> None:
        st = self._by_channel.get((msg.channel, getattr(msg, "symbol", "")))
        if st is None:
            return
        st.metrics.messages += 1
        for ev in convert.events_of(msg):
            self._emit(st, ev)
        if self.config.audit_ticker and isinstance(msg, wire.TickerPush):
            book = self._depth.get(msg.symbol)
            if book is not None and isinstance(book.sync, BookSync):
                t = msg.data
                self._outputs(book, book.sync.audit_bbo(t.max_bid_price, t.min_ask_price))

    def _emit(self, st: Route, ev: Any) -> None:
        for f in st.fanout:
            f(ev)

    def _outputs(self, st: Route, outs: list[SyncOutput]) -> None:
        for o in outs:
            if isinstance(o, BookUpdate):
                self._emit(st, o)
            elif isinstance(o, BookResync):
                st.metrics.resyncs += 1
                if o.reason == "gap":
                    st.metrics.gaps += 1
                if o.reason == "audit":
                    st.metrics.divergences += 1
                self._emit(st, o)
            elif isinstance(o, FetchSnapshot):
                self._spawn(self._fetch_snapshot(st, o), f"md-snap-{o.symbol}")
            elif isinstance(o, FetchCommits):
                self._spawn(self._fetch_commits(st, o), f"md-commits-{o.symbol}")
            elif isinstance(o, SyncFailed):
                log.error("book %s: %s", o.symbol, o.reason)
                self._spawn(self._restart_later(st), f"md-restart-{o.symbol}")

    def _check_handover(self, twin: int) -> None:
        """Wake the rotation once every book on ``twin`` has taken over."""
        ev = self._handover.get(twin)
        if ev is None:
            return
        for s in self.ledger.streams_on(twin):
            st = self._streams.get(s)
            if st is not None and isinstance(st.sync, BookSync) and st.sync.handover_pending:
                return
        ev.set()

    # ---------------------------------------------------------------- REST side tasks

    def _spawn(self, coro: Any, name: str) -> None:
        if self._group is None:
            coro.close()
            return
        task = self._group.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    def _rest_deadline(self) -> asyncio.Timeout:
        return asyncio.timeout(self.config.rest_timeout / self.speed + 5.0)

    async def _fetch_snapshot(self, st: Route, req: FetchSnapshot) -> None:
        sync = st.sync
        assert isinstance(sync, BookSync)  # nosec B101  # type narrowing
        assert self._rest is not None  # nosec B101  # type narrowing
        if req.attempt > 1:
            await self._sleep(min(self.config.backoff_cap, 0.25 * 2 ** (req.attempt - 2)))
        try:
            async with self._rest_deadline():
                snap = await self._rest.get_depth(req.symbol, self.config.snapshot_limit)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("snapshot %s failed: %s", req.symbol, exc)
            outs = sync.on_snapshot_error(req.request_id)
        else:
            outs = sync.on_snapshot(req.request_id, snap.version, snap.bids, snap.asks,
                                    snap.timestamp)
        self._outputs(st, outs)

    async def _fetch_commits(self, st: Route, req: FetchCommits) -> None:
        sync = st.sync
        assert isinstance(sync, BookSync)  # nosec B101  # type narrowing
        assert self._rest is not None  # nosec B101  # type narrowing
        try:
            async with self._rest_deadline():
                commits = await self._rest.get_depth_commits(req.symbol, req.limit)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("depth_commits %s failed: %s", req.symbol, exc)
            outs = sync.on_commits_error(req.request_id)
        else:
            outs = sync.on_commits(req.request_id, commits)
        self._outputs(st, outs)

    async def _restart_later(self, st: Route) -> None:
        await self._sleep(self.config.backoff_cap)
        conn = self.ledger.conn_of(st.stream)
        if st.stream in self._streams and isinstance(st.sync, BookSync) and conn is not None:
            self._outputs(st, st.sync.start(source=conn))

    async def _audit_once(self, symbol: str) -> None:
        with contextlib.suppress(MexcError, OSError, TimeoutError):
            async with self._rest_deadline():
                await self.audit(symbol)

    async def audit(self, symbol: str) -> bool | None:
        """Compare ``symbol``'s book with a REST top-N now; None if versions differ (skipped)."""
        st = self._depth.get(symbol)
        if st is None or not isinstance(st.sync, BookSync) or self._rest is None:
            return None
        depth = self.config.audit_depth
        snap = await self._rest.get_depth(symbol, depth)
        stats = st.sync.stats
        before, skipped = stats.divergences, stats.audit_skipped
        self._outputs(st, st.sync.audit_top(snap.version, snap.bids, snap.asks, depth))
        if stats.audit_skipped != skipped:
            return None
        return stats.divergences == before

    async def _audit_loop(self, st: Route) -> None:
        """One per book: every ``audit_interval``, compare with a REST top-N (S14)."""
        period = self.config.audit_interval
        sync = st.sync
        if period is None or not isinstance(sync, BookSync) or st.auditing:
            return
        st.auditing = True
        sym = st.stream.symbol or ""
        try:
            while st.stream in self._streams and self._depth.get(sym) is st:
                await self._sleep(period)
                if sync.synced:
                    await self._audit_once(sym)
        finally:
            st.auditing = False


__all__ = ["Listener", "Route", "Router"]
