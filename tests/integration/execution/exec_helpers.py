"""Shared helpers for the execution integration tests (emulator over loopback).

``check_i1`` / ``check_i2`` compare the client with the emulator's truth API (reliability I1, I2).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.alerts import Alert, RecordingAlert
from mexc_futures.execution.facade import ExecutionConfig, ExecutionManager
from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.killswitch import KillSwitchConfig
from mexc_futures.model.orders import OrderState
from mexc_futures.transport.rest import RestClient

SYMBOL = "BTC_USDT"
STATE_OF = {
    1: OrderState.PENDING,
    2: OrderState.OPEN,
    3: OrderState.FILLED,
    4: OrderState.CANCELLED,
    5: OrderState.INVALID,
}
FAST = ExecutionConfig(
    symbols=(SYMBOL,),
    reconcile_interval=3600.0,  # tests reconcile explicitly
    resolve_attempts=8,
    resolve_delay=0.05,
    not_found_grace=0.2,
    cleanup_retry=0.05,
    cleanup_retry_cap=0.2,
    create_timeout=0.3,
)


def rest_for(ex: Emulator, **kw: Any) -> RestClient:
    return RestClient(ex.env, ex.credentials, retry_base=0.01, timeout=2.0, **kw)


@contextlib.asynccontextmanager
async def manager(
    ex: Emulator,
    journal: Path,
    *,
    alerts: Alert | None = None,
    kill: KillSwitchConfig | None = None,
    config: ExecutionConfig = FAST,
) -> AsyncIterator[ExecutionManager]:
    async with (
        rest_for(ex) as rest,
        ExecutionManager(
            rest,
            journal_path=journal,
            alerts=alerts or RecordingAlert(),
            kill_config=kill,
            config=config,
        ) as em,
    ):
        yield em


async def resting(em: ExecutionManager, vol: int = 1, away: str = "0.9") -> PlaceOrder:
    """A limit buy well below the market: it rests."""
    t = await em.rest.get_ticker(SYMBOL)
    price = em.specs[SYMBOL].round_price(Decimal(str(t.bid1)) * Decimal(away))
    return PlaceOrder(
        symbol=SYMBOL,
        side=TradeSide.OPEN_LONG,
        kind=OrderKind.LIMIT,
        vol=Decimal(vol),
        price=price,
        leverage=10,
    )


async def crossing(em: ExecutionManager, vol: int = 1) -> PlaceOrder:
    """A limit buy above the best ask: it fills at once."""
    t = await em.rest.get_ticker(SYMBOL)
    price = em.specs[SYMBOL].round_price(Decimal(str(t.ask1)) * Decimal("1.001"))
    return PlaceOrder(
        symbol=SYMBOL,
        side=TradeSide.OPEN_LONG,
        kind=OrderKind.LIMIT,
        vol=Decimal(vol),
        price=price,
        leverage=10,
    )


def check_i1(ex: Emulator, em: ExecutionManager) -> None:
    """I1: at most one venue order per externalOid; every accepted oid is tracked."""
    counts = ex.truth.external_oid_counts()
    ours = {oid for oid in counts if oid.startswith("mf")}
    assert all(counts[oid] == 1 for oid in ours), counts
    assert ours <= set(em.tracker.by_oid)
    for oid, order in em.tracker.by_oid.items():
        if order.state is OrderState.INVALID and order.error_code == 0:
            assert counts.get(oid, 0) == 0, oid  # resolved "never accepted"


def check_i2(ex: Emulator, em: ExecutionManager) -> None:
    """I2: no order unresolved; each tracked order equals the venue's row."""
    for oid, order in em.tracker.by_oid.items():
        assert order.state not in (OrderState.UNKNOWN, OrderState.PENDING_SUBMIT), order
        rows = ex.truth.orders(oid)
        if order.replaced_ids:
            rows = [r for r in ex.truth.orders() if r["orderId"] == order.order_id]
        if not rows:
            assert order.state is OrderState.INVALID
            continue
        row = rows[-1]
        venue_state = STATE_OF[row["state"]]
        if order.state is OrderState.PENDING:  # create acked, no push seen: venue may be at 2
            assert venue_state in (OrderState.PENDING, OrderState.OPEN)
        else:
            assert order.state is venue_state, (order, row)
        assert order.filled == Decimal(str(row["dealVol"])), (order, row)


def create_calls(ex: Emulator) -> list[Any]:
    return [c for c in ex.rest.calls if c.endpoint in ("order_create", "order_submit")]
