"""Fault injection for the emulator (reliability.md S1-S24; spec §11 maintenance / 1002 switches).

Faults are typed, frozen msgspec structs tagged by ``kind`` so the same objects come from Python
(``ex.faults.add(Stall(conn=3))``) and from the control interface (``POST /_emulator/faults`` with
``{"fault": "stall", "conn": 3}``). ``Faults`` is the sans-I/O registry: the I/O shells ask it what
to do for one request, one connection or one depth frame; it never touches a socket itself.

Targets:

* ``conn`` — a WebSocket connection id (``None`` = every connection, present and future for
  lasting faults, present only for one-shot ones).
* ``symbol`` — a contract, for depth-stream faults.
* ``endpoints`` — REST selectors: an endpoint name, a path template, ``"orders"`` (every
  template under ``/api/v1/private/order/``), ``"create"`` (``order/create`` and
  ``order/submit``) or ``"*"``.

``count`` is how many matching events a fault affects before it clears itself (``None`` = until
cleared by ``clear``).
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable
from typing import Literal

import msgspec

ORDER_PREFIX = "/api/v1/private/order/"
CREATE_TEMPLATES = frozenset({ORDER_PREFIX + "create", ORDER_PREFIX + "submit"})


class DropTcp(msgspec.Struct, frozen=True, tag_field="fault", tag="drop_tcp"):
    """S1: reset the TCP connection now (SO_LINGER 0 + abort), no close frame. One-shot."""

    conn: int | None = None


class Stall(msgspec.Struct, frozen=True, tag_field="fault", tag="stall"):
    """S2/S4: stop sending anything (pushes, acks, pongs) but keep the socket open. Lasting."""

    conn: int | None = None


class CloseWith(msgspec.Struct, frozen=True, tag_field="fault", tag="close"):
    """S5: send a WebSocket close frame with ``code`` (1000/1001/1012 ...). One-shot."""

    code: int = 1000
    reason: str = ""
    conn: int | None = None


BadFrameKind = Literal[
    "malformed", "truncated", "binary", "oversized", "unknown_channel", "deep_nested"
]


class BadFrame(msgspec.Struct, frozen=True, tag_field="fault", tag="bad_frame"):
    """S15: inject ``count`` bad frames of ``kind`` into the stream now. One-shot."""

    kind: BadFrameKind = "malformed"
    conn: int | None = None
    count: int = 1
    size: int = 2 * 1024 * 1024  # payload bytes for "oversized"


DepthAction = Literal["skip", "duplicate", "reorder", "corrupt", "pause"]


class DepthFault(msgspec.Struct, frozen=True, tag_field="fault", tag="depth"):
    """S3/S10-S12/S14 on ``push.depth`` of ``symbol``: skip (gap), duplicate, reorder (swap with
    the next), corrupt (a wrong size, no version gap) or pause (silence while pongs flow)."""

    symbol: str
    action: DepthAction = "skip"
    conn: int | None = None
    count: int | None = 1


class DealFault(msgspec.Struct, frozen=True, tag_field="fault", tag="deal"):
    """S11 on ``push.deal`` of ``symbol``: send the next ``count`` deal frames twice (a client
    must deliver each deal once, reliability I4)."""

    symbol: str
    action: Literal["duplicate"] = "duplicate"
    conn: int | None = None
    count: int | None = 1


class Http500(msgspec.Struct, frozen=True, tag_field="fault", tag="http500"):
    """S16/S18: answer HTTP 500; ``after_accept`` runs the call on the venue first."""

    after_accept: bool = True
    endpoints: tuple[str, ...] = ("create",)
    count: int | None = 1


class Delay(msgspec.Struct, frozen=True, tag_field="fault", tag="delay"):
    """S17: hold the answer ``seconds`` (real time); ``execute=False`` never runs the call and
    answers HTTP 504 after the delay."""

    seconds: float = 5.0
    execute: bool = True
    endpoints: tuple[str, ...] = ("create",)
    count: int | None = 1


class Http404(msgspec.Struct, frozen=True, tag_field="fault", tag="http404"):
    """S20: answer HTTP 404 (edge-like) without running the call."""

    endpoints: tuple[str, ...] = ("orders",)
    count: int | None = None


class TradingDisabled(msgspec.Struct, frozen=True, tag_field="fault", tag="trading_disabled"):
    """Spec §11: code 1002 "Contract not allow place order!" (HTTP 200)."""

    endpoints: tuple[str, ...] = ("create",)
    count: int | None = None


class Maintenance(msgspec.Struct, frozen=True, tag_field="fault", tag="maintenance"):
    """Spec §11: code 604 (feature under maintenance) or 801 (system under maintenance)."""

    code: Literal[604, 801] = 604
    endpoints: tuple[str, ...] = ("orders",)
    count: int | None = None


class ClockOffset(msgspec.Struct, frozen=True, tag_field="fault", tag="clock_offset"):
    """S21: shift the server's wall clock by ``ms`` for auth windows and every timestamp."""

    ms: int = 12_000


Fault = (
    DropTcp
    | Stall
    | CloseWith
    | BadFrame
    | DepthFault
    | DealFault
    | Http500
    | Delay
    | Http404
    | TradingDisabled
    | Maintenance
    | ClockOffset
)
RestFault = Http500 | Delay | Http404 | TradingDisabled | Maintenance
OneShot = DropTcp | CloseWith | BadFrame

MAINTENANCE_TEXT = {
    604: "Sorry, this feature is under maintenance",
    801: "System under maintenance",
}
TRADING_DISABLED = (1002, "Contract not allow place order!")

