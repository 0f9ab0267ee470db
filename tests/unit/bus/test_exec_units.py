"""Sans-I/O parts of execution over the bus (issue #18): the lease table, intent ids, the
intent -> externalOid mapping and the wire forms of intents and outcomes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.bus.intents import (
    IntentEnvelope,
    Outcome,
    RemoteRefused,
    check_name,
    decode_event,
    decode_intent,
    encode,
    exec_session,
    external_oid_for,
    failure,
    intent_key,
    keyed,
    result_of,
    success,
)
from mexc_futures.bus.lease import (
    TRANSITIONS,
    IllegalLeaseEvent,
    Lease,
    LeaseEvent,
    LeaseState,
)
from mexc_futures.errors import KillSwitchActive, error_from_code
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import Fill, KillSwitchTripped
from mexc_futures.model.intents import (
    CancelOrder,
    OrderKind,
    PlaceBatch,
    PlaceChase,
    PlaceOrder,
    PlaceTrigger,
    TradeSide,
    TriggerWhen,
)
from mexc_futures.model.orders import OrderState, TrackedOrder

ORDER = PlaceOrder(
    symbol="BTC_USDT",
    side=TradeSide.OPEN_LONG,
    kind=OrderKind.LIMIT,
    vol=Decimal(2),
    price=Decimal("100.5"),
    leverage=10,
)


def test_lease_table_is_total() -> None:
    assert {(s, e) for s in LeaseState for e in LeaseEvent} - set(TRANSITIONS) == {
        (LeaseState.WAITING, LeaseEvent.RENEWED)
    }


def test_lease_executes_only_while_held_and_confirmed() -> None:
    lease = Lease(ttl_s=5.0, token="t")
    assert not lease.may_execute(0.0)
    lease.apply(LeaseEvent.REFUSED, 0.0, "other")
    assert lease.state is LeaseState.WAITING
    assert lease.holder == "other"
    lease.apply(LeaseEvent.ACQUIRED, 1.0)
    assert lease.may_execute(1.0)
    assert lease.may_execute(4.9)
    assert not lease.may_execute(5.0)  # 20 % margin before the server could drop it
    lease.apply(LeaseEvent.UNREACHABLE, 2.0)
    assert lease.state is LeaseState.STALE
    assert not lease.may_execute(2.0)
    lease.apply(LeaseEvent.RENEWED, 3.0)
    assert lease.may_execute(3.0)
    lease.apply(LeaseEvent.REFUSED, 4.0, "b")
    assert lease.state is LeaseState.LOST
    lease.apply(LeaseEvent.ACQUIRED, 5.0)  # never back from lost
    assert lease.state is LeaseState.LOST
    assert not lease.may_execute(5.0)
    with pytest.raises(IllegalLeaseEvent):
        Lease(ttl_s=1.0, token="t").apply(LeaseEvent.RENEWED, 0.0)


def test_the_external_oid_is_what_the_journal_derives(tmp_path: Path) -> None:
    """The exec service's journal session is fixed per account, so any exec-service process
    gives a redelivered intent the same externalOid (and the journal refuses it twice)."""
    env = IntentEnvelope(id="mm:ab12:7", strategy="mm", sent_ms=0, expires_ms=1, intent=ORDER)
    key = intent_key(env)
    assert key == "mm:ab12:7"
    for _ in range(2):  # two exec-service processes, one after the other
        j = Journal(tmp_path / "j.db")
        j.start_session(exec_session("main"), 0)
        assert j.new_oid(key)[0] == external_oid_for("main", key)
        j.close()
    assert len(external_oid_for("main", key)) == 32
    assert external_oid_for("main", key) != external_oid_for("other", key)
    own = IntentEnvelope(
        id="mm:ab12:8",
        strategy="mm",
        sent_ms=0,
        expires_ms=1,
        intent=PlaceOrder(**{**_fields(ORDER), "client_key": "quote-1"}),
    )
    assert intent_key(own) == "mm:key:quote-1"  # the strategy's own key: stable across boots


def _fields(o: PlaceOrder) -> dict[str, object]:
    return {f: getattr(o, f) for f in o.__struct_fields__}


def test_keyed_sets_the_key_on_orders_batches_and_conditionals() -> None:
    assert keyed(ORDER, "k") == PlaceOrder(**{**_fields(ORDER), "client_key": "k"})
    batch = keyed(PlaceBatch(orders=(ORDER, ORDER)), "k")
    assert isinstance(batch, PlaceBatch)
    assert [o.client_key for o in batch.orders] == ["k/0", "k/1"]
    trig = PlaceTrigger(
        symbol="BTC_USDT",
        side=TradeSide.OPEN_LONG,
        vol=Decimal(1),
        trigger_price=Decimal(1),
        when=TriggerWhen.RISES_TO,
    )
    keyed_trig = keyed(trig, "k")
    assert isinstance(keyed_trig, PlaceTrigger)
    assert keyed_trig.client_key == "k"
    chase = keyed(PlaceChase(symbol="BTC_USDT", side=TradeSide.OPEN_LONG, vol=Decimal(1)), "k")
    assert isinstance(chase, PlaceChase)
    assert chase.client_key == "k"
    cancel = CancelOrder(symbol="BTC_USDT", order_id="1")
    assert keyed(cancel, "k") is cancel


def test_envelopes_and_events_round_trip() -> None:
    env = IntentEnvelope(id="s:b:1", strategy="s", sent_ms=1, expires_ms=2, intent=ORDER)
    assert decode_intent(encode(env)) == env
    hello = IntentEnvelope(id="s:b:2", strategy="s", sent_ms=1, expires_ms=2)
    assert decode_intent(encode(hello)).intent is None
    fill = Fill(
        fill_id="1",
        order_id="2",
        symbol="BTC_USDT",
        side=1,
        vol=Decimal(1),
        price=Decimal("1.5"),
        fee=Decimal(0),
        fee_currency="USDT",
        profit=Decimal(0),
        is_taker=True,
        time=3,
    )
    assert decode_event(encode(fill)) == fill
    assert decode_event(encode(KillSwitchTripped(reason="r"))) == KillSwitchTripped(reason="r")


def test_outcomes_become_results_or_the_same_errors() -> None:
    order = TrackedOrder(
        external_oid="mf1",
        symbol="BTC_USDT",
        side=1,
        kind=1,
        vol=Decimal(1),
        price=Decimal(2),
        state=OrderState.OPEN,
        order_id="9",
    )
    back = result_of(decode_event(encode(success("i", order))))  # type: ignore[arg-type]
    assert isinstance(back, TrackedOrder)
    assert back.order_id == "9"
    assert back.state is OrderState.OPEN
    batch = result_of(success("i", [order, order]))
    assert isinstance(batch, list)
    assert len(batch) == 2
    assert result_of(success("i", None)) is None
    with pytest.raises(KillSwitchActive):
        result_of(failure("i", KillSwitchActive("tripped")))
    api = error_from_code(2005, "balance insufficient")
    with pytest.raises(type(api)) as caught:
        result_of(failure("i", api))
    assert caught.value.code == 2005
    with pytest.raises(RemoteRefused, match="expired"):
        result_of(Outcome(id="i", ok=False, error="expired", message="expired 1 s ago"))


def test_names_that_cannot_key_a_stream_are_refused() -> None:
    assert check_name("strategy", "mm_1.a-b") == "mm_1.a-b"
    for bad in ("", "a b", "a:b", "x" * 65):
        with pytest.raises(ValueError, match="letters, digits"):
            check_name("strategy", bad)
