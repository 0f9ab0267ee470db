"""Execution under the reliability audit's attacks (issue #12): each test is one audit defect,
run against the emulator over loopback, and failed on the code before its fix.

* D1  ``kill`` from another manager on the same journal stops a running one within 1 s, and no
      create reaches the venue after ``kill`` returns.
* D2  an amend whose answer is lost: the venue's replacement is tracked, nothing live untracked.
* D4  journaled orders the venue never saw resolve ``invalid``; no ``ready`` before that; no risk
      slot held by a phantom.
* D8  a terminal order journaled without its fills gets them at the next start.
* D12 a garbled or deeply nested 2xx answer to a create is fate-unknown, never an exception.
* D13 a restart does not re-fetch fills it already journaled.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.config import Environment
from mexc_futures.emulator.server.faults import Delay, Http500
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import KillSwitchActive
from mexc_futures.execution import ExecutionManager, TradingOff
from mexc_futures.execution.journal import Journal
from mexc_futures.model.intents import AmendOrder, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.orders import OrderState
from mexc_futures.transport.rest import RestClient
from tests.integration.execution.exec_helpers import (
    FAST,
    SYMBOL,
    create_calls,
    crossing,
    manager,
    rest_for,
    resting,
)
from tests.integration.execution.garble_proxy import NESTED, Proxy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=12, symbols=[SYMBOL]) as emu:
        yield emu


def ok_creates(ex: Emulator) -> int:
    return sum(1 for c in create_calls(ex) if c.code == 0 and c.http_status == 200)


async def test_d1_kill_from_another_manager_stops_a_running_one(
    ex: Emulator, tmp_path: Path
) -> None:
    """Reliability D1: the running manager reads the latch within ``kill_watch_interval``; after
    ``kill`` (trip, wait for the others, verify) returns, no create reaches the venue."""
    journal = tmp_path / "j.db"
    refused: list[BaseException] = []
    async with manager(ex, journal) as runner:
        intent = await resting(runner, away="0.8")

        async def trade() -> None:  # a strategy placing an order every 20 ms
            while True:
                try:
                    await runner.submit(intent)
                except KillSwitchActive as e:
                    refused.append(e)
                await asyncio.sleep(0.02)

        task = asyncio.create_task(trade())
        await asyncio.sleep(0.3)
        assert ok_creates(ex) > 0
        async with manager(ex, journal) as killer:
            await killer.trip("operator", "test kill")
            stopped = getattr(killer, "stop_others", None)
            others = await stopped(5.0) if stopped else []
            if others:
                await killer.verify_contained()
            after_kill = ok_creates(ex)
            t_kill = asyncio.get_running_loop().time()
        await asyncio.sleep(1.0)  # the bound: 1 s
        try:
            assert runner.kill_switch.tripped, "the running manager never saw the kill"
            assert ok_creates(ex) == after_kill, "creates reached the venue after kill returned"
            assert refused, "the running strategy was never refused"
            live = [o for o in ex.truth.orders() if o["state"] in (1, 2)]
            assert live == []
            [(session, took)] = others
            assert session.session_id == runner.session_id
            assert took is not None
            assert took <= 1.0
            assert asyncio.get_running_loop().time() - t_kill >= 1.0
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


async def test_d1_latch_refuses_the_journal_insert(ex: Emulator, tmp_path: Path) -> None:
    """The latch is checked inside the journal's insert: even before the watcher's next read, an
    order submitted after another process latched is refused and never sent."""
    journal = tmp_path / "j.db"
    slow = dataclasses.replace(FAST, kill_watch_interval=3600.0)
    async with manager(ex, journal, config=slow) as runner:
        intent = await resting(runner, away="0.8")
        async with manager(ex, journal) as killer:
            await killer.trip("operator", "test kill")
        before = len(create_calls(ex))
        with pytest.raises(KillSwitchActive):
            await runner.submit(intent)
        assert len(create_calls(ex)) == before
        assert runner.kill_switch.tripped


async def test_d4_journaled_orders_the_venue_never_saw_resolve_invalid(
    ex: Emulator, tmp_path: Path
) -> None:
    """Reliability D4: what 20 crashes "after the journal commit, before the send" leave
    behind. Start-up resolves each row ``invalid`` (no illegal transition), ``ready`` only then,
    and the phantoms hold no risk slot: a new order is accepted under a 20-order limit."""
    journal = tmp_path / "j.db"
    async with manager(ex, tmp_path / "probe.db") as probe:
        intent = await resting(probe, away="0.8")
    j = Journal(journal)
    j.start_session("crashed-session", 0)
    for _ in range(20):
        oid, seq = j.new_oid(None)
        j.record_intent(oid, seq, intent, 0)
    j.close()
    async with manager(ex, journal) as em:
        assert em.ready
        states = {o.state for o in em.tracker.by_oid.values()}
        assert states == {OrderState.INVALID}
        assert em.tracker.illegal == 0
        assert em.tracker.live_count == {}
        order = await em.submit(intent)
        assert order is not None
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
    rows = Journal(journal).orders(live_only=False)
    assert sorted(r.state.value for r in rows).count("invalid") == 20


async def test_d4_not_ready_while_a_journaled_order_is_unresolved(
    ex: Emulator, tmp_path: Path
) -> None:
    """Start-up with the venue's order lookups failing: the manager must not report ready (old
    code did) and refuses new orders until a later pass resolves the row."""
    journal = tmp_path / "j.db"
    async with manager(ex, tmp_path / "probe.db") as probe:
        intent = await resting(probe, away="0.8")
    j = Journal(journal)
    j.start_session("crashed-session", 0)
    oid, seq = j.new_oid(None)
    j.record_intent(oid, seq, intent, 0)
    j.close()
    ex.faults.add(Http500(endpoints=("order_get_external",), count=None))
    async with manager(ex, journal) as em:
        assert not em.ready
        with pytest.raises(TradingOff):
            await em.submit(intent)
        ex.faults.clear()
        await em.reconcile()
        em._set_ready()
        assert em.ready
        assert em.order(oid) is not None
        assert em.order(oid).state is OrderState.INVALID  # type: ignore[union-attr]


async def test_d8_terminal_order_journaled_without_its_fills_gets_them_at_start(
    ex: Emulator, tmp_path: Path
) -> None:
    """Reliability D8: the crash left the order ``filled`` in the journal and none of its fills
    (state written, process killed before ``order_deal_details`` answered). The next start
    fetches them: journal fills == venue fills."""
    journal = tmp_path / "j.db"
    async with manager(ex, journal) as em:
        order = await em.submit(await crossing(em, vol=2))
        assert order is not None
        assert order.order_id is not None
    rows = [r for r in ex.truth.orders() if r["externalOid"] == order.external_oid]
    assert rows[-1]["state"] == 3
    j = Journal(journal)
    crashed = dataclasses.replace(order, state=OrderState.FILLED, filled=Decimal(2))
    j.update_order(crashed, 1)  # what the crash left: final state, no fill rows
    assert j.fill_count() == 0
    j.close()
    async with manager(ex, journal) as em:
        venue = await em.rest.get_deal_details(order.order_id)
        assert venue
        assert em.journal is not None
        assert em.journal.fill_count() == len(venue)
        assert em.order(order.external_oid) is not None


async def test_d13_restart_does_not_refetch_journaled_fills(ex: Emulator, tmp_path: Path) -> None:
    """Reliability D13: a partially filled live order reloaded after a restart knows its
    journaled fills; reconciliation passes do not fetch its deal details again."""
    journal = tmp_path / "j.db"
    async with manager(ex, journal) as em:
        depth = await em.rest.get_depth(SYMBOL, 5)
        ask = depth.asks[0]
        order = await em.submit(
            PlaceOrder(
                symbol=SYMBOL,
                side=TradeSide.OPEN_LONG,
                kind=OrderKind.LIMIT,
                vol=Decimal(int(ask.vol) + 5),
                price=Decimal(str(ask.price)),
                leverage=10,
            )
        )
        assert order is not None
        # no more flow: a later fill of the resting rest would be a new fill, fetched rightly
        # (the flake of a loaded machine: 2 == 1 fetches after the restart)
        ex.venue.pause(SYMBOL)
        await asyncio.sleep(0.2)
        await em.reconcile()
        assert order.state is OrderState.OPEN
        assert Decimal(0) < order.fill_sum < order.vol
    async with manager(ex, journal) as em:
        again = em.order(order.external_oid)
        assert again is not None
        assert again.fill_sum == order.fill_sum
        before = sum(1 for c in ex.rest.calls if c.endpoint == "order_deal_details")
        for _ in range(3):
            await em.reconcile()
        after = sum(1 for c in ex.rest.calls if c.endpoint == "order_deal_details")
        assert after == before


@pytest.fixture
async def proxied(ex: Emulator) -> AsyncIterator[tuple[Proxy, Environment]]:
    px = Proxy(ex.port)
    await px.start()
    try:
        yield px, Environment.local("127.0.0.1", px.port)
    finally:
        await px.stop()


@pytest.mark.parametrize(
    ("mode", "body"),
    [
        ("garble", b"{{{{{"),  # the venue acted; the answer is not JSON
        ("garble", NESTED),  # the venue acted; msgspec raises RecursionError
        ("garble", b'{"success":true,"code":0,"data":[1,2]}'),  # a drifted shape
        ("garble_drop", b"{{{{{"),  # the venue never saw the request
    ],
    ids=["garbled", "nested", "drifted", "garbled-never-seen"],
)
async def test_d12_undecodable_create_answer_is_fate_unknown(
    ex: Emulator,
    proxied: tuple[Proxy, Environment],
    tmp_path: Path,
    mode: str,
    body: bytes,
) -> None:
    """Reliability D12 / fidelity row 3: ``submit`` returns the order resolved by lookup (never
    raises ``MalformedFrame`` / ``ProtocolDriftError`` / a raw ``RecursionError``), and the
    failed answer counts toward the kill switch's error rate."""
    px, env = proxied
    async with (
        RestClient(env, ex.credentials, retry_base=0.01, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=tmp_path / "j.db", config=FAST) as em,
    ):
        intent = await resting(em, away="0.8")
        bad_before = sum(1 for _, ok in em.kill_switch._outcomes if not ok)
        px.set(mode, b"/order/create", body)
        order = await em.submit(intent)
        assert px.hits == 1
        assert order is not None
        accepted = ex.truth.order_count(order.external_oid)
        assert accepted == (1 if mode == "garble" else 0)
        expected = {OrderState.PENDING, OrderState.OPEN} if accepted else {OrderState.INVALID}
        assert order.state in expected
        bad_after = sum(1 for _, ok in em.kill_switch._outcomes if not ok)
        assert bad_after > bad_before


