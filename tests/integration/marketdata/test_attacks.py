"""Issue #13: market data that holds under attack (reliability-audit D3, D5, D9; fidelity row 8).

Each test reproduces one defect of the audit against the emulator over loopback and checks the
contained behaviour: the defect's test fails on the code before the fix (see CHANGELOG #13).
"""

from __future__ import annotations

import asyncio
from typing import Any

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import BadFrame, Stall
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.model.events import BookUpdate, DealGap, DealsRecovered, Trade
from mexc_futures.protocol.session import SessionConfig
from mexc_futures.transport.rest import RestClient
from tests.integration.marketdata.md_helpers import FAST, Recorder, running

SYM = "BTC_USDT"
OTHER = "ETH_USDT"
ONE_PER_CONN = MarketDataConfig(session=FAST.session, audit_interval=None, backoff_base=1.0,
                                backoff_cap=4.0, depth_silence=None, max_per_conn=1)


def _emulator_conn(ex: Any, symbol: str) -> int:
    """The emulator's id of the open connection carrying ``symbol``."""
    for row in ex.connections():
        if row["open"] and any(symbol in str(s) for s in row["subscriptions"]):
            return int(row["id"])
    raise AssertionError(f"no open connection carries {symbol}")


def _client_conn(md: Any, symbol: str) -> int:
    return next(c for c, streams in md.connections.items()
                if any(s.symbol == symbol for s in streams))


async def _two_connections(ex: Any, md: Any, rec: Any) -> tuple[int, int]:
    await md.subscribe("depth", SYM)
    await md.subscribe("depth", OTHER)
    await rec.until(rec.updates_after(3, SYM))
    await rec.until(rec.updates_after(3, OTHER))
    return _client_conn(md, SYM), _client_conn(md, OTHER)


async def test_d3_frame_over_the_size_limit_replaces_only_its_connection() -> None:
    """S15 with a frame above picows' 4 MiB limit: before the fix the socket failure escaped
    ``async with MarketData`` as an ExceptionGroup and nothing reconnected."""
    async with running([SYM, OTHER], config=ONE_PER_CONN) as (ex, md, rec):
        mine, other = await _two_connections(ex, md, rec)
        ex.faults.add(BadFrame(kind="oversized", size=5 * 1024 * 1024,
                               conn=_emulator_conn(ex, SYM)))
        m = md.metrics.conn(mine)
        await rec.until(lambda: m.reconnects == 1 and m.protocol_errors == 1)
        await rec.until(rec.updates_after(5, SYM))
        await rec.until(rec.updates_after(3, OTHER))
        assert md.metrics.conn(other).reconnects == 0
        assert md.metrics.conn(other).protocol_errors == 0
        assert rec.resyncs(OTHER, "reconnect") == []
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_d3_deeply_nested_frame_is_counted_and_the_connection_survives() -> None:
    """JSON nested past msgspec's recursion limit raised RecursionError (not a DecodeError)."""
    async with running([SYM, OTHER], config=ONE_PER_CONN) as (ex, md, rec):
        mine, other = await _two_connections(ex, md, rec)
        ex.faults.add(BadFrame(kind="deep_nested", count=2, conn=_emulator_conn(ex, SYM)))
        m = md.metrics.conn(mine)
        await rec.until(lambda: m.decode_errors >= 2)
        await rec.until(rec.updates_after(5, SYM))
        assert m.reconnects == 0
        assert md.metrics.conn(other).reconnects == 0
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_d3_a_handler_that_raises_is_contained_to_its_connection() -> None:
    """Any exception on the receive path (here a callback on one symbol's book) is counted,
    logged with the connection and stream, and only that connection is replaced."""
    async with running([SYM, OTHER], config=ONE_PER_CONN) as (ex, md, rec):
        mine, other = await _two_connections(ex, md, rec)
        armed = asyncio.Event()

        def boom(ev: Any) -> None:
            if armed.is_set() and isinstance(ev, BookUpdate) and ev.symbol == SYM:
                armed.clear()
                raise RuntimeError("strategy bug")

        md.on(boom)
        armed.set()
        m = md.metrics.conn(mine)
        await rec.until(lambda: m.handler_errors == 1 and m.reconnects == 1)
        await rec.until(rec.updates_after(5, SYM))
        await rec.until(rec.updates_after(3, OTHER))
        assert md.metrics.conn(other).reconnects == 0
        assert md.metrics.conn(other).handler_errors == 0
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_d5_callers_that_gave_up_return_their_limiter_slots() -> None:
    """200 depth requests abandoned after 1 venue-second: before the fix a fresh request with
    nothing in flight waited ~42 venue-seconds for the abandoned reservations."""
    async with (
        Emulator(symbols=[SYM], speed=20.0) as ex,
        RestClient(ex.env, clock=ex.clock) as rest,
    ):
        async def one() -> bool:
            try:
                async with asyncio.timeout(1.0 / ex.speed):
                    await rest.get_depth(SYM, 20)
                return True
            except TimeoutError:
                return False

        served = sum(await asyncio.gather(*(one() for _ in range(200))))
        assert served < 200
        await asyncio.sleep(2.0 / ex.speed)
        t0 = ex.clock.monotonic()
        await rest.get_depth(SYM, 20)
        waited = ex.clock.monotonic() - t0
        assert waited < 2.5, f"a fresh request waited {waited:.1f} venue-s"
        assert rest.limiter.pending("depth", ex.clock.monotonic()) == 0


