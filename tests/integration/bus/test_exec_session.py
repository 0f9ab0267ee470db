"""A strategy whose orders an exec service executes (``RemoteStrategySession``, ``run --bus
--account``): no API keys in the strategy process, the engine unchanged, the bus latency
reported apart from the in-process tick-to-order (B10), the kill switch stops the run (B6)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.bus.remote import RemoteExecutor
from mexc_futures.clock import Clock
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.model.intents import TradeSide
from mexc_futures.strategy.api import Intents, Strategy, StrategyView, limit
from mexc_futures.strategy.health import HealthReport
from mexc_futures.strategy.remote_session import RemoteExecution, RemoteStrategySession
from mexc_futures.testing.services import RedisServer
from tests.integration.bus.bus_helpers import ACCOUNT, service
from tests.integration.bus.test_exec_flow import resting_via_rest
from tests.integration.execution.exec_helpers import SYMBOL

pytestmark = pytest.mark.timeout(90)


class Rester(Strategy):
    """Rests one order far below the market on every book update until it has one."""

    name = "rester"
    channels = ("depth",)

    def __init__(self, price: Decimal) -> None:
        super().__init__((SYMBOL,))
        self.price = price
        self.sent = 0

    def on_book(self, book: object, view: StrategyView) -> Intents:
        if self.sent or view.halted:
            return None
        self.sent += 1
        return [limit(SYMBOL, TradeSide.OPEN_LONG, 1, self.price, leverage=10)]


def factory(url: str) -> Callable[..., contextlib.AbstractAsyncContextManager[RemoteExecution]]:
    @contextlib.asynccontextmanager
    async def make(
        clock: Clock,
        origin: Callable[[], float | None],
        on_latency: Callable[[str, float], None] | None,
    ) -> AsyncIterator[RemoteExecution]:
        async with RemoteExecutor(
            url, ACCOUNT, "rester", clock=clock, on_latency=on_latency, origin=origin
        ) as remote:
            yield remote

    return make


async def test_remote_session_trades_through_the_exec_service_and_reports_bus_latency(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    latency: dict[str, list[float]] = {}
    async with (
        Emulator(seed=9, symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, tmp_path / "j.db") as svc,
    ):
        price = (await resting_via_rest(ex)).price
        assert price is not None
        strategy = Rester(price)
        async with RemoteStrategySession(
            strategy,
            ex.env,
            None,  # no keys in the strategy process
            remote=factory(redis_aof.url),
            on_latency=lambda k, ms: latency.setdefault(k, []).append(ms),
        ) as session:
            await session.run(2.0)  # on_stop cancels through the exec service too
        assert strategy.sent == 1
        assert {"tick→place", "tick→intent (bus)", "intent RTT (bus)"} <= set(latency)
        assert latency["tick→intent (bus)"][0] >= latency["tick→place"][0]
        oids = list(ex.truth.external_oid_counts())
        assert len(oids) == 1
        assert ex.truth.order_count(oids[0]) == 1
        assert ex.truth.orders(oids[0])[0]["state"] == 4  # cancelled by on_stop
        assert svc.em is not None
        assert svc.em.open_orders == []


async def test_remote_session_stops_on_the_exec_services_kill_switch(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    reports: list[HealthReport] = []
    async with (
        Emulator(seed=10, symbols=[SYMBOL]) as ex,
        service(ex, redis_aof.url, tmp_path / "j.db") as svc,
    ):
        price = (await resting_via_rest(ex)).price
        assert price is not None
        async with RemoteStrategySession(
            Rester(price), ex.env, None, remote=factory(redis_aof.url), on_report=reports.append
        ) as session:
            runner = asyncio.create_task(session.run(30.0))
            for _ in range(200):
                if ex.truth.external_oid_counts():
                    break
                await asyncio.sleep(0.05)
            assert svc.em is not None
            await svc.em.trip("test", "b6 via the bus")
            await asyncio.wait_for(runner, 15)  # ends long before its 30 s
            assert session.engine.halted
            assert session.trading_off() == "kill switch tripped (test)"
        assert any(r.kind == "halted" for r in reports)
        assert [o for o in ex.truth.orders() if o["state"] in (1, 2)] == []
