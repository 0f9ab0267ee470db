"""Pure parts of conditional execution (issue #15): intent -> body, lookup matching, the state
table, the journal table (duplicate key, kill latch) and the strategy helpers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from mexc_futures.execution.cond_journal import CondJournal, CondRow
from mexc_futures.execution.cond_requests import (
    TRANSITIONS,
    CondEvent,
    CondState,
    decode_body,
    find_plan,
    request_for,
    risk_order,
)
from mexc_futures.execution.journal import DuplicateIntent, Journal, KillLatched
from mexc_futures.model.intents import (
    AmendStop,
    CancelConditional,
    PlaceTrailing,
    PlaceTrigger,
    PriceType,
    TradeSide,
    TriggerWhen,
)
from mexc_futures.model.killswitch import KillSwitch
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.bodies import PlanOrderBody, TrackOrderBody
from mexc_futures.strategy.api import protect, trailing, trigger

ENC = msgspec.json.Encoder(decimal_format="number")


def test_trigger_body_is_the_documented_one() -> None:
    t = trigger(
        "BTC_USDT",
        TradeSide.OPEN_LONG,
        1,
        "58000.5",
        when=TriggerWhen.FALLS_TO,
        price_type=PriceType.FAIR,
        leverage=10,
    )
    body = request_for(t, position_id=None, hold_vol=None)
    assert isinstance(body, PlanOrderBody)
    assert msgspec.json.decode(ENC.encode(body)) == {
        "symbol": "BTC_USDT",
        "vol": 1,
        "leverage": 10,
        "side": 1,
        "openType": 1,
        "triggerPrice": 58000.5,
        "triggerType": 2,
        "executeCycle": 1,
        "orderType": 5,
        "trend": 2,
    }
    assert decode_body("trigger", ENC.encode(body).decode()) == body


def test_trailing_needs_exactly_one_callback() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        request_for(
            PlaceTrailing(symbol="BTC_USDT", side=TradeSide.CLOSE_LONG, vol=Decimal(1)),
            position_id=None,
            hold_vol=None,
        )
    body = request_for(
        trailing("BTC_USDT", TradeSide.CLOSE_LONG, 1, callback_distance=150),
        position_id=None,
        hold_vol=None,
    )
    assert isinstance(body, TrackOrderBody)
    assert (body.back_type, body.back_value) == (2, Decimal(150))


def test_stop_needs_a_position_and_helpers_need_a_level() -> None:
    with pytest.raises(ValueError, match="no BTC_USDT position"):
        request_for(protect("BTC_USDT", 1, stop_loss=1), position_id=None, hold_vol=None)
    with pytest.raises(ValueError, match="stop_loss, take_profit or both"):
        protect("BTC_USDT", 1)
    with pytest.raises(ValueError, match="exactly one"):
        request_for(AmendStop(symbol="X"), position_id=None, hold_vol=None)
    with pytest.raises(ValueError, match="kind must be"):
        request_for(
            CancelConditional(symbol="X", kind="plan", venue_id="1"),
            position_id=None,
            hold_vol=None,
        )


def _plan_row(pid: str, created: int, trigger_price: str = "58000.5") -> w.PlanOrderData:
    return w.PlanOrderData(
        id=pid,
        symbol="BTC_USDT",
        side=1,
        vol=Decimal(1),
        trigger_price=Decimal(trigger_price),
        trigger_type=2,
        state=1,
        trend=2,
        create_time=created,
    )


def test_lookup_matches_fields_time_and_skips_bound_rows() -> None:
    t = trigger("BTC_USDT", TradeSide.OPEN_LONG, 1, "58000.5", when=TriggerWhen.FALLS_TO)
    body = request_for(t, position_id=None, hold_vol=None)
    assert isinstance(body, PlanOrderBody)
    body = msgspec.structs.replace(body, trend=2)
    rows = [
        _plan_row("1", 1_000),  # far older than the journal row: not ours
        _plan_row("2", 100_000, "58000.6"),  # another level
        _plan_row("3", 100_000),
        _plan_row("4", 100_001),
    ]
    assert find_plan(body, rows, 100_000, set()) is rows[2]
    assert find_plan(body, rows, 100_000, {"3"}) is rows[3]
    assert find_plan(body, rows, 100_000, {"3", "4"}) is None


def test_state_table_never_leaves_a_terminal_state() -> None:
    for (state, _event), new in TRANSITIONS.items():
        assert not state.terminal
        assert isinstance(new, CondState)
    assert (CondState.UNKNOWN, CondEvent.ACK) not in TRANSITIONS  # a late ack never resends
    assert TRANSITIONS[(CondState.UNKNOWN, CondEvent.NOT_FOUND)] is CondState.NOT_PLACED


def test_risk_order_only_for_opening_sides() -> None:
    closing = trigger("BTC_USDT", TradeSide.CLOSE_LONG, 1, 1, when=TriggerWhen.RISES_TO)
    assert risk_order(closing) is None
    opening = PlaceTrigger(
        symbol="BTC_USDT",
        side=TradeSide.OPEN_SHORT,
        vol=Decimal(2),
        trigger_price=Decimal(5),
        when=TriggerWhen.RISES_TO,
    )
    order = risk_order(opening)
    assert order is not None
    assert (order.vol, order.price) == (Decimal(2), Decimal(5))


def _row(key: str) -> CondRow:
    return CondRow(key, "trigger", "BTC_USDT", "", "{}", "pending_submit", None, 0, "", 1)


def test_journal_refuses_duplicates_and_latched_kill(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    j.start_session("s", 0)
    cj = CondJournal(j)
    key = cj.new_key("k")
    assert key == CondJournal(j).new_key("k")  # deterministic
    cj.record(_row(key), 1)
    with pytest.raises(DuplicateIntent):
        cj.record(_row(key), 2)
    ks = KillSwitch()
    ks.trip("test", "", wall_ms=3)
    j.save_kill(ks.snapshot(), 3)
    with pytest.raises(KillLatched):
        cj.record(_row(cj.new_key(None)), 4)
    cj.record(_row(cj.new_key("close")), 5, latch=False)  # close-all / cancels still go
    assert [r.key for r in cj.rows()] == [key, cj.rows()[1].key]
    j.close()


def test_trigger_expiry_is_one_or_seven_days() -> None:
    t = trigger("BTC_USDT", TradeSide.OPEN_LONG, 1, 5, when=TriggerWhen.FALLS_TO)
    week = msgspec.structs.replace(t, expires_in_days=7)
    body = request_for(week, position_id=None, hold_vol=None)
    assert isinstance(body, PlanOrderBody)
    assert body.execute_cycle == 2
    with pytest.raises(ValueError, match="1 or 7 days"):
        request_for(msgspec.structs.replace(t, expires_in_days=3), position_id=None, hold_vol=None)


async def test_a_push_before_the_answer_is_applied_when_the_answer_names_the_id(
    tmp_path: Path,
) -> None:
    """The venue's plan push can overtake the REST answer that names the plan: the push is kept
    and applied once the answer binds the id (issue #15 item 2), not left to reconciliation."""
    from mexc_futures.clock import SYSTEM_CLOCK
    from mexc_futures.execution.common import ExecutionConfig
    from mexc_futures.execution.conditional import ConditionalManager
    from mexc_futures.protocol import ws

    def plan_push(state: int) -> ws.PlanOrderPush:
        row = w.PlanOrderData(
            id="77", symbol="BTC_USDT", side=1, vol=Decimal(1), trigger_price=Decimal(50_000),
            trigger_type=2, state=state,
        )
        return ws.PlanOrderPush(data=row, ts=1)

    class Rest:
        async def place_plan_order(self, body: object) -> str:
            assert manager.on_push(plan_push(3))  # triggered before the answer is read
            return "77"

    manager = ConditionalManager(
        Rest(),  # type: ignore[arg-type]
        clock=SYSTEM_CLOCK,
        config=ExecutionConfig(),
        check_allowed=lambda _r: None,
        check_risk=lambda _i: None,
    )
    j = Journal(tmp_path / "j.db")
    j.start_session("s1", 0)
    manager.load(CondJournal(j))
    t = trigger(
        "BTC_USDT", TradeSide.OPEN_LONG, 1, "50000", when=TriggerWhen.FALLS_TO, leverage=10
    )
    c = await manager.submit(t)
    assert (c.venue_id, c.state) == ("77", CondState.DONE)
    assert manager.on_push(plan_push(3))  # a repeat changes nothing
    assert not manager.on_push(object())  # not a conditional push
    assert manager.pushes_applied == 1
    j.close()
