"""Chase-limit orders (issue #15; spec §5.3 ``order/chase_limit_order``; fidelity row 11).

A ``PlaceChase`` is a limit order (``order/create``, journaled with its deterministic
``externalOid`` like any order) plus a row of the journal's ``chases`` table, committed first.
While the order is open, each top-of-book update (``on_top``: fed by ``StrategySession`` from
market data, or by ``mexc-futures order chase`` from the REST ticker) checks whether the order
still holds the best price of its side. When it fell behind — a buy below the best bid, a sell
above the best ask — and both best prices are inside ``limit_price``, and ``min_interval`` has
passed, the manager asks the venue to move it (``chase_limit_order {orderId}``) and reads the order
back (``order/get``): the venue's row, not an assumption, says where it now rests.

Guarantees, as for every order (``execution.facade``):

* **Journal first**: the chase row (``pending``), then the order row, then the request. At start a
  chase row without an order row was never sent (``not_placed``); an order row is resolved by its
  ``externalOid`` (``execution.reconcile``), never resent, and the chase follows its order (and
  moves it again if it is still open).
* **A lost move needs no lookup**: the order read back is the answer; a move is never retried
  blindly (the next book update decides again).
* **Kill switch**: the chase row is refused once the journal's latch is set; no move is asked once
  it tripped (the REST send gate drops one waiting for a slot); the clean-up cancels the order
  like any other, and the chase ends ``cancelled``.
* **Either venue reading** (row 11, docs/order-types.md): the emulator moves the order in place
  to its side's best by default (``VenueRules.chase_side="opposite"`` for the spec's reading,
  ``chase="replace"`` for cancel-and-replace). An order the venue ended instead of moving is
  replaced by the untracked open order of the same symbol, side and size created since the move,
  adopted as ours (``execution.adopt``); without one the chase ends with its order.

Chase states: ``pending`` → ``live`` → ``filled`` / ``cancelled``; ``pending`` →
``rejected`` / ``not_placed`` (the table ``STATE_OF_ORDER`` maps the order's state).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, KillSwitchActive, TransportError
from mexc_futures.execution.account import AccountBook
from mexc_futures.execution.adopt import Adopter
from mexc_futures.execution.journal import DuplicateIntent, Journal, KillLatched, make_oid
from mexc_futures.model.events import BookUpdate, OrderUpdate
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.intents import AmendOrder, ClosePosition, OrderKind, PlaceChase, PlaceOrder
from mexc_futures.model.killswitch import KillSwitch
from mexc_futures.model.orders import OrderState, OrderTracker, TrackedOrder
from mexc_futures.protocol import ws
from mexc_futures.protocol.convert import order_update
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")
#: a replacement's create time may precede our clock's view of the move by this much
REPLACE_SKEW_MS = 1_000


class ChaseState(enum.StrEnum):
    """Life of a chase (module docstring)."""

    PENDING = "pending"  # journaled; its order not yet confirmed by the venue
    LIVE = "live"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # the venue refused its order
    NOT_PLACED = "not_placed"  # its order never reached the venue

    @property
    def terminal(self) -> bool:
        """No further change."""
        return self not in (ChaseState.PENDING, ChaseState.LIVE)


_O, _C = OrderState, ChaseState
#: The chase's state for its order's state (``INVALID`` with a venue code is ``REJECTED``).
STATE_OF_ORDER: dict[OrderState, ChaseState] = {
    _O.PENDING_SUBMIT: _C.PENDING,
    _O.UNKNOWN: _C.PENDING,
    _O.PENDING: _C.LIVE,
    _O.OPEN: _C.LIVE,
    _O.PENDING_CANCEL: _C.LIVE,
    _O.FILLED: _C.FILLED,
    _O.CANCELLED: _C.CANCELLED,
    _O.INVALID: _C.NOT_PLACED,
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chases (
    key TEXT PRIMARY KEY, session_id TEXT NOT NULL, oid TEXT NOT NULL, symbol TEXT NOT NULL,
    side INTEGER NOT NULL, limit_price TEXT, min_interval REAL NOT NULL, label TEXT NOT NULL,
    state TEXT NOT NULL, price TEXT, moves INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
"""
_SELECT = (
    "SELECT key, oid, symbol, side, limit_price, min_interval, label, state, price, moves, detail"
    " FROM chases ORDER BY created_ms, key"
)


