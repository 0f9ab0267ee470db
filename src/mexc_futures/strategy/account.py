"""The strategy's local account view: a pure fold of account events (no I/O, no clock).

``AccountState.apply(event)`` takes the typed account events of ``mexc_futures.model.events``
(``OrderUpdate``, ``Fill``, ``PositionUpdate``, ``BalanceUpdate``, ``KillSwitchTripped``) in the
order they arrive and keeps:

* open orders (spec §10 order states 1 pending and 2 open) keyed by venue order id; an update with a
  lower ``version`` than the one held is ignored, so a late REST row cannot undo a fresher push;
  with an ``owns`` predicate, orders that are not this run's go to ``foreign_orders`` instead
  (visible, not the strategy's: ux-audit finding 2);
* positions (spec §10 position state 1/2 held, 3 closed and dropped) keyed by ``position_id``;
* balances keyed by currency; fills de-duplicated by ``fill_id`` (a fill seen twice, from the
  private stream and from a REST reconciliation, counts once);
* counters used by the demo summary: orders seen, filled, cancelled; realised PnL (fills' ``profit``
  minus fees in the settle currency).

The demo's reconciliation compares this state with the emulator's truth (reliability I2).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from decimal import Decimal

from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    KillSwitchTripped,
    OrderUpdate,
    PositionSide,
    PositionUpdate,
)

OPEN_STATES = frozenset({1, 2})
FILLED, CANCELLED, INVALID = 3, 4, 5
POSITION_CLOSED = 3


class AccountState:
    """Orders, positions, balances and fills as the client knows them (see module docstring)."""

    def __init__(
        self,
        *,
        recent_fills: int = 200,
        owns: Callable[[OrderUpdate], bool] | None = None,
    ) -> None:
        #: Whether an order is this run's (``ExecutionManager.owns_update``); ``None``: all are.
        self.owns = owns
        self._foreign: dict[str, OrderUpdate] = {}  # open orders placed elsewhere
        self._orders: dict[str, OrderUpdate] = {}
        self._final: dict[str, int] = {}  # order id -> final state (3, 4 or 5)
        self._final_vol: dict[str, Decimal] = {}  # order id -> dealVol when it ended
        self._positions: dict[int, PositionUpdate] = {}
        self._balances: dict[str, BalanceUpdate] = {}
        self._fill_ids: set[str] = set()
        self._recent: deque[Fill] = deque(maxlen=recent_fills)
        self.fill_volume: dict[str, Decimal] = {}  # order id -> sum of fill vol
        self.realised = Decimal(0)
        self.fees = Decimal(0)
        self.kill_switch: KillSwitchTripped | None = None

    # ------------------------------------------------------------------ fold

    def apply(self, event: AccountEvent) -> bool:
        """Fold one event in; ``False`` if it was a duplicate or stale and changed nothing."""
        if isinstance(event, OrderUpdate):
            return self._apply_order(event)
        if isinstance(event, Fill):
            return self._apply_fill(event)
        if isinstance(event, PositionUpdate):
            if event.state == POSITION_CLOSED or event.hold_vol == 0:
                return self._positions.pop(event.position_id, None) is not None
            self._positions[event.position_id] = event
            return True
        if isinstance(event, BalanceUpdate):
            self._balances[event.currency] = event
            return True
        first = self.kill_switch is None
        self.kill_switch = event
        return first

    def _apply_order(self, event: OrderUpdate) -> bool:
        oid = event.order_id
        if self.owns is not None and not self.owns(event):
            if event.state in OPEN_STATES:
                self._foreign[oid] = event
            else:
                self._foreign.pop(oid, None)
            return False  # visible (foreign_orders), not the strategy's
        self._foreign.pop(oid, None)
        if oid in self._final:
            return False
        held = self._orders.get(oid)
        if held is not None:
            if event.version and held.version > event.version:
                return False
            same = (held.state, held.deal_vol, held.version)
            if same == (event.state, event.deal_vol, event.version):
                return False
        if event.state in OPEN_STATES:
            self._orders[oid] = event
        else:
            self._orders.pop(oid, None)
            self._final[oid] = event.state
            self._final_vol[oid] = event.deal_vol
        return True

    def _apply_fill(self, event: Fill) -> bool:
        if event.fill_id in self._fill_ids:
            return False
        self._fill_ids.add(event.fill_id)
        self._recent.append(event)
        self.fill_volume[event.order_id] = self.fill_volume.get(event.order_id, Decimal(0)) + (
            event.vol
        )
        self.realised += event.profit - event.fee
        self.fees += event.fee
        return True

    # ------------------------------------------------------------------ reads

    def open_orders(self, symbol: str | None = None) -> list[OrderUpdate]:
        """Open orders (oldest first), of ``symbol`` or of every contract."""
        return [o for o in self._orders.values() if symbol is None or o.symbol == symbol]

    def foreign_orders(self, symbol: str | None = None) -> list[OrderUpdate]:
        """Open orders on the account that this run did not place (web UI, other bots, an
        earlier run): visible, never counted as ours, never cancelled by our clean-up."""
        return [o for o in self._foreign.values() if symbol is None or o.symbol == symbol]

    def order(self, order_id: str) -> OrderUpdate | None:
        """The open order with this venue id, if any."""
        return self._orders.get(order_id)

    def positions(self, symbol: str | None = None) -> list[PositionUpdate]:
        """Held positions, of ``symbol`` or of every contract."""
        return [p for p in self._positions.values() if symbol is None or p.symbol == symbol]

    def net_position(self, symbol: str) -> Decimal:
        """Long minus short contracts held on ``symbol``."""
        net = Decimal(0)
        for p in self.positions(symbol):
            net += p.hold_vol if p.position_type == PositionSide.LONG else -p.hold_vol
        return net

    def balance(self, currency: str) -> BalanceUpdate | None:
        """The latest balance row of ``currency``."""
        return self._balances.get(currency)

    def balances(self) -> list[BalanceUpdate]:
        """Every balance row known."""
        return list(self._balances.values())

    def recent_fills(self) -> Sequence[Fill]:
        """The most recent fills, oldest first (bounded)."""
        return tuple(self._recent)

    @property
    def fill_count(self) -> int:
        """Distinct fills seen."""
        return len(self._fill_ids)

    @property
    def fill_ids(self) -> frozenset[str]:
        """Ids of every distinct fill seen."""
        return frozenset(self._fill_ids)

    def settled(self, order_id: str) -> bool:
        """Whether order ``order_id`` ended and every fill of it has been seen."""
        if order_id not in self._final:
            return False
        return self.fill_volume.get(order_id, Decimal(0)) >= self._final_vol[order_id]

    def orders_seen(self) -> int:
        """Distinct orders seen (open or final)."""
        return len(self._orders) + len(self._final)

    def final_count(self, state: int) -> int:
        """Orders that ended in ``state`` (3 filled, 4 cancelled, 5 invalid)."""
        return sum(1 for s in self._final.values() if s == state)

    def outcomes(self) -> dict[str, int]:
        """How the orders seen ended, each order counted once: ``filled`` (fully),
        ``cancelled`` (of which ``partly_filled`` had fills first), ``invalid``, ``open``."""
        cancelled = [oid for oid, st in self._final.items() if st == 4]
        return {
            "filled": self.final_count(3),
            "cancelled": len(cancelled),
            "partly_filled": sum(1 for oid in cancelled if self._final_vol.get(oid)),
            "invalid": self.final_count(5),
            "open": len(self._orders),
        }

    def filled_orders(self) -> int:
        """Orders with at least one fill (fully or partly filled)."""
        return sum(1 for v in self.fill_volume.values() if v > 0)


__all__ = ["OPEN_STATES", "AccountState"]
