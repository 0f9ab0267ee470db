"""Execution against the emulator over loopback: reliability S16–S21 with I1, I2, I8.

Each test applies a fault, lets the manager resolve, reconciles, and checks the emulator's truth:
exactly one order per externalOid (I1), the client equals the venue (I2), and the kill switch
either stays armed or latches as specified (I8).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.faults import ClockOffset, Delay, Http404, Http500
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import EdgeError, KillSwitchActive
from mexc_futures.execution.alerts import RecordingAlert
from mexc_futures.execution.facade import ExecutionManager, TradingOff
from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.killswitch import KillState, KillSwitchConfig
from mexc_futures.model.orders import OrderState
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.transport.rest import RestClient
from tests.integration.execution.exec_helpers import (
    FAST,
    SYMBOL,
    check_i1,
    check_i2,
    create_calls,
    manager,
    resting,
)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5, symbols=[SYMBOL, "ETH_USDT"]) as emu:
        yield emu


def settled(em: ExecutionManager) -> None:
    assert not em.kill_switch.tripped  # I8: no false trip


async def test_s16_500_after_accept_resolves_to_the_one_order(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Http500(after_accept=True, endpoints=("create",), count=1))
        order = await em.submit(await resting(em))
        assert order is not None
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
        assert order.order_id is not None
        await em.reconcile()
        assert len(create_calls(ex)) == 1
        check_i1(ex, em)
        check_i2(ex, em)
        settled(em)


@pytest.mark.parametrize("executed", [True, False])
async def test_s17_create_timeout(ex: Emulator, tmp_path: Path, executed: bool) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Delay(seconds=0.8, execute=executed, endpoints=("create",), count=1))
        order = await em.submit(await resting(em))
        assert order is not None
        expected = {OrderState.PENDING, OrderState.OPEN} if executed else {OrderState.INVALID}
        assert order.state in expected
        assert ex.truth.order_count(order.external_oid) == (1 if executed else 0)
        await asyncio.sleep(0.9)  # let the held answer go out before comparing call logs
        assert len(create_calls(ex)) == 1  # never resubmitted
        await em.reconcile()
        check_i1(ex, em)
        check_i2(ex, em)
        settled(em)


async def test_s18_500_not_accepted_resolves_rejected(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Http500(after_accept=False, endpoints=("create",), count=1))
        order = await em.submit(await resting(em))
        assert order is not None
        assert order.state is OrderState.INVALID
        assert len(create_calls(ex)) == 1  # no automatic double submit
        assert em.journal is not None
        row = em.journal.get(order.external_oid)
        assert row is not None
        assert row.state is OrderState.INVALID
        check_i1(ex, em)
        check_i2(ex, em)
        settled(em)


async def test_s19_rate_limit_backoff(tmp_path: Path) -> None:
    async with Emulator(seed=5, symbols=[SYMBOL], speed=20) as emu:
        # Two clients share one key but not a limiter: together they overrun depth's 10/2s.
        a = RestClient(
            emu.env,
            emu.credentials,
            clock=emu.clock,
            retry_base=0.01,
            limiter=RateLimiter(headroom=1.0, margin=0.0),
            read_retries=8,
        )
        b = RestClient(
            emu.env,
            emu.credentials,
            clock=emu.clock,
            retry_base=0.01,
            limiter=RateLimiter(headroom=1.0, margin=0.0),
            read_retries=8,
        )
        async with a, b:
            await asyncio.gather(a.sync_clock(), b.sync_clock())
            got = await asyncio.gather(*(c.get_open_orders() for c in (a, b) for _ in range(15)))
        assert len(got) == 30  # every read succeeded in the end
        limited = [c for c in emu.rest.calls if c.code == 510]
        assert limited, "the scenario must provoke 510"
        assert a.limiter.limited_count("open_orders") + b.limiter.limited_count(
            "open_orders"
        ) == len(limited)
        # after backing off, the combined rate falls below the limit: the last 10 calls of
        # each client are spread over more than one window
        served = [c.ts for c in emu.rest.calls if c.endpoint == "open_orders" and c.code == 0]
        assert len(served) == 30
        assert max(served) - min(served) >= 2000 * 2  # >= 3 windows of 2 s venue time
        # a single client with the default limiter never earns a 510
        before = len(limited)
        await asyncio.sleep(0.2)  # let the venue bucket refill (2 s of venue time)
        async with RestClient(emu.env, emu.credentials, clock=emu.clock) as c:
            await c.sync_clock()
            await asyncio.gather(*(c.get_open_orders() for _ in range(25)))
        assert len([x for x in emu.rest.calls if x.code == 510]) == before


async def test_s19_the_next_window_waits_for_the_answers_of_the_last() -> None:
    """S19 under load: the venue may count a burst late; the client only knows each request was
    counted before its answer. With the first window's answers held 0.3 s (6 venue-s at speed 20),
    the 19th request leaves a full window after them, not 2.05 s after the burst was sent."""
    async with Emulator(seed=5, symbols=[SYMBOL], speed=20) as emu:
        async with RestClient(emu.env, emu.credentials, clock=emu.clock) as c:
            await c.sync_clock()
            emu.faults.add(Delay(seconds=0.3, endpoints=("open_orders",), count=18))
            await asyncio.gather(*(c.get_open_orders() for _ in range(19)))
        calls = [x.ts for x in emu.rest.calls if x.endpoint == "open_orders"]
        assert len(calls) == 19
        assert not [x for x in emu.rest.calls if x.code == 510]
        # the venue logs a call when it answers: the 18 of the first window at ~6 venue-s, the
        # 19th a window (2 s) after those answers (without the hold: at 2.05 s, logged first)
        calls.sort()
        assert calls[-1] - calls[-2] >= 2000 - 100


async def test_s20_order_endpoint_404s_trip_the_kill_switch(ex: Emulator, tmp_path: Path) -> None:
    alerts = RecordingAlert()
    journal = tmp_path / "j.db"
    kill = KillSwitchConfig(not_found_limit=3, not_found_window=60)
    async with manager(ex, journal, alerts=alerts, kill=kill) as em:
        keep = await em.submit(await resting(em))
        assert keep is not None
        fid = ex.faults.add(Http404(endpoints=("orders",)))
        for _ in range(3):
            with pytest.raises(EdgeError):
                await em.submit(await resting(em))
        assert em.kill_switch.tripped
        trip_ts = max(c.ts for c in ex.rest.calls)
        with pytest.raises(KillSwitchActive):
            await em.submit(await resting(em))
        await asyncio.sleep(0.3)  # cleanup keeps retrying against the 404s
        assert em.kill_switch.state is KillState.TRIPPED
        ex.faults.clear(fid)
        assert em._cleanup is not None
        await asyncio.wait_for(asyncio.shield(em._cleanup), 5)
        assert em.kill_switch.state is KillState.CONTAINED
        assert [r for r in ex.truth.orders() if r["state"] in (1, 2)] == []
        assert len(alerts.sent) == 1
        ok_creates_after = [c for c in create_calls(ex) if c.ts > trip_ts and c.code == 0]
        assert ok_creates_after == []
        assert any(c.endpoint == "order_cancel_all" and c.code == 0 for c in ex.rest.calls)
        await em.reconcile()
        check_i1(ex, em)
        check_i2(ex, em)
    # I8 across a restart with the same journal
    alerts2 = RecordingAlert()
    async with manager(ex, journal, alerts=alerts2, kill=kill) as em2:
        assert em2.kill_switch.tripped
        with pytest.raises(KillSwitchActive):
            await em2.submit(await resting(em2))
        assert alerts2.sent == []  # one alert in total
        em2.reset()
        order = await em2.submit(await resting(em2))
        assert order is not None
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
    async with manager(ex, journal, kill=kill) as em3:
        assert not em3.kill_switch.tripped  # the reset was persisted


async def test_s21_clock_skew_is_remeasured(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        syncs = em.rest.clock_syncs
        ex.faults.add(ClockOffset(ms=12_000))
        order = await em.submit(await resting(em))
        assert order is not None
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
        assert em.rest.clock_syncs > syncs
        assert abs(em.rest.offset_ms - 12_000) < 1000
        assert any(c.code == 513 for c in ex.rest.calls)
        check_i1(ex, em)
        await em.reconcile()
        check_i2(ex, em)
        settled(em)


class DriftClock:
    """A local clock that jumps 15 s forward every time it is read: skew that never settles."""

    def __init__(self) -> None:
        self.jumps = 0

    def time_ms(self) -> int:
        self.jumps += 1
        return time.time_ns() // 1_000_000 + 15_000 * self.jumps

    def monotonic(self) -> float:
        return time.monotonic()


async def test_s21_unrecoverable_skew_alerts_once(ex: Emulator, tmp_path: Path) -> None:
    alerts = RecordingAlert()
    rest = RestClient(ex.env, ex.credentials, clock=DriftClock(), retry_base=0.01)
    async with (
        rest,
        ExecutionManager(rest, journal_path=tmp_path / "j.db", alerts=alerts, config=FAST) as em,
    ):
        with pytest.raises(TradingOff):
            await em.submit(
                PlaceOrder(
                    symbol=SYMBOL,
                    side=TradeSide.OPEN_LONG,
                    kind=OrderKind.LIMIT,
                    vol=Decimal(1),
                    price=Decimal(1000),
                    leverage=10,
                )
            )
        await asyncio.sleep(0.05)
        assert [t for t, _ in alerts.sent] == ["clock skew"]
        assert "clock skew" in em.trading_off_reason
        assert any(c.code == 513 for c in ex.rest.calls)
        assert create_calls(ex) == []
        check_i1(ex, em)
        check_i2(ex, em)
        settled(em)
