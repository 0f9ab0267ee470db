"""Order lifecycle as a table, and the tracker that applies it (spec §10 ``state``, §5.3–§5.5).

States are the venue's five (1 pending, 2 open, 3 filled, 4 cancelled, 5 invalid) plus three local
ones: ``PENDING_SUBMIT`` (journaled, request not answered yet), ``UNKNOWN`` (the venue's answer was
lost: 5xx or timeout on create, or a cancel whose outcome is unclear; only a lookup by
``externalOid`` resolves it) and ``PENDING_CANCEL`` (a cancel was sent, not yet confirmed).

``TRANSITIONS`` is the whole machine: every lookup verdict (venue states 1–5, ``NOT_FOUND``,
``FATE_UNKNOWN``) has a row from every non-terminal state, and the unresolved states
(``PENDING_SUBMIT``, ``UNKNOWN``) accept every event (reliability D4). A pair that is not in it is
illegal and raises
``IllegalTransition`` (the tracker counts and ignores illegal *venue* events, because an out-of-date
push must never corrupt the state). Quantities are separate from the state: the filled quantity only
grows, never exceeds the order quantity, and every fill id is applied once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal

from mexc_futures.model.events import Fill, OrderUpdate


class OrderState(enum.Enum):
    """Local view of an order. ``venue_code`` is the spec §10 number (0 for local states)."""

    PENDING_SUBMIT = "pending_submit"
    UNKNOWN = "unknown"
    PENDING = "pending"  # 1
    OPEN = "open"  # 2
    FILLED = "filled"  # 3
    CANCELLED = "cancelled"  # 4
    INVALID = "invalid"  # 5
    PENDING_CANCEL = "pending_cancel"

    @property
    def terminal(self) -> bool:
        """Filled, cancelled or invalid: no more venue activity expected."""
        return self in _TERMINAL

    @property
    def live(self) -> bool:
        """May rest on the venue's book (what ``open orders`` counts, incl. unresolved)."""
        return not self.terminal


_TERMINAL = frozenset({OrderState.FILLED, OrderState.CANCELLED, OrderState.INVALID})
_ZERO = Decimal(0)


class OrderEvent(enum.Enum):
    """Inputs of the machine."""

    ACK = "ack"  # create answered with an orderId
    REJECT = "reject"  # create answered with a business error: the order does not exist
    FATE_UNKNOWN = "fate_unknown"  # create: 5xx / timeout; cancel: same, or 2040/2041 per item
    NOT_FOUND = "not_found"  # lookup by externalOid: no such order (after the lag grace)
    VENUE_PENDING = "venue_1"
    VENUE_OPEN = "venue_2"
    VENUE_FILLED = "venue_3"
    VENUE_CANCELLED = "venue_4"
    VENUE_INVALID = "venue_5"
    FILL = "fill"  # a deal of this order (push.personal.order.deal or REST deal row)
    CANCEL_REQUEST = "cancel_request"
    CANCEL_ACK = "cancel_ack"  # cancel item errorCode 0


VENUE_STATE_EVENT: dict[int, OrderEvent] = {
    1: OrderEvent.VENUE_PENDING,
    2: OrderEvent.VENUE_OPEN,
    3: OrderEvent.VENUE_FILLED,
    4: OrderEvent.VENUE_CANCELLED,
    5: OrderEvent.VENUE_INVALID,
}

S = OrderState
E = OrderEvent

