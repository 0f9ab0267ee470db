"""Trigger, TP/SL and trailing pushes reach the strategy's view as they arrive (issue #15 item 2).

A ``StrategySession`` against the emulator with reconciliation pushed out to an hour: whatever
changes in ``view.conditionals(symbol)`` can only come from ``push.personal.plan.order`` /
``stop.planorder`` / ``track.order`` folded in by the execution manager (spec §7.8). Before, the
view followed the venue only at each reconciliation (every 5 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.common import ExecutionConfig
from mexc_futures.execution.cond_requests import CondState
from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide, TriggerWhen
from mexc_futures.strategy.api import LONG, Intents, Strategy, StrategyView, protect, trailing
from mexc_futures.strategy.api import trigger as trigger_order
from mexc_futures.strategy.session import StrategySession
from mexc_futures.transport.rest import RestClient

SYMBOL = "BTC_USDT"
TENTH = Decimal("0.1")
NO_RECONCILE = ExecutionConfig(symbols=(SYMBOL,), reconcile_interval=3600.0)
pytestmark = pytest.mark.timeout(60)


class Holder(Strategy):
    """Returns the intents it is given at start; nothing else."""

    name = "holder"
    channels = ("depth",)

    def __init__(self, intents: list[object]) -> None:
        super().__init__((SYMBOL,))
        self.intents = intents

    def on_start(self, view: StrategyView) -> Intents:
        return self.intents  # type: ignore[return-value]


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=5, symbols=[SYMBOL]) as emu:
        yield emu


async def _wait(cond: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``cond`` (reconciliation is off: only a push can make it true)."""
    for _ in range(int(seconds / 0.02)):
        if cond():
            return True
        await asyncio.sleep(0.02)
    return cond()


async def _last(rest: RestClient) -> Decimal:
    t = await rest.get_ticker(SYMBOL)
    return Decimal(str(t.last_price)).quantize(TENTH)


async def test_cancelled_outside_leaves_the_view_within_one_push(
    ex: Emulator, tmp_path: Path
) -> None:
    """A trigger, a TP/SL and a trailing stop the strategy placed are cancelled elsewhere (the
    web UI): the view drops each as its push arrives — no reconciliation runs."""
    async with RestClient(ex.env, ex.credentials) as web:
        await web.create_order(
            symbol=SYMBOL, side=1, order_type=5, vol=Decimal(2), open_type=1, leverage=10
        )
        last = await _last(web)
        intents: list[object] = [
            trigger_order(
                SYMBOL,
                TradeSide.OPEN_LONG,
                1,
                (last * Decimal("0.5")).quantize(TENTH),
                when=TriggerWhen.FALLS_TO,
                leverage=10,
            ),
            protect(SYMBOL, LONG, stop_loss=(last * Decimal("0.6")).quantize(TENTH)),
            trailing(
                SYMBOL,
                TradeSide.CLOSE_LONG,
                1,
                callback_rate="0.02",
                activation_price=(last * Decimal("1.5")).quantize(TENTH),
            ),
        ]
        session = StrategySession(
            Holder(intents),
            ex.env,
            ex.credentials,
            journal_path=tmp_path / "j.db",
            execution_config=NO_RECONCILE,
        )
        async with session:
            run = asyncio.create_task(session.run(30.0))
            view = session.engine.view
            assert await _wait(lambda: len(view.conditionals(SYMBOL)) == 3)
            live = {c.kind: c for c in view.conditionals(SYMBOL)}
            assert all(c.state is CondState.LIVE and c.venue_id for c in live.values())
            await web.cancel_plan_orders([(SYMBOL, live["trigger"].venue_id or "")])
            assert await _wait(lambda: "trigger" not in _kinds(view))
            await web.cancel_stop_orders([live["stop"].venue_id or ""])
            assert await _wait(lambda: "stop" not in _kinds(view))
            await web.cancel_track_order(SYMBOL, live["trailing"].venue_id)
            assert await _wait(lambda: "trailing" not in _kinds(view))
            assert [live[k].state for k in ("trigger", "stop", "trailing")] == [
                CondState.CANCELLED
            ] * 3
            session.stop()
            await run


def _kinds(view: StrategyView) -> set[str]:
    return {c.kind for c in view.conditionals(SYMBOL)}


async def test_fired_trigger_and_attached_tp_sl_follow_pushes(
    ex: Emulator, tmp_path: Path
) -> None:
    """A trigger that fires leaves the view as ``done``; the TP/SL the venue attaches to the
    strategy's filled order appears in the view — both from pushes alone."""
    async with RestClient(ex.env, ex.credentials) as web:
        last = await _last(web)
        fires = trigger_order(
            SYMBOL,
            TradeSide.OPEN_LONG,
            1,
            (last * Decimal("1.5")).quantize(TENTH),
            when=TriggerWhen.FALLS_TO,  # already true: the venue fires it on its next tick
            leverage=10,
        )
        with_sl = PlaceOrder(
            symbol=SYMBOL,
            side=TradeSide.OPEN_LONG,
            kind=OrderKind.MARKET,
            vol=Decimal(1),
            leverage=10,
            stop_loss_price=(last * Decimal("0.7")).quantize(TENTH),
        )
        session = StrategySession(
            Holder([fires, with_sl]),
            ex.env,
            ex.credentials,
            journal_path=tmp_path / "j.db",
            execution_config=NO_RECONCILE,
        )
        async with session:
            run = asyncio.create_task(session.run(30.0))
            conds = session.execution.conditionals
            assert await _wait(lambda: any(c.kind == "trigger" for c in conds.by_key.values()))
            (trig,) = [c for c in conds.by_key.values() if c.kind == "trigger"]
            assert await _wait(lambda: trig.state is CondState.DONE)
            assert await _wait(lambda: _kinds(session.engine.view) == {"stop"})
            (stop,) = session.engine.view.conditionals(SYMBOL)
            (venue,) = await web.get_stop_orders(SYMBOL)
            assert stop.venue_id == venue.id
            assert stop.state is CondState.LIVE
            session.stop()
            await run
