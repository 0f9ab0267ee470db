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
  * everything off the in-order path lives on the floors below, as plain tasks of the facade's
    task group: ``fetchside`` (sync outputs, the REST fetches the sync machines ask for, their
    retries, audits, deal recovery) and ``gaps`` (deal gaps, the quiet-book watchdog); the
    router's state is set up in ``FetchSide.__init__``. ``Route`` lives in ``route``;
  * with the compiled path active (``mexc_futures.speedups()``, docs/speedups.md) the router also
    keeps a ``_hot.DepthTable`` of its depth routes (``depth_table()``): each connection's
    compiled listener runs the same in-order branch in C on the raw frame and hands every frame
    it does not apply to the Python route below, unchanged. ``_hot_crossed`` is the one piece of
    the inlined branch it calls back into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mexc_futures._speedups import hot as _hot
from mexc_futures.marketdata.gaps import GapWatch
from mexc_futures.marketdata.route import Listener, Route, _publisher
from mexc_futures.marketdata.subscription import DealDedup
from mexc_futures.model.booksync import BookSync, FullBookSync, SyncOutput
from mexc_futures.model.events import BookUpdate
from mexc_futures.protocol import convert
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.ledger import Stream
from mexc_futures.transport.metrics import Metrics


class Router(GapWatch):
    """Stream tables and the per-frame paths (see module doc); the REST side is ``FetchSide``'s."""

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


__all__ = ["Listener", "Route", "Router"]