def state_for(state: OrderState, error_code: int = 0) -> ChaseState:
    """A chase's state for its order's (``STATE_OF_ORDER``; refused by the venue: rejected)."""
    new = STATE_OF_ORDER[state]
    return ChaseState.REJECTED if new is ChaseState.NOT_PLACED and error_code else new


def is_buy(side: int) -> bool:
    """Sides 1 (open long) and 2 (close short) buy (spec §5.3)."""
    return side in (1, 2)


def should_move(
    buy: bool, price: Decimal, bid: Decimal | None, ask: Decimal | None, limit: Decimal | None
) -> bool:
    """Whether an order at ``price`` fell behind its side's best and may be moved: the venue may
    take it to either best (row 11), so both must be inside ``limit`` (pure)."""
    behind = (bid is not None and bid > price) if buy else (ask is not None and ask < price)
    if not behind or limit is None:
        return behind
    bests = [p for p in (bid, ask) if p is not None]
    return max(bests) <= limit if buy else min(bests) >= limit


@dataclass(slots=True)
class TrackedChase:
    """One chase as the manager tracks it (``oid``: its order's current externalOid)."""

    key: str
    oid: str
    symbol: str
    side: int
    limit_price: Decimal | None
    min_interval: float
    label: str
    recorded: ChaseState
    price: Decimal | None = None
    moves: int = 0
    detail: str = ""
    last_move: float = float("-inf")
    busy: bool = False
    order: TrackedOrder | None = None

    @property
    def state(self) -> ChaseState:
        """The recorded state, or — while that is not final — its order's, as it is now."""
        if self.recorded.terminal or self.order is None:
            return self.recorded
        return state_for(self.order.state, self.order.error_code)

    @property
    def live(self) -> bool:
        """Not yet final."""
        return not self.state.terminal


class ChaseHost(Protocol):
    """What the chase manager uses of the ``ExecutionManager``."""

    rest: RestClient
    clock: Clock
    tracker: OrderTracker
    account: AccountBook
    adopter: Adopter
    kill_switch: KillSwitch
    specs: dict[str, ContractSpec]

    def gate(self, intent: PlaceOrder | ClosePosition | AmendOrder) -> PlaceOrder | AmendOrder:
        """Trading allowed and the risk gate (raises when refused)."""

    def journal_or_raise(self) -> Journal:
        """The open journal."""

    def begin_create(self) -> None:
        """A request that may put an order on the book is in flight."""

    def end_create(self) -> None:
        """Its answer is in."""


