"""The emulator's WebSocket edge: accepting ``/edge`` connections, feeding client frames to their
``WsSession``, writing pre-built frames (stall fault, slow-reader drop), closing on a breach, and
the connection-level faults (TCP reset, close codes, bad frames). Closed connections are kept
for tests, bounded in count and age (D7).

A base class of ``server.Emulator``, which sets the attributes annotated below.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import struct

from aiohttp import WSMsgType, web

import mexc_futures.emulator.server.auth as auth
from mexc_futures.emulator.server.clock import EmulatorClock
from mexc_futures.emulator.server.fanout import Conn, Fanout, close_frame, ws_frame
from mexc_futures.emulator.server.faults import (
    BadFrame,
    CloseWith,
    DropTcp,
    Fault,
    Faults,
    bad_frame,
)
from mexc_futures.emulator.server.limits import CLOSE_CODES, IDLE_ERROR_TEXT, Breach, WsLimits
from mexc_futures.emulator.server.link import Link
from mexc_futures.emulator.server.ws_session import WsSession, control_frame

log = logging.getLogger("mexc_futures.emulator.server.server")  # the name it had in server.py

MAX_WRITE_BUFFER = 64 * 1024 * 1024  # a reader this far behind is dropped (reliability I7)
CLOSED_LINKS_KEEP = 256  # closed connections kept for tests, newest first out last (D7)
CLOSED_LINK_TTL_MS = 10 * 60_000  # ... and for at most this long (venue ms)


class WsEdge:
    """WebSocket connections of the emulator (see module doc)."""

    clock: EmulatorClock
    limits: WsLimits
    keys: auth.KeyTable
    faults: Faults
    fanout: Fanout
    links: dict[int, Link]
    closed_links: dict[int, Link]
    _ids: itertools.count[int]
    _symbols: dict[str, str]

    # -- WebSocket -----------------------------------------------------------------------------
    def resolve_symbol(self, symbol: str) -> str | None:
        return self._symbols.get(symbol.upper())

    def _login(self, api_key: str, req_time: str, signature: str) -> tuple[str | None, str | None]:
        return auth.login(self.keys, api_key, req_time, signature, self.clock.time_ms(),
                          window_scale=self.clock.speed)  # the window is real time

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=1024 * 1024, timeout=1.0)
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        cid = next(self._ids)
        session = WsSession(
            cid,
            limits=self.limits,
            resolve_symbol=self.resolve_symbol,
            verify_login=self._login,
            now_s=self.clock.monotonic(),
        )
        link = Link(Conn(session), transport, request.remote or "?", self.clock.venue_ms())
        self.links[cid] = link
        self.fanout.add_conn(link.conn)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(link, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._on_text(link, msg.data.decode("utf-8", "replace"))
        finally:
            link.closed = True
            self.fanout.drop_conn(cid)
            self.links.pop(cid, None)
            self._keep_closed(link)
        return ws

    def _keep_closed(self, link: Link) -> None:
        """Remember a closed connection for tests, trimmed and bounded in count and age (D7)."""
        link.conn.trim()
        now = self.clock.venue_ms()
        link.info["closedMs"] = now
        self.closed_links[link.conn.id] = link
        while len(self.closed_links) > CLOSED_LINKS_KEEP:
            del self.closed_links[next(iter(self.closed_links))]
        self._expire_closed(now)

    def _expire_closed(self, now: int) -> None:
        while self.closed_links:
            first = next(iter(self.closed_links.values()))
            if now - int(first.info.get("closedMs", now)) < CLOSED_LINK_TTL_MS:
                break
            del self.closed_links[first.conn.id]

    def _on_text(self, link: Link, text: str) -> None:
        session = link.conn.session
        out = session.receive(text, self.clock.monotonic(), self.clock.venue_ms())
        if out.added or out.removed:
            self.fanout.update(link.conn, out.added, out.removed)
        if out.frames:
            self._send(link, b"".join(ws_frame(f) for f in out.frames), len(out.frames))
        if out.end is not None:
            self._breach(link, out.end)

    def _send(self, link: Link, data: bytes, n_frames: int) -> None:
        if link.closed:
            return
        if link.transport.is_closing():  # the peer went away (uvloop raises on a write then)
            link.closed = True
            link.close_code = link.close_code or 1006
            return
        if self.faults.stalled(link.conn.id):
            link.stalled_bytes += len(data)
            return
        if link.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("emulator: connection %d is too slow; dropping it", link.conn.id)
            self._drop(link)
            return
        link.transport.write(data)
        link.sent_frames += n_frames

    def send_raw(self, link: Link, data: bytes, n_frames: int) -> None:
        """Write ``n_frames`` pre-built WebSocket frames to ``link`` (stall fault and slow-reader
        drop apply)."""
        self._send(link, data, n_frames)

    def _breach(self, link: Link, breach: Breach) -> None:
        code = CLOSE_CODES[breach]
        if breach is Breach.PING_TIMEOUT:
            if self.limits.idle_error_frame:
                frame = control_frame("rs.error", IDLE_ERROR_TEXT, self.clock.venue_ms())
                self._send(link, ws_frame(frame), 1)
            link.close_code = code
            link.closed = True
            link.transport.close()  # FIN without a close frame: the client sees 1006
        else:
            self._close(link, code, breach.value)

    def _close(self, link: Link, code: int, reason: str) -> None:
        """Send a close frame with ``code`` (even when stalled) and close the TCP stream."""
        if link.closed:
            return
        link.close_code = code
        link.closed = True
        link.transport.write(close_frame(code, reason))
        link.transport.close()

    def _drop(self, link: Link) -> None:
        """Reset the TCP connection: SO_LINGER 0 then abort (no close frame, RST)."""
        link.closed = True
        link.close_code = 1006
        if link.transport.is_closing():  # already gone: no socket left to reset (uvloop: fd -1)
            return
        sock = link.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, ValueError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        link.transport.abort()

    # -- faults --------------------------------------------------------------------------------
    def _on_fault(self, _fid: int, fault: Fault) -> None:
        if not isinstance(fault, DropTcp | CloseWith | BadFrame):
            return
        targets = [
            link for link in list(self.links.values()) if fault.conn in (None, link.conn.id)
        ]
        for link in targets:
            if isinstance(fault, DropTcp):
                self._drop(link)
            elif isinstance(fault, CloseWith):
                self._close(link, fault.code, fault.reason)
            else:
                binary, payload = bad_frame(fault.kind, self.clock.venue_ms(), fault.size)
                frame = ws_frame(payload, binary=binary)
                self._send(link, frame * fault.count, fault.count)


__all__ = ["CLOSED_LINKS_KEEP", "CLOSED_LINK_TTL_MS", "MAX_WRITE_BUFFER", "WsEdge"]
