"""An explicit latency model for the emulator's network edge (issue #17; design
record-replay-bus.md §1.4 "Latency", hftbacktest's entry/response and feed latencies).

Three one-way delays in **venue time**, each fixed or drawn from a seeded distribution:

* ``entry`` — a REST request (orders, cancels, queries; the order lane too) reaches the venue
  this long after it arrived at the emulator's socket: the venue authenticates, rate-limits and
  executes it only then;
* ``response`` — the answer leaves this long after the venue produced it;
* ``md`` — every WebSocket push (public market data and the private stream) is handed to the
  connection this long after the venue published it. Per connection the order is kept (a push
  never overtakes an earlier one; a short draw waits for the previous push), as on one TCP
  stream.

Distributions (milliseconds): ``20`` or ``20ms`` (fixed), ``uniform:10-30``, ``lognormal:20:0.5``
(median 20 ms, sigma 0.5 of the log). One ``random.Random`` per kind, seeded from ``seed``: the
same seed draws the same delays (deterministic backtests stay byte-identical). In a paced run
the real loopback time, times ``speed``, comes on top; in a lockstep run it is zero.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["entry", "response", "md"]
KINDS: tuple[Kind, ...] = ("entry", "response", "md")
#: what a backtest assumes unless told otherwise (docs/recording.md says why)
DEFAULT = "entry=20ms,response=20ms,md=20ms"
_MS = r"([0-9]*\.?[0-9]+)\s*(?:ms)?"


@dataclass(frozen=True, slots=True)
class Dist:
    """A delay distribution in ms: ``fixed`` (a), ``uniform`` (a..b), ``lognormal`` (median a,
    sigma b)."""

    kind: Literal["fixed", "uniform", "lognormal"] = "fixed"
    a: float = 0.0
    b: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        return self.a * math.exp(rng.gauss(0.0, self.b))

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.a:g} ms"
        if self.kind == "uniform":
            return f"uniform {self.a:g}-{self.b:g} ms"
        return f"lognormal, median {self.a:g} ms, sigma {self.b:g}"


def parse_dist(text: str) -> Dist:
    """``20``, ``20ms``, ``uniform:10-30``, ``lognormal:20:0.5`` (ms; see the module doc)."""
    t = text.strip().lower()
    if m := re.fullmatch(_MS, t):
        return Dist("fixed", float(m[1]))
    if m := re.fullmatch(rf"uniform:{_MS}\s*-\s*{_MS}", t):
        lo, hi = float(m[1]), float(m[2])
        if hi < lo:
            raise ValueError(f"uniform latency {text!r}: the upper bound is below the lower")
        return Dist("uniform", lo, hi)
    if m := re.fullmatch(rf"lognormal:{_MS}:([0-9]*\.?[0-9]+)", t):
        return Dist("lognormal", float(m[1]), float(m[2]))
    raise ValueError(f"latency {text!r}: use 20ms, uniform:10-30 or lognormal:20:0.5 "
                     "(milliseconds)")


@dataclass(frozen=True)
class LatencyModel:
    """``entry``, ``response`` and ``md`` delays (see the module doc) and the seed of their
    draws."""

    entry: Dist = field(default_factory=Dist)
    response: Dist = field(default_factory=Dist)
    md: Dist = field(default_factory=Dist)
    seed: int = 1

    @classmethod
    def parse(cls, spec: str, seed: int = 1) -> LatencyModel:
        """``entry=20ms,response=20ms,md=uniform:5-15``; one bare value sets all three; a kind
        left out is 0. ``0`` or ``none``: no added latency."""
        spec = spec.strip()
        if spec.lower() in ("", "0", "none", "zero"):
            return cls(seed=seed)
        if "=" not in spec:
            d = parse_dist(spec)
            return cls(d, d, d, seed)
        parts: dict[str, Dist] = {}
        for item in spec.split(","):
            name, sep, value = item.partition("=")
            name = name.strip().lower().replace("market_data", "md").replace("market-data", "md")
            if not sep or name not in KINDS:
                raise ValueError(f"latency {item!r}: name one of entry, response, md "
                                 "(e.g. entry=20ms,response=20ms,md=5ms)")
            parts[name] = parse_dist(value)
        return cls(parts.get("entry", Dist()), parts.get("response", Dist()),
                   parts.get("md", Dist()), seed)

    @property
    def zero(self) -> bool:
        return all(d.kind == "fixed" and d.a == 0 for d in (self.entry, self.response, self.md))

    def describe(self) -> dict[str, object]:
        return {"entry": self.entry.describe(), "response": self.response.describe(),
                "market_data": self.md.describe(), "seed": self.seed}


class Latency:
    """The model at run time: seeded draws, venue time converted to loop time by ``speed``."""

    def __init__(self, model: LatencyModel, speed: float = 1.0) -> None:
        self.model = model
        self.speed = speed
        self._rng = {k: random.Random(f"{model.seed}:{k}")  # noqa: S311  # nosec B311  # a model
                     for k in KINDS}
        self._dist: dict[Kind, Dist] = {"entry": model.entry, "response": model.response,
                                        "md": model.md}
        self.drawn: dict[Kind, int] = dict.fromkeys(KINDS, 0)

    def draw_ms(self, kind: Kind) -> float:
        """One delay of ``kind`` in venue ms (never negative)."""
        self.drawn[kind] += 1
        return max(0.0, self._dist[kind].sample(self._rng[kind]))

    async def wait(self, kind: Kind) -> None:
        """Sleep one drawn ``kind`` delay (venue time)."""
        ms = self.draw_ms(kind)
        if ms > 0:
            await asyncio.sleep(ms / 1000.0 / self.speed)


class PushDelay:
    """Holds WebSocket pushes for the ``md`` delay, in order per connection, then hands them to
    ``send(conn_id, data, frames)``."""

    def __init__(self, latency: Latency, send: Callable[[int, bytes, int], None]) -> None:
        self.latency = latency
        self._send = send
        self._queues: dict[int, deque[tuple[float, bytes, int]]] = {}
        self._last: dict[int, float] = {}

    def push(self, conn: int, data: bytes, frames: int) -> None:
        ms = self.latency.draw_ms("md")
        q = self._queues.get(conn)
        if ms <= 0 and not q:
            self._send(conn, data, frames)
            return
        loop = asyncio.get_running_loop()
        due = max(loop.time() + ms / 1000.0 / self.latency.speed, self._last.get(conn, 0.0))
        self._last[conn] = due
        if q is None:
            q = self._queues[conn] = deque()
        q.append((due, data, frames))
        if len(q) == 1:
            loop.call_at(due, self._drain, conn)

    def _drain(self, conn: int) -> None:
        q = self._queues.get(conn)
        if not q:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        while q and q[0][0] <= now + 1e-6:  # a timer may fire within the clock's resolution
            _, data, frames = q.popleft()
            self._send(conn, data, frames)
        if q:
            loop.call_at(q[0][0], self._drain, conn)


__all__ = ["DEFAULT", "KINDS", "Dist", "Latency", "LatencyModel", "PushDelay", "parse_dist"]
