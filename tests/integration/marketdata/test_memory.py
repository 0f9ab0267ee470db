"""Issue #13, bounded resources: what a reconnect leaves behind (RSS flat in the soak)."""

from __future__ import annotations

import gc
import weakref

from mexc_futures.emulator.server.faults import DropTcp
from tests.integration.marketdata.md_helpers import running

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
