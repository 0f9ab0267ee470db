"""Pre-trade risk gate: every intent is checked here before it is journaled or sent.

Checks (spec §5.3 order object, §4.1 contract rules, §10 enums):

* instrument rules — ``ContractSpec.validate_order(vol, price, leverage)`` (grid, bounds,
  leverage range), plus ``state`` when the spec carries it. ``apiAllowed=false`` is *not* a
  refusal (fidelity row 17: it was false on contracts that traded over the API in 2026): the
  order is tried once, and a venue refusal (1002) switches that symbol off (``switch_off``);
* leverage consistency — an open must use the leverage of the existing position on that side
  (the venue would answer 2021), and opens need a leverage at all;
* position mode — ``reduce_only`` on an *open* side is refused; in hedge mode the flag is never
  sent (the close sides 2/4 are reduce-only by nature, spec §5.3);
* reduce-only / closes — never more than the position minus what resting closes already cover;
* per-symbol position limit (contracts) and notional limit (quote currency);
* max open orders, total and per symbol.

``RiskGate.check(intent, view)`` returns ``None`` or a ``Rejection`` naming the rule. Cancels are
never blocked: reducing exposure must always be possible. Pure: no I/O, no clock.

What depends on the symbol only (its rules object, the ``apiAllowed``/``state`` verdict, the
position and notional limits) is computed once per symbol and reused until ``specs`` holds a
different rules object for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import msgspec

from mexc_futures.errors import ValidationError
from mexc_futures.model.intents import (
    AmendOrder,
    CancelAll,
    CancelOrder,
    ClosePosition,
    Intent,
    OrderKind,
    PlaceOrder,
    TradeSide,
)

HEDGE = 1
ONE_WAY = 2
_OPEN_SIDES = frozenset({TradeSide.OPEN_LONG, TradeSide.OPEN_SHORT})


class InstrumentRules(Protocol):
    """What the gate needs of ``mexc_futures.model.instrument.ContractSpec``."""

    def validate_order(
        self, vol: Decimal, price: Decimal | None = None, leverage: int | None = None
    ) -> None: ...

    def notional(self, vol: Decimal, price: Decimal) -> Decimal: ...


class Rejection(msgspec.Struct, frozen=True):
    """Why an intent was refused: ``rule`` is a stable identifier, ``detail`` is for people."""

    rule: str
    detail: str


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Limits in contracts / quote currency. Per-symbol maps override the defaults."""

    max_position: Decimal = Decimal(1_000_000)
    max_notional: Decimal = Decimal(1_000_000)
    max_open_orders: int = 50
    max_open_orders_per_symbol: int = 20
    position_by_symbol: Mapping[str, Decimal] = field(default_factory=dict)
    notional_by_symbol: Mapping[str, Decimal] = field(default_factory=dict)

    def position_limit(self, symbol: str) -> Decimal:
        """Max absolute position of ``symbol`` in contracts."""
        return self.position_by_symbol.get(symbol, self.max_position)

    def notional_limit(self, symbol: str) -> Decimal:
        """Max notional of ``symbol`` in quote currency."""
        return self.notional_by_symbol.get(symbol, self.max_notional)


@dataclass(slots=True)
class RiskView:
    """The account as the execution manager knows it when checking an intent.

    ``positions`` and ``leverage`` are keyed by ``(symbol, position_type)`` (1 long, 2 short);
    ``pending_open`` / ``pending_close`` hold resting order volume per the same key;
    ``order_vol`` gives ``(symbol, side, vol, filled)`` of live orders by venue id (for amends).
    """

    position_mode: int = ONE_WAY
    positions: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    leverage: dict[tuple[str, int], int] = field(default_factory=dict)
    pending_open: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    pending_close: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    open_orders: dict[str, int] = field(default_factory=dict)
    reference_price: dict[str, Decimal] = field(default_factory=dict)
    order_vol: dict[str, tuple[str, int, Decimal, Decimal]] = field(default_factory=dict)


def position_type(side: int) -> int:
    """Spec §10: sides 1/2 act on the long (1 open, 4 close) or short (3 open, 2 close) side."""
    return 1 if side in (TradeSide.OPEN_LONG, TradeSide.CLOSE_LONG) else 2


