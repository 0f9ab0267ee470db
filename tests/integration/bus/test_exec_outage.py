"""B7, execution half (design record-replay-bus.md §2.7): Redis stopped mid-run.

While it is down the strategy side reports ``bus_down`` and submits nothing (no intent reaches the
stream), the exec service keeps reconciling over REST and queues the account events it produces;
when Redis is back (longer than the lease's time-to-live: the lease is taken again) everything
resumes: queued events arrive once, new intents are carried out once, nothing stays pending.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mexc_futures.bus.lease import LeaseState
from mexc_futures.bus.ordkeys import GROUP, intents_key
from mexc_futures.bus.redisio import connect
from mexc_futures.bus.remote import BusDown, RemoteExecutor
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import OrderUpdate
from mexc_futures.model.intents import CancelOrder
from mexc_futures.model.orders import TrackedOrder
from mexc_futures.testing.services import RedisServer
from tests.integration.bus.bus_helpers import ACCOUNT, service
from tests.integration.bus.test_exec_flow import resting_via_rest
from tests.integration.execution.exec_helpers import SYMBOL

pytestmark = pytest.mark.timeout(120)

#: Design check B7's outage; longer than the test lease (2 s), which lapses at the server.
OUTAGE_S = 10.0


async def _until(check, what: str, wait_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(wait_s / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_b7_redis_down_nothing_submitted_reconciling_goes_on_resume_without_duplicates(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    journal = tmp_path / "j.db"
    health: list[str] = []
    events: list[OrderUpdate] = []
    async with (
        Emulator(seed=8, symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, journal) as svc,
    ):
        assert svc.em is not None
        intent = await resting_via_rest(ex)
        async with RemoteExecutor(
            redis_aof.url, ACCOUNT, "mm", on_health=lambda kind, text: health.append(kind)
        ) as remote:

            async def collect() -> None:
                async for event in remote.events():
                    if isinstance(event, OrderUpdate):
                        events.append(event)

            collector = asyncio.create_task(collect())
            a = await remote.submit(intent)
            assert isinstance(a, TrackedOrder)
            assert a.order_id

            redis_aof.stop()
            await _until(lambda: health == ["bus_down"] and not svc.bus_up, "bus_down")
            down_at = len(ex.rest.calls)
            with pytest.raises(BusDown, match="not submitted"):
                await remote.submit(intent)
            assert remote.refused_down == 1
            # the exec service still works the account over REST: its own cancel goes out and
            # the order update waits for the bus
            await svc.em.submit(CancelOrder(symbol=SYMBOL, order_id=a.order_id))
            await asyncio.sleep(OUTAGE_S)
            during = [c.endpoint for c in list(ex.rest.calls)[down_at:]]
            assert "open_orders" in during or "open_orders_symbol" in during, during
            assert svc.lease.state is LeaseState.STALE

            redis_aof.start()
            await _until(lambda: health == ["bus_down", "bus_up"] and svc.bus_up, "bus_up")
            await _until(lambda: svc.lease.state is LeaseState.HELD, "lease held again")
            c = await remote.submit(intent)
            assert isinstance(c, TrackedOrder)
            assert c.order_id
            await _until(
                lambda: any(e.external_oid == a.external_oid and e.state == 4 for e in events),
                "the cancel made during the outage",
            )
            await asyncio.sleep(0.5)
            collector.cancel()

        seen = [(e.external_oid, e.state, e.version, e.deal_vol) for e in events]
        assert len(seen) == len(set(seen)), f"duplicate events: {seen}"
        j = Journal(journal)
        oids = [r.external_oid for r in j.orders(live_only=False)]
        j.close()
        assert oids == [a.external_oid, c.external_oid]  # B was never submitted
        assert ex.truth.external_oid_counts() == {a.external_oid: 1, c.external_oid: 1}
        r = connect(redis_aof.url)
        try:
            pending = await r.xpending(intents_key(ACCOUNT), GROUP)
            assert pending["pending"] == 0
            assert await r.xlen(intents_key(ACCOUNT)) == 3  # hello, A, C: B never written
        finally:
            await r.aclose()
