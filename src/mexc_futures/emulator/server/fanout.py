"""Publication fan-out: route venue publications to subscribed sessions, encoding each once.

Sans-I/O. ``Fanout.route(publications, now_ms)`` returns, per connection, the list of complete
WebSocket *frames* (header + payload, server frames are unmasked so one encoding serves every
subscriber) in publication order. A publication is encoded once per channel variant
(``depth.full`` once per subscribed ``limit``), never once per subscriber.

Wire shapes (spec §7.4, §7.8, vectors/ws_pushes.json): public pushes are
``{"symbol":S,"data":D,"channel":"push.<topic>","ts":ms}`` (``push.tickers`` has no ``symbol``);
private pushes are ``{"channel":"push.personal.<x>","data":D,"ts":ms}``. ``depth.merged`` goes out
as ``push.depth`` to merged subscribers, ``depth`` (single version) to ``compress:false`` ones.

Per-connection depth faults (skip / duplicate / reorder / corrupt / pause, reliability S3,
S10-S12, S14) are applied here, and every depth frame actually handed to a connection is recorded
as ``(begin, end)`` versions in ``Conn.pushed`` -- ground truth for the tests.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

from mexc_futures.emulator.server.faults import Faults
from mexc_futures.emulator.server.ws_session import (
    DEAL_OBJECTS,
    GLOBAL_CHANNELS,
    SubKey,
    WsSession,
)
from mexc_futures.emulator.venue.packed import PackedRing

PUSHED_KEEP = 100_000  # (begin, end) pairs per symbol at most ...
PUSHED_BUDGET = 20_000  # ... and per live connection over all symbols: the oldest half of every
# symbol's log goes when a connection passes it (reliability D7: a soak kept ~100 KB/s)
CLOSED_PUSHED_KEEP = 1_000  # (begin, end) pairs per symbol kept once a connection closed (D7)
_encode = msgspec.json.Encoder(decimal_format="number").encode
log = logging.getLogger(__name__)


class PublicationLike(Protocol):
    """What fan-out needs of ``venue.Publication`` (seams "Emulator core")."""

    @property
    def topic(self) -> str: ...

    @property
    def symbol(self) -> str | None: ...

    @property
    def data(self) -> Any: ...

    @property
    def account(self) -> str | None: ...


def ws_frame(payload: bytes, *, binary: bool = False, opcode: int | None = None) -> bytes:
    """One unmasked, unfragmented server WebSocket frame (RFC 6455 §5.2)."""
    op = opcode if opcode is not None else (0x2 if binary else 0x1)
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | op, n))
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | op, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | op, 127, n)
    return head + payload


def close_frame(code: int, reason: str = "") -> bytes:
    """A WebSocket close frame carrying ``code`` and a UTF-8 ``reason``."""
    return ws_frame(struct.pack("!H", code) + reason.encode()[:120], opcode=0x8)


def push_payload(pub: PublicationLike, now_ms: int, data: Any = None) -> bytes:
    """The JSON text of one push (key order as live: symbol, data, channel, ts)."""
    body = pub.data if data is None else data
    if pub.topic.startswith("personal."):
        return _encode({"channel": "push." + pub.topic, "data": body, "ts": now_ms})
    channel = "push.depth" if pub.topic == "depth.merged" else "push." + pub.topic
    if pub.symbol is None or pub.topic == "tickers":
        return _encode({"channel": channel, "data": body, "ts": now_ms})
    return _encode({"symbol": pub.symbol, "data": body, "channel": channel, "ts": now_ms})


class Conn:
    """Fan-out's view of one connection: its session plus depth bookkeeping."""

    __slots__ = ("held", "id", "pushed", "pushed_count", "session")

    def __init__(self, session: WsSession) -> None:
        self.session = session
        self.id = session.conn_id
        # reorder fault: one depth frame (and its versions) held back per symbol
        self.held: dict[str, tuple[bytes, tuple[int, int]]] = {}
        # (begin, end) per depth frame, packed: 16 bytes a frame (issue #14, RSS plateau)
        self.pushed: dict[str, PackedRing] = {}
        self.pushed_count = 0

    def compact(self) -> None:
        """Drop the older half of every symbol's pushed log (the per-connection budget)."""
        for symbol, log in self.pushed.items():
            keep = list(log)[len(log) // 2 :]
            self.pushed[symbol] = PackedRing(2, PUSHED_KEEP, keep)
        self.pushed_count = sum(len(v) for v in self.pushed.values())

    def trim(self) -> None:
        """Shrink what a closed connection keeps for tests (reliability D7)."""
        self.held.clear()
        self.pushed = {
            s: PackedRing(2, CLOSED_PUSHED_KEEP, list(v)[-CLOSED_PUSHED_KEEP:])
            for s, v in self.pushed.items()
        }
        self.session.trim()


def _versions(data: Any) -> tuple[int, int]:
    if isinstance(data, dict):
        end = int(data.get("version") or data.get("end") or 0)
        return int(data.get("begin") or end), end
    return 0, 0


def _corrupt(data: Any) -> Any:
    """A copy of a depth ``data`` with one level's size silently wrong (same versions)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for side in ("bids", "asks"):
        levels = out.get(side)
        if levels:
            first = list(levels[0])
            first[1] = (first[1] or 0) + 7
            if len(first) > 2 and not first[2]:
                first[2] = 1
            out[side] = [first, *levels[1:]]
            return out
    return out


def _cut(data: Any, limit: int) -> Any:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for side in ("bids", "asks"):
        if isinstance(out.get(side), list):
            out[side] = out[side][:limit]
    return out


class Fanout:
    """Subscription index (key -> connections) and account index (account -> connections)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.index: dict[SubKey, dict[int, Conn]] = {}
        self.full_limits: dict[str, set[int]] = {}  # symbol -> depth.full limits subscribed
        self.conns: dict[int, Conn] = {}
        self.route_failures = 0

    # -- registry -------------------------------------------------------------------------------
    def add_conn(self, conn: Conn) -> None:
        self.conns[conn.id] = conn

    def drop_conn(self, conn_id: int) -> None:
        conn = self.conns.pop(conn_id, None)
        if conn is not None:
            self.update(conn, [], list(conn.session.subs.values()))

    def update(self, conn: Conn, added: Iterable[SubKey], removed: Iterable[SubKey]) -> None:
        for key in removed:
            subs = self.index.get(key)
            if subs is not None:
                subs.pop(conn.id, None)
                if not subs:
                    del self.index[key]
                    self._refresh_limits(key)
        for key in added:
            self.index.setdefault(key, {})[conn.id] = conn
            self._refresh_limits(key)

    def _refresh_limits(self, key: SubKey) -> None:
        topic, symbol, _ = key
        if topic != "depth.full" or symbol is None:
            return
        limits = {
            int(k[2]) for k in self.index if k[0] == "depth.full" and k[1] == symbol
            if isinstance(k[2], int)
        }
        if limits:
            self.full_limits[symbol] = limits
        else:
            self.full_limits.pop(symbol, None)

    def wants(self, topic: str, symbol: str) -> bool:
        """True when some connection would receive ``topic`` (a depth topic) for ``symbol``."""
        if topic == "depth.full":
            return symbol in self.full_limits
        return (topic, symbol, None) in self.index

    # -- routing --------------------------------------------------------------------------------
    def route(self, pubs: Iterable[PublicationLike], now_ms: int) -> dict[int, list[bytes]]:
        """Frames per connection id for a batch of publications."""
        out: dict[int, list[bytes]] = {}
        faulty = self.faults.has_depth_faults()
        for pub in pubs:
            try:  # one publication that cannot be routed never stops the others (D6)
                self._route_one(pub, now_ms, out, faulty)
            except Exception:
                self.route_failures += 1
                log.exception("emulator: routing %s %s failed", pub.topic, pub.symbol)
        return out

    def _route_one(
        self, pub: PublicationLike, now_ms: int, out: dict[int, list[bytes]], faulty: bool
    ) -> None:
        topic = pub.topic
        if topic.startswith("personal."):
            self._private(pub, now_ms, out)
        elif topic == "depth.full":
            self._full(pub, now_ms, out)
        elif topic in ("depth", "depth.merged"):
            self._depth(pub, now_ms, out, faulty)
        else:
            variant = pub.data.get("interval") if topic == "kline" else None
            symbol = None if topic in GLOBAL_CHANNELS else pub.symbol
            subs = self.index.get((topic, symbol, variant))
            if subs:
                frame = ws_frame(push_payload(pub, now_ms))
                dup = topic == "deal" and symbol is not None and self.faults.has_deal_faults()
                for cid in subs:
                    frames = out.setdefault(cid, [])
                    frames.append(frame)
                    if dup and self.faults.deal_duplicate(cid, symbol or ""):
                        frames.append(frame)
            if topic == "deal":
                self._deal_objects(pub, now_ms, out)

    def _deal_objects(self, pub: PublicationLike, now_ms: int, out: dict[int, list[bytes]]) -> None:
        """``sub.deal`` with ``compress:false``: one frame per deal, ``data`` an object (fidelity
        row 15: the gocryptotrader capture of 2025-05-04, before merging became the default)."""
        subs = self.index.get(("deal", pub.symbol, DEAL_OBJECTS))
        if not subs or not isinstance(pub.data, list):
            return
        frames = [ws_frame(push_payload(pub, now_ms, deal)) for deal in pub.data]
        for cid in subs:
            out.setdefault(cid, []).extend(frames)

    def _private(self, pub: PublicationLike, now_ms: int, out: dict[int, list[bytes]]) -> None:
        frame: bytes | None = None
        for conn in self.conns.values():
            s = conn.session
            if s.account is not None and s.account == pub.account and s.wants_private(
                pub.topic, pub.symbol
            ):
                frame = frame or ws_frame(push_payload(pub, now_ms))
                out.setdefault(conn.id, []).append(frame)

    def _full(self, pub: PublicationLike, now_ms: int, out: dict[int, list[bytes]]) -> None:
        if pub.symbol is None:
            return
        for limit in self.full_limits.get(pub.symbol, ()):
            subs = self.index.get(("depth.full", pub.symbol, limit))
            if subs:
                frame = ws_frame(push_payload(pub, now_ms, _cut(pub.data, limit)))
                for cid in subs:
                    out.setdefault(cid, []).append(frame)

    def _depth(
        self, pub: PublicationLike, now_ms: int, out: dict[int, list[bytes]], faulty: bool
    ) -> None:
        subs = self.index.get((pub.topic, pub.symbol, None))
        if not subs or pub.symbol is None:
            return
        symbol = pub.symbol
        plain = [(ws_frame(push_payload(pub, now_ms)), _versions(pub.data))]
        for cid, conn in subs.items():
            sent = self._depth_fault(conn, pub, now_ms, plain[0]) if faulty or conn.held else plain
            if not sent:
                continue
            frames = out.setdefault(cid, [])
            log = conn.pushed.get(symbol)
            if log is None:
                log = conn.pushed[symbol] = PackedRing(2, PUSHED_KEEP)
            for frame, versions in sent:
                frames.append(frame)
                log.append(versions)
            conn.pushed_count += len(sent)
            if conn.pushed_count > PUSHED_BUDGET:
                conn.compact()

    def _depth_fault(
        self, conn: Conn, pub: PublicationLike, now_ms: int, item: tuple[bytes, tuple[int, int]]
    ) -> list[tuple[bytes, tuple[int, int]]]:
        symbol = pub.symbol or ""
        held = conn.held.pop(symbol, None)
        tail = [held] if held is not None else []
        action = self.faults.depth_action(conn.id, symbol)
        if action in ("skip", "pause"):
            return tail
        if action == "duplicate":
            return [item, item, *tail]
        if action == "reorder":
            conn.held[symbol] = item
            return tail
        if action == "corrupt":
            return [(ws_frame(push_payload(pub, now_ms, _corrupt(pub.data))), item[1]), *tail]
        return [item, *tail]


__all__ = ["Conn", "Fanout", "PublicationLike", "close_frame", "push_payload", "ws_frame"]
