"""The router's REST side (D5, S14, D9): the fetch queues and their workers, the snapshot /
``depth_commits`` reads the sync machines ask for, their retries and restarts, the periodic
top-N audits, the quiet-book probe and the REST recovery of deal gaps.

Nothing here runs per frame: the per-frame path (``router``) hands sync outputs to ``_outputs``,
which queues fetches; every fetch is a plain task of the facade's task group. ``FetchSide`` also
owns the router's state (``__init__``) so that each floor above it (``gaps``, ``router``) sees
typed attributes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mexc_futures._speedups import hot as _hot
from mexc_futures.clock import Clock
from mexc_futures.errors import MexcError
from mexc_futures.marketdata.config import MarketDataConfig
from mexc_futures.marketdata.fetchqueue import FetchQueue
from mexc_futures.marketdata.heap import release_free_heap
from mexc_futures.marketdata.route import AuditTop, DealRecovery, ProbeQuiet, Route
from mexc_futures.marketdata.subscription import Callback, EventQueue
from mexc_futures.model.booksync import (
    BookSync,
    FetchCommits,
    FetchSnapshot,
    SyncFailed,
    SyncOutput,
)
from mexc_futures.model.events import BookResync, BookUpdate, DealsRecovered
from mexc_futures.protocol import convert
from mexc_futures.protocol.ledger import Ledger, Stream
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import Pool, PoolHooks

log = logging.getLogger("mexc_futures.marketdata")


class FetchSide(PoolHooks):
    """The router's state and everything it does off the per-frame path through REST."""

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
        self._wave_fetches = 0  # REST fetches since the fetch queues were last all empty
        self._heap_trims = 0

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
        if (bucket == "depth_commits" and self._commit_q.count(0) > self.config.fetch_workers
                and self._workers["depth"] < self.config.fetch_workers):
            self._workers["depth"] += 1  # a commits backlog: snapshot workers help (``_steal``)
            self._spawn(self._fetch_worker("depth"), "md-fetch-depth")

    def bridge_ok(self) -> bool:
        """Whether a book coming back from a reconnect, exact at its last version, should be
        bridged with ``depth_commits`` (else a snapshot): always. Many such books need no REST
        at all (their first frame on the new socket continues the book: it heals and its queued
        fetch is skipped), and the busiest ones, which do, are taken from the commits queue by
        idle snapshot workers too (``_steal``), so both buckets serve them (md_soak: a fixed
        split sent a third of the books to the 4.4/s snapshot queue, which then bounded the
        resync at 62 s while 60 % of the commits calls were for books already healed)."""
        return True

    def _steal(self, now: float) -> tuple[Route, FetchSnapshot] | None:
        """An idle snapshot worker takes the busiest book waiting for ``depth_commits`` and
        fetches a snapshot for it instead, while the commits queue is backlogged (more jobs than
        its workers): after a mass reconnect both buckets serve the books that need REST, and
        the quiet books at the end of the queue keep their chance to heal from their frames."""
        q = self._commit_q
        while q.count(0) > self.config.fetch_workers:
            job = q.pop_first(0, now, self._activity)
            if job is None:
                return None
            st, req = job
            sync = st.sync
            if (self._streams.get(st.stream) is not st or not isinstance(req, FetchCommits)
                    or not isinstance(sync, BookSync) or not sync.awaiting(req.request_id)):
                q.stats.skipped += 1
                continue
            q.stats.stolen += 1
            outs = sync.on_commits_error(req.request_id)  # -> a snapshot, the buffer kept
            snap = [o for o in outs if isinstance(o, FetchSnapshot)]
            self._outputs(st, [o for o in outs if not isinstance(o, FetchSnapshot)])
            if snap:
                return st, snap[0]
        return None

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
                now = self.clock.monotonic()
                job = None
                if bucket == "depth" and not self._snap_q.count(0):
                    job = self._steal(now)
                if job is None:
                    job = q.pop(now, self._activity)
                if job is None:
                    return
                st: Route = job[0]
                req: FetchSnapshot | FetchCommits | AuditTop | DealRecovery | ProbeQuiet = job[1]
                if self._streams.get(st.stream) is not st:
                    continue
                if isinstance(req, FetchSnapshot | FetchCommits) and not (
                        isinstance(st.sync, BookSync) and st.sync.awaiting(req.request_id)):
                    q.stats.skipped += 1  # healed from its own frames meanwhile: no REST call
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
                self._wave_fetches += 1
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
            if not any(self._workers.values()) and not (
                    self._snap_q or self._commit_q or self._deal_q):
                self._wave_over()

    def _wave_over(self) -> None:
        """Every fetch queue drained: after a big wave (a mass reconnect), give the allocator's
        free heap back (``heap.py``: RSS stays flat across reconnects)."""
        n, self._wave_fetches = self._wave_fetches, 0
        limit = self.config.heap_trim_after
        if limit is not None and n >= limit:
            release_free_heap()
            self._heap_trims += 1

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
            "snapshots_skipped": sq.skipped,
            "commits_queued": len(self._commit_q),
            "commits_done": cq.done,
            "commits_failed": cq.failed,
            "commits_skipped": cq.skipped,
            "commits_to_snapshots": cq.stolen,
            "fetch_workers": sum(self._workers.values()),
            "heap_trims": self._heap_trims,
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
        self._rest_moved(st, sync)
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
        self._rest_moved(st, sync)
        return True

    @staticmethod
    def _rest_moved(st: Route, sync: BookSync) -> None:
        """A REST answer made the book live: its version came from REST, not from the wire, so
        the deal-gap check must not read it as the last version the socket delivered (D9)."""
        if sync.synced:
            st.rest_mark = sync.version

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

    # ------------------------------------------------------ venue reads off the frame path

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
        finally:
            pending = self._deal_q.get(req.symbol)  # a gap reported since keeps its own start
            dedup.pin = None if pending is None else pending[1].since
        rows = list(reversed(rows))  # REST lists newest first
        full = len(rows) >= 100
        covered = rows[0].t if full and rows else req.since
        have = dedup.delivered_between(req.since, req.until)
        missing = []
        for d in rows:
            if not req.since <= d.t <= req.until:
                continue
            base = (d.t, d.p, d.v, d.taker_side, d.open_flag, d.self_trade)
            if d.i is not None:  # REST gave the trade id (the emulator does): match on it
                if d.i in dedup.seen:
                    if have[base] > 0:
                        have[base] -= 1
                    continue
            elif have[base] > 0:  # else on the fields, each delivered deal matched once
                have[base] -= 1
                continue
            missing.append((base, d))
        for base, d in missing:
            dedup.mark_recovered(base, d.i)
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


__all__ = ["FetchSide"]
