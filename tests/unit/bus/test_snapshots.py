"""The gateway's snapshot service shares one venue request among consumers asking the same."""

from __future__ import annotations

import asyncio
from typing import Any

from mexc_futures.bus import records
from mexc_futures.bus.snapshots import SnapshotService


class FakeRest:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise TimeoutError("venue slow")
        return [{"p": 1.0, "v": 2, "T": 1, "O": 1, "M": 2, "t": 5}]


async def test_a_deal_gap_seen_by_many_consumers_is_one_venue_request() -> None:
    rest = FakeRest()
    svc = SnapshotService(md=None, bus=None, rest=rest)  # type: ignore[arg-type]
    reqs = [records.SnapRequest(symbol="BTC_USDT", req=f"c{i}-1", what="deals", limit=100)
            for i in range(5)]
    bodies = await asyncio.gather(*(svc._rest(r) for r in reqs))
    assert rest.calls == 1
    assert len(set(bodies)) == 1
    other = records.SnapRequest(symbol="ETH_USDT", req="c0-2", what="deals", limit=100)
    await svc._rest(other)
    assert rest.calls == 2


async def test_a_failed_request_is_not_shared_after_it_failed() -> None:
    rest = FakeRest(fail=True)
    svc = SnapshotService(md=None, bus=None, rest=rest)  # type: ignore[arg-type]
    req = records.SnapRequest(symbol="BTC_USDT", req="c0-1", what="deals", limit=100)
    results = await asyncio.gather(svc._rest(req), svc._rest(req), return_exceptions=True)
    assert all(isinstance(r, TimeoutError) for r in results)
    assert rest.calls == 1
    rest.fail = False
    await svc._rest(req)  # the next ask goes to the venue again
    assert rest.calls == 2