class ChaseManager:
    """See the module docstring. ``place`` submits the chase's ``PlaceOrder`` (the manager's
    ``submit``)."""

    def __init__(
        self, host: ChaseHost, place: Callable[[PlaceOrder], Awaitable[TrackedOrder | None]]
    ) -> None:
        self.host = host
        self._place = place
        self.by_key: dict[str, TrackedChase] = {}
        self._live: dict[str, TrackedChase] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._seq = 0

    # ------------------------------------------------------------------ journal
    @property
    def _db(self) -> sqlite3.Connection:
        return self.host.journal_or_raise().db

    def _save(self, c: TrackedChase) -> None:
        self._db.execute(
            "UPDATE chases SET oid=?, state=?, price=?, moves=?, detail=?, updated_ms=?"
            " WHERE key=?",
            (
                c.oid,
                c.state.value,
                None if c.price is None else str(c.price),
                c.moves,
                c.detail[:200],
                self.host.clock.time_ms(),
                c.key,
            ),
        )

    def load(self) -> None:
        """Restore the chases not yet final (call after the journal's orders are tracked). A
        chase whose order row is missing crashed before it was sent: ``not_placed``."""
        j = self.host.journal_or_raise()
        self._db.executescript(_SCHEMA)
        for r in self._db.execute(_SELECT):
            c = _row(r)
            if c.recorded.terminal:
                continue
            self.by_key[c.key] = c
            c.order = self.host.tracker.get(external_oid=c.oid)
            journaled = j.get(c.oid)
            if journaled is None:
                c.recorded = ChaseState.NOT_PLACED
                c.detail = "its order was never journaled nor sent"
                self._save(c)
            elif c.order is None:  # its order ended before this start
                c.recorded = state_for(journaled.state)
                self._save(c)
            else:
                self._live[c.key] = c

    # ------------------------------------------------------------------ submit
    async def submit(self, intent: PlaceChase) -> TrackedChase:
        """Gate, journal the chase, then place its order (see the module docstring)."""
        h = self.host
        j = h.journal_or_raise()
        buy = is_buy(int(intent.side))
        price = intent.price if intent.price is not None else await self._start_price(intent)
        if intent.limit_price is not None:
            price = min(price, intent.limit_price) if buy else max(price, intent.limit_price)
        self._seq += 1
        ck = f"chase:{intent.client_key or f'#{self._seq}'}"
        order = PlaceOrder(
            symbol=intent.symbol,
            side=intent.side,
            kind=OrderKind.POST_ONLY if intent.post_only else OrderKind.LIMIT,
            vol=intent.vol,
            price=price,
            leverage=intent.leverage,
            margin_mode=intent.margin_mode,
            reduce_only=intent.reduce_only,
            position_id=intent.position_id,
            client_key=ck,
            label=intent.label or "chase",
        )
        h.gate(order)  # refused: nothing journaled
        oid = make_oid(j.session_id, f"k:{ck}")  # the externalOid ``submit`` will journal
        c = TrackedChase(
            oid, oid, intent.symbol, int(intent.side), intent.limit_price, intent.min_interval,
            order.label, ChaseState.PENDING, price,
        )
        try:
            self._insert(c)
        except DuplicateIntent:
            return self.by_key.get(oid) or c
        self.by_key[oid] = c
        try:
            await self._place(order)
        except Exception as e:
            c.recorded, c.detail = ChaseState.REJECTED, str(e)
            self._save(c)
            raise
        self._live[oid] = c
        self.sync(c)
        return c

    def _insert(self, c: TrackedChase) -> None:
        now = self.host.clock.time_ms()
        try:
            cur = self._db.execute(
                "INSERT INTO chases (key, session_id, oid, symbol, side, limit_price,"
                " min_interval, label, state, price, created_ms, updated_ms)"
                " SELECT ?,?,?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS"
                " (SELECT 1 FROM kill_switch WHERE id=1 AND state != 'armed')",
                (
                    c.key, self.host.journal_or_raise().session_id, c.oid, c.symbol, c.side,
                    None if c.limit_price is None else str(c.limit_price), c.min_interval,
                    c.label, c.state.value, None if c.price is None else str(c.price), now, now,
                ),
            )
        except sqlite3.IntegrityError as e:
            raise DuplicateIntent(c.key) from e
        if cur.rowcount != 1:
            raise KillSwitchActive("kill switch latched in the journal: chase not placed") from (
                KillLatched(c.key)
            )

    async def _start_price(self, intent: PlaceChase) -> Decimal:
        t = await self.host.rest.get_ticker(intent.symbol)
        best = t.bid1 if is_buy(int(intent.side)) else t.ask1
        if best is None:
            raise ValueError(f"{intent.symbol}: no best price on its side; give price=")
        return Decimal(str(best))

    # ------------------------------------------------------------------ following the order
    def sync(self, c: TrackedChase) -> None:
        """The chase takes its order's state (journaled when it changed)."""
        order = self.host.tracker.get(external_oid=c.oid)
        if order is None or c.recorded.terminal or c.busy:  # a move settles it when done
            return
        c.order = order
        if c.price is None:
            c.price = order.price
        new = c.state
        if new is not c.recorded:
            c.recorded = new
            if new.terminal:
                self._live.pop(c.key, None)
                c.detail = c.detail or f"order {order.state.value}, {order.filled} filled"
            self._save(c)

    def sync_all(self) -> None:
        """Every live chase takes its order's state (after a reconciliation)."""
        for c in list(self._live.values()):
            self.sync(c)

    def live(self, symbol: str | None = None) -> list[TrackedChase]:
        """Chases not yet final (of ``symbol``), their states brought up to date."""
        self.sync_all()
        return [c for c in self._live.values() if symbol is None or c.symbol == symbol]

    def on_push(self, msg: object) -> bool:
        """``push.personal.order.chase`` (spec §7.8: a chase that failed, ``{ec, s}``, no order
        id): noted on the symbol's live chases and logged; their orders' states stay what the
        venue's order rows say. ``False`` for any other push."""
        if not isinstance(msg, ws.OrderChasePush):
            return False
        for c in self._live.values():
            if c.symbol == msg.data.s:
                c.detail = f"the venue reported a failed chase (code {msg.data.ec})"
                log.warning("chase %s on %s: %s", c.oid, c.symbol, c.detail)
                self._save(c)
        return True

    def on_market(self, event: object) -> None:
        """``MarketData.on`` callback: a ``BookUpdate`` is a top-of-book for ``on_top``."""
        if self._live and isinstance(event, BookUpdate):
            self.on_top(event.symbol, event.best_bid, event.best_ask)

    def on_top(
        self, symbol: str, bid: float | Decimal | None, ask: float | Decimal | None
    ) -> None:
        """Best prices of ``symbol`` now: move the chases that fell behind (module docstring)."""
        if not self._live or self.host.kill_switch.tripped:
            return
        b = None if bid is None else Decimal(str(bid))
        a = None if ask is None else Decimal(str(ask))
        now = self.host.clock.monotonic()
        for c in list(self._live.values()):
            if c.symbol != symbol or c.busy or now - c.last_move < c.min_interval:
                continue
            self.sync(c)
            order = self.host.tracker.get(external_oid=c.oid)
            if c.state is not ChaseState.LIVE or order is None or not order.order_id:
                continue
            price = c.price if c.price is not None else order.price
            if price is None or not should_move(is_buy(c.side), price, b, a, c.limit_price):
                continue
            c.busy, c.last_move = True, now
            task = asyncio.get_running_loop().create_task(self._move(c, order, order.order_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _move(self, c: TrackedChase, order: TrackedOrder, venue_id: str) -> None:
        h = self.host
        started = h.clock.time_ms()
        try:
            h.begin_create()  # the kill acknowledgement waits for a move in flight
            try:
                await h.rest.chase_limit_order(venue_id)
                c.moves += 1
            except KillSwitchActive:
                return
            except ApiError as e:
                c.detail = f"venue refused a move: {e}"
                log.info("chase %s: venue refused the move (%s)", c.oid, e)
            except TransportError as e:  # fate unknown: the order read back says what happened
                log.info("chase %s: move answer lost (%s); reading the order", c.oid, e)
            finally:
                h.end_create()
            try:
                row = order_update(await h.rest.get_order(venue_id))
                if row.state == 4 and row.deal_vol < row.vol:
                    await self._replaced(c, order, row, started)
                else:
                    h.account.apply_update(row)
                    c.price = row.price
            except (ApiError, TransportError) as e:
                log.warning("chase %s: reading the order failed (%s)", c.oid, e)
        finally:
            c.busy = False
        self.sync(c)
        self._save(c)

    async def _replaced(
        self, c: TrackedChase, order: TrackedOrder, row: OrderUpdate, since_ms: int
    ) -> None:
        """The venue ended the order instead of moving it: adopt its replacement, if listed."""
        h = self.host
        left = row.vol - row.deal_vol
        rows = [order_update(r) for r in await h.rest.get_open_orders()]
        fits = [
            r
            for r in rows
            if r.symbol == c.symbol
            and h.tracker.get(order_id=r.order_id) is None
            and r.side == c.side
            and r.vol == left
            and r.create_time >= since_ms - REPLACE_SKEW_MS
        ]
        if len(fits) != 1:
            h.account.apply_update(row)
            c.detail = "the venue ended the order instead of moving it"
            return
        (new,) = fits
        h.adopter.expect_amend(order, row.order_id, new.price, new.vol)
        h.adopter.adopt_replacement(order, new)
        if not order.state.live:  # ended first: the replacement is tracked as its own order
            c.oid = new.external_oid or f"adopted-{new.order_id}"
            c.order = h.tracker.get(external_oid=c.oid)
        c.price = new.price

    async def settle(self) -> None:
        """Wait until no move is in flight (its read-back applied)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel moves in flight (the manager is stopping)."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t


def _row(r: tuple[object, ...]) -> TrackedChase:
    key, oid, symbol, side, limit, interval, label, state, price, moves, detail = r
    return TrackedChase(
        str(key),
        str(oid),
        str(symbol),
        int(side),  # type: ignore[call-overload]
        None if limit is None else Decimal(str(limit)),
        float(interval),  # type: ignore[arg-type]
        str(label),
        ChaseState(str(state)),
        None if price is None else Decimal(str(price)),
        int(moves),  # type: ignore[call-overload]
        str(detail),
    )


__all__ = [
    "STATE_OF_ORDER",
    "ChaseHost",
    "ChaseManager",
    "ChaseState",
    "TrackedChase",
    "is_buy",
    "should_move",
]