# (state, event) -> next state. Every row is a legal edge; everything else is illegal.
TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    # --- submit path
    (S.PENDING_SUBMIT, E.ACK): S.PENDING,
    (S.PENDING_SUBMIT, E.REJECT): S.INVALID,
    (S.PENDING_SUBMIT, E.FATE_UNKNOWN): S.UNKNOWN,
    (S.PENDING_SUBMIT, E.VENUE_PENDING): S.PENDING,  # push before the HTTP answer
    (S.PENDING_SUBMIT, E.VENUE_OPEN): S.OPEN,
    (S.PENDING_SUBMIT, E.VENUE_FILLED): S.FILLED,
    (S.PENDING_SUBMIT, E.VENUE_CANCELLED): S.CANCELLED,  # IOC/post-only killed before the ack
    (S.PENDING_SUBMIT, E.VENUE_INVALID): S.INVALID,
    (S.PENDING_SUBMIT, E.FILL): S.OPEN,  # race: fill before ack
    (S.PENDING_SUBMIT, E.CANCEL_REQUEST): S.PENDING_CANCEL,  # cancel by externalOid before the ack
    (S.PENDING_SUBMIT, E.CANCEL_ACK): S.CANCELLED,  # cancelled by externalOid before the ack
    # journaled, then the process died before (or while) sending: the restart's lookup finds
    # nothing after the read-after-write grace -> never accepted (reliability D4)
    (S.PENDING_SUBMIT, E.NOT_FOUND): S.INVALID,
    # --- unknown outcome: resolved only by lookup (or a venue event naming the externalOid)
    (S.UNKNOWN, E.ACK): S.PENDING,  # the late answer arrived after all
    (S.UNKNOWN, E.REJECT): S.INVALID,
    (S.UNKNOWN, E.FATE_UNKNOWN): S.UNKNOWN,  # another timeout while resolving
    (S.UNKNOWN, E.NOT_FOUND): S.INVALID,  # never accepted (S18)
    (S.UNKNOWN, E.VENUE_PENDING): S.PENDING,
    (S.UNKNOWN, E.VENUE_OPEN): S.OPEN,
    (S.UNKNOWN, E.VENUE_FILLED): S.FILLED,
    (S.UNKNOWN, E.VENUE_CANCELLED): S.CANCELLED,
    (S.UNKNOWN, E.VENUE_INVALID): S.INVALID,
    (S.UNKNOWN, E.FILL): S.OPEN,  # race: fill seen while the create outcome is unknown
    (S.UNKNOWN, E.CANCEL_ACK): S.CANCELLED,  # kill switch cancels by externalOid while unknown
    (S.UNKNOWN, E.CANCEL_REQUEST): S.UNKNOWN,  # cancel sent, but the lookup still decides
    # --- venue state 1
    (S.PENDING, E.ACK): S.PENDING,  # push first, then the HTTP answer
    (S.PENDING, E.VENUE_PENDING): S.PENDING,
    (S.PENDING, E.VENUE_OPEN): S.OPEN,
    (S.PENDING, E.VENUE_FILLED): S.FILLED,
    (S.PENDING, E.VENUE_CANCELLED): S.CANCELLED,
    (S.PENDING, E.VENUE_INVALID): S.INVALID,
    (S.PENDING, E.FILL): S.OPEN,
    (S.PENDING, E.CANCEL_REQUEST): S.PENDING_CANCEL,
    (S.PENDING, E.CANCEL_ACK): S.CANCELLED,
    (S.PENDING, E.FATE_UNKNOWN): S.UNKNOWN,  # amend answer lost: look it up
    (S.PENDING, E.NOT_FOUND): S.PENDING,  # acked orders exist: a miss is read-after-write lag
    # --- venue state 2
    (S.OPEN, E.ACK): S.OPEN,  # push (and fills) before the HTTP answer
    (S.OPEN, E.VENUE_PENDING): S.OPEN,  # stale push, older than what we hold
    (S.OPEN, E.VENUE_OPEN): S.OPEN,
    (S.OPEN, E.VENUE_FILLED): S.FILLED,
    (S.OPEN, E.VENUE_CANCELLED): S.CANCELLED,
    (S.OPEN, E.VENUE_INVALID): S.INVALID,
    (S.OPEN, E.FILL): S.OPEN,
    (S.OPEN, E.CANCEL_REQUEST): S.PENDING_CANCEL,
    (S.OPEN, E.CANCEL_ACK): S.CANCELLED,
    (S.OPEN, E.FATE_UNKNOWN): S.UNKNOWN,  # amend answer lost: look it up
    (S.OPEN, E.NOT_FOUND): S.OPEN,  # same: the venue's id proves it was accepted
    # --- cancel in flight
    (S.PENDING_CANCEL, E.ACK): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, E.REJECT): S.INVALID,  # create refused while its cancel was in flight
    (S.PENDING_CANCEL, E.NOT_FOUND): S.INVALID,
    (S.PENDING_CANCEL, E.CANCEL_REQUEST): S.PENDING_CANCEL,  # retried cancel
    (S.PENDING_CANCEL, E.CANCEL_ACK): S.CANCELLED,
    (S.PENDING_CANCEL, E.FATE_UNKNOWN): S.UNKNOWN,  # cancel 5xx/timeout, or 2040/2041: look it up
    (S.PENDING_CANCEL, E.VENUE_PENDING): S.PENDING_CANCEL,  # stale push
    (S.PENDING_CANCEL, E.VENUE_OPEN): S.PENDING_CANCEL,  # stale push / cancel not applied yet
    (S.PENDING_CANCEL, E.VENUE_FILLED): S.FILLED,  # race: filled before the cancel landed
    (S.PENDING_CANCEL, E.VENUE_CANCELLED): S.CANCELLED,
    (S.PENDING_CANCEL, E.VENUE_INVALID): S.INVALID,
    (S.PENDING_CANCEL, E.FILL): S.PENDING_CANCEL,  # race: partial fill while cancelling
    # --- terminal states absorb late news
    (S.FILLED, E.ACK): S.FILLED,  # race: filled (push) before the create answer
    (S.FILLED, E.VENUE_PENDING): S.FILLED,
    (S.FILLED, E.VENUE_OPEN): S.FILLED,
    (S.FILLED, E.VENUE_FILLED): S.FILLED,
    (S.FILLED, E.FILL): S.FILLED,  # the deal push arriving after the state-3 order push
    (S.FILLED, E.FATE_UNKNOWN): S.FILLED,  # cancel rejected 2041 after a fill: already final
    (S.CANCELLED, E.ACK): S.CANCELLED,
    (S.CANCELLED, E.VENUE_PENDING): S.CANCELLED,
    (S.CANCELLED, E.VENUE_OPEN): S.CANCELLED,
    (S.CANCELLED, E.VENUE_CANCELLED): S.CANCELLED,
    (S.CANCELLED, E.CANCEL_ACK): S.CANCELLED,
    (S.CANCELLED, E.FILL): S.CANCELLED,  # race: fill after cancel ack (matched before the cancel)
    (S.CANCELLED, E.FATE_UNKNOWN): S.CANCELLED,  # 2041 on a second cancel
    (S.CANCELLED, E.VENUE_FILLED): S.FILLED,  # race: the cancel lost to a fill; the venue wins
    (S.INVALID, E.ACK): S.PENDING,  # race: lookup lagged ("not found"), the order did exist
    (S.INVALID, E.VENUE_PENDING): S.PENDING,  # same read-after-write lag, learnt by push
    (S.INVALID, E.VENUE_OPEN): S.OPEN,
    (S.INVALID, E.VENUE_FILLED): S.FILLED,
    (S.INVALID, E.VENUE_CANCELLED): S.CANCELLED,
    (S.INVALID, E.VENUE_INVALID): S.INVALID,
    (S.INVALID, E.FILL): S.OPEN,  # same lag: a fill proves the order exists
    (S.INVALID, E.NOT_FOUND): S.INVALID,
    (S.INVALID, E.FATE_UNKNOWN): S.INVALID,
}