@dataclass(frozen=True, slots=True)
class _SymbolRules:
    """Per-symbol constants of the gate (``spec`` is the object they were computed from)."""

    spec: InstrumentRules | None
    verdict: InstrumentRules | Rejection
    position_limit: Decimal
    notional_limit: Decimal


# contract/detail ``positionOpenType`` -> the margin modes (openType 1 isolated, 2 cross) an open
# may use. Fidelity row 10: REST detail says 1 isolated, 2 cross, 3 both; the v2 WebSocket
# ``push.contract`` table says 1 both, 2 cross, 3 isolated. The value is read from REST detail,
# so the REST reading applies; under it 1 refuses cross where the WS reading would allow it (the
# narrower, safer answer). docs/execution.md "positionOpenType" explains the choice.
OPEN_TYPES_ALLOWED: dict[int, frozenset[int]] = {
    1: frozenset({1}),
    2: frozenset({2}),
    3: frozenset({1, 2}),
}
_MODE_NAME = {1: "isolated", 2: "cross"}


def _check_open_type(o: PlaceOrder, position_open_type: int) -> Rejection | None:
    allowed = OPEN_TYPES_ALLOWED.get(position_open_type)
    mode = int(o.margin_mode)
    if allowed is None or mode in allowed:
        return None
    only = " or ".join(_MODE_NAME[m] for m in sorted(allowed))
    return Rejection(
        "margin_mode",
        f"{o.symbol} accepts only {only} margin (positionOpenType={position_open_type} in "
        f"contract/detail); this open asked for {_MODE_NAME.get(mode, str(mode))}. Use the "
        f"contract's margin mode (fidelity row 10: the venue would answer 2002/2027).",
    )


