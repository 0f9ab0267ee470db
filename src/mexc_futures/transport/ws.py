"""One WebSocket connection: a thin picows shell around ``protocol.session.Session`` (spec §7).

The shell moves bytes and sleeps until ``session.next_deadline()``; every decision (pings, pacing,
stall, login, staleness, rotation) is the session's. Incoming frames are decoded once, in place
from picows' buffer, inside its ``on_ws_frame`` callback (``codec.frame_fast_path``, falling back
to ``codec.decode_frame`` for everything that is not a plain known frame). Pushes go synchronously
to a handler chosen by one dict lookup on the decoded class (``routes``: the owner's
``push_routes(conn)``, else ``on_push(conn_id, msg)``); control frames feed the session. No queue
and no extra call layer on the hot path.

Bad frames (S15: malformed, truncated, binary garbage, unknown channel, a known channel whose
shape changed, JSON nested past the decoder's recursion limit) are counted in ``ConnMetrics`` and
logged; the connection goes on. Whatever else fails is contained to this connection (D3): a frame
above ``max_frame_size`` makes picows fail the socket (``protocol_errors``, reason ``protocol
error``), a handler that raises on a frame is counted (``handler_errors``) and logged with the
connection and the stream, and the connection is closed; ``run`` returns the reason and the pool
reconnects it. No exception leaves ``run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Hashable
from typing import Any, Protocol

import msgspec
from picows import WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from mexc_futures._speedups import hot as _hot
from mexc_futures.clock import Clock
from mexc_futures.errors import MalformedFrame, ProtocolDriftError
from mexc_futures.protocol import codec
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.session import (
    ClientFrame,
    CloseConn,
    Filter,
    LoggedIn,
    Login,
    LoginFailed,
    Ping,
    RotateDue,
    Send,
    Session,
    SessionOutput,
    StreamStale,
    Sub,
    Unsub,
)
from mexc_futures.protocol.signing import Signer
from mexc_futures.transport.metrics import ConnMetrics

log = logging.getLogger(__name__)

PushHandler = Callable[[int, Any], None]


class ConnHooks:
    """Callbacks from a connection to its owner (all synchronous, all optional)."""

    def on_push(self, conn: int, msg: Any) -> None:
        """A decoded push frame (public or private) that ``push_routes`` did not claim."""

    def push_routes(self, conn: int) -> dict[type, Callable[[Any], None]]:
        """Handlers for push classes on ``conn``, called with the decoded frame only.

        Asked once per connection; a listed class skips ``on_push`` (the hot path's dispatch is a
        dict lookup on the decoded class). The default claims nothing.
        """
        return {}

    def depth_table(self) -> Any:
        """The owner's ``_hot.DepthTable`` (compiled path, docs/speedups.md), else ``None``.

        When it is not ``None`` and the compiled path is active, the connection's picows listener
        is ``_hot.DepthListener``: in-order ``push.depth`` frames of the table's routes are
        applied in C, every other frame goes to the pure listener below, unchanged.
        """
        return None

    def on_open(self, conn: int) -> None:
        """The socket is open (before login)."""

    def on_stale(self, conn: int, key: Hashable) -> None:
        """A watched stream has been silent too long."""

    def on_rotate(self, conn: int) -> None:
        """The connection nears its maximum lifetime."""

    def on_logged_in(self, conn: int) -> None:
        """Login (and filter) acknowledged."""

    def on_venue_error(self, conn: int, text: str) -> None:
        """``rs.error`` outside login (e.g. unknown contract)."""

    def frame_tap(self, conn: int) -> FrameTap | None:
        """A recorder of ``conn``'s raw frames (``recording.writer.FrameTap``), asked once per
        connection; ``None`` (the default) costs the receive path one ``is not None`` test."""
        return None


class FrameTap(Protocol):
    """Raw-frame capture (``mexc_futures.recording``): inbound bytes and sent frames."""

    def rx(self, conn: int, raw: memoryview) -> None:
        """An inbound data frame exactly as received (copy it: the buffer is reused)."""

    def tx(self, conn: int, frame: object, data: bytes) -> None:
        """A frame sent on ``conn``: its abstract session frame and its encoded bytes."""


class _Listener(WSListener):
    """picows' callback object; ``on_ws_frame`` is the per-frame path (no further call layer)."""

    def __init__(self, conn: WsConnection) -> None:
        self._conn = conn
        self._metrics = conn.metrics
        self._fast = codec.frame_fast_path()
        self._depth = codec.depth_fast_path()
        self._routes = conn.routes
        self._cid = conn.conn_id
        self._tap = conn.tap.rx if conn.tap is not None else None

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is not _TEXT and kind is not _BINARY:
            self._conn._on_other(transport, frame)
            return
        # a bytes copy of the payload: cheaper than picows' memoryview object for frames of a
        # few hundred bytes (measured), and ``bytes.find`` peeks without another allocation
        raw = frame.get_payload_as_bytes()
        n = len(raw)
        if self._tap is not None:  # recording (``mexc-futures record``)
            self._tap(self._cid, memoryview(raw))
        m = self._metrics
        m.messages += 1
        m.bytes += n
        try:
            # the channel tag sits near the END of a MEXC frame, so the tagged union would skip
            # the whole payload to find it: peek at the tail, and decode a depth push with the
            # DepthPush-only decoder (same struct, same outcome; a miss just takes the union)
            msg: Any
            if raw.find(_DEPTH_TAG, n - 48) >= 0:
                try:
                    msg = self._depth(raw)
                except msgspec.MsgspecError:
                    msg = self._fast(raw)
            else:
                msg = self._fast(raw)
        except (msgspec.MsgspecError, RecursionError):  # the codec's full outcome rules
            try:
                msg = codec.decode_frame(raw)
            except (MalformedFrame, ProtocolDriftError) as exc:
                m.decode_errors += 1
                log.warning("conn %d: undecodable frame: %s", self._conn.conn_id, str(exc)[:200])
                return
        route = self._routes.get(msg.__class__)
        try:
            if route is None:  # control frames (pong, acks, errors)
                self._conn._control(msg)
            else:
                route(msg)
        except Exception as exc:  # D3: contained, connection replaced
            self._conn._handler_failed(exc, msg)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._conn._on_disconnected()