del S, E


class IllegalTransition(Exception):
    """``(state, event)`` is not a row of ``TRANSITIONS``."""

    def __init__(self, state: OrderState, event: OrderEvent) -> None:
        super().__init__(f"illegal order transition: {state.value} + {event.value}")
        self.state = state
        self.event = event


def next_state(state: OrderState, event: OrderEvent) -> OrderState:
    """Look up the table; raise ``IllegalTransition`` when the pair is not a row."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None


def render_table() -> str:
    """The table as aligned text (printed in docs/execution.md)."""
    rows = [f"{s.value:<15} {e.value:<15} -> {n.value}" for (s, e), n in TRANSITIONS.items()]
    return "\n".join(rows)


@dataclass(slots=True)
class TrackedOrder:
    """One order: identity, request, and the venue's progress. ``filled`` is monotonic."""

    external_oid: str
    symbol: str
    side: int
    kind: int
    vol: Decimal
    price: Decimal | None
    state: OrderState = OrderState.PENDING_SUBMIT
    order_id: str | None = None
    filled: Decimal = Decimal(0)
    fill_sum: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    version: int = 0
    error_code: int = 0
    fill_ids: set[str] = field(default_factory=set)
    anomalies: int = 0
    replaced_ids: set[str] = field(default_factory=set)  # venue ids before an amend

    def apply(self, event: OrderEvent) -> OrderState:
        """Move along the table (raises ``IllegalTransition``)."""
        self.state = next_state(self.state, event)
        return self.state

    def apply_fill(self, fill_id: str, vol: Decimal) -> bool:
        """Account one fill once. Returns False for a duplicate or one that would overfill."""
        if fill_id in self.fill_ids:
            return False
        if vol <= 0 or self.fill_sum + vol > self.vol:
            self.anomalies += 1
            return False
        self.fill_ids.add(fill_id)
        self.fill_sum += vol
        self.filled = max(self.filled, self.fill_sum)
        return True

    def apply_deal_vol(self, deal_vol: Decimal) -> None:
        """Merge the venue's cumulative ``dealVol``; never moves ``filled`` down or past ``vol``."""
        if deal_vol > self.vol:
            self.anomalies += 1
            deal_vol = self.vol
        self.filled = max(self.filled, deal_vol)

    @property
    def outcome(self) -> str:
        """What happened, as a trader reads it: ``filled 1 @ 2400.54``, ``partly filled 1 of 2
        @ 2400.5, rest cancelled``, ``cancelled, nothing filled``, ``open``… (ux finding 6)."""
        kind = {3: "IOC", 4: "FOK", 5: "market"}.get(self.kind, "")
        at = f" @ {self.avg_price.normalize():f}" if self.avg_price else ""
        filled = self.filled.normalize()
        if self.state is OrderState.FILLED:
            return f"filled {filled:f}{at}"
        if self.state in (OrderState.CANCELLED, OrderState.INVALID):
            ended = "cancelled" if self.state is OrderState.CANCELLED else "rejected"
            if self.filled > 0:
                return f"partly filled {filled:f} of {self.vol.normalize():f}{at}, rest {ended}"
            why = f" ({kind} not filled)" if kind in ("IOC", "FOK") else ""
            return f"{ended}, nothing filled{why}"
        if self.filled > 0:
            return f"{self.state.value}, {filled:f} of {self.vol.normalize():f} filled{at}"
        return str(self.state.value)

    def amend(self, price: Decimal, vol: Decimal) -> None:
        """Apply an accepted ``change_limit_order`` (quantity never below filled)."""
        if vol < self.filled:
            raise ValueError("amended quantity below the filled quantity")
        self.version = 0  # the new incarnation counts its own versions
        self.price = price
        self.vol = vol


