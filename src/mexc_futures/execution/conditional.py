"""Execution of conditional and position intents (issue #15; spec §5.2, §5.6–§5.8).

Same guarantees as plain orders (``execution.facade``):

* **Journal first.** Each ``PlaceTrigger`` / ``PlaceStop`` / ``PlaceTrailing`` /
  ``ReversePosition`` / ``CloseAll`` / ``AmendStop`` / ``CancelConditional`` is committed to the
  journal's ``conditionals`` table (``execution.cond_journal``) with its exact request body
  before it is sent; a repeated ``client_key`` returns the first one, never a second order.
* **Never resent.** A lost answer (5xx, timeout, broken connection) makes the row ``unknown``;
  it is resolved by finding the request's order in the venue's lists (``cond_requests.find_*``;
  the venue takes no client id here), or by the account's positions for reverse / close-all,
  and counts as ``not_placed`` only after two empty lookups **and** ``not_found_grace``.
* **Reconciled at start.** Rows left ``pending_submit`` (a crash between journal and send) or
  ``unknown`` are looked up before new orders are allowed; ``live`` rows are refreshed from the
  venue (triggered, cancelled, expired).
* **Live pushes.** ``on_push`` folds ``push.personal.plan.order`` / ``stop.planorder`` /
  ``track.order`` into the tracked rows as they arrive (the strategy view changes within one
  push, not at the next reconciliation); a push that arrives before the placement's answer is
  kept (bounded) and applied when the answer names the id; a ``stop.planorder`` for one of our
  orders' attached TP/SL adopts it at once. Reconciliation stays the safety net.
* **Kill switch.** New placements are refused once it tripped (the journal insert and the REST
  send gate check the latch); its clean-up (``execution.containment``) cancels every trigger,
  TP/SL and trailing order and verifies none is left; ``refresh`` then marks ours cancelled.
  Closing (``CloseAll``) and cancels stay allowed.

Each row's life follows the table ``cond_requests.TRANSITIONS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import msgspec

from mexc_futures.clock import Clock
from mexc_futures.errors import ApiError, TransportError
from mexc_futures.execution.common import ExecutionConfig
from mexc_futures.execution.cond_journal import CondJournal, CondRow
from mexc_futures.execution.cond_requests import (
    RESTING,
    TRANSITIONS,
    CancelRef,
    CondEvent,
    CondState,
    decode_body,
    find_plan,
    find_stop,
    find_track,
    kind_of,
    request_for,
    state_of,
)
from mexc_futures.execution.journal import DuplicateIntent
from mexc_futures.model.intents import (
    CancelConditional,
    CloseAll,
    ConditionalIntent,
    PlaceStop,
    PlaceTrailing,
    PlaceTrigger,
    ReversePosition,
)
from mexc_futures.protocol import rest as w
from mexc_futures.protocol import ws
from mexc_futures.protocol.bodies import (
    PlanOrderBody,
    ReverseBody,
    StopChangeBody,
    StopOrderBody,
    TrackOrderBody,
)
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")
_ENC = msgspec.json.Encoder(decimal_format="number")
#: Intents that only reduce exposure or remove orders: allowed while the kill switch is tripped.
_REDUCING = (CloseAll, CancelConditional)
#: Pushes kept for ids no row is bound to yet (the push came before the placement's answer).
EARLY_KEEP = 256


@dataclass(slots=True)
class TrackedConditional:
    """A conditional intent as the manager tracks it (``state`` per ``TRANSITIONS``)."""

    key: str
    kind: str  # trigger, stop, trailing, reverse, close_all, amend_stop, cancel
    symbol: str
    label: str
    body: str  # the exact JSON body sent (journaled)
    state: CondState
    venue_id: str | None = None
    error_code: int = 0
    detail: str = ""
    created_ms: int = 0

    @property
    def live(self) -> bool:
        """Still resting at the venue, or not yet resolved."""
        return not self.state.terminal

    def row(self) -> CondRow:
        """The journal row."""
        return CondRow(
            self.key,
            self.kind,
            self.symbol,
            self.label,
            self.body,
            self.state.value,
            self.venue_id,
            self.error_code,
            self.detail,
            self.created_ms,
        )


def _tracked(r: CondRow) -> TrackedConditional:
    return TrackedConditional(
        r.key,
        r.kind,
        r.symbol,
        r.label,
        r.body,
        CondState(r.state),
        r.venue_id,
        r.error_code,
        r.detail,
        r.created_ms,
    )


class ConditionalManager:
    """Carries out conditional intents for one ``ExecutionManager`` (see the module docstring).

    ``check_allowed(reducing)`` raises when new intents may not go out (not started, kill switch,
    trading off); ``check_risk(intent)`` raises when the risk gate refuses an opening one;
    ``in_flight(+1/-1)`` counts requests sent and not yet answered; ``owned_order_ids()`` names
    the venue ids of this run's orders (their attached TP/SL are adopted by ``refresh``)."""

    def __init__(
        self,
        rest: RestClient,
        *,
        clock: Clock,
        config: ExecutionConfig,
        check_allowed: Callable[[bool], None],
        check_risk: Callable[[ConditionalIntent], None],
        in_flight: Callable[[int], None] = lambda _n: None,
        owned_order_ids: Callable[[], set[str]] = set,
    ) -> None:
        self.rest = rest
        self.clock = clock
        self.config = config
        self._check_allowed = check_allowed
        self._check_risk = check_risk
        self._in_flight = in_flight
        self._owned_order_ids = owned_order_ids
        self.journal: CondJournal | None = None
        self.by_key: dict[str, TrackedConditional] = {}
        #: (kind, venue id) -> event of pushes no row was bound to when they arrived
        self._early: OrderedDict[tuple[str, str], CondEvent] = OrderedDict()
        self.pushes_applied = 0

    # ------------------------------------------------------------------ lifecycle
    def load(self, journal: CondJournal) -> None:
        """Restore the journaled rows not yet final (call before ``reconcile``); final ones stay
        in the journal only (memory does not grow with the journal's age)."""
        self.journal = journal
        for r in journal.rows():
            if not CondState(r.state).terminal:
                self.by_key[r.key] = _tracked(r)

    @property
    def _j(self) -> CondJournal:
        if self.journal is None:
            raise RuntimeError("ExecutionManager is not started")
        return self.journal

    def unresolved(self) -> list[TrackedConditional]:
        """Rows whose fate the venue has not told yet (block new orders at start-up)."""
        bad = (CondState.PENDING_SUBMIT, CondState.UNKNOWN)
        return [c for c in self.by_key.values() if c.state in bad]

    def live(self, symbol: str | None = None) -> list[TrackedConditional]:
        """Triggers, stops and trailing orders resting (or unresolved) — the strategy view."""
        return [
            c
            for c in self.by_key.values()
            if c.live and c.kind in RESTING and (symbol is None or c.symbol == symbol)
        ]

    # ------------------------------------------------------------------ submit
    async def submit(self, intent: ConditionalIntent) -> TrackedConditional:
        """Gate, journal, send; a lost answer is looked up (never resent)."""
        reducing = isinstance(intent, _REDUCING)
        self._check_allowed(reducing)
        if isinstance(intent, PlaceTrigger | PlaceTrailing):
            self._check_risk(intent)
        position_id, hold = await self._position_for(intent)
        body = request_for(intent, position_id=position_id, hold_vol=hold)
        key = self._j.new_key(getattr(intent, "client_key", None))
        c = TrackedConditional(
            key=key,
            kind=kind_of(intent),
            symbol=getattr(intent, "symbol", "") or "*",
            label=intent.label,
            body=_ENC.encode(body).decode(),
            state=CondState.PENDING_SUBMIT,
            created_ms=self.clock.time_ms(),
        )
        try:
            self._j.record(c.row(), c.created_ms, latch=not reducing)
        except DuplicateIntent:  # the same intent again: never a second order
            if key not in self.by_key:
                row = self._j.get(key)
                assert row is not None  # nosec B101  # the insert just found it
                self.by_key[key] = _tracked(row)
            return self.by_key[key]
        self.by_key[key] = c
        self._in_flight(1)  # the kill acknowledgement waits for placements in flight
        try:
            venue_id = await self._send(c.kind, body)
        except (ApiError, TransportError) as err:
            self._in_flight(-1)
            if err.fate_unknown:
                self._event(c, CondEvent.FATE_UNKNOWN, str(err))
                await self.resolve(c)
                return c
            if not isinstance(err, ApiError):
                raise
            c.error_code = err.code
            self._event(c, CondEvent.REJECT, str(err))
            raise
        except BaseException:
            self._in_flight(-1)
            raise
        self._in_flight(-1)
        c.venue_id = venue_id
        self._event(c, CondEvent.ACK if c.kind in RESTING else CondEvent.DONE)
        self._apply_early(c)
        return c

    async def _position_for(self, intent: ConditionalIntent) -> tuple[int | None, Decimal | None]:
        if not isinstance(intent, PlaceStop | ReversePosition):
            return None, None
        for p in await self.rest.get_positions(intent.symbol):
            if p.position_type == intent.position_side and p.hold_vol > 0:
                return int(p.position_id), p.hold_vol
        return None, None

    async def _send(self, kind: str, body: object) -> str | None:
        rest = self.rest
        if kind == "trigger":
            assert isinstance(body, PlanOrderBody)  # nosec B101  # narrowing
            return await rest.place_plan_order(body)
        if kind == "stop":
            assert isinstance(body, StopOrderBody)  # nosec B101  # narrowing
            return await rest.place_stop_order(body)
        if kind == "trailing":
            assert isinstance(body, TrackOrderBody)  # nosec B101  # narrowing
            return await rest.place_track_order(body)
        if kind == "reverse":
            assert isinstance(body, ReverseBody)  # nosec B101  # narrowing
            await rest.reverse_position(body.symbol, body.position_id, body.vol)
            return None
        if kind == "close_all":
            await rest.close_all_positions()
            return None
        if kind == "amend_stop":
            assert isinstance(body, StopChangeBody)  # nosec B101  # narrowing
            if body.stop_plan_order_id is not None:
                await rest.change_stop_plan_price(body)
            else:
                await rest.change_stop_price(body)
            return body.stop_plan_order_id or body.order_id
        assert isinstance(body, CancelRef)  # nosec B101  # the cancel kind
        await self._cancel(body)
        return body.venue_id

    async def _cancel(self, ref: CancelRef) -> None:
        if ref.kind == "trigger":
            await self.rest.cancel_plan_orders([(ref.symbol, ref.venue_id)])
        elif ref.kind == "stop":
            await self.rest.cancel_stop_orders([ref.venue_id])
        else:
            await self.rest.cancel_track_order(ref.symbol, ref.venue_id)

    def _event(self, c: TrackedConditional, event: CondEvent, detail: str = "") -> None:
        """Apply ``event`` per ``TRANSITIONS`` (an ACK of a one-shot kind is DONE) and persist."""
        if event is CondEvent.ACK and c.kind not in RESTING:
            event = CondEvent.DONE
        new = TRANSITIONS.get((c.state, event))
        if new is None:
            log.debug("conditional %s: %s ignored in %s", c.key, event.value, c.state.value)
            return
        c.state = new
        if detail:
            c.detail = detail[:200]
        self._j.update(c.row(), self.clock.time_ms())

    # ------------------------------------------------------------------ resolution
    async def resolve(self, c: TrackedConditional) -> TrackedConditional:
        """Look a lost request up until the venue answers for it (bounded; never resent)."""
        delay = self.config.resolve_delay
        misses = 0
        for _ in range(self.config.resolve_attempts):
            try:
                found = await self._lookup(c)
            except (ApiError, TransportError) as err:
                log.warning("lookup of %s %s failed: %s", c.kind, c.key, err)
                found = None
            else:
                if found is not None:
                    event, venue_id = found
                    c.venue_id = venue_id or c.venue_id
                    self._event(c, event)
                    self._apply_early(c)
                    return c
                misses += 1
                elapsed = (self.clock.time_ms() - c.created_ms) / 1000
                if misses >= 2 and elapsed >= self.config.not_found_grace:
                    self._event(c, CondEvent.NOT_FOUND, "the venue never carried it out")
                    return c
            await asyncio.sleep(delay)
        return c  # still unknown: the next reconcile tries again

    async def _lookup(self, c: TrackedConditional) -> tuple[CondEvent, str | None] | None:
        body = decode_body(c.kind, c.body)
        taken = self._j.bound_ids(c.kind) - {c.venue_id or ""}
        since = c.created_ms
        rest = self.rest
        if isinstance(body, PlanOrderBody):
            plan = find_plan(body, await rest.list_plan_orders(c.symbol), since, taken)
            return None if plan is None else (state_of("trigger", plan), plan.id)
        if isinstance(body, StopOrderBody):
            stop = find_stop(body, await rest.list_stop_orders(c.symbol), since, taken)
            return None if stop is None else (state_of("stop", stop), stop.id)
        if isinstance(body, TrackOrderBody):
            track = find_track(body, await rest.list_track_orders(c.symbol), since, taken)
            return None if track is None else (state_of("trailing", track), track.id)
        if isinstance(body, ReverseBody):
            held = {int(p.position_id) for p in await rest.get_positions(body.symbol)}
            return (CondEvent.DONE, None) if body.position_id not in held else None
        if c.kind == "close_all":
            return (CondEvent.DONE, None) if not await rest.get_positions() else None
        if isinstance(body, StopChangeBody):
            if body.stop_plan_order_id is not None:
                row: w.StopOrderData | w.OrderData = await rest.get_stop_order(
                    body.stop_plan_order_id
                )
            else:
                row = await rest.get_order(body.order_id or "")
            same = body.stop_loss_price in (None, row.stop_loss_price) and (
                body.take_profit_price in (None, row.take_profit_price)
            )
            return (CondEvent.DONE, None) if same else None
        if isinstance(body, CancelRef):
            return await self._cancel_outcome(body)
        return None

    async def _cancel_outcome(self, ref: CancelRef) -> tuple[CondEvent, str | None] | None:
        state = await self._venue_states(ref.kind, ref.symbol or None)
        event = state.get(ref.venue_id)
        return (CondEvent.DONE, None) if event in (CondEvent.CANCELLED, None) else None

    async def _venue_states(self, kind: str, symbol: str | None) -> dict[str, CondEvent]:
        rest = self.rest
        if kind == "trigger":
            return {r.id: state_of(kind, r) for r in await rest.list_plan_orders(symbol)}
        if kind == "stop":
            return {r.id: state_of(kind, r) for r in await rest.list_stop_orders(symbol)}
        return {r.id: state_of(kind, r) for r in await rest.list_track_orders(symbol)}

    async def reconcile(self) -> None:
        """Resolve ``pending_submit``/``unknown`` rows, then refresh the ``live`` ones."""
        for c in self.unresolved():
            await self.resolve(c)
        await self.refresh()

    async def refresh(self) -> None:
        """Live rows take the state the venue lists for them (triggered, cancelled, expired);
        TP/SL the venue created for our orders' ``stop_loss_price``/``take_profit_price``
        (spec §5.3) are adopted as live stops, so the strategy view shows them too."""
        await self._adopt_attached()
        live = [c for c in self.by_key.values() if c.state is CondState.LIVE and c.venue_id]
        for kind in sorted({c.kind for c in live}):
            states = await self._venue_states(kind, None)
            for c in live:
                if c.kind == kind and c.venue_id in states:
                    self._event(c, states[c.venue_id or ""])


    async def _adopt_attached(self) -> None:
        owned = self._owned_order_ids()
        if not owned:
            return
        for row in await self.rest.get_stop_orders():
            if row.order_id in owned:
                self._adopt(row)

    def _adopt(self, row: w.StopOrderData) -> TrackedConditional | None:
        """Track the TP/SL the venue attached to one of our orders as a live stop (once)."""
        if row.id in self._j.bound_ids("stop"):
            return None
        body = StopOrderBody(
            position_id=int(row.position_id),
            vol=row.vol,
            stop_loss_price=row.stop_loss_price or None,
            take_profit_price=row.take_profit_price or None,
            loss_trend=row.loss_trend or 1,
            profit_trend=row.profit_trend or 1,
        )
        c = TrackedConditional(
            key=self._j.new_key(f"attached:{row.id}"),
            kind="stop",
            symbol=row.symbol,
            label=f"attached to order {row.order_id}",
            body=_ENC.encode(body).decode(),
            state=CondState.PENDING_SUBMIT,
            venue_id=row.id,
            created_ms=self.clock.time_ms(),
        )
        try:
            self._j.record(c.row(), c.created_ms, latch=False)
        except DuplicateIntent:
            return None
        self.by_key[c.key] = c
        self._event(c, CondEvent.LIVE)
        return c

    # ------------------------------------------------------------------ private pushes
    def on_push(self, msg: object) -> bool:
        """Fold one private push into the tracked rows as it arrives (module docstring);
        ``False`` when ``msg`` is not a plan, stop or trailing push."""
        row: w.PlanOrderData | w.StopOrderData | w.TrackOrderData
        if isinstance(msg, ws.PlanOrderPush):
            kind, row = "trigger", msg.data
        elif isinstance(msg, ws.StopPlanOrderPush):
            kind, row = "stop", msg.data
        elif isinstance(msg, ws.TrackOrderPush):
            kind, row = "trailing", msg.data
        else:
            return False
        if self.journal is None:
            return True  # not started (or stopped): reconciliation will catch up
        event = state_of(kind, row)
        c = next(
            (t for t in self.by_key.values() if t.kind == kind and t.venue_id == row.id), None
        )
        if c is None:
            if (
                isinstance(row, w.StopOrderData)
                and event is CondEvent.LIVE
                and row.order_id is not None
                and row.order_id in self._owned_order_ids()
            ):
                self._adopt(row)
            else:
                self._early[(kind, row.id)] = event
                self._early.move_to_end((kind, row.id))
                while len(self._early) > EARLY_KEEP:
                    self._early.popitem(last=False)
            return True
        if TRANSITIONS.get((c.state, event), c.state) is not c.state:
            self.pushes_applied += 1
            self._event(c, event)
        return True

    def _apply_early(self, c: TrackedConditional) -> None:
        """A push for ``c`` that came before its id was known: apply it now."""
        event = self._early.pop((c.kind, c.venue_id or ""), None)
        if event is not None and TRANSITIONS.get((c.state, event), c.state) is not c.state:
            self.pushes_applied += 1
            self._event(c, event)


__all__ = ["ConditionalManager", "TrackedConditional"]