async def test_fidelity4_data_null_lookup_means_not_found_yet(
    ex: Emulator, proxied: tuple[Proxy, Environment], tmp_path: Path
) -> None:
    """Fidelity row 4: a lookup answered ``success:true, data:null`` is "not found (yet)": the
    unknown create resolves ``invalid`` after the grace instead of aborting reconciliation."""
    px, env = proxied
    async with (
        RestClient(env, ex.credentials, retry_base=0.01, timeout=2.0) as rest,
        ExecutionManager(rest, journal_path=tmp_path / "j.db", config=FAST) as em,
    ):
        intent = await resting(em, away="0.8")
        px.set("garble_drop", b"/order/create", b"{{{{{")
        px.set("garble", b"/order/external/", b'{"success":true,"code":0,"data":null}', 100)
        order = await em.submit(intent)
        assert order is not None
        assert order.state is OrderState.INVALID
        assert px.hits > 2


def untracked_live(ex: Emulator, em: ExecutionManager) -> list[object]:
    """Open orders at the venue that the manager neither tracks nor lists as foreign."""
    known = {o.order_id for o in em.tracker.by_oid.values()} | set(em.foreign_orders)
    return [r for r in ex.truth.orders() if r["state"] in (1, 2) and r["orderId"] not in known]


@pytest.mark.parametrize("fault", ["500-after-accept", "timeout-executed"])
async def test_d2_lost_amend_answer_tracks_the_replacement(
    ex: Emulator, tmp_path: Path, fault: str
) -> None:
    """Reliability D2: the amend's answer is lost after the venue replaced the order. The
    manager must track the replacement (its new id, open, at the new price); the old code
    resolved the order ``cancelled`` and left the replacement live and untracked."""
    async with manager(ex, tmp_path / "j.db") as em:
        order = await em.submit(await resting(em, away="0.8"))
        assert order is not None
        assert order.order_id is not None
        original = order.order_id
        assert order.price is not None
        new_price = order.price - em.specs[SYMBOL].price_unit
        if fault == "500-after-accept":
            ex.faults.add(Http500(after_accept=True, endpoints=("order_change_limit",)))
        else:
            ex.faults.add(Delay(seconds=2.5, execute=True, endpoints=("order_change_limit",)))
        await em.submit(
            AmendOrder(symbol=SYMBOL, order_id=original, price=new_price, vol=Decimal(1))
        )
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
        assert order.order_id != original
        assert order.price == new_price
        await em.reconcile()
        assert untracked_live(ex, em) == []
        [live] = [r for r in ex.truth.orders() if r["state"] in (1, 2)]
        assert live["orderId"] == order.order_id
        assert em.foreign_orders == {}


