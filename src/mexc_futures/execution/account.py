"""The execution manager's copy of the venue account (reliability I1, I2; spec §5.1–§5.2, §7).

``AccountBook`` applies what the venue says — private pushes, REST rows converted by
``protocol.convert``, local order events — to the state the manager keeps:

* orders (the ``OrderTracker``): ``apply_update`` applies an order row/push to the tracked order
  it names (untracked orders are ignored) and, when state, filled quantity or version changed,
  journals it and emits the update; ``apply_fill`` applies a fill **once** — the journal
  deduplicates across restarts — journals the order when the fill was new to it, and emits the
  fill; ``transition`` applies a local ``OrderEvent`` and journals the result.
* positions, keyed ``(symbol, position_type)``: a closed (state 3) or empty row removes the key;
  the risk view's ``positions`` and ``leverage`` follow. After every position change the realised
  PnL summed over the positions goes to the kill switch; a trip calls ``on_trip``.
  ``replace_positions`` swaps in the venue's full list (reconciliation).
* balances, keyed by currency: the newest ``BalanceUpdate``.

Time comes from the injected clock; the journal is read through ``journal()`` (``None`` before
the manager starts and after it stops: nothing is journaled then). It implements
``execution.reconcile.OrderSink``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from mexc_futures.clock import Clock
from mexc_futures.execution.common import StrategyEvent
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.killswitch import KillSwitch
from mexc_futures.model.orders import OrderEvent, OrderTracker, TrackedOrder
from mexc_futures.model.risk import RiskView


class AccountBook:
    """Orders, positions and balances as the venue reported them (see the module docstring)."""

    def __init__(
        self,
        tracker: OrderTracker,
        view: RiskView,
        kill_switch: KillSwitch,
        *,
        clock: Clock,
        journal: Callable[[], Journal | None],
        emit: Callable[[StrategyEvent], None],
        on_trip: Callable[[], None],
    ) -> None:
        self.tracker = tracker
        self.view = view
        self.kill_switch = kill_switch
        self.clock = clock
        self.positions: dict[tuple[str, int], PositionUpdate] = {}
        self.balances: dict[str, BalanceUpdate] = {}
        self._journal = journal
        self._emit = emit
        self._on_trip = on_trip

    def on_account_event(self, event: AccountEvent) -> None:
        """Apply one private push or REST-derived event."""
        if isinstance(event, OrderUpdate):
            self.apply_update(event)
        elif isinstance(event, Fill):
            self.apply_fill(event)
        elif isinstance(event, PositionUpdate):
            self.apply_position(event)
        elif isinstance(event, BalanceUpdate):
            self.balances[event.currency] = event

    def apply_update(self, upd: OrderUpdate) -> None:
        """Apply an order row/push to a tracked order; journal and emit when it changed."""
        order = self.tracker.get(external_oid=upd.external_oid or None, order_id=upd.order_id)
        if order is None:
            return
        before = (order.state, order.filled, order.version)
        self.tracker.on_update(upd)
        if (order.state, order.filled, order.version) != before:
            self.record(order)
            self._emit(upd)

    def apply_fill(self, fill: Fill) -> None:
        """Apply a fill once (journal-deduplicated across restarts) and emit it."""
        journal = self._journal()
        if journal is None:
            self.tracker.on_fill(fill)
            self._emit(fill)
            return
        with journal.transaction():  # the fill and its order row: one commit (D8)
            if not journal.record_fill(fill, self.clock.time_ms()):
                order = self.tracker.get(
                    external_oid=fill.external_oid or None, order_id=fill.order_id or None
                )
                if order is not None and fill.fill_id not in order.fill_ids:
                    self.tracker.on_fill(fill)  # journaled before a restart: count it (D13)
                return  # already seen (this session or before a restart)
            order, new = self.tracker.on_fill(fill)
            if order is not None and new:
                self.record(order)
        self._emit(fill)

    def replace_positions(self, rows: list[PositionUpdate]) -> None:
        """Replace every position with the venue's rows (reconciliation)."""
        self.positions.clear()
        self.view.positions.clear()
        for p in rows:
            self.apply_position(p)

    def apply_position(self, p: PositionUpdate) -> None:
        """Apply one position row/push, then feed the realised PnL to the kill switch."""
        key = (p.symbol, int(p.position_type))
        if p.state == 3 or p.hold_vol == 0:
            self.positions.pop(key, None)
            self.view.positions.pop(key, None)
        else:
            self.positions[key] = p
            self.view.positions[key] = p.hold_vol
            if p.leverage:
                self.view.leverage[key] = p.leverage
        pnl = sum((x.realised for x in self.positions.values()), Decimal(0))
        if self.kill_switch.record_pnl(pnl, wall_ms=self.clock.time_ms()):
            self._on_trip()

    def transition(self, order: TrackedOrder, event: OrderEvent) -> None:
        """Apply a local event to ``order`` and journal the result."""
        self.tracker.event(order, event)
        self.record(order)

    def record(self, order: TrackedOrder) -> None:
        """Journal ``order``'s current state (when the journal is open)."""
        journal = self._journal()
        if journal is not None:
            journal.update_order(order, self.clock.time_ms())


__all__ = ["AccountBook"]
