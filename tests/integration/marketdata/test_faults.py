"""Fault scenarios S1-S5, S10-S15 (reliability.md) against the emulator over loopback.

Each test applies a fault, waits for recovery (scaled time), and asserts I3 (every published book
equals the venue's book at its version, never crossed), I4 (deals complete, no duplicates),
I6 (detection and reconnect) and I7 (tasks and connections back to baseline).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from mexc_futures.emulator.server.faults import (
    BadFrame,
    CloseWith,
    DealFault,
    DepthFault,
    DropTcp,
    Stall,
)
from mexc_futures.marketdata.facade import MarketDataConfig
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, Trade
from tests.integration.marketdata.md_helpers import FAST, running

SYM = "BTC_USDT"


def _open_conns(ex: object) -> list[dict[str, object]]:
    return [c for c in ex.connections() if c["open"]]  # type: ignore[attr-defined]


async def test_s1_tcp_drop_reconnects_resyncs_and_reports_deal_gap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mexc_futures.transport.pool")
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("deal", SYM)
        await rec.until(lambda: len(rec.of(Trade, SYM)) >= 3 and rec.checked >= 5)
        since = rec.of(Trade, SYM)[0].time
        rec.mark_baseline()
        ex.faults.add(DropTcp())
        await rec.until(lambda: bool(rec.resyncs(SYM, "reconnect")))
        await rec.until(lambda: bool(rec.of(DealGap, SYM)))
        await rec.until(rec.updates_after(5, SYM))
        await rec.until(lambda: len(_open_conns(ex)) == 1)
        assert md.metrics.conn(1).reconnects == 1
        (row,) = _open_conns(ex)
        assert sorted(s[0].split(".")[0] for s in row["subscriptions"]) == ["deal", "depth"]
        rec.assert_books_exact()
        rec.assert_deals_complete(SYM, since)
        assert md.book(SYM).synced
        # S5's abnormal close (1006: no close frame) is classified and logged as "dropped"
        assert any("down (dropped)" in r.getMessage() for r in caplog.records)
        await rec.back_to_baseline()  # I7
        assert rec.errors() == []


async def test_s2_silent_stall_detected_within_ping_plus_pong_deadline() -> None:
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        rec.mark_baseline()
        fid = ex.faults.add(Stall())
        t0 = ex.clock.monotonic()
        await rec.until(lambda: md.metrics.conn(1).stalls == 1, limit=10)
        detected = ex.clock.monotonic() - t0
        ex.faults.clear(fid)
        cfg = FAST.session
        assert detected <= cfg.ping_interval + cfg.pong_timeout + 2.0  # venue seconds
        await rec.until(lambda: md.metrics.conn(1).reconnects == 1)
        await rec.until(rec.updates_after(5, SYM))
        rec.assert_books_exact()
        await rec.until(lambda: len(_open_conns(ex)) == 1)
        first = min(r["id"] for r in ex.connections())
        assert not next(r for r in ex.connections() if r["id"] == first)["open"]  # old one closed
        await rec.back_to_baseline()  # I7
        assert rec.errors() == []


async def test_s3_one_symbol_paused_is_resynced_alone() -> None:
    cfg = MarketDataConfig(session=FAST.session, audit_interval=None, depth_silence=3.0)
    async with running([SYM, "ETH_USDT"], config=cfg) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("depth", "ETH_USDT")
        await rec.until(lambda: rec.checked >= 10 and md.book("ETH_USDT").synced)
        rec.mark_baseline()
        fid = ex.faults.add(DepthFault(symbol=SYM, action="pause", count=None))
        await rec.until(lambda: bool(rec.resyncs(SYM, "stale")), limit=10)
        ex.faults.clear(fid)
        await rec.until(rec.updates_after(3, SYM))
        assert rec.resyncs("ETH_USDT", "stale") == []
        assert md.metrics.stream("depth", SYM).stale >= 1
        assert md.metrics.conn(1).reconnects == 0
        rec.assert_books_exact()
        await rec.back_to_baseline()  # I7
        assert rec.errors() == []


@pytest.mark.parametrize("code", [1000, 1001, 1012])
async def test_s5_close_codes_reconnect(code: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mexc_futures.transport.pool")
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        rec.mark_baseline()
        ex.faults.add(CloseWith(code=code, reason="bye"))
        await rec.until(lambda: md.metrics.conn(1).reconnects == 1)
        await rec.until(rec.updates_after(3, SYM))
        rec.assert_books_exact()
        # classified (the close code is the reason) and logged; no unhandled exception
        assert any(f"down (close {code})" in r.getMessage() for r in caplog.records)
        reasons = [r.reason for r in rec.resyncs(SYM)]
        assert "reconnect" in reasons
        assert set(reasons) <= {"start", "reconnect"}, reasons
        await rec.back_to_baseline()  # I7
        assert rec.errors() == []


async def test_s10_gap_detected_on_next_frame_and_recovered() -> None:
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        rec.mark_baseline()
        ex.faults.add(DepthFault(symbol=SYM, action="skip", count=1))
        await rec.until(lambda: bool(rec.resyncs(SYM, "gap")))
        gap = rec.resyncs(SYM, "gap")[0]
        updates = rec.of(BookUpdate, SYM)
        before = [u.version for u in updates if rec.events.index(u) < rec.events.index(gap)]
        assert gap.from_version == before[-1]  # detected on the first frame after the gap
        await rec.until(rec.updates_after(5, SYM))
        sync = md.sync_of(SYM)
        assert sync.stats.gaps == 1
        assert sync.stats.commits_recoveries + sync.stats.snapshots >= 2
        rec.assert_books_exact()
        await rec.back_to_baseline()  # I7
        assert rec.errors() == []


async def test_s11_duplicates_do_not_change_the_book_nor_repeat_deals() -> None:
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("deal", SYM)
        await rec.until(lambda: rec.checked >= 3 and len(rec.of(Trade, SYM)) >= 1)
        since = rec.of(Trade, SYM)[0].time
        ex.faults.add(DepthFault(symbol=SYM, action="duplicate", count=5))
        ex.faults.add(DealFault(symbol=SYM, count=3))  # the next 3 push.deal frames sent twice
        await rec.until(lambda: md.sync_of(SYM).stats.duplicates >= 5)
        await rec.until(lambda: [k for _, k in ex.faults.fired].count("deal.duplicate") == 3)
        # each duplicated frame holds >= 1 deal; every one of them was dropped by the client
        await rec.until(lambda: md.metrics.stream("deal", SYM).duplicates >= 3)
        await rec.until(rec.updates_after(5, SYM))
        assert rec.resyncs(SYM, "gap") == []
        rec.assert_books_exact()
        rec.assert_deals_complete(SYM, since)  # I4: every venue deal once, none twice
        assert rec.errors() == []


async def test_s12_reordered_frames_never_publish_a_wrong_book() -> None:
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        rec.mark_baseline()
        ex.faults.add(DepthFault(symbol=SYM, action="reorder", count=3))
        await rec.until(lambda: md.sync_of(SYM).stats.frames > 0 and not ex.faults.active())
        await rec.until(rec.updates_after(10, SYM))
        stats = md.sync_of(SYM).stats
        assert stats.reorders_healed + stats.gaps >= 1
        rec.assert_books_exact()
        await rec.back_to_baseline()  # I7: the reorder buffer drained
        assert rec.errors() == []


@pytest.mark.parametrize("lag", [0, 50])
async def test_s13_rest_snapshot_older_than_stream_is_spliced(lag: int) -> None:
    async with running([SYM]) as (ex, md, rec):
        ex.venue.set_rest_lag(SYM, lag)
        await md.subscribe("depth", SYM)
        await rec.until(lambda: md.sync_of(SYM).stats.snapshots >= 1)
        ex.venue.set_rest_lag(SYM, 0)
        await rec.until(rec.updates_after(5, SYM))
        assert md.sync_of(SYM).stats.snapshots <= 6  # bounded retries
        rec.assert_books_exact()


async def test_s14_silent_corruption_found_by_audit_and_counted() -> None:
    """A depth frame with one wrong size (same versions) is found by the REST audit.

    The corruption is planted on a known level with the synthetic flow stopped. With the flow
    running, the corrupted level was wherever the next synthetic change happened to be: below the
    audited top-``audit_depth`` (invisible to a top-N audit by design) about one time in ten, or
    healed by a later change of the same level before an audit could compare equal versions.
    """
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        venue_book = ex.venue.engine.books[SYM]
        rate = ex.venue.engine.markets[SYM].rate
        ex.venue.set_flow_rate(SYM, 0)  # no more synthetic changes: nothing heals the corruption
        await rec.until(lambda: md.book(SYM).book.version == venue_book.version)
        ex.faults.add(DepthFault(symbol=SYM, action="corrupt", count=1))
        best_bid = ex.truth.book(SYM)["bids"][0][0]
        ex.venue.handle("POST", "/api/v1/private/order/create", {}, {},
                        {"symbol": SYM, "price": best_bid, "vol": 1, "side": 1, "type": 1,
                         "openType": 1, "leverage": 20}, ex.credentials.api_key)
        await rec.until(lambda: md.book(SYM).book.version == venue_book.version)
        assert not ex.faults.active()
        assert rec.mismatches, "the corrupted best bid was not published"
        rec.mismatches.clear()  # the corrupted book is what this test plants on purpose
        assert await md.audit(SYM) is False  # same version at both ends: compared, diverged
        assert md.sync_of(SYM).stats.divergences == 1
        assert md.metrics.stream("depth", SYM).divergences == 1
        await rec.until(lambda: bool(rec.resyncs(SYM, "audit")))
        ex.venue.set_flow_rate(SYM, rate)
        n = rec.checked
        rec.mismatches.clear()
        await rec.until(lambda: rec.checked >= n + 5)
        rec.assert_books_exact()


@pytest.mark.parametrize("kind", ["malformed", "truncated", "binary", "unknown_channel",
                                  "deep_nested"])
async def test_s15_bad_frames_counted_connection_survives(kind: str) -> None:
    async with running([SYM, "ETH_USDT"]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("depth", "ETH_USDT")
        await rec.until(rec.updates_after(3, SYM))
        ex.faults.add(BadFrame(kind=kind, count=3))
        m = md.metrics.conn(1)
        await rec.until(lambda: m.decode_errors + m.unknown_frames >= 3)
        await rec.until(rec.updates_after(5, SYM))
        await rec.until(rec.updates_after(3, "ETH_USDT"))
        assert m.reconnects == 0
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_s15_frame_over_the_size_limit_replaces_the_connection() -> None:
    """A text frame above picows' 4 MiB limit (5 MiB here) fails the socket: counted, the
    connection is replaced and resynced, nothing reaches the caller (D3)."""
    async with running([SYM, "ETH_USDT"]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await md.subscribe("depth", "ETH_USDT")
        await rec.until(rec.updates_after(3, SYM))
        ex.faults.add(BadFrame(kind="oversized", size=5 * 1024 * 1024))
        m = md.metrics.conn(1)
        await rec.until(lambda: m.protocol_errors == 1 and m.reconnects == 1)
        await rec.until(rec.updates_after(5, SYM))
        await rec.until(rec.updates_after(3, "ETH_USDT"))
        rec.assert_books_exact()
        assert rec.errors() == []


async def test_baseline_resources_after_unsubscribe() -> None:
    async with running([SYM]) as (ex, md, rec):
        sub = await md.subscribe("depth", SYM)
        await rec.until(rec.updates_after(3, SYM))
        assert md.pool.task_count == 1
        await sub.close()
        await rec.until(lambda: md.pool.task_count == 0 and not _open_conns(ex))
        assert md.connections == {}
        with pytest.raises(KeyError):
            md.book(SYM)
        assert [e for e in rec.events if isinstance(e, BookResync) and e.reason == "crossed"] == []


class _Proxy:
    """A loopback TCP proxy whose client->server direction can be black-holed (S4)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.blackhole = False
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        sr, sw = await asyncio.open_connection("127.0.0.1", self.target)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter, up: bool) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await r.read(65536):
                    if up and self.blackhole:
                        continue  # swallowed: the server never hears from the client
                    w.write(data)
                    await w.drain()
            w.close()

        async with asyncio.TaskGroup() as tg:
            tg.create_task(pipe(cr, sw, True))
            tg.create_task(pipe(sr, cw, False))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_s4_half_open_detected_by_pong_deadline() -> None:
    from mexc_futures.config import Environment
    from mexc_futures.emulator.server.server import Emulator
    from mexc_futures.marketdata.facade import MarketData
    from tests.integration.marketdata.md_helpers import Recorder

    async with Emulator(symbols=[SYM], speed=20) as ex:
        proxy = _Proxy(ex.port)
        port = await proxy.start()
        env = Environment(name="proxy", rest_url=ex.rest_url, ws_url=f"ws://127.0.0.1:{port}/edge",
                          is_live=False)
        try:
            async with MarketData(env, clock=ex.clock, config=FAST) as md:
                rec = Recorder(md, ex)
                await md.subscribe("depth", SYM)
                await rec.until(rec.updates_after(3, SYM))
                proxy.blackhole = True
                t0 = ex.clock.monotonic()
                await rec.until(lambda: md.metrics.conn(1).stalls == 1, limit=10)
                assert ex.clock.monotonic() - t0 <= FAST.session.ping_interval + \
                    FAST.session.pong_timeout + 2.0
                proxy.blackhole = False
                await rec.until(lambda: md.metrics.conn(1).reconnects == 1)
                await rec.until(rec.updates_after(5, SYM))
                rec.assert_books_exact()
        finally:
            await proxy.close()