async def test_d2_foreign_open_orders_are_visible_and_left_alone(
    ex: Emulator, tmp_path: Path
) -> None:
    """Reliability D2 / ux finding 2: an open order placed elsewhere (web UI, another bot) is
    reported by reconciliation (foreign_orders, a journal event), never ignored silently and
    never cancelled by default; ``foreign_orders='cancel'`` cancels it."""
    async with manager(ex, tmp_path / "j.db") as em:
        intent = await resting(em, away="0.8")
        other = await em.rest.create_order(
            symbol=SYMBOL,
            price=intent.price,
            vol=Decimal(1),
            leverage=10,
            side=1,
            order_type=1,
            open_type=1,
            external_oid="web-ui-order-1",
        )
        await em.reconcile()
        assert set(em.foreign_orders) == {other.order_id}
        assert untracked_live(ex, em) == []
        assert em.journal is not None
        assert any("foreign_order" in line for line in em.journal.dump())
        await em.reconcile()
        assert [r["state"] for r in ex.truth.orders("web-ui-order-1")] in ([1], [2])
    cancel = dataclasses.replace(FAST, foreign_orders="cancel")
    async with manager(ex, tmp_path / "j2.db", config=cancel) as em:
        assert [r["state"] for r in ex.truth.orders("web-ui-order-1")] == [4]