def encode(frame: ClientFrame, signer: Signer | None, time_ms: int) -> bytes:
    """Encode an abstract client frame (spec §7.2-§7.7); a login is signed now."""
    if isinstance(frame, Ping):
        return codec.PING_FRAME
    if isinstance(frame, Sub):
        return codec.encode_sub(frame.channel, **dict(frame.param))
    if isinstance(frame, Unsub):
        return codec.encode_unsub(frame.channel, **dict(frame.param))
    if isinstance(frame, Login):
        if signer is None:
            raise ValueError("login needs credentials")
        p = signer.ws_login(str(time_ms))
        return codec.encode_login(p["apiKey"], p["reqTime"], p["signature"], subscribe=False)
    assert isinstance(frame, Filter)  # nosec B101  # type narrowing
    return codec.encode_personal_filter([(n, list(r) or None) for n, r in frame.filters])


class WsConnection:
    """One socket's life: connect, run the session until the socket ends, report why."""

    def __init__(
        self,
        conn_id: int,
        url: str,
        session: Session,
        hooks: ConnHooks,
        metrics: ConnMetrics,
        *,
        clock: Clock,
        signer: Signer | None = None,
        connect_timeout: float = 10.0,
        max_frame_size: int = 4 * 1024 * 1024,
    ) -> None:
        self.conn_id = conn_id
        self.url = url
        self.session = session
        self.hooks = hooks
        self.metrics = metrics
        self.clock = clock
        self.signer = signer
        self.connect_timeout = connect_timeout
        self.max_frame_size = max_frame_size
        self.speed: float = float(getattr(clock, "speed", 1.0))
        self.close_reason = ""
        self.close_code: int | None = None
        self.login_error: str | None = None
        self._transport: WSTransport | None = None
        #: the picows listener of the current socket (``make_listener``); None before connecting
        self.listener: WSListener | None = None
        self._wake = asyncio.Event()
        self._done = False
        on_push = hooks.on_push
        #: decoded class -> handler; every push class, the owner's own routes taking precedence
        self.routes: dict[type, Callable[[Any], None]] = {
            cls: functools.partial(on_push, conn_id) for cls in _PUSHES
        }
        self.routes.update(hooks.push_routes(conn_id))
        #: raw-frame recorder of this connection (``hooks.frame_tap``), usually ``None``
        self.tap = hooks.frame_tap(conn_id)

    # ---------------------------------------------------------------- control

    async def run(self) -> str:
        """Connect, then serve until the socket closes; returns the reason (``stall``, ...)."""
        try:
            transport, _ = await asyncio.wait_for(
                ws_connect(self.make_listener, self.url, max_frame_size=self.max_frame_size,
                           enable_auto_pong=True, websocket_handshake_timeout=self.connect_timeout),
                timeout=self.connect_timeout,
            )
        except Exception as exc:  # OSError, TimeoutError, picows WSError: all mean "not up"
            self._done = True
            return f"connect failed: {type(exc).__name__}"
        self._transport = transport
        self.metrics.open = True
        try:
            self.hooks.on_open(self.conn_id)
            self._execute(self.session.on_open(self.clock.monotonic()))
            while not self._done:
                delay = (self.session.next_deadline() - self.clock.monotonic()) / self.speed
                if delay > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=min(delay, 5.0))
                if not self._done:
                    self._execute(self.session.poll(self.clock.monotonic()))
        finally:
            self.metrics.open = False
            self.metrics.frames_sent = self.session.frames_sent
            if not transport.is_disconnected:
                transport.disconnect(graceful=False)
            try:
                await asyncio.wait_for(transport.wait_disconnected(), timeout=1.0)
            except TimeoutError:
                pass
            except Exception as exc:  # D3: what failed the socket
                self._protocol_failed(exc)
            # the listener and this connection refer to each other (its frames' handlers, the
            # compiled listener's error hook): let go of the socket's side here, so that a closed
            # connection is freed at once rather than waiting as cyclic garbage, with the compiled
            # listener's 32 KiB frame buffer, for a full gc pass (issue #13: RSS grew ~1 MB per
            # mass reconnect of 30 connections)
            self.listener = None
            self._transport = None
        return self.close_reason or "closed"

    def make_listener(self) -> WSListener:
        """This connection's picows listener: compiled when possible (see ``ConnHooks``)."""
        py = _Listener(self)
        # a recorded connection stays on the pure listener: the tap must see every frame's bytes
        table = self.hooks.depth_table() if _hot is not None and self.tap is None else None
        listener: WSListener = py
        if table is not None and _hot is not None:
            listener = _hot.DepthListener(self.conn_id, table, py, self.metrics,
                                          self._handler_failed)
        self.listener = listener
        return listener

    def send(self, frame: ClientFrame) -> None:
        """Queue a frame; it goes out at once if the pacing window allows."""
        self.session.send(frame)
        if self._transport is not None and not self._done:
            self._execute(self.session.poll(self.clock.monotonic()))

    def close(self, reason: str = "closed") -> None:
        """Close the socket (a close frame, then disconnect)."""
        if self._done:
            return
        self.close_reason = self.close_reason or reason
        t = self._transport
        if t is not None:
            with contextlib.suppress(Exception):
                t.send_close()
            t.disconnect()
        self._finish()

    # ---------------------------------------------------------------- picows callbacks

    def _on_other(self, transport: WSTransport, frame: WSFrame) -> None:
        """A non-data frame: answer a close and disconnect (pings are auto-ponged by picows)."""
        if frame.msg_type is WSMsgType.CLOSE:
            code: int = frame.get_close_code().value
            self.close_code = code
            self.close_reason = self.close_reason or f"close {code}"
            with contextlib.suppress(Exception):
                transport.send_close(frame.get_close_code())
            transport.disconnect()

    def _protocol_failed(self, exc: Exception) -> None:
        """picows failed the socket: a protocol error (e.g. a frame above ``max_frame_size``:
        close 1009), or an exception raised inside a listener that picows caught itself (the
        compiled depth path applies and publishes in-order ``push.depth`` frames without the
        pure listener's guard, so a raising callback arrives here)."""
        if isinstance(exc, WSError):
            self.metrics.protocol_errors += 1
            self.close_reason = f"protocol error: {type(exc).__name__}"
            log.warning("conn %d: socket failed (%s: %s); it will be replaced", self.conn_id,
                        type(exc).__name__, str(exc)[:200])
            return
        self.metrics.handler_errors += 1
        self.close_reason = f"handler error: {type(exc).__name__} on push.depth"
        log.error("conn %d: handling push.depth (compiled path) failed; replacing the connection",
                  self.conn_id, exc_info=exc)

    def _handler_failed(self, exc: Exception, msg: Any) -> None:
        """A frame's handler raised: count, log with the stream, replace this connection only."""
        self.metrics.handler_errors += 1
        channel = getattr(msg, "channel", type(msg).__name__)
        symbol = getattr(msg, "symbol", "") or ""
        log.error("conn %d: handling %s %s failed; replacing the connection", self.conn_id,
                  channel, symbol, exc_info=exc)
        self.close_reason = f"handler error: {type(exc).__name__} on {channel} {symbol}".strip()
        t = self._transport
        if t is not None and not t.is_disconnected:
            t.disconnect(graceful=False)
        self._finish()

    def _on_disconnected(self) -> None:
        self.close_reason = self.close_reason or "dropped"
        self._finish()

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self.session.on_closed(self.clock.monotonic())
        self._wake.set()

    # ---------------------------------------------------------------- sessions

    def _control(self, msg: Any) -> None:
        now = self.clock.monotonic()
        s = self.session
        if isinstance(msg, wire.Pong):
            s.on_pong(now)
            if s.last_pong_rtt is not None:
                self.metrics.last_pong_rtt = s.last_pong_rtt
            return
        if isinstance(msg, wire.LoginAck):
            ok = msg.data == "success"
            self._execute(s.on_login_ok(now) if ok else s.on_error(now, str(msg.data)))
        elif isinstance(msg, wire.FilterAck):
            self._execute(s.on_filter_ok(now))
        elif isinstance(msg, wire.RsError):
            self.metrics.venue_errors += 1
            text = str(msg.data)[:300]
            log.warning("conn %d: rs.error %r", self.conn_id, text)
            self._execute(s.on_error(now, text))
            self.hooks.on_venue_error(self.conn_id, text)
        elif isinstance(msg, wire.Unknown):
            self.metrics.unknown_frames += 1

    def _execute(self, outs: list[SessionOutput]) -> None:
        for out in outs:
            if isinstance(out, Send):
                t = self._transport
                if t is not None and not self._done:
                    data = encode(out.frame, self.signer, self.clock.time_ms())
                    t.send(WSMsgType.TEXT, data)
                    if self.tap is not None:
                        self.tap.tx(self.conn_id, out.frame, data)
            elif isinstance(out, StreamStale):
                self.hooks.on_stale(self.conn_id, out.key)
            elif isinstance(out, CloseConn):
                if out.reason == "stall":
                    self.metrics.stalls += 1
                self.close_reason = out.reason
                if self._transport is not None:
                    self._transport.disconnect(graceful=False)
                self._finish()
            elif isinstance(out, LoginFailed):
                self.login_error = out.reason
            elif isinstance(out, LoggedIn):
                self.hooks.on_logged_in(self.conn_id)
            elif isinstance(out, RotateDue):
                self.metrics.rotations += 1
                self.hooks.on_rotate(self.conn_id)


_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_DEPTH_TAG = b'"push.depth"'
_PUSHES: frozenset[type] = frozenset(
    t for t in wire.TAGGED
    if t not in (wire.Pong, wire.RsError, wire.LoginAck, wire.FilterAck)
)


def push_classes() -> frozenset[type]:
    """Decoded classes that are pushes (routed to ``on_push``/``push_routes``), not control
    frames; replay (``recording.replay``) routes recorded frames by the same table."""
    return _PUSHES

__all__ = ["ConnHooks", "FrameTap", "PushHandler", "WsConnection", "encode", "push_classes"]
