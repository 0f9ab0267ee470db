"""A recording as the emulator's market: per symbol, time-ordered book changes, prints and
reference prices (issue #17, design record-replay-bus.md §1.4 "Replay into the emulator").

``build_tape(lines)`` reads recording lines (``recording.reader.iter_lines`` gives them; only
``recv_ns``, ``kind`` and ``payload`` are used, so the emulator does not import the recorder)
and rebuilds each symbol's recorded L2 book the way the client's book sync did: the first
recorded REST snapshot, the ``push.depth`` frames continuing it (frames seen before the
snapshot answer are kept and the newer ones applied), a fresh snapshot after a version gap.

Time is the recorder's **receive** time (ms): a change exists in the replayed market from the
moment the recorder knew it, never earlier, so a strategy replayed against the tape cannot see
an event before the recorded ``ts`` + feed latency (acceptance A9).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from mexc_futures.protocol import codec
from mexc_futures.protocol import rest as w
from mexc_futures.protocol import ws as wire

Side = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Levels:
    """Recorded book change at ``t``: absolute sizes (0 = gone); ``snapshot`` replaces all."""

    t: int
    bids: Side
    asks: Side
    snapshot: bool = False


@dataclass(frozen=True, slots=True)
class Print:
    """A recorded public trade; ``buy`` is the aggressor's side (MEXC ``T`` = 1)."""

    t: int
    price: float
    vol: float
    buy: bool


@dataclass(frozen=True, slots=True)
class Ref:
    """Recorded reference values (ticker / funding.rate); ``None`` = not in this frame."""

    t: int
    fair: float | None = None
    index: float | None = None
    funding_rate: float | None = None
    next_settle_ms: int | None = None


Event = Levels | Print | Ref


@dataclass
class Tape:
    """Everything the replayed market needs, per symbol, in time order."""

    events: dict[str, list[Event]] = field(default_factory=dict)
    start_ms: int = 0
    end_ms: int = 0
    gaps: dict[str, int] = field(default_factory=dict)  # version gaps found (resynced)

    def of(self, symbol: str) -> list[Event]:
        return self.events.setdefault(symbol, [])


class _Rest(msgspec.Struct):
    path: str
    symbol: str
    q: dict[str, Any] = {}
    body: msgspec.Raw = msgspec.Raw(b"null")
    error: str | None = None


@dataclass
class _Book:
    version: int | None = None
    recent: deque[tuple[int, int, int, Levels]] = field(default_factory=lambda: deque(maxlen=500))


def _levels(side: Any) -> Side:
    return tuple((float(lv.price), float(lv.vol)) for lv in side)


def build_tape(lines: Iterable[Any], symbols: Iterable[str] | None = None) -> Tape:
    """The tape of every (or the given) symbol; ``lines`` have ``recv_ns``/``kind``/``payload``."""
    want = {s.upper() for s in symbols} if symbols else None
    tape = Tape()
    books: dict[str, _Book] = {}
    rest_dec = msgspec.json.Decoder(_Rest)
    depth_dec = msgspec.json.Decoder(w.DepthData)
    decode = codec.decode_frame
    for line in lines:
        t = line.recv_ns // 1_000_000
        if not tape.start_ms:
            tape.start_ms = t
        tape.end_ms = max(tape.end_ms, t)
        kind = line.kind
        if kind == b"rest":
            r = rest_dec.decode(line.payload)
            if r.path != "depth" or r.error is not None or (want and r.symbol not in want):
                continue
            snap = depth_dec.decode(r.body)
            b = books.setdefault(r.symbol, _Book())
            if b.version is not None and snap.version <= b.version:
                continue  # an audit or a late answer: the book is ahead already
            ev = tape.of(r.symbol)
            ev.append(Levels(t, _levels(snap.bids), _levels(snap.asks), snapshot=True))
            b.version = snap.version
            for begin, end, _, lv in b.recent:  # frames that arrived while the answer was due
                if end > b.version and begin <= b.version + 1:
                    ev.append(Levels(t, lv.bids, lv.asks))
                    b.version = end
            b.recent.clear()
            continue
        if kind != b"ws":
            continue
        try:
            msg = decode(line.payload)
        except Exception:  # noqa: S112  # nosec B112  # undecodable frames are not market data
            continue
        sym = getattr(msg, "symbol", None)
        if sym is None or (want and sym not in want):
            continue
        if isinstance(msg, wire.DepthPush):
            d = msg.data
            begin = d.begin if d.begin is not None else d.version
            end = d.end if d.end is not None else d.version
            lv = Levels(t, _levels(d.bids), _levels(d.asks))
            b = books.setdefault(sym, _Book())
            if b.version is None:
                b.recent.append((begin, end, t, lv))
            elif end <= b.version:
                continue  # a duplicate (twin connection) or older
            elif begin <= b.version + 1:
                tape.of(sym).append(lv)
                b.version = end
            else:  # a gap: wait for the next snapshot the client fetched
                tape.gaps[sym] = tape.gaps.get(sym, 0) + 1
                b.version = None
                b.recent.append((begin, end, t, lv))
        elif isinstance(msg, wire.DealPush):
            ev = tape.of(sym)
            for deal in msg.data:
                ev.append(Print(t, float(deal.p), float(deal.v), deal.taker_side == 1))
        elif isinstance(msg, wire.TickerPush):
            td = msg.data
            tape.of(sym).append(Ref(t, fair=td.fair_price, index=td.index_price,
                                    funding_rate=td.funding_rate))
        elif isinstance(msg, wire.FundingRatePush):
            fd = msg.data
            tape.of(sym).append(Ref(t, funding_rate=fd.rate,
                                    next_settle_ms=fd.next_settle_time))
    return tape


#: ``emulator.venue.contracts.Contract`` fields a recorded contract detail sets (units, limits,
#: fee rates: the replayed venue charges what the recorded venue charged)
TERMS = {"price_unit": float, "contract_size": float, "vol_unit": int, "min_vol": int,
         "max_vol": int, "maker_fee_rate": float, "taker_fee_rate": float}


def contract_terms(details: dict[str, Any]) -> dict[str, dict[str, float]]:
    """``{symbol: {field: value}}`` from a manifest's recorded contract details (raw JSON)."""
    out: dict[str, dict[str, float]] = {}
    for sym, raw in details.items():
        d = msgspec.json.decode(bytes(raw), type=w.ContractDetail)
        terms: dict[str, float] = {}
        for name, kind in TERMS.items():
            value = getattr(d, name, None)
            if value is not None:
                terms[name] = kind(value)
        out[sym] = terms
    return out


__all__ = ["TERMS", "Event", "Levels", "Print", "Ref", "Tape", "build_tape", "contract_terms"]