class _CountingRest:
    """A DepthSource that counts concurrent snapshot requests (the scheduler's bound)."""

    def __init__(self, rest: RestClient) -> None:
        self.rest = rest
        self.in_flight = 0
        self.max_in_flight = 0
        self.order: list[str] = []

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.order.append(symbol)
        try:
            return await self.rest.get_depth(symbol, limit)
        finally:
            self.in_flight -= 1

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        return await self.rest.get_depth_commits(symbol, limit)


async def test_d5_snapshots_are_scheduled_not_stormed(caplog: Any) -> None:
    """Every book's snapshot goes through one queue served by a few workers: the requests in
    flight never exceed ``fetch_workers`` (before: one task per book, all waiting in the limiter
    under a deadline that included the wait), every book syncs, none fails, progress is logged."""
    import logging

    caplog.set_level(logging.INFO, logger="mexc_futures.marketdata")
    n = 30
    cfg = MarketDataConfig(session=FAST.session, audit_interval=None, depth_silence=None,
                           backoff_cap=4.0, fetch_workers=3, progress_every=1.0)
    async with (
        Emulator(speed=20.0, n_contracts=n) as ex,
        RestClient(ex.env, clock=ex.clock) as rest,
    ):
        counting = _CountingRest(rest)
        async with MarketData(ex.env, rest=counting, clock=ex.clock, config=cfg) as md:
            symbols = ex.venue.symbols()[:n]
            for s in symbols:
                await md.subscribe("depth", s)
            rec = Recorder(md, ex)
            await rec.until(lambda: all(md.book(s).synced for s in symbols), limit=30)
            assert counting.max_in_flight <= 3
            progress = md.sync_progress()
            assert progress["synced"] == n
            assert progress["snapshots_done"] >= n
            assert progress["snapshots_failed"] == 0
            assert any("books synced" in r.getMessage() for r in caplog.records)
            text = md.metrics.prometheus()
            assert f"mexc_md_sync_synced {float(n)!r}" in text
            assert "mexc_md_sync_snapshots_queued 0.0" in text


