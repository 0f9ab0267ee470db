"""Queue-position models for orders resting on a recorded L2 book (issue #17, design
record-replay-bus.md §1.4 "fill rules"; hftbacktest's ``RiskAverseQueueModel`` and
``ProbQueueModel`` definitions, Databento's queue-position note).

L2 data says how much rests at a price, never where a new order stands. A model must: each
resting order keeps ``QueuePos.ahead``, the crowd volume in front of it at its level.

* **trade at the order's price** (the aggressor on the other side): eats ``ahead`` first, then
  fills the order (partial fills allowed); the rest went to the crowd behind (``on_trade``);
* **level update** from ``prev`` to ``new`` (absolute, MEXC sizes are absolute): an increase joins
  behind; a decrease not explained by the trades seen since the last update is split by the model
  (``on_depth``):

  - ``RiskAverse`` (default): cancels come from behind; ``ahead`` shrinks only when the level
    falls below it (``ahead = min(ahead, new)``): never over-fills;
  - ``Prob(n)``: the decrease ``chg`` is split by ``f(x) = x**n``: the share behind is
    ``f(behind) / (f(behind) + f(ahead))`` (cancels behind are likelier for n > 1), so
    ``ahead -= (1 - p) * chg`` (plus whatever ``behind`` cannot absorb), then ``min(., new)``;
  - ``FrontOfQueue``: ``ahead = 0`` always (the optimistic bound, for sensitivity only).

* **trade through** the price (a sell printed below a resting bid) fills the order whole, and a
  **crossed book** (the recorded best ask at or below a resting bid) fills it whole at its own
  price as maker (hftbacktest #158's behaviour, stated in reports): ``QueueSim``.

Pure and table-tested (``tests/unit/emulator/market/test_queue.py``): for any recorded sequence,
fills(RiskAverse) ≤ fills(Prob) ≤ fills(FrontOfQueue).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

BUY = 1
SELL = -1


@dataclass(slots=True)
class QueuePos:
    """Where one resting order stands: crowd volume ahead, trades seen since the last update."""

    ahead: float
    traded: float = 0.0


class QueueModel(Protocol):
    """How a level's crowd is split around a resting order."""

    @property
    def name(self) -> str:
        """``risk-averse``, ``prob:N`` or ``front`` (reports print it)."""
        ...

    def place(self, level_qty: float) -> QueuePos:
        """Position of an order joining a level that holds ``level_qty``."""
        ...

    def on_depth(self, pos: QueuePos, prev_qty: float, new_qty: float) -> None:
        """The level went from ``prev_qty`` to ``new_qty`` (recorded, absolute)."""
        ...


def on_trade(pos: QueuePos, qty: float, remaining: float) -> float:
    """A trade of ``qty`` at the order's price against its side: the volume it fills
    (``ahead`` first, then the order up to ``remaining``). Same for every model."""
    pos.traded += qty
    if qty <= pos.ahead:
        pos.ahead -= qty
        return 0.0
    excess = qty - pos.ahead
    pos.ahead = 0.0
    return min(excess, remaining)


class RiskAverse:
    """Cancels come from behind; ``ahead`` only falls with trades or below the level size."""

    name = "risk-averse"

    def place(self, level_qty: float) -> QueuePos:
        return QueuePos(max(level_qty, 0.0))

    def on_depth(self, pos: QueuePos, prev_qty: float, new_qty: float) -> None:
        pos.ahead = min(pos.ahead, max(new_qty, 0.0))
        pos.traded = 0.0


@dataclass(frozen=True)
class Prob:
    """hftbacktest's ``ProbQueueModel`` with ``f(x) = x**power`` (power 1: proportional)."""

    power: float = 2.0

    @property
    def name(self) -> str:
        return f"prob:{self.power:g}"

    def place(self, level_qty: float) -> QueuePos:
        return QueuePos(max(level_qty, 0.0))

    def on_depth(self, pos: QueuePos, prev_qty: float, new_qty: float) -> None:
        new_qty = max(new_qty, 0.0)
        chg = prev_qty - new_qty - pos.traded  # the decrease trades do not explain
        pos.traded = 0.0
        if chg <= 0:
            pos.ahead = min(pos.ahead, new_qty)
            return
        front = pos.ahead
        back = max(prev_qty - front, 0.0)
        fb, ff = back**self.power, front**self.power
        p_back = fb / (fb + ff) if fb + ff > 0 else 1.0
        est = front - (1.0 - p_back) * chg + min(back - p_back * chg, 0.0)
        pos.ahead = max(0.0, min(est, new_qty))