_fault_decoder = msgspec.json.Decoder(Fault)


def decode_fault(raw: bytes | str) -> Fault:
    """Parse a control-interface fault body; raises ``msgspec.ValidationError`` when invalid."""
    fault: Fault = _fault_decoder.decode(raw)
    return fault


def selects(selectors: tuple[str, ...], name: str, template: str) -> bool:
    """Whether an endpoint (``name``, path ``template``) is targeted by ``selectors``."""
    for sel in selectors:
        if sel in ("*", name, template):
            return True
        if sel == "orders" and template.startswith(ORDER_PREFIX):
            return True
        if sel == "create" and template in CREATE_TEMPLATES:
            return True
    return False


FIRED_KEEP = 10_000


class Faults:
    """The registry of active faults. Lasting faults stay until ``clear`` or their ``count``."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._active: dict[int, Fault] = {}
        self._left: dict[int, int] = {}
        self.listeners: list[Callable[[int, Fault], None]] = []
        # (fault id, kind) each time a fault acted: the newest FIRED_KEEP (a lasting fault acts on
        # every frame; the list grew without bound: issue #14, the RSS plateau)
        self.fired: deque[tuple[int, str]] = deque(maxlen=FIRED_KEEP)

    # -- management -------------------------------------------------------------------------
    def add(self, fault: Fault) -> int:
        """Activate ``fault`` and return its id. One-shot faults act at once via the listeners."""
        fid = next(self._ids)
        if not isinstance(fault, DropTcp | CloseWith | BadFrame):
            self._active[fid] = fault
            count = getattr(fault, "count", None)
            if count is not None:
                self._left[fid] = int(count)
        for listener in list(self.listeners):
            listener(fid, fault)
        return fid

    def clear(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all of them when ``fault_id`` is ``None``."""
        if fault_id is None:
            self._active.clear()
            self._left.clear()
        else:
            self._active.pop(fault_id, None)
            self._left.pop(fault_id, None)

    def active(self) -> dict[int, Fault]:
        return dict(self._active)

    def _consume(self, fid: int, kind: str) -> None:
        self.fired.append((fid, kind))
        left = self._left.get(fid)
        if left is None:
            return
        if left <= 1:
            self.clear(fid)
        else:
            self._left[fid] = left - 1

    # -- queries ----------------------------------------------------------------------------
    @property
    def clock_offset_ms(self) -> int:
        return sum(f.ms for f in self._active.values() if isinstance(f, ClockOffset))

    def stalled(self, conn: int) -> bool:
        return any(
            isinstance(f, Stall) and f.conn in (None, conn) for f in self._active.values()
        )

    def rest_fault(self, name: str, template: str) -> RestFault | None:
        """The first REST fault for this endpoint (consuming one of its ``count``)."""
        for fid, f in list(self._active.items()):
            if isinstance(
                f, Http500 | Delay | Http404 | TradingDisabled | Maintenance
            ) and selects(f.endpoints, name, template):
                self._consume(fid, type(f).__name__)
                return f
        return None

    def has_depth_faults(self) -> bool:
        return any(isinstance(f, DepthFault) for f in self._active.values())

    def has_deal_faults(self) -> bool:
        return any(isinstance(f, DealFault) for f in self._active.values())

    def deal_duplicate(self, conn: int, symbol: str) -> bool:
        """Whether to send the next deal frame of ``symbol`` on ``conn`` twice (uses a count)."""
        for fid, f in list(self._active.items()):
            if isinstance(f, DealFault) and f.symbol == symbol and f.conn in (None, conn):
                self._consume(fid, "deal." + f.action)
                return True
        return False

    def depth_action(self, conn: int, symbol: str) -> DepthAction | None:
        """What to do with the next depth frame of ``symbol`` on ``conn`` (consumes a count)."""
        for fid, f in list(self._active.items()):
            if isinstance(f, DepthFault) and f.symbol == symbol and f.conn in (None, conn):
                self._consume(fid, "depth." + f.action)
                return f.action
        return None


def bad_frame(kind: BadFrameKind, now_ms: int, size: int) -> tuple[bool, bytes]:
    """The payload for a ``BadFrame`` as ``(is_binary, payload)``."""
    if kind == "malformed":
        return False, b'{"channel":"push.depth","data":{"asks":[[1,2,3]],,}"ts":' + b"}"
    if kind == "truncated":
        full = b'{"symbol":"BTC_USDT","data":{"asks":[[100.5,10,1]],"bids":[],"version":1},'
        return False, full[: len(full) // 2]
    if kind == "binary":
        return True, bytes(range(256)) * 4
    if kind == "oversized":
        head = b'{"channel":"push.oversized","data":"'
        tail = b'","ts":%d}' % now_ms
        return False, head + b"x" * max(0, size - len(head) - len(tail)) + tail
    if kind == "deep_nested":  # valid JSON nested past any decoder's recursion limit
        n = 100_000
        return False, b'{"channel":"push.depth","data":' + b'{"a":' * n + b"1" + b"}" * n + b"}"
    return False, b'{"channel":"push.mystery","data":{"x":1},"ts":%d}' % now_ms


__all__ = [
    "FIRED_KEEP",
    "MAINTENANCE_TEXT",
    "TRADING_DISABLED",
    "BadFrame",
    "ClockOffset",
    "CloseWith",
    "DealFault",
    "Delay",
    "DepthFault",
    "DropTcp",
    "Fault",
    "Faults",
    "Http404",
    "Http500",
    "Maintenance",
    "RestFault",
    "Stall",
    "TradingDisabled",
    "bad_frame",
    "decode_fault",
    "selects",
]
