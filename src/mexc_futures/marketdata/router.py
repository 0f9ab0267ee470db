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
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from mexc_futures._speedups import hot as _hot
from mexc_futures.clock import Clock
from mexc_futures.errors import MexcError
from mexc_futures.marketdata.config import MarketDataConfig
from mexc_futures.marketdata.fetchqueue import FetchQueue
from mexc_futures.marketdata.subscription import Callback, DealDedup, EventQueue, Subscription
from mexc_futures.model.booksync import (
    BookSync,
    FetchCommits,
    FetchSnapshot,
    FullBookSync,
    SyncFailed,
    SyncOutput,
)
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, DealsRecovered
from mexc_futures.protocol import convert
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.ledger import Ledger, Stream
from mexc_futures.transport.metrics import Metrics, StreamMetrics
from mexc_futures.transport.pool import Pool, PoolHooks

log = logging.getLogger("mexc_futures.marketdata")

Listener = Callable[[Any], None]


class AuditTop(NamedTuple):
    """A periodic REST top-N audit of ``symbol``'s book (S14), queued behind resyncs."""

    symbol: str


class ProbeQuiet(NamedTuple):
    """Ask the venue whether a silent book at ``version`` changed (one depth_commits read)."""

    symbol: str
    version: int


class DealRecovery(NamedTuple):
    """Fetch REST deals to fill a ``DealGap`` of ``symbol`` (D9); not before ``not_before``."""

    symbol: str
    since: int
    until: int
    not_before: float


