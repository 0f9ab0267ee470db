"""Issue #13, bounded resources: what a reconnect leaves behind (RSS flat in the soak)."""

from __future__ import annotations

import gc
import weakref

import msgspec
import pytest

from mexc_futures.emulator.server.faults import DropTcp
from mexc_futures.marketdata import MarketData
from mexc_futures.marketdata.heap import release_free_heap
from tests.integration.marketdata.md_helpers import FAST, running

SYM = "BTC_USDT"


async def test_a_dropped_connection_is_freed_at_once_not_by_a_gc_pass() -> None:
    """The connection and its picows listener refer to each other; a closed connection must
    not wait as cyclic garbage (with the compiled listener's 32 KiB frame buffer) for a full
    gc pass, which a session of some 10^5 long-lived objects runs rarely: the soak grew ~1 MB
    per mass reconnect of 30 connections."""
    async with running([SYM]) as (ex, md, rec):
        await md.subscribe("depth", SYM)
        await rec.until(lambda: rec.checked >= 3)
        pool = md.pool
        first = weakref.ref(pool.live[1])
        gc.collect()
        gc.disable()  # only reference counting frees the old connection now
        try:
            ex.faults.add(DropTcp())
            await rec.until(lambda: md.metrics.conn(1).reconnects == 1
                            and pool.live.get(1) is not None and pool.live[1] is not first())
            await rec.until(rec.updates_after(3, SYM))
            assert first() is None, "the dropped connection is still alive (a reference cycle)"
        finally:
            gc.enable()


async def test_the_free_heap_goes_back_after_a_resync_wave_not_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """glibc keeps what a mass resync freed (the 800-contract soak: +3 MB held free over 30
    min); once every fetch queue has drained after a wave of at least ``heap_trim_after``
    fetches, market data returns it with ``malloc_trim``: only with the queues empty and no
    fetch running, never for a wave smaller than the threshold."""
    symbols = ["BTC_USDT", "ETH_USDT", "SOL_USDT"]
    for limit, trims in ((1, True), (1000, False)):
        seen: list[dict[str, float]] = []
        cfg = msgspec.structs.replace(FAST, heap_trim_after=limit)
        async with running(symbols, config=cfg) as (ex, md, rec):

            def counting(seen: list[dict[str, float]] = seen, md: MarketData = md) -> bool:
                seen.append(md.sync_progress())
                return release_free_heap()

            monkeypatch.setattr("mexc_futures.marketdata.fetchside.release_free_heap", counting)
            for s in symbols:
                await md.subscribe("depth", s)
            await rec.until(lambda: all(md.book(s).synced for s in symbols))
            ex.faults.add(DropTcp())
            await rec.until(lambda: md.metrics.conn(1).reconnects == 1)
            await rec.until(lambda: all(md.book(s).synced for s in symbols)
                            and md.sync_progress()["fetch_workers"] == 0)
            assert md.sync_progress()["heap_trims"] == len(seen)
        assert bool(seen) is trims
        for p in seen:  # never mid-wave
            assert p["fetch_workers"] == 0
            assert p["snapshots_queued"] == p["commits_queued"] == 0


async def test_market_data_schedules_its_fetches_without_the_answer_hold() -> None:
    """Market data's own REST client keeps at most ``fetch_workers`` requests per bucket in
    flight; the limiter's answer hold made each resync pay the venue's latency (soak: 25–37 s
    back without it, 44–50 s with it, 0 of 7,458 calls answered 510), so it runs without; a
    trading client keeps the hold (``marketdata.config.market_data_limiter``)."""
    from mexc_futures.transport.rest import RestClient

    async with running(["BTC_USDT"]) as (ex, md, _rec):
        own = md._rest
        assert isinstance(own, RestClient)
        assert own.limiter.answer_hold is False
        async with RestClient(ex.env, clock=ex.clock) as trading:
            assert trading.limiter.answer_hold is True
