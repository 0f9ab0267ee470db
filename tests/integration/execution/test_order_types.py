"""Every order type end to end through the public API (issue #15): ``ExecutionManager.submit``
with the new intents against the emulator over loopback, the journal in real SQLite.

Per type: placed and visible at the venue, the venue's behaviour (trigger fires, TP/SL attached
with the asked trigger price), a crash between journal and send (resolved, not duplicated), a
lost answer (looked up, never resent) and the kill switch cancelling it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mexc_futures.emulator.server.faults import Http500
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import KillSwitchActive
from mexc_futures.execution.cond_requests import CondState
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.intents import (
    AmendStop,
    CancelConditional,
    CloseAll,
    OrderKind,
    PlaceBatch,
    PlaceOrder,
    PlaceStop,
    PlaceTrailing,
    PlaceTrigger,
    PriceType,
    ReversePosition,
    TradeSide,
    TriggerWhen,
)
from mexc_futures.model.killswitch import KillSwitchConfig
from mexc_futures.model.orders import OrderState
from tests.integration.execution.exec_helpers import SYMBOL, check_i1, manager

pytestmark = pytest.mark.timeout(40)
TENTH = Decimal("0.1")
CRASH_TAG, SAME_TAG = "crash-1", "same-1"  # client_key values


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=11, symbols=[SYMBOL, "ETH_USDT"]) as emu:
        yield emu


async def _last(em: ExecutionManager) -> Decimal:
    t = await em.rest.get_ticker(SYMBOL)
    return Decimal(str(t.last_price)).quantize(TENTH)


def _far_trigger(last: Decimal, **kw: Any) -> PlaceTrigger:
    """An open-long trigger far below the market: it waits."""
    return PlaceTrigger(
        symbol=SYMBOL,
        side=TradeSide.OPEN_LONG,
        vol=Decimal(1),
        trigger_price=(last * Decimal("0.5")).quantize(TENTH),
        when=TriggerWhen.FALLS_TO,
        leverage=10,
        **kw,
    )


async def _open_long(em: ExecutionManager, vol: int = 2, **kw: Any) -> None:
    order = await em.submit(
        PlaceOrder(
            symbol=SYMBOL,
            side=TradeSide.OPEN_LONG,
            kind=OrderKind.MARKET,
            vol=Decimal(vol),
            leverage=10,
            **kw,
        )
    )
    assert order is not None
    assert order.state is not OrderState.INVALID


def _plans(ex: Emulator) -> list[Any]:
    return [c for c in ex.rest.calls if c.endpoint in ("plan_place_v2", "plan_place")]


async def test_attached_sl_tp_use_the_asked_trigger_price(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        last = await _last(em)
        sl, tp = (last * Decimal("0.9")).quantize(TENTH), (last * Decimal("1.1")).quantize(TENTH)
        await _open_long(
            em,
            stop_loss_price=sl,
            take_profit_price=tp,
            stop_loss_trigger=PriceType.FAIR,
            take_profit_trigger=PriceType.INDEX,
        )
        stops = await em.rest.get_stop_orders(SYMBOL)
        assert len(stops) == 1
        assert (stops[0].stop_loss_price, stops[0].take_profit_price) == (sl, tp)
        assert (stops[0].loss_trend, stops[0].profit_trend) == (2, 3)
        await em.reconcile()  # the strategy view shows the stop the venue attached
        assert [c.venue_id for c in em.conditionals.live(SYMBOL)] == [stops[0].id]
        await em.reconcile()  # adopted once
        assert len(em.conditionals.by_key) == 1


async def test_trigger_order_fires_on_last_price(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        last = await _last(em)
        c = await em.submit(
            PlaceTrigger(
                symbol=SYMBOL,
                side=TradeSide.OPEN_LONG,
                vol=Decimal(1),
                trigger_price=(last * Decimal("1.5")).quantize(TENTH),
                when=TriggerWhen.FALLS_TO,  # true at once: fires on the next tick
                leverage=10,
            )
        )
        assert c.state is CondState.LIVE
        assert c.venue_id
        for _ in range(100):
            await em.conditionals.refresh()
            if c.state is CondState.DONE:
                break
            await asyncio.sleep(0.02)
        assert c.state is CondState.DONE
        positions = await em.rest.get_positions(SYMBOL)
        assert [(p.position_type, p.hold_vol) for p in positions] == [(1, Decimal(1))]


async def test_trigger_lost_answer_is_looked_up_not_resent(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Http500(after_accept=True, endpoints=("plan_place_v2",), count=1))
        c = await em.submit(_far_trigger(await _last(em), price_type=PriceType.INDEX))
        assert c.state is CondState.LIVE  # found by its own fields
        assert len(_plans(ex)) == 1  # never resent
        rows = await em.rest.list_plan_orders(SYMBOL, states="1")
        assert [r.id for r in rows] == [c.venue_id]
        assert rows[0].trend == 3


async def test_trigger_refused_before_accept_is_not_placed(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Http500(after_accept=False, endpoints=("plan_place_v2",), count=1))
        c = await em.submit(_far_trigger(await _last(em)))
        assert c.state is CondState.NOT_PLACED
        assert len(_plans(ex)) == 1
        assert await em.rest.list_plan_orders(SYMBOL, states="1") == []


def _crash_intent(kind: str, last: Decimal) -> tuple[Any, str, CondState]:
    """An intent of ``kind``, its endpoint and its state once found after a crash."""
    if kind == "trigger":
        return _far_trigger(last, client_key=CRASH_TAG), "plan_place_v2", CondState.LIVE
    if kind == "stop":
        sl = (last * Decimal("0.7")).quantize(TENTH)
        return PlaceStop(symbol=SYMBOL, position_side=1, stop_loss_price=sl), "stop_place", (
            CondState.LIVE
        )
    if kind == "trailing":
        trail = PlaceTrailing(
            symbol=SYMBOL,
            side=TradeSide.CLOSE_LONG,
            vol=Decimal(1),
            callback_rate=Decimal("0.01"),
            activation_price=(last * Decimal("1.5")).quantize(TENTH),
        )
        return trail, "track_place", CondState.LIVE
    if kind == "reverse":
        return ReversePosition(symbol=SYMBOL, position_side=1), "reverse_position", CondState.DONE
    return CloseAll(), "close_all_positions", CondState.DONE


@pytest.mark.parametrize("sent", [False, True])
@pytest.mark.parametrize("kind", ["trigger", "stop", "trailing", "reverse", "close_all"])
async def test_crash_between_journal_and_send_resolves_at_start(
    ex: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, sent: bool
) -> None:
    """The process dies after the journal commit (``sent``: and after the venue accepted):
    the next start looks the row up, never sends it again, and only then allows orders."""
    journal = tmp_path / "j.db"
    async with manager(ex, journal) as em:
        await _open_long(em)
        intent, endpoint, found = _crash_intent(kind, await _last(em))
        real_send = em.conditionals._send

        async def crash(kind: str, body: object) -> str | None:
            if sent:
                await real_send(kind, body)
            raise asyncio.CancelledError  # the process is gone: no answer handled

        monkeypatch.setattr(em.conditionals, "_send", crash)
        with pytest.raises(asyncio.CancelledError):
            await em.submit(intent)
        (row,) = em.conditionals.by_key.values()
        assert row.state is CondState.PENDING_SUBMIT
    monkeypatch.undo()
    async with manager(ex, journal) as em2:
        (row,) = em2.conditionals.by_key.values()
        assert row.state is (found if sent else CondState.NOT_PLACED)
        assert em2.ready
        calls = [c for c in ex.rest.calls if c.endpoint == endpoint]
        assert len(calls) == (1 if sent else 0)  # never resent by the restart
        if kind == "trigger":
            live = await em2.rest.list_plan_orders(SYMBOL, states="1")
            assert [r.id for r in live] == ([row.venue_id] if sent else [])


async def test_same_client_key_is_one_trigger(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        last = await _last(em)
        a = await em.submit(_far_trigger(last, client_key=SAME_TAG))
        b = await em.submit(_far_trigger(last, client_key=SAME_TAG))
        assert a is b
        assert len(_plans(ex)) == 1


async def test_stop_on_position_amend_and_cancel(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        await _open_long(em)
        last = await _last(em)
        stop = await em.submit(
            PlaceStop(
                symbol=SYMBOL,
                position_side=1,
                stop_loss_price=(last * Decimal("0.8")).quantize(TENTH),
                take_profit_price=(last * Decimal("1.2")).quantize(TENTH),
                stop_loss_trigger=PriceType.FAIR,
            )
        )
        assert stop.state is CondState.LIVE
        assert stop.venue_id
        new_sl = (last * Decimal("0.85")).quantize(TENTH)
        amend = await em.submit(
            AmendStop(symbol=SYMBOL, stop_id=stop.venue_id, stop_loss_price=new_sl)
        )
        assert amend.state is CondState.DONE
        row = await em.rest.get_stop_order(stop.venue_id)
        assert row.stop_loss_price == new_sl
        assert row.loss_trend == 2
        assert [c.key for c in em.conditionals.live(SYMBOL)] == [stop.key]
        await em.submit(CancelConditional(symbol=SYMBOL, kind="stop", venue_id=stop.venue_id))
        await em.conditionals.refresh()
        assert stop.state is CondState.CANCELLED
        assert await em.rest.get_stop_orders(SYMBOL) == []


async def test_reverse_and_close_all(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        await _open_long(em, 3)
        rev = await em.submit(ReversePosition(symbol=SYMBOL, position_side=1))
        assert rev.state is CondState.DONE
        positions = await em.rest.get_positions(SYMBOL)
        assert [(p.position_type, p.hold_vol) for p in positions] == [(2, Decimal(3))]
        done = await em.submit(CloseAll())
        assert done.state is CondState.DONE
        assert await em.rest.get_positions() == []


async def test_batch_per_order_outcomes_one_transaction(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        last = await _last(em)

        def buy(px: str, vol: int) -> PlaceOrder:
            return PlaceOrder(
                symbol=SYMBOL,
                side=TradeSide.OPEN_LONG,
                kind=OrderKind.LIMIT,
                vol=Decimal(vol),
                price=(last * Decimal(px)).quantize(TENTH),
                leverage=10,
            )

        orders = await em.submit(PlaceBatch(orders=(buy("0.9", 1), buy("0.91", 2))))
        assert [o.state for o in orders] == [OrderState.PENDING, OrderState.PENDING]
        assert all(o.order_id for o in orders)
        assert em.journal is not None
        assert all(em.journal.get(o.external_oid) is not None for o in orders)
        # a lost answer: every order looked up by externalOid, none resent
        ex.faults.add(Http500(after_accept=True, endpoints=("order_submit_batch",), count=1))
        more = await em.submit(PlaceBatch(orders=(buy("0.92", 1), buy("0.93", 1))))
        assert all(o.order_id for o in more)
        assert len([c for c in ex.rest.calls if c.endpoint == "order_submit_batch"]) == 2
        check_i1(ex, em)


async def test_kill_switch_cancels_triggers_and_stops_and_flattens(
    ex: Emulator, tmp_path: Path
) -> None:
    kill = KillSwitchConfig(flatten_on_trip=True)
    async with manager(ex, tmp_path / "j.db", kill=kill) as em:
        await _open_long(em)
        last = await _last(em)
        trig = await em.submit(_far_trigger(last))
        stop = await em.submit(
            PlaceStop(
                symbol=SYMBOL,
                position_side=1,
                stop_loss_price=(last * Decimal("0.7")).quantize(TENTH),
            )
        )
        resting = PlaceOrder(
            symbol=SYMBOL,
            side=TradeSide.OPEN_LONG,
            kind=OrderKind.LIMIT,
            vol=Decimal(1),
            price=(last * Decimal("0.9")).quantize(TENTH),
            leverage=10,
        )
        batch = await em.submit(PlaceBatch(orders=(resting, resting)))
        await em.trip("operator", "test")
        assert await em.rest.get_open_orders() == []
        assert [o.state for o in batch] == [OrderState.CANCELLED, OrderState.CANCELLED]
        assert await em.rest.list_plan_orders(SYMBOL, states="1") == []
        assert await em.rest.get_stop_orders(SYMBOL) == []
        assert await em.rest.get_positions() == []  # flattened and verified
        assert trig.state is CondState.CANCELLED
        assert stop.state in (CondState.CANCELLED, CondState.FAILED)
        with pytest.raises(KillSwitchActive):
            await em.submit(_far_trigger(last))
        assert len(_plans(ex)) == 1


async def test_readme_strategy_protects_its_position(ex: Emulator, tmp_path: Path) -> None:
    """The README's strategy, run from the README's own text: on its long position it returns
    ``protect(...)``; the intent goes through ``submit`` and the view's ``conditionals`` then
    shows the stop (so it is not sent again)."""
    from mexc_futures.protocol.convert import position_update
    from mexc_futures.strategy.account import AccountState
    from mexc_futures.strategy.api import StrategyView, dispatch
    from tests.integration.readme_support import PROTECT, blocks

    (code,) = blocks(PROTECT, "python")
    scope: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), scope)  # the README's own snippet
    protected = scope["Protected"]

    async with manager(ex, tmp_path / "j.db") as em:
        await _open_long(em)
        view = StrategyView(
            now_ms=lambda: 0,
            account=AccountState(),
            tops={},
            specs=em.specs,
            conditionals=em.conditionals.live,
        )
        (row,) = await em.rest.get_positions(SYMBOL)
        event = position_update(row)
        (intent,) = dispatch(protected(), event, view)
        assert isinstance(intent, PlaceStop)
        entry = row.open_avg_price
        assert intent.stop_loss_price == em.specs[SYMBOL].round_price(entry * Decimal("0.98"))
        stop = await em.submit(intent)
        assert stop.state is CondState.LIVE
        assert [c.venue_id for c in view.conditionals(SYMBOL)] == [stop.venue_id]
        assert dispatch(protected(), event, view) == []
        (venue,) = await em.rest.get_stop_orders(SYMBOL)
        assert venue.stop_loss_price == intent.stop_loss_price


@pytest.mark.parametrize("accepted", [True, False])
async def test_reverse_lost_answer_resolved_by_positions(
    ex: Emulator, tmp_path: Path, accepted: bool
) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        await _open_long(em, 2)
        ex.faults.add(Http500(after_accept=accepted, endpoints=("reverse_position",), count=1))
        rev = await em.submit(ReversePosition(symbol=SYMBOL, position_side=1))
        assert rev.state is (CondState.DONE if accepted else CondState.NOT_PLACED)
        sides = [p.position_type for p in await em.rest.get_positions(SYMBOL)]
        assert sides == ([2] if accepted else [1])  # reversed once, or not at all: never twice
        assert len([c for c in ex.rest.calls if c.endpoint == "reverse_position"]) == 1


async def test_trailing_order_place_list_and_kill_cancels_it(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        await _open_long(em)
        last = await _last(em)
        trail = await em.submit(
            PlaceTrailing(
                symbol=SYMBOL,
                side=TradeSide.CLOSE_LONG,
                vol=Decimal(1),
                callback_rate=Decimal("0.02"),
                activation_price=(last * Decimal("1.5")).quantize(TENTH),
                price_type=PriceType.FAIR,
            )
        )
        assert trail.state is CondState.LIVE
        rows = await em.rest.list_track_orders(SYMBOL, states="0,1")
        assert [r.id for r in rows] == [trail.venue_id]
        assert rows[0].back_value == Decimal("0.02")
        assert rows[0].trend == 2
        await em.trip("operator", "test")
        assert await em.rest.list_track_orders(SYMBOL, states="0,1") == []
        assert trail.state is CondState.CANCELLED


async def test_trailing_lost_answer_is_looked_up_not_resent(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        ex.faults.add(Http500(after_accept=True, endpoints=("track_place",), count=1))
        last = await _last(em)
        trail = await em.submit(
            PlaceTrailing(
                symbol=SYMBOL,
                side=TradeSide.OPEN_LONG,
                vol=Decimal(1),
                callback_distance=Decimal(50),
                activation_price=(last * Decimal("0.5")).quantize(TENTH),
                leverage=10,
            )
        )
        assert trail.state is CondState.LIVE
        assert len([c for c in ex.rest.calls if c.endpoint == "track_place"]) == 1