class Route:
    """Routing state of one subscribed stream."""

    __slots__ = (
        "auditing",
        "bbo",
        "deal_first",
        "dedup",
        "fanout",
        "gap_since",
        "last_count",
        "last_gap",
        "metrics",
        "peer_counts",
        "publish",
        "reopened",
        "rotating",
        "silence",
        "since_ms",
        "stream",
        "subs",
        "sync",
        "wire",
    )

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
        #: deal streams (D9): the last DealGap window reported, and the time the stream came
        #: back from a reconnect until its first deal proves the subscription flows again
        self.last_gap: tuple[int, int] = (0, 0)
        self.reopened: int | None = None
        self.deal_first: int | None = None  # first deal after the reconnect, while still open
        self.since_ms = 0  # venue ms when the stream was subscribed
        #: depth streams: connection -> (last end, its ts) seen off the in-order path (D9)
        self.wire: dict[int, tuple[int, int]] = {}
        self.last_count = 0
        self.rotating = 0  # twin connection taking over this book (rotation), 0 if none
        self.auditing = False
        #: quiet-book watchdog (fidelity row 8): the symbol's deal / ticker message counts at the
        #: last silence check, the current watch interval (grows while the book stays idle) and,
        #: on a ticker stream, the last ``(bid1, ask1)``
        self.peer_counts: tuple[int, int] = (0, 0)
        self.silence = 0.0
        self.bbo: tuple[float | None, float | None] | None = None

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
        #: D5: one queue per REST bucket for the fetches the sync machines ask for, served by at
        #: most ``fetch_workers`` tasks each (see ``fetchqueue``)
        self._snap_q: FetchQueue[tuple[Route, FetchSnapshot | AuditTop]] = FetchQueue("depth")
        self._commit_q: FetchQueue[tuple[Route, FetchCommits | ProbeQuiet]] = FetchQueue(
            "depth_commits")
        self._deal_q: FetchQueue[tuple[Route, DealRecovery]] = FetchQueue("deals")
        self._workers: dict[str, int] = {"depth": 0, "depth_commits": 0, "deals": 0}
        self._progress_at = 0.0
        #: rotated-out connection -> its twin (the ledger lists their streams on the twin only)
        self._twin_of: dict[int, int] = {}
        self._audits_done = 0

    # ---------------------------------------------------------------- stream tables

    def _add_stream(self, stream: Stream) -> Route:
        sym = stream.symbol or ""
        st = Route(stream, self._metrics.stream(stream.channel, sym))
        st.since_ms = self.clock.time_ms()
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
        if st.stream.channel == "depth":
            self._snap_q.discard(sym)
            self._commit_q.discard(sym)
        elif st.stream.channel == "deal":
            self._deal_q.discard(sym)
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
        self._metrics.sync = self.sync_progress()
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
                self._wire_check(st, sync, conn, d, msg.ts)
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
            if st.reopened is not None:
                self._deals_flow_again(st, msg, conn)
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
        if isinstance(msg, wire.TickerPush):
            t = msg.data
            st.bbo = (t.bid1, t.ask1)
            if self.config.audit_ticker:
                book = self._depth.get(msg.symbol)
                if book is not None and isinstance(book.sync, BookSync):
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
                if o.attempt > 1:  # a retry waits its backoff outside the queue
                    self._spawn(self._queue_later(st, o), f"md-snap-retry-{o.symbol}")
                else:
                    self._queue_fetch(st, o)
            elif isinstance(o, FetchCommits):
                self._queue_fetch(st, o)
            elif isinstance(o, SyncFailed):
                log.error("book %s: %s", o.symbol, o.reason)
                self._spawn(self._restart_later(st), f"md-restart-{o.symbol}")

    # ---------------------------------------------------------------- quiet books (row 8)

    def silent_verdict(self, st: Route) -> str:
        """A synced depth stream sent nothing for a watch interval: ``stale``, ``idle`` or
        ``probe``, from the symbol's own activity (fidelity-audit row 8: the venue sends nothing
        while a book does not change; quiet contracts stay silent 30 s and more).

        Deals of the symbol since the last check mean the book changed without us: stale. A
        ticker whose bid1/ask1 differ from the book: stale; equal: idle. Neither stream
        subscribed: ask the venue (``probe``, one cheap ``depth_commits`` read).
        """
        sym = st.stream.symbol or ""
        deal = self._deals.get(sym)
        ticker = self._by_channel.get(("push.ticker", sym))
        before = st.peer_counts
        counts = self.mark_activity(st)
        if deal is not None and counts[0] != before[0]:
            return "stale"
        if ticker is not None and ticker.bbo is not None and isinstance(st.sync, BookSync):
            book = st.sync.book
            bid1, ask1 = ticker.bbo
            if (bid1, ask1) != (book.best_bid, book.best_ask):
                return "stale"
            if counts[1] != before[1]:  # a fresh ticker agrees with the book: merely quiet
                return "idle"
        if deal is not None and ticker is not None:
            return "idle"  # both streams flow on live connections and report nothing new
        return "probe"

    def mark_activity(self, st: Route) -> tuple[int, int]:
        """Remember the symbol's deal / ticker message counts (the next check compares)."""
        sym = st.stream.symbol or ""
        deal = self._deals.get(sym)
        ticker = self._by_channel.get(("push.ticker", sym))
        st.peer_counts = (deal.metrics.messages if deal is not None else 0,
                          ticker.metrics.messages if ticker is not None else 0)
        return st.peer_counts

    async def _probe_quiet(self, st: Route, req: ProbeQuiet) -> bool:
        """The venue's newest depth version for a silent book: unchanged means idle."""
        sync = st.sync
        if not isinstance(sync, BookSync) or not sync.synced:
            return True
        try:
            async with self._rest_deadline():
                commits = await self._rest.get_depth_commits(req.symbol, 1)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("depth %s: quiet-book probe failed: %s", req.symbol, exc)
            return False
        newest = max((c.version for c in commits), default=0)
        if not sync.synced or sync.version != req.version:
            return True  # frames arrived meanwhile: it is alive
        self.on_silence_verdict(st, "stale" if newest > sync.version else "idle")
        return True

    def on_silence_verdict(self, st: Route, verdict: str) -> None:
        """Act on a silence check: an idle book keeps its book and its budget, a stale one is
        resynced and resubscribed (overridden by the facade, which owns the connections)."""

    # ---------------------------------------------------------------- deal gaps (D9)

    def _wire_check(self, st: Route, sync: BookSync, conn: int, d: Any, ts: int) -> None:
        """Off the in-order path: did frames go missing on ``conn`` before this depth frame?

        Whatever the book's state (live, buffering for a snapshot, recovering), a frame whose
        ``begin`` is past the last ``end`` this connection delivered for the symbol means frames
        were lost on the socket, so its deal streams may have lost deals too. In-order frames
        (the hot path) never get here; while the book is live and applied from ``conn`` its
        version is the last end seen on the wire.
        """
        end = d.end
        begin = d.begin
        if end is None:
            end = begin = d.version
        elif begin is None:
            begin = end
        if conn != sync.source:  # a rotation's other connection: the applying one decides
            return
        wire = st.wire
        w = wire.get(conn)
        if w is None:
            if len(wire) > 4:  # connections come and go: keep the few recent ones
                wire.clear()
            wire[conn] = (end, ts)
            deal = self._deals.get(st.stream.symbol or "")
            if deal is not None and deal.reopened is not None and deal.deal_first is not None:
                self._close_reopened(deal, ts)  # from here on a loss shows as a depth gap
            return
        prev, prev_ts = w
        book = sync.book
        if sync.source == conn and book.version > prev:
            prev, prev_ts = book.version, book.ts
        if begin > prev + 1:
            self._conn_gap(conn, prev_ts, ts)
        wire[conn] = (max(prev, end), ts)

    def _conn_gap(self, conn: int, since: int, until: int) -> None:
        """A depth gap on ``conn``: its frames were lost, so its deal streams may have lost
        deals between the last depth frame before the hole and the one after it."""
        margin = self.config.deal_gap_margin_ms
        for st in self._deal_routes_on(conn):
            # a lagging venue pushes a deal after depth frames stamped later than the deal, so
            # the gap starts at the last deal this stream delivered when that is earlier
            last = st.dedup.last_t if st.dedup is not None else 0
            start = since - margin if not last else min(since - margin, last)
            self.deal_gap(st, max(0, start), until + margin)

    def _deal_routes_on(self, conn: int) -> list[Route]:
        """Deal streams carried by ``conn`` (a rotated-out connection: those of its twin)."""
        streams = self.ledger.streams_on(conn) or self.ledger.streams_on(
            self._twin_of.get(conn, -1))
        out = []
        for s in streams:
            st = self._streams.get(s) if s.channel == "deal" else None
            if st is not None:
                out.append(st)
        return out

    def _deals_flow_again(self, st: Route, msg: wire.DealPush, conn: int) -> None:
        """First deal frame after a reconnect: deals between the reconnect and this frame may
        have been lost too (the subscription was not live yet, or the new connection dropped
        frames before it flowed). Until the symbol's depth stream on the same connection has
        delivered a frame, nothing on that socket can reveal a later loss either, so the gap
        stays open until then (``_wire_check`` closes it)."""
        first = min((d.t for d in msg.data), default=msg.ts)
        depth = self._depth.get(msg.symbol)
        if (depth is not None and self.ledger.conn_of(depth.stream) == conn
                and conn not in depth.wire):
            st.deal_first = first
            return
        self._close_reopened(st, first)

    def _close_reopened(self, st: Route, until: int) -> None:
        since = st.reopened
        st.reopened = None
        st.deal_first = None
        if since is not None and until - since > self.config.deal_gap_margin_ms:
            self.deal_gap(st, since, until)

    def deal_gap(self, st: Route, since: int, until: int) -> None:
        """Report ``DealGap`` on a deal stream and queue its REST recovery (when enabled)."""
        since = max(since, st.since_ms)  # deals before the subscription were never ours
        if until <= since:
            return
        a, b = st.last_gap
        if a <= since and until <= b:
            return  # already reported (several depth streams of one connection saw the hole)
        st.last_gap = (since, until)
        st.metrics.gaps += 1
        sym = st.stream.symbol or ""
        log.warning("deals %s: gap %d..%d reported", sym, since, until)
        self._emit(st, DealGap(symbol=sym, since=since, until=until, ts=until))
        if self.config.deal_recovery and self._rest is not None:
            pending = self._deal_q.get(sym)
            if pending is not None:  # one recovery per symbol: widen the pending one
                since, until = min(since, pending[1].since), max(until, pending[1].until)
            delay = self.config.deal_recovery_delay
            self._queue_fetch(st, DealRecovery(sym, since, until, self.clock.monotonic() + delay))

    async def _recover_deals(self, st: Route, req: DealRecovery) -> bool:
        """Fetch the venue's latest deals and deliver, in time order, those of the gap's window
        that were not delivered (multiset difference on ``(t, p, v, T, O, M)``)."""
        wait = req.not_before - self.clock.monotonic()
        if wait > 0:  # frames of the window still in flight arrive first
            await self._sleep(wait)
        dedup = st.dedup
        if dedup is None or self._streams.get(st.stream) is not st:
            return False
        try:
            async with self._rest_deadline():
                rows = await self._rest.get_deals(req.symbol, 100)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("deals %s: recovery of gap %d..%d failed: %s", req.symbol, req.since,
                        req.until, exc)
            return False
        rows = list(reversed(rows))  # REST lists newest first
        full = len(rows) >= 100
        covered = rows[0].t if full and rows else req.since
        have = dedup.delivered_between(req.since, req.until)
        missing = []
        for d in rows:
            if not req.since <= d.t <= req.until:
                continue
            base = (d.t, d.p, d.v, d.taker_side, d.open_flag, d.self_trade)
            if have[base] > 0:
                have[base] -= 1
                continue
            missing.append((base, d))
        for base, d in missing:
            dedup.mark_recovered(base)
            self._emit(st, convert.trade_from_rest(req.symbol, d))
        st.metrics.recovered += len(missing)
        complete = covered <= req.since
        self._emit(st, DealsRecovered(symbol=req.symbol, since=req.since, until=req.until,
                                      count=len(missing), complete=complete,
                                      covered_since=max(covered, req.since),
                                      ts=self.clock.time_ms()))
        log.info("deals %s: gap %d..%d: %d recovered from REST%s", req.symbol, req.since,
                 req.until, len(missing), "" if complete else f" (REST reached {covered} only)")
        return True

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

    # ---------------------------------------------------------------- fetch queues (D5)

    def _queue_fetch(
        self, st: Route, req: FetchSnapshot | FetchCommits | AuditTop | DealRecovery | ProbeQuiet
    ) -> None:
        """Queue a fetch a sync machine asked for; start a worker if the bucket has room."""
        sym = req.symbol
        now = self.clock.monotonic()
        if isinstance(req, FetchSnapshot | AuditTop):
            self._snap_q.put(sym, (st, req), now, rank=1 if isinstance(req, AuditTop) else 0)
            bucket = "depth"
        elif isinstance(req, DealRecovery):
            self._deal_q.put(sym, (st, req), now)
            bucket = "deals"
        elif isinstance(req, ProbeQuiet):
            if sym in self._commit_q:  # a recovery is already asking the venue
                return
            self._commit_q.put(sym, (st, req), now, rank=1)
            bucket = "depth_commits"
        else:
            self._commit_q.put(sym, (st, req), now)
            bucket = "depth_commits"
        if self._workers[bucket] < self.config.fetch_workers:
            self._workers[bucket] += 1
            self._spawn(self._fetch_worker(bucket), f"md-fetch-{bucket}")

    def bridge_ok(self) -> bool:
        """Whether a book coming back from a reconnect should be bridged with ``depth_commits``
        (else a snapshot): both buckets are used when many books return at once, commits (8.8/s)
        taking twice the share of snapshots (4.4/s), so the last book is back soonest."""
        snapshots = self._snap_q.count(0)  # audits (rank 1) wait behind every resync anyway
        return len(self._commit_q) <= 2 * snapshots + self.config.fetch_workers

    async def _queue_later(self, st: Route, req: FetchSnapshot) -> None:
        await self._sleep(min(self.config.backoff_cap, 0.25 * 2 ** (req.attempt - 2)))
        if self._streams.get(st.stream) is st:
            self._queue_fetch(st, req)

    def _activity(self, symbol: str) -> int:
        """How busy ``symbol`` is: depth frames buffered while it waits, deals seen."""
        n = 0
        st = self._depth.get(symbol)
        if st is not None and isinstance(st.sync, BookSync):
            n += st.sync.buffered
        deal = self._deals.get(symbol)
        if deal is not None:
            n += deal.metrics.messages
        return n

    async def _fetch_worker(self, bucket: str) -> None:
        """Serve one bucket's queue until it is empty (at most ``fetch_workers`` of these)."""
        q: FetchQueue[Any] = (self._snap_q if bucket == "depth" else
                              self._commit_q if bucket == "depth_commits" else self._deal_q)
        try:
            while True:
                job = q.pop(self.clock.monotonic(), self._activity)
                if job is None:
                    return
                st: Route = job[0]
                req: FetchSnapshot | FetchCommits | AuditTop | DealRecovery | ProbeQuiet = job[1]
                if self._streams.get(st.stream) is not st:
                    continue
                if isinstance(req, AuditTop) and not (isinstance(st.sync, BookSync)
                                                      and st.sync.synced):
                    continue  # the book resyncs anyway: no REST read for nothing
                if isinstance(req, ProbeQuiet):
                    ok = await self._probe_quiet(st, req)
                elif isinstance(req, DealRecovery):
                    ok = await self._recover_deals(st, req)
                elif isinstance(req, AuditTop):
                    ok = await self._audit_once(req.symbol)
                elif isinstance(req, FetchSnapshot):
                    ok = await self._fetch_snapshot(st, req)
                else:
                    ok = await self._fetch_commits(st, req)
                if isinstance(req, AuditTop):
                    self._audits_done += 1
                elif ok:
                    q.stats.done += 1
                else:
                    q.stats.failed += 1
                self._log_progress()
        finally:
            self._workers[bucket] -= 1
            if not q and bucket != "deals":
                self._log_progress(force=not self._snap_q and not self._commit_q)

    def sync_progress(self) -> dict[str, float]:
        """Books synced / total and the fetch queues' state (metrics, dashboard, log)."""
        books = [st.sync for st in self._depth.values() if isinstance(st.sync, BookSync)]
        sq, cq = self._snap_q.stats, self._commit_q.stats
        audits = self._snap_q.count(rank=1)
        return {
            "books": len(books),
            "synced": sum(1 for b in books if b.synced),
            "snapshots_queued": len(self._snap_q) - audits,
            "audits_queued": audits,
            "audits_done": self._audits_done,
            "snapshots_done": sq.done,
            "snapshots_failed": sq.failed,
            "snapshot_max_queue_wait": sq.max_wait,
            "commits_queued": len(self._commit_q),
            "commits_done": cq.done,
            "commits_failed": cq.failed,
            "fetch_workers": sum(self._workers.values()),
        }

    def _log_progress(self, force: bool = False) -> None:
        now = self.clock.monotonic()
        if not force and now - self._progress_at < self.config.progress_every:
            return
        self._progress_at = now
        p = self.sync_progress()
        log.info("books synced %d/%d; queued: %d snapshots, %d commits; done: %d snapshots "
                 "(%d failed), %d commits; longest queue wait %.1f s", p["synced"], p["books"],
                 p["snapshots_queued"], p["commits_queued"], p["snapshots_done"],
                 p["snapshots_failed"], p["commits_done"], p["snapshot_max_queue_wait"])

    async def _fetch_snapshot(self, st: Route, req: FetchSnapshot) -> bool:
        sync = st.sync
        assert isinstance(sync, BookSync)  # nosec B101  # type narrowing
        assert self._rest is not None  # nosec B101  # type narrowing
        try:
            async with self._rest_deadline():
                snap = await self._rest.get_depth(req.symbol, self.config.snapshot_limit)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("snapshot %s failed: %s", req.symbol, exc)
            self._outputs(st, sync.on_snapshot_error(req.request_id))
            return False
        self._outputs(st, sync.on_snapshot(req.request_id, snap.version, snap.bids, snap.asks,
                                           snap.timestamp))
        return True

    async def _fetch_commits(self, st: Route, req: FetchCommits) -> bool:
        sync = st.sync
        assert isinstance(sync, BookSync)  # nosec B101  # type narrowing
        assert self._rest is not None  # nosec B101  # type narrowing
        try:
            async with self._rest_deadline():
                commits = await self._rest.get_depth_commits(req.symbol, req.limit)
        except (MexcError, OSError, TimeoutError) as exc:
            log.warning("depth_commits %s failed: %s", req.symbol, exc)
            self._outputs(st, sync.on_commits_error(req.request_id))
            return False
        self._outputs(st, sync.on_commits(req.request_id, commits))
        return True

    async def _restart_later(self, st: Route) -> None:
        await self._sleep(self.config.backoff_cap)
        conn = self.ledger.conn_of(st.stream)
        if st.stream in self._streams and isinstance(st.sync, BookSync) and conn is not None:
            self._outputs(st, st.sync.start(source=conn))

    async def _audit_once(self, symbol: str) -> bool:
        try:
            async with self._rest_deadline():
                await self.audit(symbol)
        except (MexcError, OSError, TimeoutError):
            return False
        return True

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
        audited = -1  # version of the last audit queued: an idle book is not audited again
        try:
            while st.stream in self._streams and self._depth.get(sym) is st:
                # spread over every book so that all audits together stay under ``audit_rate``
                # per second (the depth bucket serves ~4.4/s: 800 books at 60 s would need 13/s)
                await self._sleep(max(period, len(self._depth) / self.config.audit_rate))
                if (sync.synced and sync.version != audited and sym not in self._snap_q
                        and self._snap_q.count(1) < self.config.fetch_workers):  # no backlog
                    audited = sync.version
                    # through the depth queue, after every resync (rank 1): audits share the
                    # depth bucket and must not delay a book's recovery (D5)
                    self._queue_fetch(st, AuditTop(sym))
        finally:
            st.auditing = False


__all__ = ["Listener", "Route", "Router"]