async def test_d9_frames_lost_on_a_live_connection_report_and_recover_its_deals() -> None:
    """Short stalls (the emulator drops frames, the socket stays up and no ping times out):
    depth sees a version gap, and before the fix the deal stream of the same connection lost
    deals silently. Now its deals are reported gapped (DealGap) and refilled from REST
    ``deals``: every venue deal is delivered exactly once."""
    slow_pings = SessionConfig(ping_interval=20, pong_timeout=10)  # a 3 venue-s stall: no stall
    cfg = MarketDataConfig(session=slow_pings, audit_interval=None, depth_silence=None,
                           deal_recovery_delay=0.5)
    async with running([SYM], config=cfg, seed=4) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("deal", SYM)
        await rec.until(lambda: md.book(SYM).synced and len(rec.of(Trade, SYM)) >= 3)
        since = rec.of(Trade, SYM)[0].time
        for _ in range(5):
            await asyncio.sleep(0.5)  # real seconds: 10 venue-s between stalls at speed 20
            fid = ex.faults.add(Stall())  # nothing sent, socket open
            await asyncio.sleep(0.15)  # shorter than ping + pong deadline: no reconnect
            ex.faults.clear(fid)
        await rec.until(lambda: len(rec.resyncs(SYM, "gap")) >= 1)
        await rec.until(rec.updates_after(3, SYM))

        def all_filled() -> bool:
            done = [(r.since, r.until) for r in rec.of(DealsRecovered, SYM)]
            return all(any(a <= g.since and g.until <= b for a, b in done)
                       for g in rec.of(DealGap, SYM))

        await rec.until(all_filled, limit=15)
        # (a ping sent during a stall loses its pong, so a stall may also end in a reconnect;
        # the depth gaps above are the frames lost on a connection that stayed up)
        rec.assert_deals_complete(SYM, since)  # nothing lost without a DealGap
        rec.assert_deals_complete(SYM, since, recovered=True)  # and nothing lost, none twice
        recovered = md.metrics.stream("deal", SYM).recovered
        assert sum(r.count for r in rec.of(DealsRecovered, SYM)) == recovered
        assert all(r.complete for r in rec.of(DealsRecovered, SYM))
        rec.assert_books_exact()
        assert rec.errors() == []


def _quiet(ex: Any, symbol: str) -> None:
    """Make the emulator's synthetic flow of ``symbol`` stop: its book no longer changes."""
    m = ex.venue.engine.markets[symbol]
    m.rate = 0.0
    m.next_event_ms = float("inf")


QUIET_CFG = MarketDataConfig(session=FAST.session, audit_interval=None, depth_silence=3.0,
                             backoff_cap=4.0)


async def test_row8_a_quiet_book_is_not_resynced() -> None:
    """Fidelity row 8: the venue sends nothing while a book does not change. Before the fix the
    watchdog resynced such a book every ``depth_silence`` (a REST snapshot each time); now the
    venue is asked cheaply (depth_commits) and an unchanged book keeps its book and budget."""
    async with running([SYM, OTHER], config=QUIET_CFG) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("depth", OTHER)
        await rec.until(lambda: md.book(SYM).synced and md.book(OTHER).synced)
        await rec.until(rec.updates_after(3, SYM))
        _quiet(ex, SYM)
        snapshots = md.sync_of(SYM).stats.snapshots
        await rec.until(lambda: md.metrics.stream("depth", SYM).idle >= 2, limit=15)
        assert rec.resyncs(SYM, "stale") == []
        assert md.sync_of(SYM).stats.snapshots == snapshots
        assert md.book(SYM).synced
        assert md.metrics.stream("depth", OTHER).idle == 0  # a busy book is never silent
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_row8_quiet_with_ticker_and_deals_needs_no_rest_at_all() -> None:
    """With the symbol's ticker and deals subscribed, a silent book whose ticker agrees with it
    is judged idle without any REST call; a silent book whose symbol trades is stale (S3)."""
    async with running([SYM], config=QUIET_CFG) as (ex, md, rec):
        for ch in ("depth", "deal", "ticker"):
            await md.subscribe(ch, SYM)
        await rec.until(lambda: md.book(SYM).synced)
        await rec.until(rec.updates_after(3, SYM))
        _quiet(ex, SYM)
        calls = len(ex.rest.calls)
        await rec.until(lambda: md.metrics.stream("depth", SYM).idle >= 2, limit=15)
        assert len(ex.rest.calls) == calls
        assert rec.resyncs(SYM, "stale") == []
        rec.assert_books_exact()
