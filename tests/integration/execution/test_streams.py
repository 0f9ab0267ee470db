"""Private pushes vs REST reconciliation on the emulator: reliability S22, S23 (I1, I2, I8)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.config import Credentials
from mexc_futures.emulator.server.faults import Delay
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.facade import StrategyEvent
from mexc_futures.marketdata.facade import LoginError, PrivateStream
from mexc_futures.model.events import Fill
from mexc_futures.model.intents import CancelOrder, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.orders import OrderState
from tests.integration.execution.exec_helpers import (
    FAST,
    SYMBOL,
    check_i1,
    check_i2,
    crossing,
    manager,
)

pytestmark = pytest.mark.timeout(30)
CHANNELS = ["order", "order.deal", "position", "asset"]


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=7, symbols=[SYMBOL]) as emu:
        yield emu


def venue_deals(ex: Emulator, order_id: str) -> Decimal:
    rows = [r for r in ex.truth.orders() if r["orderId"] == order_id]
    return Decimal(str(rows[0]["dealVol"]))


async def test_s22_silent_stream_reconciled_by_rest(ex: Emulator, tmp_path: Path) -> None:
    with pytest.raises(LoginError):
        async with PrivateStream(ex.env, Credentials(ex.credentials.api_key, "wrong"), CHANNELS):
            pass
    async with manager(ex, tmp_path / "j.db") as em:
        fills: list[Fill] = []
        em.on(lambda e: fills.append(e) if isinstance(e, Fill) else None)
        order = await em.submit(await crossing(em, vol=3))
        assert order is not None
        assert order.order_id is not None
        assert order.state is OrderState.PENDING  # no pushes: only the ack is known
        await em.reconcile()
        assert order.state is OrderState.FILLED
        assert order.filled == venue_deals(ex, order.order_id) == 3
        assert sum(f.vol for f in fills) == 3
        n = len(fills)
        await em.reconcile()  # again: nothing new, no duplicate fill events
        assert len(fills) == n
        assert em.journal is not None
        assert em.journal.fill_count() == n
        check_i1(ex, em)
        check_i2(ex, em)
        assert not em.kill_switch.tripped


async def test_s23_fill_before_ack(ex: Emulator, tmp_path: Path) -> None:
    config = replace(FAST, create_timeout=3.0)
    async with manager(ex, tmp_path / "j.db", config=config) as em:
        seen: list[StrategyEvent] = []
        em.on(seen.append)
        async with PrivateStream(ex.env, ex.credentials, CHANNELS, [SYMBOL]) as ps:
            ps.on(em.on_account_event)
            ex.faults.add(Delay(seconds=0.4, execute=True, endpoints=("create",), count=1))
            order = await em.submit(await crossing(em, vol=2))
            assert order is not None
            fills_before_ack = [e for e in seen if isinstance(e, Fill)]
            assert fills_before_ack, "pushes must have arrived while the answer was held"
            assert order.state is OrderState.FILLED
            assert order.filled == 2
            assert order.fill_sum == 2
        await em.reconcile()
        assert len([e for e in seen if isinstance(e, Fill)]) == len(order.fill_ids)
        check_i1(ex, em)
        check_i2(ex, em)
        assert not em.kill_switch.tripped


async def test_s23_fill_after_cancel_ack(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        held: list[object] = []
        async with PrivateStream(ex.env, ex.credentials, CHANNELS, [SYMBOL]) as ps:
            ps.on(held.append)  # hold every push back until after the cancel ack
            t = await em.rest.get_ticker(SYMBOL)
            unit = em.specs[SYMBOL].price_unit
            price = Decimal(str(t.bid1)) + unit
            assert price < Decimal(str(t.ask1))
            maker = await em.submit(
                PlaceOrder(
                    symbol=SYMBOL,
                    side=TradeSide.OPEN_LONG,
                    kind=OrderKind.LIMIT,
                    vol=Decimal(3),
                    price=price,
                    leverage=10,
                )
            )
            taker = await em.submit(
                PlaceOrder(
                    symbol=SYMBOL,
                    side=TradeSide.OPEN_SHORT,
                    kind=OrderKind.IOC,
                    vol=Decimal(1),
                    price=price,
                    leverage=10,
                )
            )
            assert maker is not None
            assert taker is not None
            assert maker.order_id is not None
            await em.submit(CancelOrder(symbol=SYMBOL, order_id=maker.order_id))
            assert maker.state is OrderState.CANCELLED
            assert maker.filled == 0
            await asyncio.sleep(0.3)  # every push of the three calls has arrived by now
            for ev in held:  # ... and is delivered late: the fill lands after the cancel ack
                em.on_account_event(ev)  # type: ignore[arg-type]
        assert maker.state is OrderState.CANCELLED
        assert maker.filled == venue_deals(ex, maker.order_id) == 1
        replay = list(held)
        for ev in replay:  # duplicates change nothing
            em.on_account_event(ev)  # type: ignore[arg-type]
        assert maker.filled == 1
        assert maker.fill_sum == 1
        await em.reconcile()
        check_i1(ex, em)
        check_i2(ex, em)
        assert not em.kill_switch.tripped
