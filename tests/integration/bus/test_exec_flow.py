"""Execution over the bus against the emulator and a real redis-server (issue #18, design §2.5).

Strategy side ``RemoteExecutor`` -> ``mx:ord:{account}:intents`` -> exec service (journal, risk
gate, REST) -> outcome and order events on ``mx:ord:{account}:events:{strategy}``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.bus.execservice import ExecService, LeaseBusy
from mexc_futures.bus.intents import RemoteRefused, external_oid_for
from mexc_futures.bus.lease import LeaseState
from mexc_futures.bus.remote import RemoteExecutor
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.events import OrderUpdate
from mexc_futures.model.intents import CancelAll, CancelOrder, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.orders import TrackedOrder
from mexc_futures.testing.services import RedisServer
from tests.integration.bus.bus_helpers import ACCOUNT, exec_manager, service
from tests.integration.execution.exec_helpers import SYMBOL, rest_for, resting

pytestmark = pytest.mark.asyncio


async def resting_via_rest(ex: Emulator) -> PlaceOrder:
    """A limit buy well below the market (it rests), priced from the emulator's ticker."""
    async with rest_for(ex) as rest:
        t = await rest.get_ticker(SYMBOL)
        spec = await rest.get_contract_spec(SYMBOL)
    return PlaceOrder(
        symbol=SYMBOL,
        side=TradeSide.OPEN_LONG,
        kind=OrderKind.LIMIT,
        vol=Decimal(1),
        price=spec.round_price(Decimal(str(t.bid1)) * Decimal("0.9")),
        leverage=10,
    )


async def _next_update(
    ex: RemoteExecutor, oid: str, state: int, wait_s: float = 5.0
) -> OrderUpdate:
    async def find() -> OrderUpdate:
        async for event in ex.events():
            if (
                isinstance(event, OrderUpdate)
                and event.external_oid == oid
                and event.state == state
            ):
                return event
        raise AssertionError("unreachable")

    return await asyncio.wait_for(find(), wait_s)


async def test_place_and_cancel_through_the_exec_service(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    async with (
        Emulator(symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, tmp_path / "j.db") as svc,
    ):
        assert svc.em is not None
        intent = await resting(svc.em)
        async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm1") as remote:
            assert remote.snapshot is not None
            order = await remote.submit(intent)
            assert isinstance(order, TrackedOrder)
            assert order.state.live
            assert order.order_id
            key = f"mm1:{remote.boot}:2"  # seq 1 was the hello
            assert order.external_oid == external_oid_for(ACCOUNT, key)
            assert remote.owns(
                OrderUpdate(
                    order_id=order.order_id,
                    external_oid=order.external_oid,
                    symbol=SYMBOL,
                    side=1,
                    order_type=1,
                    price=order.price or 0,
                    vol=order.vol,
                    deal_vol=0,
                    deal_avg_price=0,
                    state=2,
                )
            )
            await remote.submit(CancelOrder(symbol=SYMBOL, order_id=order.order_id))
            await _next_update(remote, order.external_oid, 4)
        assert ex.truth.order_count(order.external_oid) == 1


async def test_cancel_all_of_one_strategy_leaves_the_other_strategys_orders(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    async with (
        Emulator(symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, tmp_path / "j.db") as svc,
    ):
        assert svc.em is not None
        intent = await resting(svc.em)
        async with (
            RemoteExecutor(redis_aof.url, ACCOUNT, "a") as a,
            RemoteExecutor(redis_aof.url, ACCOUNT, "b") as b,
        ):
            oa = await a.submit(intent)
            ob = await b.submit(intent)
            assert isinstance(oa, TrackedOrder)
            assert isinstance(ob, TrackedOrder)
            assert oa.external_oid != ob.external_oid
            await a.submit(CancelAll(symbol=SYMBOL))
            await _next_update(a, oa.external_oid, 4)
            live = {o.external_oid for o in svc.em.open_orders}
            assert ob.external_oid in live
            assert oa.external_oid not in live


async def test_risk_refusal_comes_back_as_an_error(redis_aof: RedisServer, tmp_path: Path) -> None:
    async with (
        Emulator(symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, tmp_path / "j.db") as svc,
    ):
        assert svc.em is not None
        intent = await resting(svc.em, vol=10**9)
        async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm1") as remote:
            with pytest.raises(RemoteRefused, match="risk gate"):
                await remote.submit(intent)


async def test_a_second_exec_service_refuses_or_waits_then_takes_over(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    """One exec service per account: a second one names the holder and refuses (``--no-wait``)
    or waits; it takes over once the first stops, and serves the account's intents."""
    statuses: list[str] = []
    async with Emulator(symbols=[SYMBOL]) as ex:
        async with service(ex, redis_aof.url, tmp_path / "a.db") as first:
            busy = ExecService(
                redis_aof.url,
                ACCOUNT,
                manager=lambda: exec_manager(ex, tmp_path / "b.db"),
                wait=False,
            )
            with pytest.raises(LeaseBusy, match="already run by an exec service") as refused:
                await busy.run(asyncio.Event())
            assert first.lease.token in str(refused.value)
            second = ExecService(
                redis_aof.url,
                ACCOUNT,
                manager=lambda: exec_manager(ex, tmp_path / "b.db"),
                lease_ttl=2.0,
                block_ms=200,
                on_status=statuses.append,
            )
            stop = asyncio.Event()
            waiting = asyncio.create_task(second.run(stop))
            await asyncio.sleep(1.0)
            assert second.em is None  # waiting: nothing started, the journal untouched
            assert any("waiting for its lease" in s for s in statuses), statuses
        for _ in range(200):  # the first released its lease on the way out
            if second.em is not None and second.em.ready:
                break
            await asyncio.sleep(0.05)
        assert second.em is not None
        intent = await resting_via_rest(ex)
        async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm1") as remote:
            order = await remote.submit(intent)
            assert isinstance(order, TrackedOrder)
            assert order.state.live
        stop.set()
        assert await asyncio.wait_for(waiting, 10) == "stopped"


async def test_a_slow_start_keeps_the_lease(redis_aof: RedisServer, tmp_path: Path) -> None:
    """The lease is renewed from the moment it is held: an execution manager whose start
    (probe, reconciliation) outlasts the lease's time-to-live does not let a waiting second
    instance in (two managers on one account)."""

    @contextlib.asynccontextmanager
    async def slow(path: Path) -> AsyncIterator[ExecutionManager]:
        await asyncio.sleep(3.0)  # > lease_ttl 1.0
        async with exec_manager(ex, path) as em:
            yield em

    async with Emulator(symbols=[SYMBOL]) as ex:
        stop = asyncio.Event()
        first = ExecService(
            redis_aof.url,
            ACCOUNT,
            manager=lambda: slow(tmp_path / "a.db"),
            lease_ttl=1.0,
            block_ms=200,
        )
        second = ExecService(
            redis_aof.url,
            ACCOUNT,
            manager=lambda: exec_manager(ex, tmp_path / "b.db"),
            lease_ttl=1.0,
            block_ms=200,
        )
        a = asyncio.create_task(first.run(stop))
        await asyncio.sleep(0.3)
        b = asyncio.create_task(second.run(stop))
        for _ in range(100):
            if first.em is not None and first.em.ready:
                break
            await asyncio.sleep(0.05)
        assert first.em is not None
        assert second.em is None
        assert second.lease.state is LeaseState.WAITING
        stop.set()
        await asyncio.wait_for(asyncio.gather(a, b), 15)
