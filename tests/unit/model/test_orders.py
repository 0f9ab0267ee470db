"""Order table and tracker: race rows, fill de-duplication, monotonic fills, amend re-keying."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mexc_futures.model.events import Fill, OrderUpdate
from mexc_futures.model.orders import (
    TRANSITIONS,
    IllegalTransition,
    OrderEvent,
    OrderState,
    OrderTracker,
    TrackedOrder,
    next_state,
    render_table,
)

D = Decimal


def new(tr: OrderTracker, oid: str = "mfA", vol: int = 10) -> TrackedOrder:
    return tr.add(
        TrackedOrder(external_oid=oid, symbol="BTC_USDT", side=1, kind=1, vol=D(vol), price=D(100))
    )


def upd(
    state: int, deal: int = 0, version: int = 1, oid: str = "mfA", oid_id: str = "1"
) -> OrderUpdate:
    return OrderUpdate(
        order_id=oid_id,
        external_oid=oid,
        symbol="BTC_USDT",
        side=1,
        order_type=1,
        price=D(100),
        vol=D(10),
        deal_vol=D(deal),
        deal_avg_price=D(100),
        state=state,
        version=version,
    )


def fill(fid: str, vol: int, oid: str = "mfA") -> Fill:
    return Fill(
        fill_id=fid,
        order_id="1",
        symbol="BTC_USDT",
        side=1,
        vol=D(vol),
        price=D(100),
        fee=D(0),
        fee_currency="USDT",
        profit=D(0),
        is_taker=False,
        time=0,
        external_oid=oid,
    )


def test_terminal_states_never_reopen_except_documented_lag_rows() -> None:
    for (s, _e), n in TRANSITIONS.items():
        if s in (OrderState.FILLED, OrderState.CANCELLED):
            assert n.terminal, (s, _e, n)


def test_illegal_pairs_raise() -> None:
    with pytest.raises(IllegalTransition):
        next_state(OrderState.FILLED, OrderEvent.CANCEL_REQUEST)
    assert "pending_submit" in render_table()


def test_fill_before_ack() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.on_fill(fill("f1", 4))
    assert o.state is OrderState.OPEN
    assert o.order_id == "1"
    tr.event(o, OrderEvent.ACK)
    assert o.state is OrderState.OPEN
    assert o.filled == 4


def test_fill_after_cancel_ack_and_duplicates() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.bind(o, "1")
    tr.event(o, OrderEvent.ACK)
    tr.event(o, OrderEvent.CANCEL_REQUEST)
    tr.event(o, OrderEvent.CANCEL_ACK)
    assert tr.on_fill(fill("f1", 3)) == (o, True)
    assert tr.on_fill(fill("f1", 3)) == (o, False)
    assert o.state is OrderState.CANCELLED
    assert o.filled == 3


def test_overfill_is_refused_and_counted() -> None:
    tr = OrderTracker()
    o = new(tr, vol=5)
    assert tr.on_fill(fill("f1", 4))[1]
    assert not tr.on_fill(fill("f2", 2))[1]
    assert o.anomalies == 1
    assert o.filled == 4


def test_stale_push_does_not_move_back() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.on_update(upd(2, deal=5, version=3))
    tr.on_update(upd(2, deal=2, version=2))
    assert o.filled == 5
    assert o.version == 3
    tr.on_update(upd(3, deal=10, version=4))
    tr.on_update(upd(2, deal=5, version=5))  # nonsense after filled: ignored by the table
    assert o.state is OrderState.FILLED


def test_cancel_rejected_after_fill_becomes_unknown_then_filled() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.on_update(upd(2))
    tr.event(o, OrderEvent.CANCEL_REQUEST)
    tr.event(o, OrderEvent.FATE_UNKNOWN)  # 2041
    assert o.state is OrderState.UNKNOWN
    assert o in tr.unresolved()
    tr.on_update(upd(3, deal=10, version=2))
    assert o.state is OrderState.FILLED
    assert tr.live() == []


def test_lookup_lag_row() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.event(o, OrderEvent.FATE_UNKNOWN)
    tr.event(o, OrderEvent.NOT_FOUND)
    assert o.state is OrderState.INVALID
    tr.on_update(upd(2))
    assert o.state is OrderState.OPEN


def test_amend_rekeys() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.bind(o, "1")
    tr.amend(o, "2", D(101), D(12))
    assert tr.get(order_id="2") is o
    assert tr.get(order_id="1") is None
    o.filled = D(5)
    with pytest.raises(ValueError):
        tr.amend(o, "3", D(1), D(4))


def test_unknown_orders_ignored_and_duplicates_refused() -> None:
    tr = OrderTracker()
    new(tr)
    assert tr.on_update(upd(2, oid="other", oid_id="9")) is None
    with pytest.raises(ValueError):
        new(tr)


def test_rows_of_replaced_incarnation_ignored() -> None:
    tr = OrderTracker()
    o = new(tr)
    tr.on_update(upd(2, version=3, oid_id="1"))
    tr.amend(o, "2", D(101), D(10))
    tr.on_update(upd(4, version=2, oid_id="1"))  # the venue cancels the replaced order
    assert o.state is OrderState.OPEN
    tr.on_update(upd(4, version=1, oid="_m_new", oid_id="2"))
    assert o.state is OrderState.CANCELLED


def test_tracker_risk_aggregates_follow_every_mutation() -> None:
    t = OrderTracker()
    a = t.add(TrackedOrder("a", "BTC_USDT", 1, 1, Decimal(5), Decimal(10)))  # open long
    b = t.add(TrackedOrder("b", "BTC_USDT", 4, 1, Decimal(2), Decimal(11)))  # close long
    c = t.add(TrackedOrder("c", "ETH_USDT", 3, 1, Decimal(7), Decimal(1)))  # open short
    assert t.live_count == {"BTC_USDT": 2, "ETH_USDT": 1}
    assert t.pending_open == {("BTC_USDT", 1): Decimal(5), ("ETH_USDT", 2): Decimal(7)}
    assert t.pending_close == {("BTC_USDT", 1): Decimal(2)}
    t.bind(a, "1")
    t.event(a, OrderEvent.ACK)
    fill = Fill(
        fill_id="f1",
        order_id="1",
        symbol="BTC_USDT",
        side=1,
        vol=Decimal(2),
        price=Decimal(10),
        fee=Decimal(0),
        fee_currency="USDT",
        profit=Decimal(0),
        is_taker=False,
        time=1,
        external_oid="a",
    )
    t.on_fill(fill)
    assert t.pending_open[("BTC_USDT", 1)] == Decimal(3)
    t.amend(a, "2", Decimal(9), Decimal(4))
    assert t.pending_open[("BTC_USDT", 1)] == Decimal(2)
    t.event(b, OrderEvent.REJECT)
    t.event(c, OrderEvent.FATE_UNKNOWN)  # unknown stays live
    assert t.live_count == {"BTC_USDT": 1, "ETH_USDT": 1}
    assert t.pending_close == {}
    t.event(a, OrderEvent.VENUE_CANCELLED)
    assert t.live_count == {"ETH_USDT": 1}
    assert ("BTC_USDT", 1) not in t.pending_open


def test_d4_every_verdict_has_a_row_from_every_live_state() -> None:
    """Reliability D4: (pending_submit, not_found) was missing, so a journaled order the venue
    never saw stayed pending_submit forever. Unresolved states take every event; every live
    state takes every lookup verdict."""
    from mexc_futures.model.orders import TRANSITIONS, OrderEvent, OrderState

    S = OrderState

    verdicts = [e for e in OrderEvent if e.value.startswith("venue_")]
    verdicts += [OrderEvent.NOT_FOUND, OrderEvent.FATE_UNKNOWN]
    missing = [
        (s.value, e.value)
        for s in OrderState
        if s.live
        for e in (list(OrderEvent) if s in (S.PENDING_SUBMIT, S.UNKNOWN) else verdicts)
        if (s, e) not in TRANSITIONS
    ]
    assert missing == []
    assert TRANSITIONS[(OrderState.PENDING_SUBMIT, OrderEvent.NOT_FOUND)] is OrderState.INVALID
