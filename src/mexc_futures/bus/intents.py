"""Intents and their answers on the bus, sans-I/O (issue #18; design record-replay-bus.md §2.5).

What a strategy process writes to ``mx:ord:{account}:intents`` and what the exec service writes
back to ``mx:ord:{account}:events:{strategy}``, as msgspec structs (msgpack on the wire, one field
``m`` per stream entry):

* ``IntentEnvelope`` — one intent with its id ``{strategy}:{boot}:{seq}`` (``boot``: random per
  strategy process start, ``seq``: counter), the strategy name, when it was written and when it
  expires (the exec service never *starts* an intent after ``expires_ms``: an order the strategy
  already gave up on is not sent late — it answers ``expired``). ``intent=None`` is a *hello*: the
  strategy announces itself and asks for a snapshot of the account.
* ``Outcome`` — the answer to one envelope: ``ok`` with the orders / conditional it produced, or
  the refusal (``error`` kind, venue ``code``, ``message``); ``duplicate`` when a redelivered
  intent found its journal row and was not sent again.
* ``Snapshot`` — the answer to a hello: positions, balances and the open orders of the account
  (orders of other strategies and of no strategy are marked not ours by the receiver).
* Account events (``OrderUpdate``, ``Fill``, ``PositionUpdate``, ``BalanceUpdate``,
  ``KillSwitchTripped``) travel as the domain structs themselves.

**Idempotency (reliability I1 across processes).** The ``externalOid`` of an order is derived
from the intent, never chosen at send time: the exec service's journal session is fixed per
account (``exec_session``) and the order's ``client_key`` is the intent key (``intent_key``: the
envelope id, or ``{strategy}:key:{client_key}`` when the strategy gave one — the same key twice
is the same order, as in-process). ``external_oid_for(account, key)`` is that mapping: the same
function the journal applies (``execution.journal.make_oid``), so a redelivered intent (exec
service killed between ``XREADGROUP`` and ``XACK``) finds its journal row and is never sent
twice.
"""

from __future__ import annotations

import re
from decimal import Decimal

import msgspec

from mexc_futures.errors import ApiError, KillSwitchActive, MexcError, error_from_code
from mexc_futures.execution.common import RiskRejected, TradingOff
from mexc_futures.execution.conditional import TrackedConditional
from mexc_futures.execution.journal import make_oid
from mexc_futures.model.events import (
    BalanceUpdate,
    Fill,
    KillSwitchTripped,
    OrderUpdate,
    PositionUpdate,
)
from mexc_futures.model.intents import Intent, PlaceBatch
from mexc_futures.model.orders import OrderState, TrackedOrder

#: A strategy name usable in a stream key and an intent id.
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class IntentEnvelope(msgspec.Struct, frozen=True, kw_only=True, tag="intent"):
    """One intent (or a hello when ``intent`` is None) from a strategy process."""

    id: str
    strategy: str
    sent_ms: int
    expires_ms: int
    intent: Intent | None = None


class OrderRow(msgspec.Struct, frozen=True, kw_only=True):
    """An order as the exec service tracks it (``TrackedOrder`` without its bookkeeping)."""

    external_oid: str
    symbol: str
    side: int
    kind: int
    vol: Decimal
    price: Decimal | None
    state: str
    order_id: str | None = None
    filled: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    error_code: int = 0


class CondRow(msgspec.Struct, frozen=True, kw_only=True):
    """A trigger / stop / trailing / position action as the exec service tracks it."""

    key: str
    kind: str
    symbol: str
    state: str
    venue_id: str | None = None
    error_code: int = 0
    detail: str = ""


class Outcome(msgspec.Struct, frozen=True, kw_only=True, tag="outcome"):
    """The exec service's answer to one intent envelope."""

    id: str
    ok: bool
    orders: tuple[OrderRow, ...] = ()
    batch: bool = False
    conditional: CondRow | None = None
    duplicate: bool = False
    error: str = ""  # kill | risk | trading_off | api | expired | refused
    code: int = 0
    message: str = ""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True, tag="snapshot"):
    """The account as the exec service sees it (answer to a hello)."""

    id: str
    positions: tuple[PositionUpdate, ...] = ()
    balances: tuple[BalanceUpdate, ...] = ()
    orders: tuple[OrderUpdate, ...] = ()
    kill: KillSwitchTripped | None = None


BusEvent = (
    Outcome | Snapshot | OrderUpdate | Fill | PositionUpdate | BalanceUpdate | KillSwitchTripped
)

_ENC = msgspec.msgpack.Encoder(decimal_format="string")
_INTENT_DEC = msgspec.msgpack.Decoder(IntentEnvelope)
_EVENT_DEC = msgspec.msgpack.Decoder(BusEvent)


def encode(obj: IntentEnvelope | BusEvent) -> bytes:
    """msgpack bytes for one stream entry's ``m`` field."""
    return _ENC.encode(obj)


def decode_intent(raw: bytes) -> IntentEnvelope:
    """An intent envelope (``msgspec.DecodeError`` / ``ValidationError`` when malformed)."""
    return _INTENT_DEC.decode(raw)


def decode_event(raw: bytes) -> BusEvent:
    """One event of a strategy's events stream."""
    event: BusEvent = _EVENT_DEC.decode(raw)
    return event


# ---------------------------------------------------------------------------- ids


def check_name(what: str, name: str) -> str:
    """``name`` if usable in stream keys and ids, else ``ValueError`` saying what is allowed."""
    if not NAME_RE.match(name):
        raise ValueError(
            f"{what} {name!r} cannot name a bus stream: use 1-64 letters, digits, '_', '.' or '-'"
        )
    return name