async def test_d4_a_create_landing_after_the_restart_verdict_is_tracked_again(
    ex: Emulator, tmp_path: Path
) -> None:
    """Found by rerunning the crash campaign: a restart resolved a journaled create "never
    accepted" (``invalid``), then the request the dead process had written reached the venue.
    The open order carries a journaled externalOid: it is tracked again (never foreign, never
    untracked), and its state follows the venue."""
    journal = tmp_path / "j.db"
    async with manager(ex, tmp_path / "probe.db") as probe:
        intent = await resting(probe, away="0.8")
    j = Journal(journal)
    j.start_session("crashed-session", 0)
    oid, seq = j.new_oid(None)
    j.record_intent(oid, seq, intent, 0)
    j.close()
    async with manager(ex, journal) as em:
        assert em.order(oid) is not None
        assert em.order(oid).state is OrderState.INVALID  # type: ignore[union-attr]
    await _late_create(ex, intent, oid)  # the late request lands
    async with manager(ex, journal) as em:
        order = em.order(oid)
        assert order is not None, "the journaled order was not tracked again"
        assert order.state in (OrderState.PENDING, OrderState.OPEN)
        assert untracked_live(ex, em) == []
        assert em.foreign_orders == {}


async def test_d4_a_late_create_that_filled_at_once_is_tracked_with_its_fills(
    ex: Emulator, tmp_path: Path
) -> None:
    """The same late create, crossing the book: it never rests, so only the re-check of the
    restart's "never accepted" verdicts can find it. It is tracked ``filled`` with its fills."""
    journal = tmp_path / "j.db"
    async with manager(ex, tmp_path / "probe.db") as probe:
        intent = await crossing(probe, vol=1)
    j = Journal(journal)
    j.start_session("crashed-session", 0)
    oid, seq = j.new_oid(None)
    j.record_intent(oid, seq, intent, 0)
    j.close()
    async with manager(ex, journal) as em:
        order = em.order(oid)
        assert order is not None
        assert order.state is OrderState.INVALID
        await em.rest.create_order(  # the dead process's request lands now
            symbol=SYMBOL,
            side=int(intent.side),
            order_type=int(intent.kind),
            vol=intent.vol,
            price=intent.price,
            open_type=1,
            leverage=10,
            external_oid=oid,
        )
        await em.reconcile()
        assert order.state is OrderState.FILLED
        assert order.fill_sum == intent.vol
        assert em.journal is not None
        assert em.journal.fill_count() == 1


async def test_d4_a_late_create_is_found_by_the_next_process_too(
    ex: Emulator, tmp_path: Path
) -> None:
    """The late create lands after the process that resolved it "never accepted" stopped:
    the next start (within ``late_create_window``) looks it up again and tracks it, filled."""
    journal = tmp_path / "j.db"
    async with manager(ex, tmp_path / "probe.db") as probe:
        intent = await crossing(probe, vol=1)
    j = Journal(journal)
    j.start_session("crashed-session", 0)
    oid, seq = j.new_oid(None)
    j.record_intent(oid, seq, intent, 0)
    j.close()
    async with manager(ex, journal) as em:
        assert em.order(oid).state is OrderState.INVALID  # type: ignore[union-attr]
    await _late_create(ex, intent, oid)
    async with manager(ex, journal) as em:
        order = em.order(oid)
        assert order is not None
        assert order.state is OrderState.FILLED
        assert em.journal is not None
        assert em.journal.fill_count() == 1


async def _late_create(ex: Emulator, intent: PlaceOrder, oid: str) -> None:
    """The journaled order's request reaching the venue late, as a raw REST create."""
    async with rest_for(ex) as rest:
        await rest.create_order(
            symbol=SYMBOL,
            side=int(intent.side),
            order_type=int(intent.kind),
            vol=intent.vol,
            price=intent.price,
            open_type=1,
            leverage=10,
            external_oid=oid,
        )
