"""Hypothesis stateful test: the order machine against a model of the venue (reliability S23).

The model is the venue's truth for one order: whether it was accepted, its fills and final state.
Everything the venue says reaches the client as messages that hypothesis delivers in any order,
duplicated or not at all (until ``settle``). Invariants: filled quantity monotonic and <= quantity;
each fill applied once; every state change is a row of ``TRANSITIONS``; after settling (all messages
delivered, one REST lookup) the client equals the venue.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mexc_futures.model.events import Fill, OrderUpdate
from mexc_futures.model.orders import (
    TRANSITIONS,
    OrderEvent,
    OrderState,
    OrderTracker,
    TrackedOrder,
)

QTY = Decimal(10)
OID = "mfTEST"
VENUE_TO_STATE = {
    1: OrderState.PENDING,
    2: OrderState.OPEN,
    3: OrderState.FILLED,
    4: OrderState.CANCELLED,
    5: OrderState.INVALID,
}

Msg = tuple[str, object]


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tracker = OrderTracker()
        self.order = self.tracker.add(
            TrackedOrder(external_oid=OID, symbol="BTC_USDT", side=1, kind=1, vol=QTY, price=None)
        )
        self.accepted: bool | None = None
        self.v_state = 0
        self.v_filled = Decimal(0)
        self.v_version = 0
        self.fills: list[tuple[str, Decimal]] = []
        self.inbox: list[Msg] = []
        self.delivered: list[Msg] = []
        self.prev_filled = Decimal(0)
        self.applied_fill_ids: set[str] = set()
        self.responded = False

    # ------------------------------------------------------------------ venue side
    def _push_row(self) -> None:
        self.v_version += 1
        row = OrderUpdate(
            order_id="1001",
            external_oid=OID,
            symbol="BTC_USDT",
            side=1,
            order_type=1,
            price=Decimal(100),
            vol=QTY,
            deal_vol=self.v_filled,
            deal_avg_price=Decimal(100) if self.v_filled else Decimal(0),
            state=self.v_state,
            version=self.v_version,
        )
        self.inbox.append(("row", row))

    @rule(accept=st.booleans(), answer_lost=st.booleans())
    @precondition(lambda self: self.accepted is None)
    def venue_receives_create(self, accept: bool, answer_lost: bool) -> None:
        self.accepted = accept
        if accept:
            self.v_state = 2
            self._push_row()
        self.inbox.append(
            ("fate_unknown" if answer_lost else ("ack" if accept else "reject"), None)
        )

    @rule(n=st.integers(min_value=1, max_value=6))
    @precondition(lambda self: self.accepted and self.v_state in (1, 2))
    def venue_fills(self, n: int) -> None:
        vol = min(Decimal(n), QTY - self.v_filled)
        fid = f"f{len(self.fills)}"
        self.fills.append((fid, vol))
        self.v_filled += vol
        self.v_state = 3 if self.v_filled == QTY else 2
        fill = Fill(
            fill_id=fid,
            order_id="1001",
            symbol="BTC_USDT",
            side=1,
            vol=vol,
            price=Decimal(100),
            fee=Decimal(0),
            fee_currency="USDT",
            profit=Decimal(0),
            is_taker=True,
            time=0,
            external_oid=OID,
        )
        self.inbox.append(("fill", fill))
        self._push_row()

    @rule()
    @precondition(lambda self: (self.order.state, OrderEvent.CANCEL_REQUEST) in TRANSITIONS)
    def client_cancels(self) -> None:
        self._step(OrderEvent.CANCEL_REQUEST)
        if self.accepted and self.v_state in (1, 2):
            self.v_state = 4
            self._push_row()
            self.inbox.append(("cancel_ack", None))
        else:  # 2040 not exist / 2041 cannot be cancelled
            self.inbox.append(("cancel_fail", None))

    # ------------------------------------------------------------------ delivery
    @rule(data=st.data())
    @precondition(lambda self: self.inbox)
    def deliver(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(min_value=0, max_value=len(self.inbox) - 1))
        msg = self.inbox.pop(i)
        self.delivered.append(msg)
        self._apply(msg)

    @rule(data=st.data())
    @precondition(lambda self: self.delivered)
    def duplicate(self, data: st.DataObject) -> None:
        msg = data.draw(st.sampled_from(self.delivered))
        if msg[0] in ("row", "fill"):  # pushes may repeat; HTTP answers do not
            self._apply(msg)

    @rule()
    @precondition(lambda self: self.order.state is OrderState.UNKNOWN and self.accepted is not None)
    def lookup(self) -> None:
        if self.accepted:
            self._push_row()
            self._apply(self.inbox.pop())
        else:
            self._step(OrderEvent.NOT_FOUND)

    @rule()
    @precondition(lambda self: self.accepted is not None)
    def settle(self) -> None:
        while self.inbox:
            self._apply(self.inbox.pop(0))
        if self.order.state is OrderState.UNKNOWN:
            self.lookup()
        if self.accepted:
            self._push_row()
            self._apply(self.inbox.pop())
            assert self.order.state is VENUE_TO_STATE[self.v_state]
            assert self.order.filled == self.v_filled
        else:
            assert self.order.state is OrderState.INVALID
            assert self.order.filled == 0

    # ------------------------------------------------------------------ client side
    def _step(self, event: OrderEvent) -> None:
        before = self.order.state
        ok = self.tracker.event(self.order, event)
        if ok:
            assert TRANSITIONS[(before, event)] is self.order.state
        else:
            assert (before, event) not in TRANSITIONS
            assert self.order.state is before

    def _apply(self, msg: Msg) -> None:
        kind, payload = msg
        before = self.order.state
        illegal_before = self.tracker.illegal
        if kind == "row":
            assert isinstance(payload, OrderUpdate)
            self.tracker.on_update(payload)
        elif kind == "fill":
            assert isinstance(payload, Fill)
            _, new = self.tracker.on_fill(payload)
            if new:
                assert payload.fill_id not in self.applied_fill_ids
                self.applied_fill_ids.add(payload.fill_id)
        elif kind == "ack":
            self.tracker.bind(self.order, "1001")
            self._step(OrderEvent.ACK)
        elif kind == "reject":
            self._step(OrderEvent.REJECT)
        elif kind == "fate_unknown":
            self._step(OrderEvent.FATE_UNKNOWN)
        elif kind == "cancel_ack":
            self._step(OrderEvent.CANCEL_ACK)
        elif kind == "cancel_fail":
            self._step(OrderEvent.FATE_UNKNOWN)
        if kind in ("row", "fill") and self.tracker.illegal == illegal_before:
            # every move made by a push is reachable through table rows
            assert before is self.order.state or _reachable(before, self.order.state)

    # ------------------------------------------------------------------ invariants
    @invariant()
    def filled_monotonic_and_bounded(self) -> None:
        assert self.order.filled >= self.prev_filled
        assert self.order.filled <= self.order.vol
        self.prev_filled = self.order.filled

    @invariant()
    def each_fill_once(self) -> None:
        assert self.order.fill_ids == self.applied_fill_ids
        assert self.order.fill_sum == sum(
            (v for f, v in self.fills if f in self.applied_fill_ids), Decimal(0)
        )

    @invariant()
    def never_ahead_of_venue(self) -> None:
        assert self.order.filled <= self.v_filled

    @invariant()
    def risk_aggregates_match_a_recount(self) -> None:
        o, t = self.order, self.tracker
        if o.state.terminal:
            assert t.live_count == {}
            assert t.pending_open == {}
            assert t.pending_close == {}
        else:
            assert t.live_count == {o.symbol: 1}
            remaining = o.vol - o.filled
            assert t.pending_open == ({(o.symbol, 1): remaining} if remaining else {})
            assert t.pending_close == {}


def _reachable(a: OrderState, b: OrderState) -> bool:
    seen, todo = {a}, [a]
    while todo:
        s = todo.pop()
        for (s0, _), s1 in TRANSITIONS.items():
            if s0 is s and s1 not in seen:
                seen.add(s1)
                todo.append(s1)
    return b in seen


OrderMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestOrderMachine = OrderMachine.TestCase
