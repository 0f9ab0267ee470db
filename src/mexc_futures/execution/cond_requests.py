"""From conditional intent to request, and from the venue's lists back to a lost request (pure).

* ``request_for`` — the kind and typed body (``protocol.bodies``) of a ``PlaceTrigger``,
  ``PlaceStop``, ``PlaceTrailing``, ``ReversePosition``, ``CloseAll``, ``AmendStop`` or
  ``CancelConditional`` (spec §5.2, §5.6–§5.8). The position id a stop or a reverse needs is
  given by the caller (read from REST just before).
* ``find_*`` — the venue row that a journaled request created, found by the request's own fields
  (the venue takes no client id for these endpoints, spec §5.6–§5.8): same symbol, side, volume,
  levels and price type, created no earlier than the journal row (less ``SKEW_MS``), and not
  already bound to another journal row. Used to resolve a lost answer — never to resend.
* ``state_of`` — a venue row's state as a ``CondState``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from mexc_futures.model.intents import (
    AmendStop,
    CancelConditional,
    CloseAll,
    ConditionalIntent,
    OrderKind,
    PlaceOrder,
    PlaceStop,
    PlaceTrailing,
    PlaceTrigger,
    ReversePosition,
    TradeSide,
)
from mexc_futures.protocol import rest as w
from mexc_futures.protocol.bodies import (
    PlanOrderBody,
    ReverseBody,
    StopChangeBody,
    StopOrderBody,
    TrackOrderBody,
)

#: A venue row may carry a create time this much before our journal row (clock offsets).
SKEW_MS = 60_000
_ZERO = Decimal(0)
KINDS = ("trigger", "stop", "trailing")


class CondState(enum.StrEnum):
    """Life of a journaled conditional intent (table ``TRANSITIONS``)."""

    PENDING_SUBMIT = "pending_submit"
    UNKNOWN = "unknown"  # sent, answer lost: resolved by lookup, never resent
    LIVE = "live"  # resting at the venue (trigger, stop, trailing)
    DONE = "done"  # executed / triggered / carried out
    CANCELLED = "cancelled"
    FAILED = "failed"  # the venue expired it or its execution failed
    REJECTED = "rejected"  # the venue answered with an error code
    NOT_PLACED = "not_placed"  # the lookup shows the venue never carried it out

    @property
    def terminal(self) -> bool:
        """No further change."""
        return self not in (CondState.PENDING_SUBMIT, CondState.UNKNOWN, CondState.LIVE)


class CondEvent(enum.StrEnum):
    """What happened to a conditional intent."""

    ACK = "ack"  # the venue answered success (resting kinds -> LIVE, one-shot kinds -> DONE)
    REJECT = "reject"
    FATE_UNKNOWN = "fate_unknown"
    LIVE = "live"  # found resting
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    NOT_FOUND = "not_found"  # lookups and the grace found nothing


_S, _E = CondState, CondEvent
TRANSITIONS: dict[tuple[CondState, CondEvent], CondState] = {
    (_S.PENDING_SUBMIT, _E.ACK): _S.LIVE,
    (_S.PENDING_SUBMIT, _E.REJECT): _S.REJECTED,
    (_S.PENDING_SUBMIT, _E.FATE_UNKNOWN): _S.UNKNOWN,
    (_S.PENDING_SUBMIT, _E.LIVE): _S.LIVE,  # found at start-up after a crash
    (_S.PENDING_SUBMIT, _E.DONE): _S.DONE,
    (_S.PENDING_SUBMIT, _E.CANCELLED): _S.CANCELLED,
    (_S.PENDING_SUBMIT, _E.FAILED): _S.FAILED,
    (_S.PENDING_SUBMIT, _E.NOT_FOUND): _S.NOT_PLACED,
    (_S.UNKNOWN, _E.LIVE): _S.LIVE,
    (_S.UNKNOWN, _E.DONE): _S.DONE,
    (_S.UNKNOWN, _E.CANCELLED): _S.CANCELLED,
    (_S.UNKNOWN, _E.FAILED): _S.FAILED,
    (_S.UNKNOWN, _E.NOT_FOUND): _S.NOT_PLACED,
    (_S.LIVE, _E.LIVE): _S.LIVE,
    (_S.LIVE, _E.DONE): _S.DONE,
    (_S.LIVE, _E.CANCELLED): _S.CANCELLED,
    (_S.LIVE, _E.FAILED): _S.FAILED,
}

#: Kinds whose success leaves an order resting at the venue (the others are one-shot).
RESTING = frozenset(KINDS)

Body = PlanOrderBody | StopOrderBody | TrackOrderBody | ReverseBody | StopChangeBody | None


class CancelRef(msgspec.Struct, frozen=True, kw_only=True):
    """Journaled body of a ``CancelConditional``."""

    kind: str
    symbol: str
    venue_id: str


def kind_of(intent: ConditionalIntent) -> str:
    """The journal kind of ``intent``."""
    return {
        PlaceTrigger: "trigger",
        PlaceStop: "stop",
        PlaceTrailing: "trailing",
        ReversePosition: "reverse",
        CloseAll: "close_all",
        AmendStop: "amend_stop",
        CancelConditional: "cancel",
    }[type(intent)]


def _int(x: int | None) -> int | None:
    return None if x is None else int(x)


def request_for(
    intent: ConditionalIntent, *, position_id: int | None, hold_vol: Decimal | None
) -> Body | CancelRef:
    """The typed body for ``intent`` (see the module docstring)."""
    match intent:
        case PlaceTrigger():
            if intent.expires_in_days not in (1, 7):
                raise ValueError("a trigger expires after 1 or 7 days (executeCycle, spec §5.6)")
            return PlanOrderBody(
                symbol=intent.symbol,
                price=intent.price,
                vol=intent.vol,
                leverage=intent.leverage,
                side=int(intent.side),
                open_type=int(intent.margin_mode),
                trigger_price=intent.trigger_price,
                trigger_type=int(intent.when),
                execute_cycle=2 if intent.expires_in_days == 7 else 1,
                order_type=int(intent.kind),
                trend=int(intent.price_type),
                reduce_only=True if intent.reduce_only else None,
                stop_loss_price=intent.stop_loss_price,
                take_profit_price=intent.take_profit_price,
            )
        case PlaceStop():
            if position_id is None:
                raise ValueError(f"no {intent.symbol} position on side {intent.position_side}")
            return StopOrderBody(
                position_id=position_id,
                vol=intent.vol if intent.vol is not None else hold_vol,
                stop_loss_price=intent.stop_loss_price,
                take_profit_price=intent.take_profit_price,
                loss_trend=int(intent.stop_loss_trigger),
                profit_trend=int(intent.take_profit_trigger),
                vol_type=1 if intent.vol is not None else 2,
            )
        case PlaceTrailing():
            if (intent.callback_rate is None) == (intent.callback_distance is None):
                raise ValueError("give exactly one of callback_rate and callback_distance")
            back = intent.callback_rate if intent.callback_rate is not None else None
            return TrackOrderBody(
                symbol=intent.symbol,
                leverage=intent.leverage,
                side=int(intent.side),
                vol=intent.vol,
                open_type=int(intent.margin_mode),
                trend=int(intent.price_type),
                active_price=intent.activation_price,
                back_type=1 if back is not None else 2,
                back_value=back if back is not None else (intent.callback_distance or _ZERO),
                reduce_only=True if intent.reduce_only else None,
            )
        case ReversePosition():
            if position_id is None or hold_vol is None:
                raise ValueError(f"no {intent.symbol} position on side {intent.position_side}")
            return ReverseBody(symbol=intent.symbol, position_id=position_id, vol=hold_vol)
        case CloseAll():
            return None
        case AmendStop():
            if (intent.stop_id is None) == (intent.order_id is None):
                raise ValueError("AmendStop names exactly one of stop_id and order_id")
            return StopChangeBody(
                stop_plan_order_id=intent.stop_id,
                order_id=intent.order_id,
                stop_loss_price=intent.stop_loss_price,
                take_profit_price=intent.take_profit_price,
                loss_trend=_int(intent.stop_loss_trigger),
                profit_trend=_int(intent.take_profit_trigger),
            )
        case CancelConditional():
            if intent.kind not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {intent.kind!r}")
            return CancelRef(kind=intent.kind, symbol=intent.symbol, venue_id=intent.venue_id)
    raise TypeError(type(intent).__name__)


BODY_TYPES: dict[str, type] = {
    "trigger": PlanOrderBody,
    "stop": StopOrderBody,
    "trailing": TrackOrderBody,
    "reverse": ReverseBody,
    "amend_stop": StopChangeBody,
    "cancel": CancelRef,
}


def decode_body(kind: str, raw: str) -> Body | CancelRef:
    """A journaled body back as its struct (``None`` for close-all)."""
    t = BODY_TYPES.get(kind)
    return None if t is None else msgspec.json.decode(raw, type=t)


# ---------------------------------------------------------------- venue rows -> state
_PLAN_STATE = {1: _E.LIVE, 2: _E.CANCELLED, 3: _E.DONE, 4: _E.FAILED, 5: _E.FAILED}
_TRACK_STATE = {0: _E.LIVE, 1: _E.LIVE, 2: _E.DONE, 3: _E.FAILED, 4: _E.CANCELLED}


def state_of(kind: str, row: w.PlanOrderData | w.StopOrderData | w.TrackOrderData) -> CondEvent:
    """The event a venue row stands for (plan/stop states §5.6–§5.7, track states §5.8)."""
    if kind == "trailing":
        return _TRACK_STATE.get(row.state, _E.FAILED)
    return _PLAN_STATE.get(row.state, _E.FAILED)


def _eq(a: Decimal | None, b: Decimal | None) -> bool:
    return (a or _ZERO) == (b or _ZERO)


def find_plan(
    body: PlanOrderBody, rows: Iterable[w.PlanOrderData], since_ms: int, taken: set[str]
) -> w.PlanOrderData | None:
    """The plan row ``body`` created (oldest match), if listed."""
    for r in sorted(rows, key=lambda r: (r.create_time, r.id)):
        if (
            r.id not in taken
            and r.create_time >= since_ms - SKEW_MS
            and r.symbol == body.symbol
            and r.side == body.side
            and r.vol == body.vol
            and r.trigger_price == body.trigger_price
            and r.trigger_type == body.trigger_type
            and (r.trend or 1) == body.trend
        ):
            return r
    return None


def find_stop(
    body: StopOrderBody, rows: Iterable[w.StopOrderData], since_ms: int, taken: set[str]
) -> w.StopOrderData | None:
    """The stop row ``body`` created. The venue answers a repeated stop at the same prices with
    the existing id (§5.7), so an already-bound row is a match too."""
    for r in sorted(rows, key=lambda r: (r.create_time, r.id)):
        if (
            r.create_time >= since_ms - SKEW_MS
            and r.position_id == str(body.position_id)
            and _eq(r.stop_loss_price, body.stop_loss_price)
            and _eq(r.take_profit_price, body.take_profit_price)
        ):
            return r
    return None


def find_track(
    body: TrackOrderBody, rows: Iterable[w.TrackOrderData], since_ms: int, taken: set[str]
) -> w.TrackOrderData | None:
    """The trailing row ``body`` created, if listed."""
    for r in sorted(rows, key=lambda r: (r.create_time, r.id)):
        if (
            r.id not in taken
            and r.create_time >= since_ms - SKEW_MS
            and r.symbol == body.symbol
            and r.side == body.side
            and r.vol == body.vol
            and (r.back_type or 1) == body.back_type
            and _eq(r.back_value, body.back_value)
            and _eq(r.active_price, body.active_price)
        ):
            return r
    return None


__all__ = [
    "KINDS",
    "RESTING",
    "SKEW_MS",
    "TRANSITIONS",
    "CancelRef",
    "CondEvent",
    "CondState",
    "decode_body",
    "find_plan",
    "find_stop",
    "find_track",
    "kind_of",
    "request_for",
    "risk_order",
    "state_of",
]


def risk_order(intent: PlaceTrigger | PlaceTrailing) -> PlaceOrder | None:
    """The order an opening trigger or trailing order becomes, for the risk gate (closing ones
    are checked by the venue when they fire: the position may change until then)."""
    if intent.side not in (TradeSide.OPEN_LONG, TradeSide.OPEN_SHORT):
        return None
    if isinstance(intent, PlaceTrigger):
        return PlaceOrder(
            symbol=intent.symbol,
            side=intent.side,
            kind=intent.kind if intent.price is not None else OrderKind.LIMIT,
            vol=intent.vol,
            price=intent.price if intent.price is not None else intent.trigger_price,
            leverage=intent.leverage,
            margin_mode=intent.margin_mode,
        )
    return PlaceOrder(
        symbol=intent.symbol,
        side=intent.side,
        kind=OrderKind.MARKET if intent.activation_price is None else OrderKind.LIMIT,
        vol=intent.vol,
        price=intent.activation_price,
        leverage=intent.leverage,
        margin_mode=intent.margin_mode,
    )