_OPENING_SIDES = frozenset({1, 3})  # spec §10: 1 open long, 3 open short
_Contribution = tuple[str, tuple[str, int], bool, Decimal]


def _contribution(order: TrackedOrder) -> _Contribution | None:
    """What a live order adds to the per-symbol aggregates (None when terminal)."""
    if order.state in _TERMINAL:
        return None
    key = (order.symbol, 1 if order.side in (1, 4) else 2)
    return order.symbol, key, order.side in _OPENING_SIDES, order.vol - order.filled


class OrderTracker:
    """All orders of a session, keyed by ``externalOid`` and by venue ``orderId``.

    Venue events whose pair is not in the table are counted in ``illegal`` and ignored.

    Aggregates for the risk gate are kept incrementally (every mutation goes through a tracker
    method, which calls ``touch``): ``live_count[symbol]`` (live orders), and per
    ``(symbol, position_type)`` the unfilled volume of live opening orders (``pending_open``) and
    of live closing orders (``pending_close``). Zero entries are removed.
    """

    def __init__(self) -> None:
        self.by_oid: dict[str, TrackedOrder] = {}
        self.by_id: dict[str, TrackedOrder] = {}
        self.illegal = 0
        self._live: dict[str, TrackedOrder] = {}  # superset of the live orders, pruned lazily
        self.live_count: dict[str, int] = {}
        self.pending_open: dict[tuple[str, int], Decimal] = {}
        self.pending_close: dict[tuple[str, int], Decimal] = {}
        self._contrib: dict[str, _Contribution] = {}

    def add(self, order: TrackedOrder) -> TrackedOrder:
        """Register a new order (state ``PENDING_SUBMIT`` or restored from the journal)."""
        if order.external_oid in self.by_oid:
            raise ValueError(f"duplicate externalOid {order.external_oid}")
        self.by_oid[order.external_oid] = order
        self._live[order.external_oid] = order
        if order.order_id:
            self.by_id[order.order_id] = order
        self.touch(order)
        return order

    def touch(self, order: TrackedOrder) -> None:
        """Re-account ``order`` in the aggregates after a change of state or quantities."""
        new = _contribution(order)
        old = self._contrib.get(order.external_oid)
        if new == old:
            return
        if old is not None:
            self._account(old, -1)
        if new is None:
            self._contrib.pop(order.external_oid, None)
        else:
            self._contrib[order.external_oid] = new
            self._account(new, 1)

    def _account(self, c: _Contribution, sign: int) -> None:
        symbol, key, opening, remaining = c
        n = self.live_count.get(symbol, 0) + sign
        if n:
            self.live_count[symbol] = n
        else:
            self.live_count.pop(symbol, None)
        book = self.pending_open if opening else self.pending_close
        vol = book.get(key, _ZERO) + (remaining if sign > 0 else -remaining)
        if vol:
            book[key] = vol
        else:
            book.pop(key, None)

    def get(
        self, *, external_oid: str | None = None, order_id: str | None = None
    ) -> TrackedOrder | None:
        """Find an order by either id."""
        if external_oid is not None and external_oid in self.by_oid:
            return self.by_oid[external_oid]
        if order_id is not None:
            return self.by_id.get(order_id)
        return None

    def bind(self, order: TrackedOrder, order_id: str) -> None:
        """Attach (or re-attach, after an amend) the venue id."""
        if order.order_id and order.order_id != order_id:
            self.by_id.pop(order.order_id, None)
        order.order_id = order_id
        self.by_id[order_id] = order

    def amend(self, order: TrackedOrder, order_id: str, price: Decimal, vol: Decimal) -> None:
        """An accepted amend: new price/quantity and the venue's new id (spec §5.3). Rows of the
        replaced id are ignored afterwards (the venue cancels it); its fills still count."""
        order.amend(price, vol)
        if order.order_id and order.order_id != order_id:
            order.replaced_ids.add(order.order_id)
        self.bind(order, order_id)
        self.touch(order)

    def event(self, order: TrackedOrder, event: OrderEvent) -> bool:
        """Apply a venue-originated event; False (and counted) when illegal."""
        try:
            order.apply(event)
        except IllegalTransition:
            self.illegal += 1
            return False
        if order.state.live:  # a lag row can bring an INVALID order back
            self._live[order.external_oid] = order
        self.touch(order)
        return True

    def on_update(self, upd: OrderUpdate) -> TrackedOrder | None:
        """Apply an order row/push. Unknown orders (placed elsewhere) return None."""
        order = self.get(external_oid=upd.external_oid or None, order_id=upd.order_id or None)
        if order is None:
            return None
        if upd.order_id in order.replaced_ids:
            return order  # the incarnation an amend replaced
        if upd.order_id:
            self.bind(order, upd.order_id)
        if upd.version and upd.version < order.version:
            return order  # older than what we hold
        order.version = max(order.version, upd.version)
        order.apply_deal_vol(upd.deal_vol)
        self.touch(order)
        if upd.deal_avg_price:
            order.avg_price = upd.deal_avg_price
        order.error_code = upd.error_code
        event = VENUE_STATE_EVENT.get(upd.state)
        if event is not None:
            self.event(order, event)
        return order

    def on_fill(self, fill: Fill) -> tuple[TrackedOrder | None, bool]:
        """Apply a fill once. Returns ``(order, newly_applied)``."""
        order = self.get(external_oid=fill.external_oid or None, order_id=fill.order_id or None)
        if order is None:
            return None, False
        if fill.order_id and order.order_id is None:
            self.bind(order, fill.order_id)
        if not order.apply_fill(fill.fill_id, fill.vol):
            return order, False
        self.touch(order)
        self.event(order, OrderEvent.FILL)
        if order.filled >= order.vol:
            self.event(order, OrderEvent.VENUE_FILLED)
        return order, True

    def live(self) -> list[TrackedOrder]:
        """Orders not yet terminal (open, pending, unresolved, cancelling); O(live orders)."""
        out = [o for o in self._live.values() if o.state.live]
        if len(out) != len(self._live):
            self._live = {o.external_oid: o for o in out}
        return out

    def unresolved(self) -> list[TrackedOrder]:
        """Orders whose venue state must be looked up (``UNKNOWN``, ``PENDING_SUBMIT``)."""
        local = (OrderState.UNKNOWN, OrderState.PENDING_SUBMIT)
        return [o for o in self.by_oid.values() if o.state in local]


__all__ = [
    "TRANSITIONS",
    "VENUE_STATE_EVENT",
    "IllegalTransition",
    "OrderEvent",
    "OrderState",
    "OrderTracker",
    "TrackedOrder",
    "next_state",
    "render_table",
]
