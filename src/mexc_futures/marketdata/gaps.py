"""Deal gaps (D9) and the quiet-book watchdog (fidelity-audit row 8), on top of ``fetchside``.

``_wire_check`` is the one entry from the per-frame path, and only off its in-order branch: a
depth frame that skips past the last ``end`` its connection delivered means frames were lost on
the socket, so that connection's deal streams report a ``DealGap`` and queue a REST recovery.
``silent_verdict`` judges a synced book that sent nothing for a watch interval.
"""

from __future__ import annotations

import logging
from typing import Any

from mexc_futures.marketdata.fetchside import FetchSide
from mexc_futures.marketdata.route import DealRecovery, Route
from mexc_futures.model.booksync import BookSync
from mexc_futures.model.events import DealGap
from mexc_futures.protocol import ws as wire

log = logging.getLogger("mexc_futures.marketdata")


class GapWatch(FetchSide):
    """Deal-gap detection and reporting, quiet-book verdicts (see module doc)."""

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
    # ---------------------------------------------------------------- deal gaps (D9)

    def _wire_check(self, st: Route, sync: BookSync, conn: int, d: Any, ts: int) -> None:
        """Off the in-order path: did frames go missing on ``conn`` before this depth frame?

        Whatever the book's state (live, buffering for a snapshot, recovering), a frame whose
        ``begin`` is past the last ``end`` this connection delivered for the symbol means frames
        were lost on the socket, so its deal streams may have lost deals too. In-order frames
        (the hot path) never get here; while the book is live and applied from ``conn`` its
        version is the last end seen on the wire, except after a REST snapshot or commits moved
        it (``Route.rest_mark``): until the wire has delivered past that version, the book's
        version proves nothing about the wire. A rotation's twin is followed from its first
        frame, while it is still only a candidate (none of its frames is in order then): when
        the book switches to it, its continuity is already known (md_fuzz seed 189: a twin that
        joined in lockstep and then lost frames looked like a fresh connection).
        """
        end = d.end
        begin = d.begin
        if end is None:
            end = begin = d.version
        elif begin is None:
            begin = end
        if conn != sync.source and conn != st.rotating:
            return  # a rotated-out connection: the applying one decides
        wire = st.wire
        w = wire.get(conn)
        if w is None:
            if len(wire) > 4:  # connections come and go: keep the few recent ones
                wire.clear()
            wire[conn] = (end, ts)
            st.rest_mark = 0
            deal = self._deals.get(st.stream.symbol or "")
            if deal is not None and deal.reopened is not None and deal.deal_first is not None:
                self._close_reopened(deal, ts)  # from here on a loss shows as a depth gap
            return
        prev, prev_ts = w
        book = sync.book
        mark = st.rest_mark
        if mark and prev >= mark:
            mark = st.rest_mark = 0  # the wire has delivered past the REST version
        if sync.source == conn and book.version > prev:
            if not mark:  # in-order frames applied since the last look (the hot path)
                prev, prev_ts = book.version, book.ts
            elif book.version > mark:
                # the book jumped to ``mark`` by REST, then took ``mark + 1`` ... on the hot path:
                # (prev, mark] never came on this wire (TCP keeps order), so it lost them
                st.rest_mark = 0
                self._conn_gap(conn, prev_ts, ts)
                prev, prev_ts = book.version, book.ts
            # else: the book stands at the REST version; this frame shows whether the wire
            # skipped anything since its last frame (md_fuzz seed 116)
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

    def gap_start(self, st: Route, now: int, conn: int | None = None) -> int:
        """Where a deal stream's gap starts when connection ``conn`` goes: the last deal that
        connection delivered (a rotation's twin may have delivered later ones: md_fuzz seeds 84,
        93), else the stream's last deal, or the start of a reopened window nothing has closed
        yet when that is earlier (a socket that drops again before the window closed must not
        forget it: md_fuzz seed 42)."""
        dedup = st.dedup
        start = 0
        if dedup is not None:
            start = dedup.last_t if conn is None else dedup.conn_t.pop(conn, dedup.last_t)
        start = start or now
        if st.reopened is not None:
            start = min(start, st.reopened)
        return start

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
            if st.dedup is not None:  # keep what was delivered since then until it has run
                st.dedup.pin = since
            self._queue_fetch(st, DealRecovery(sym, since, until, self.clock.monotonic() + delay))


__all__ = ["GapWatch"]