def intent_id(strategy: str, boot: str, seq: int) -> str:
    """``{strategy}:{boot}:{seq}``: unique per intent of one strategy process start."""
    return f"{strategy}:{boot}:{seq}"


def exec_session(account: str) -> str:
    """The journal session of the exec service of ``account``: fixed, so the ``externalOid``
    of an intent is the same in every exec-service process (the prefix is the account's)."""
    return f"exec-service:{account}"


def intent_key(env: IntentEnvelope) -> str:
    """The idempotency key of an envelope's intent: its id, or the strategy's own
    ``client_key`` scoped to the strategy (the same key twice is the same order)."""
    given = getattr(env.intent, "client_key", None)
    return f"{env.strategy}:key:{given}" if given else env.id


def external_oid_for(account: str, key: str) -> str:
    """The ``externalOid`` the exec service of ``account`` gives the order of intent ``key``
    (``ExecutionManager`` journals ``make_oid(session, "k:" + client_key)``)."""
    return make_oid(exec_session(account), f"k:{key}")


def keyed(intent: Intent, key: str) -> Intent:
    """``intent`` carrying ``key`` as its ``client_key`` (each order of a batch ``key/i``)."""
    if isinstance(intent, PlaceBatch):
        orders = tuple(
            msgspec.structs.replace(o, client_key=o.client_key and f"{key}/{o.client_key}")
            if o.client_key
            else msgspec.structs.replace(o, client_key=f"{key}/{i}")
            for i, o in enumerate(intent.orders)
        )
        return msgspec.structs.replace(intent, orders=orders)
    if "client_key" in intent.__struct_fields__:  # orders, chases, triggers, stops, ...
        return msgspec.structs.replace(intent, client_key=key)
    return intent


# ---------------------------------------------------------------------------- outcomes


def order_row(o: TrackedOrder) -> OrderRow:
    """The wire form of a tracked order."""
    return OrderRow(
        external_oid=o.external_oid,
        symbol=o.symbol,
        side=o.side,
        kind=o.kind,
        vol=o.vol,
        price=o.price,
        state=o.state.value,
        order_id=o.order_id,
        filled=o.filled,
        avg_price=o.avg_price,
        error_code=o.error_code,
    )


def tracked(row: OrderRow) -> TrackedOrder:
    """A ``TrackedOrder`` rebuilt from its wire form (what ``RemoteExecutor.submit`` returns,
    as ``ExecutionManager.submit`` would)."""
    return TrackedOrder(
        external_oid=row.external_oid,
        symbol=row.symbol,
        side=row.side,
        kind=row.kind,
        vol=row.vol,
        price=row.price,
        state=OrderState(row.state),
        order_id=row.order_id,
        filled=row.filled,
        avg_price=row.avg_price,
        error_code=row.error_code,
    )


def cond_row(c: TrackedConditional) -> CondRow:
    """The wire form of a tracked conditional."""
    return CondRow(
        key=c.key,
        kind=c.kind,
        symbol=c.symbol,
        state=str(c.state.value),
        venue_id=c.venue_id,
        error_code=c.error_code,
        detail=c.detail,
    )


def success(env_id: str, result: object, *, duplicate: bool = False) -> Outcome:
    """The outcome of an intent ``ExecutionManager.submit`` carried out."""
    if isinstance(result, list):
        rows = tuple(order_row(o) for o in result if isinstance(o, TrackedOrder))
        return Outcome(id=env_id, ok=True, orders=rows, batch=True, duplicate=duplicate)
    if isinstance(result, TrackedOrder):
        return Outcome(id=env_id, ok=True, orders=(order_row(result),), duplicate=duplicate)
    if isinstance(result, TrackedConditional):
        return Outcome(id=env_id, ok=True, conditional=cond_row(result), duplicate=duplicate)
    return Outcome(id=env_id, ok=True, duplicate=duplicate)


def failure(env_id: str, exc: BaseException) -> Outcome:
    """The outcome of an intent the exec service (or the venue) refused."""
    kind = "refused"
    code = 0
    if isinstance(exc, KillSwitchActive):
        kind = "kill"
    elif isinstance(exc, RiskRejected):
        kind = "risk"
    elif isinstance(exc, TradingOff):
        kind = "trading_off"
    elif isinstance(exc, ApiError):
        kind, code = "api", exc.code
    return Outcome(id=env_id, ok=False, error=kind, code=code, message=str(exc))


class RemoteRefused(MexcError):
    """The exec service refused the intent (risk gate, trading off, expired, malformed)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def result_of(outcome: Outcome) -> object:
    """What ``ExecutionManager.submit`` would have returned, or raise what it would have
    raised (``KillSwitchActive``, the venue's ``ApiError`` subclass, ``RemoteRefused``)."""
    if not outcome.ok:
        if outcome.error == "kill":
            raise KillSwitchActive(outcome.message)
        if outcome.error == "api":
            raise error_from_code(outcome.code, outcome.message)
        raise RemoteRefused(outcome.error, outcome.message)
    if outcome.conditional is not None:
        return outcome.conditional
    orders = [tracked(r) for r in outcome.orders]
    if outcome.batch:
        return orders
    return orders[0] if orders else None


__all__ = [
    "BusEvent",
    "CondRow",
    "IntentEnvelope",
    "OrderRow",
    "Outcome",
    "RemoteRefused",
    "Snapshot",
    "check_name",
    "decode_event",
    "decode_intent",
    "encode",
    "exec_session",
    "external_oid_for",
    "failure",
    "intent_id",
    "intent_key",
    "keyed",
    "result_of",
    "success",
]