class RiskGate:
    """Checks intents against instrument rules and limits (see module docstring)."""

    def __init__(self, limits: RiskLimits, specs: Mapping[str, InstrumentRules]) -> None:
        self.limits = limits
        self.specs = specs
        self._rules: dict[str, _SymbolRules] = {}
        self.off: dict[str, str] = {}

    def switch_off(self, symbol: str, reason: str) -> None:
        """Refuse further placements on ``symbol`` (the venue refused them), saying why."""
        self.off.setdefault(symbol, reason)

    def rules(self, symbol: str) -> _SymbolRules:
        """The precomputed per-symbol constants (recomputed when the spec object changes)."""
        spec = self.specs.get(symbol)
        r = self._rules.get(symbol)
        if r is None or r.spec is not spec:
            r = _SymbolRules(
                spec,
                self._verdict(symbol, spec),
                self.limits.position_limit(symbol),
                self.limits.notional_limit(symbol),
            )
            self._rules[symbol] = r
        return r

    def check(self, intent: Intent, view: RiskView) -> Rejection | None:
        """``None`` if the intent may go out, else the first rule it breaks."""
        if isinstance(intent, CancelOrder | CancelAll):
            return None
        if isinstance(intent, PlaceOrder):
            return self._check_place(intent, view)
        if isinstance(intent, AmendOrder):
            return self._check_amend(intent, view)
        assert isinstance(intent, ClosePosition)
        held = view.positions.get((intent.symbol, intent.position_side), Decimal(0))
        if held <= 0:
            side = intent.position_side
            return Rejection("no_position", f"no {intent.symbol} position on side {side}")
        if intent.vol is not None and intent.vol > held:
            return Rejection("reduce_only", f"close {intent.vol} > position {held}")
        return None

    def _spec(self, symbol: str) -> InstrumentRules | Rejection:
        if symbol in self.off:
            return Rejection("symbol_off", self.off[symbol])
        return self.rules(symbol).verdict

    @staticmethod
    def _verdict(symbol: str, spec: InstrumentRules | None) -> InstrumentRules | Rejection:
        if spec is None:
            return Rejection("unknown_symbol", f"no contract rules for {symbol}")
        if getattr(spec, "state", 0) not in (0, None):
            return Rejection("contract_state", f"{symbol} state {getattr(spec, 'state', '?')}")
        return spec

    def _check_place(self, o: PlaceOrder, view: RiskView) -> Rejection | None:
        spec = self._spec(o.symbol)
        if isinstance(spec, Rejection):
            return spec
        is_open = o.side in _OPEN_SIDES
        lev = o.leverage if is_open else None
        try:
            spec.validate_order(o.vol, o.price, lev)
        except ValidationError as e:
            return Rejection("instrument", str(e))
        key = (o.symbol, position_type(o.side))
        if rej := self._check_counts(o.symbol, view):
            return rej
        if not is_open:
            held = view.positions.get(key, Decimal(0))
            covered = view.pending_close.get(key, Decimal(0))
            if o.vol + covered > held:
                return Rejection(
                    "reduce_only", f"close {o.vol} + resting closes {covered} > position {held}"
                )
            return None
        if o.reduce_only:
            return Rejection("reduce_only", "reduce_only on an opening side")
        if rej := _check_open_type(o, getattr(spec, "position_open_type", 3)):
            return rej
        if o.leverage is None and key not in view.leverage:
            return Rejection("leverage", "an open needs a leverage (none known for this side)")
        held_lev = view.leverage.get(key)
        has_pos = view.positions.get(key, Decimal(0)) > 0
        if has_pos and o.leverage is not None and held_lev is not None and o.leverage != held_lev:
            return Rejection(
                "leverage", f"leverage {o.leverage} differs from the position's {held_lev}"
            )
        exposure = (
            view.positions.get(key, Decimal(0)) + view.pending_open.get(key, Decimal(0)) + o.vol
        )
        return self._check_size(o.symbol, exposure, o.price, o.kind, view)

    def _check_amend(self, a: AmendOrder, view: RiskView) -> Rejection | None:
        spec = self._spec(a.symbol)
        if isinstance(spec, Rejection):
            return spec
        live = view.order_vol.get(a.order_id)
        if live is None:
            return Rejection("unknown_order", f"order {a.order_id} is not live")
        _sym, side, old_vol, filled = live
        if a.vol < filled:
            return Rejection("amend_below_filled", f"vol {a.vol} < filled {filled}")
        try:
            spec.validate_order(a.vol, a.price, None)
        except ValidationError as e:
            return Rejection("instrument", str(e))
        if side not in _OPEN_SIDES:
            return None
        key = (a.symbol, position_type(side))
        exposure = (
            view.positions.get(key, Decimal(0))
            + view.pending_open.get(key, Decimal(0))
            - old_vol
            + a.vol
        )
        return self._check_size(a.symbol, exposure, a.price, OrderKind.LIMIT, view)

    def _check_counts(self, symbol: str, view: RiskView) -> Rejection | None:
        total = sum(view.open_orders.values())
        if total >= self.limits.max_open_orders:
            limit = self.limits.max_open_orders
            return Rejection("max_open_orders", f"{total} open orders (max {limit})")
        mine = view.open_orders.get(symbol, 0)
        if mine >= self.limits.max_open_orders_per_symbol:
            return Rejection(
                "max_open_orders",
                f"{mine} open orders on {symbol} (max {self.limits.max_open_orders_per_symbol})",
            )
        return None

    def _check_size(
        self, symbol: str, exposure: Decimal, price: Decimal | None, kind: int, view: RiskView
    ) -> Rejection | None:
        rules = self.rules(symbol)
        if exposure > rules.position_limit:
            return Rejection(
                "max_position", f"{exposure} contracts > limit {rules.position_limit}"
            )
        ref = price if price is not None and kind != OrderKind.MARKET else None
        ref = ref or view.reference_price.get(symbol) or price
        if ref is None:
            return Rejection("no_reference_price", f"no price to value a {symbol} market order")
        spec = rules.verdict
        assert not isinstance(spec, Rejection)  # nosec B101  # checked before sizing
        notional = spec.notional(exposure, ref)
        if notional > rules.notional_limit:
            return Rejection("max_notional", f"notional {notional} > limit {rules.notional_limit}")
        return None


__all__ = [
    "HEDGE",
    "ONE_WAY",
    "InstrumentRules",
    "Rejection",
    "RiskGate",
    "RiskLimits",
    "RiskView",
    "position_type",
]
