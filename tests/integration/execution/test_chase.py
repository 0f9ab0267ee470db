"""Chase-limit orders end to end through the public API (issue #15 item 1): ``PlaceChase`` via
``ExecutionManager.submit`` against the emulator over loopback, the journal in real SQLite.

The venue moves a chased order in place to its own side's best price by default (fidelity row
11's most likely reading); the other readings — the opposite side's best (spec §5.3) and
cancel-and-replace — are one ``VenueRules`` switch away and the client is checked against each.
Plus: the limit is never passed, a crash between journal and send (resolved, never sent twice),
a lost move answer (read back, never resent) and the kill switch cancelling the chase.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mexc_futures.emulator.server.faults import Http500
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.venue.rules import VenueRules
from mexc_futures.errors import KillSwitchActive
from mexc_futures.execution.chase import ChaseState, TrackedChase
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.intents import PlaceChase, TradeSide
from mexc_futures.model.orders import OrderState
from tests.integration.execution.exec_helpers import SYMBOL, check_i1, manager

pytestmark = pytest.mark.timeout(60)
CRASH_TAG, AFTER_TAG = "crash", "after"  # client_key values
QUIET = {"flow_rate": 0.0}  # a still book: every move in these tests is the chase's


def _emulator(**rules: Any) -> Emulator:
    return Emulator(
        seed=13, symbols=[SYMBOL], venue_options={**QUIET, "rules": VenueRules(**rules)}
    )


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with _emulator() as emu:
        yield emu


async def _top(em: ExecutionManager) -> tuple[Decimal, Decimal, Decimal]:
    """Best bid, best ask and the tick."""
    t = await em.rest.get_ticker(SYMBOL)
    assert t.bid1 is not None
    assert t.ask1 is not None
    return Decimal(str(t.bid1)), Decimal(str(t.ask1)), em.specs[SYMBOL].price_unit


def _behind(bid: Decimal, tick: Decimal, **kw: Any) -> PlaceChase:
    """A chase buy starting five ticks under the best bid: the book has left it behind."""
    return PlaceChase(
        symbol=SYMBOL, side=TradeSide.OPEN_LONG, vol=Decimal(1), leverage=10,
        price=bid - 5 * tick, **kw,
    )


async def _settled(c: TrackedChase, until: Callable[[], bool] | None = None) -> None:
    for _ in range(250):
        if not c.busy and (until is None or until()):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"chase did not settle: {c}")


def _moves(ex: Emulator) -> int:
    return len([c for c in ex.rest.calls if c.endpoint == "order_chase"])


async def test_chase_moves_its_order_to_the_best_bid_in_place(
    ex: Emulator, tmp_path: Path
) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        c = await em.submit(_behind(bid, tick))
        assert (c.state, c.price) == (ChaseState.LIVE, bid - 5 * tick)
        order = em.order(c.oid)
        assert order is not None
        assert order.order_id
        first_id = order.order_id
        em.chases.on_top(SYMBOL, bid, ask)
        await _settled(c, lambda: c.moves == 1)
        assert c.price == bid
        row = await em.rest.get_order(first_id)
        assert (row.price, row.state, row.external_oid) == (bid, 2, c.oid)  # same order, moved
        em.chases.on_top(SYMBOL, bid, ask)  # at the best now: nothing to do
        await asyncio.sleep(0.05)
        assert _moves(ex) == 1
        assert em.journal is not None
        saved = em.journal.db.execute("SELECT state, price, moves FROM chases").fetchall()
        assert saved == [("live", str(bid), 1)]
        check_i1(ex, em)


async def test_the_limit_is_never_passed(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        low = await em.submit(_behind(bid, tick, limit_price=bid - 2 * tick))
        # the venue might move a buy to either best (row 11): the ask must be inside too
        inside_bid = await em.submit(_behind(bid, tick, limit_price=bid, client_key="b"))
        em.chases.on_top(SYMBOL, bid, ask)
        await asyncio.sleep(0.1)
        assert _moves(ex) == 0
        assert (low.price, inside_bid.price) == (bid - 5 * tick, bid - 5 * tick)
        capped = await em.submit(
            PlaceChase(symbol=SYMBOL, side=TradeSide.OPEN_LONG, vol=Decimal(1), leverage=10,
                       limit_price=bid - 3 * tick, client_key="c")
        )
        assert capped.price == bid - 3 * tick  # starts at the best bid, capped by the limit


@pytest.mark.parametrize("reading", ["opposite", "replace"])
async def test_the_other_venue_readings(tmp_path: Path, reading: str) -> None:
    """Row 11's other readings: moved to the best ask, the buy takes it and the chase ends
    filled; cancelled and replaced, the replacement is adopted and the chase goes on."""
    rules = {"chase_side": "opposite"} if reading == "opposite" else {"chase": "replace"}
    async with _emulator(**rules) as emu, manager(emu, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        c = await em.submit(_behind(bid, tick))
        em.chases.on_top(SYMBOL, bid, ask)
        await _settled(c, lambda: _moves(emu) == 1)
        order = em.order(c.oid)
        assert order is not None
        if reading == "opposite":
            assert c.state is ChaseState.FILLED
            assert order.state is OrderState.FILLED
            assert (await em.rest.get_positions(SYMBOL))[0].hold_vol == 1
        else:
            assert c.state is ChaseState.LIVE
            (venue,) = await em.rest.get_open_orders()
            assert order.order_id == venue.order_id  # the replacement is ours now
            assert c.price == venue.price == bid
            await em.trip("operator", "test")  # and the kill switch cancels it
            assert await em.rest.get_open_orders() == []
            assert em.chases.live() == []


@pytest.mark.parametrize("crash_at", ["chase_row", "order_row", "after_send"])
async def test_crash_between_journal_and_send_resolves_at_start(
    ex: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash_at: str
) -> None:
    """The process dies after the chase row (and the order row; and the create reached the
    venue): the next start resolves it by the order's externalOid, never sends it twice, and a
    chase whose order is live goes on chasing."""
    journal = tmp_path / "j.db"
    async with manager(ex, journal) as em:
        bid, ask, tick = await _top(em)
        if crash_at == "chase_row":

            async def no_place(_order: object) -> None:
                raise asyncio.CancelledError  # the process is gone

            monkeypatch.setattr(em.chases, "_place", no_place)
        else:
            real = em.rest.begin_create

            def send(body: Any, **kw: Any) -> Any:
                if crash_at == "order_row":
                    raise asyncio.CancelledError  # journaled, never written

                async def sent_then_die() -> Any:
                    await real(body, **kw)
                    raise asyncio.CancelledError  # the answer is never handled

                return sent_then_die()

            monkeypatch.setattr(em.rest, "begin_create", send)
        with pytest.raises(asyncio.CancelledError):
            await em.submit(_behind(bid, tick, client_key=CRASH_TAG))
    monkeypatch.undo()
    async with manager(ex, journal) as em2:
        assert em2.ready
        (c,) = em2.chases.by_key.values()
        creates = [x for x in ex.rest.calls if x.endpoint == "order_create"]
        if crash_at == "after_send":
            assert c.state is ChaseState.LIVE
            assert len(creates) == 1  # found, not resent
            em2.chases.on_top(SYMBOL, bid, ask)
            await _settled(c, lambda: c.moves == 1)
            (venue,) = await em2.rest.get_open_orders()
            assert (venue.external_oid, venue.price) == (c.oid, bid)
        else:
            assert c.state is ChaseState.NOT_PLACED
            assert creates == []
            assert await em2.rest.get_open_orders() == []
        check_i1(ex, em2)


async def test_a_lost_move_answer_is_read_back_not_resent(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        c = await em.submit(_behind(bid, tick))
        ex.faults.add(Http500(after_accept=True, endpoints=("order_chase",), count=1))
        em.chases.on_top(SYMBOL, bid, ask)
        await _settled(c, lambda: c.price == bid)
        assert _moves(ex) == 1
        assert c.state is ChaseState.LIVE


async def test_kill_switch_cancels_the_chase_and_stops_it(ex: Emulator, tmp_path: Path) -> None:
    async with manager(ex, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        c = await em.submit(_behind(bid, tick))
        await em.trip("operator", "test")
        assert await em.rest.get_open_orders() == []
        assert em.chases.live() == []
        assert c.state is ChaseState.CANCELLED
        em.chases.on_top(SYMBOL, bid, ask)
        await asyncio.sleep(0.05)
        assert _moves(ex) == 0
        with pytest.raises(KillSwitchActive):
            await em.submit(_behind(bid, tick, client_key=AFTER_TAG))


async def test_a_strategy_chases_through_the_session(tmp_path: Path) -> None:
    """``chase(...)`` returned by a strategy: the session feeds its book updates to the chase,
    which moves the order to the best bid without anything else asked."""
    from mexc_futures.strategy.api import Intents, Strategy, StrategyView, chase
    from mexc_futures.strategy.session import StrategySession
    from mexc_futures.transport.rest import RestClient

    class Chaser(Strategy):
        name = "chaser"
        channels = ("depth",)

        def __init__(self, start: Decimal) -> None:
            super().__init__((SYMBOL,))
            self.start = start

        def on_start(self, view: StrategyView) -> Intents:
            return [chase(SYMBOL, TradeSide.OPEN_LONG, 1, price=self.start, leverage=10)]

    async with _emulator() as emu:
        async with RestClient(emu.env, emu.credentials) as rest:
            t = await rest.get_ticker(SYMBOL)
            tick = (await rest.get_contract_spec(SYMBOL)).price_unit
        bid = Decimal(str(t.bid1))
        session = StrategySession(
            Chaser(bid - 5 * tick), emu.env, emu.credentials, journal_path=tmp_path / "j.db"
        )
        async with session:
            run = asyncio.create_task(session.run(30.0))
            chases = session.execution.chases
            for _ in range(250):
                moved = [c for c in chases.by_key.values() if c.moves and not c.busy]
                if moved:
                    break
                await asyncio.sleep(0.02)
            (c,) = moved
            assert (c.state, c.price) == (ChaseState.LIVE, bid)
            session.stop()
            await run
        assert c.state is ChaseState.CANCELLED  # on_stop's CancelAll took it with the rest


async def test_a_lost_create_answer_is_looked_up_not_resent(ex: Emulator, tmp_path: Path) -> None:
    """The chase's order/create answer is lost after the venue accepted it: the order is found
    by its ``externalOid``, never sent twice, and the chase goes on."""
    async with manager(ex, tmp_path / "j.db") as em:
        bid, ask, tick = await _top(em)
        ex.faults.add(Http500(after_accept=True, endpoints=("order_create",), count=1))
        c = await em.submit(_behind(bid, tick))
        assert c.state is ChaseState.LIVE
        assert len([x for x in ex.rest.calls if x.endpoint == "order_create"]) == 1
        em.chases.on_top(SYMBOL, bid, ask)
        await _settled(c, lambda: c.moves == 1)
        (venue,) = await em.rest.get_open_orders()
        assert (venue.external_oid, venue.price) == (c.oid, bid)
        check_i1(ex, em)


async def test_a_failed_chase_push_is_noted_on_the_symbols_chases(
    ex: Emulator, tmp_path: Path
) -> None:
    """``push.personal.order.chase`` (the Mexc.Net fixture's frame, decoded by the client) names
    a symbol and an error code, no order: the symbol's live chases carry it in ``detail``."""
    from mexc_futures.protocol.codec import decode_frame

    frame = b'{"channel":"push.personal.order.chase","data":{"ec":1001,"s":"BTC_USDT"},"ts":1}'
    async with manager(ex, tmp_path / "j.db") as em:
        bid, _ask, tick = await _top(em)
        c = await em.submit(_behind(bid, tick))
        assert em.chases.on_push(decode_frame(frame))
        assert not em.chases.on_push(object())
        assert "code 1001" in c.detail
        assert c.state is ChaseState.LIVE  # the order's rows decide, not this push
