"""Connection guard of the emulator's listener: half-sent requests are timed out (reliability D14).

aiohttp has no timeout for a request whose headers never complete, so 500 "slowloris" sockets
that send one header line every 10 s stay open forever, each holding a file descriptor. The
guard sits between asyncio and aiohttp's protocol (a forwarding ``asyncio.Protocol``, no aiohttp
internals): it notes when the first byte of a request arrives on a connection that is not
serving a request, and a middleware notes when aiohttp hands a complete request to a handler.
A connection that has held an incomplete request for longer than ``header_timeout_s`` (real
seconds) is closed. Idle keep-alive connections (no bytes pending) are left to aiohttp's own
keep-alive timeout, so clients that reuse connections never race a server-side close; request
bodies that never complete are timed out where they are read (``RestApp``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

HEADER_TIMEOUT_S = 10.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Guarded(asyncio.Protocol):
    """Forwards every protocol call to aiohttp's handler and tracks the request in progress."""

    __slots__ = ("busy", "guard", "inner", "partial_since", "transport")

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.BaseTransport | None = None
        self.partial_since: float | None = None
        self.busy = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.guard.conns[id(transport)] = self
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.guard.conns.pop(id(self.transport), None)
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.busy and self.partial_since is None:
            self.partial_since = self.guard.now()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class ConnectionGuard:
    """Wraps a protocol factory; ``sweep()`` closes connections stuck in a half-sent request."""

    def __init__(
        self,
        header_timeout_s: float = HEADER_TIMEOUT_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory: Callable[[], asyncio.Protocol] | None = None
        self.header_timeout_s = header_timeout_s
        self.now = now
        self.conns: dict[int, _Guarded] = {}
        self.timed_out = 0

    def set_factory(self, factory: Callable[[], asyncio.Protocol]) -> None:
        """The protocol factory to wrap (aiohttp's ``runner.server``)."""
        self._factory = factory

    def protocol(self) -> asyncio.Protocol:
        """Protocol factory for ``loop.create_server``."""
        if self._factory is None:
            raise RuntimeError("ConnectionGuard.set_factory was not called")
        return _Guarded(self, self._factory())

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection as serving a complete request while ``handler`` runs."""
        conn = self.conns.get(id(request.transport)) if request.transport is not None else None
        if conn is None:
            return await handler(request)
        conn.busy += 1
        conn.partial_since = None
        try:
            return await handler(request)
        finally:
            conn.busy -= 1
            conn.partial_since = None

    def sweep(self) -> int:
        """Close every connection whose incomplete request is older than the timeout."""
        limit = self.now() - self.header_timeout_s
        stuck = [
            c
            for c in self.conns.values()
            if not c.busy and c.partial_since is not None and c.partial_since < limit
        ]
        for conn in stuck:
            if conn.transport is not None:
                conn.transport.close()
        self.timed_out += len(stuck)
        return len(stuck)

    def stats(self) -> dict[str, Any]:
        """Open connections and how many were timed out."""
        return {"connections": len(self.conns), "timedOut": self.timed_out}


__all__ = ["HEADER_TIMEOUT_S", "ConnectionGuard"]