class FrontOfQueue:
    """The optimistic bound: nothing is ever ahead."""

    name = "front"

    def place(self, level_qty: float) -> QueuePos:
        return QueuePos(0.0)

    def on_depth(self, pos: QueuePos, prev_qty: float, new_qty: float) -> None:
        pos.ahead = 0.0
        pos.traded = 0.0


def parse_model(text: str) -> QueueModel:
    """``risk-averse`` | ``prob`` | ``prob:N`` | ``front`` (CLI ``--queue-model``)."""
    t = text.strip().lower()
    if t in ("risk-averse", "riskaverse", "ra"):
        return RiskAverse()
    if t == "front":
        return FrontOfQueue()
    if t.startswith("prob"):
        _, _, n = t.partition(":")
        try:
            return Prob(float(n) if n else 2.0)
        except ValueError:
            raise ValueError(f"bad queue model {text!r}: prob:N needs a number") from None
    raise ValueError(f"unknown queue model {text!r}: risk-averse, prob[:N] or front")


@dataclass(frozen=True)
class Depth:
    """A recorded update: the level at the order's price, and the best opposite price."""

    level_qty: float
    best_opposite: float | None = None


@dataclass(frozen=True)
class Trade:
    """A recorded trade: ``side`` is the aggressor's (BUY lifts asks, SELL hits bids)."""

    price: float
    qty: float
    side: int


@dataclass
class Fill:
    """One fill of the simulated order: at its own price, as maker; ``why`` names the rule."""

    qty: float
    why: str  # "queue" | "trade-through" | "crossed"


@dataclass
class QueueSim:
    """One resting limit order of ``size`` at ``price`` on ``side`` under ``model``.

    ``level_qty`` is the recorded size at ``price`` when the order arrives (it joins behind it).
    """

    model: QueueModel
    side: int
    price: float
    size: float
    level_qty: float
    pos: QueuePos = field(init=False)
    filled: float = 0.0
    fills: list[Fill] = field(default_factory=list)
    cancelled: bool = False

    def __post_init__(self) -> None:
        self.pos = self.model.place(self.level_qty)

    @property
    def remaining(self) -> float:
        return 0.0 if self.cancelled else self.size - self.filled

    def _fill(self, qty: float, why: str) -> None:
        if qty > 0:
            self.filled += qty
            self.fills.append(Fill(qty, why))

    def cancel(self) -> None:
        """The order is cancelled (no fill after this)."""
        self.cancelled = True

    def on(self, ev: Depth | Trade) -> None:
        """Apply one recorded event."""
        if self.remaining <= 0:
            return
        if isinstance(ev, Trade):
            if ev.side == self.side:  # same side as our order: not against us
                return
            through = ev.price < self.price if self.side == BUY else ev.price > self.price
            if through:
                self._fill(self.remaining, "trade-through")
            elif ev.price == self.price:
                self._fill(on_trade(self.pos, ev.qty, self.remaining), "queue")
            return
        opp = ev.best_opposite
        if opp is not None and (opp <= self.price if self.side == BUY else opp >= self.price):
            self._fill(self.remaining, "crossed")
            return
        self.model.on_depth(self.pos, self.level_qty, ev.level_qty)
        self.level_qty = ev.level_qty


__all__ = [
    "BUY",
    "SELL",
    "Depth",
    "Fill",
    "FrontOfQueue",
    "Prob",
    "QueueModel",
    "QueuePos",
    "QueueSim",
    "RiskAverse",
    "Trade",
    "on_trade",
    "parse_model",
]
