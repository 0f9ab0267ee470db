"""Order lane: persistent keep-alive raw HTTP/1.1 connections for the order endpoints (spec §5.3).

The aiohttp request path costs ~100 µs per call; the lane writes a request the caller has already
built (``RestClient`` fills a pre-built header template with ``Request-Time``, the signature and
the body) with one ``transport.write`` and parses the answer with ``ResponseParser``.

Contract:

* ``OrderLane.send(request, timeout)`` is **synchronous up to the write**: it picks an idle,
  connected, not-too-old connection, writes the bytes, calls ``on_write`` (if set) after
  ``transport.write`` returned, and returns a future for the ``LaneResponse``. With no such
  connection it raises ``LaneUnavailable`` having sent nothing: the caller may ``connect()`` or use
  another path. One request in flight per connection (no pipelining).
* After the write, every failure means the request's fate is unknown: the connection dropped
  before the answer was complete (``LaneDropped``), no complete answer within ``timeout``
  (``LaneTimeout``; the connection is aborted), or an answer the parser does not handle
  (``UnusualResponse``; the connection is aborted, ``unusual`` is set so the owner can stop using
  the lane). All three subclass ``LaneFailure``.
* ``ResponseParser`` (sans-I/O) reads a status line, headers, and a body framed by
  ``Content-Length`` or ``Transfer-Encoding: chunked`` (trailers skipped), arriving in any number
  of pieces. Anything else — a 1xx answer, another transfer coding, a non-identity
  ``Content-Encoding``, a body delimited by the connection's close, oversize heads or bodies,
  bytes after the answer — raises ``UnusualResponse``. ``Connection: close`` (or HTTP/1.0 without
  keep-alive) is honoured: the connection is closed after that answer and reopened by the next
  ``connect()``.
* Connections idle longer than ``max_idle`` are closed instead of reused (the server may be about
  to close them: a request written into that race would come back fate-unknown).
* Plain ``http`` and TLS (``https``, certificate verified by the default context) are supported.
* Nothing is logged here; the bytes (which carry the signature) are never kept after the write.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import NamedTuple, cast
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024


class LaneUnavailable(Exception):
    """No idle connection: nothing was sent."""


class LaneFailure(Exception):
    """The request was written but no usable answer came back: its fate is unknown."""


class LaneDropped(LaneFailure):
    """The connection closed before the answer was complete."""


class LaneTimeout(LaneFailure):
    """No complete answer within the timeout."""


class UnusualResponse(LaneFailure):
    """An answer this lane does not parse (see the module docstring)."""


class LaneResponse(NamedTuple):
    """A complete answer: status code, de-chunked body, whether the connection stays open."""

    status: int
    body: bytes
    keep_alive: bool


_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_CRLF, _TRAILER, _DONE = range(7)


class ResponseParser:
    """Incremental HTTP/1.1 response parser (Content-Length and chunked bodies only)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = _HEAD
        self._status = 0
        self._keep_alive = True
        self._remaining = 0
        self._body = bytearray()

    def feed(self, data: bytes) -> LaneResponse | None:
        """Add bytes; return the response once complete. Raises ``UnusualResponse``."""
        if self._state == _DONE:
            raise UnusualResponse("bytes after a complete answer")
        self._buf += data
        while True:
            state = self._state
            if state == _HEAD:
                end = self._buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buf) > MAX_HEAD:
                        raise UnusualResponse("response head too large")
                    return None
                head = bytes(self._buf[:end])
                del self._buf[: end + 4]
                self._parse_head(head)
            elif state == _BODY:
                take = min(self._remaining, len(self._buf))
                self._body += self._buf[:take]
                del self._buf[:take]
                self._remaining -= take
                if self._remaining:
                    return None
                return self._finish()
            elif state in (_CHUNK_SIZE, _TRAILER):
                end = self._buf.find(b"\r\n")
                if end < 0:
                    if len(self._buf) > MAX_HEAD:
                        raise UnusualResponse("chunk header too large")
                    return None
                line = bytes(self._buf[:end])
                del self._buf[: end + 2]
                if state == _TRAILER:
                    if not line:
                        return self._finish()
                    continue
                self._chunk_size(line)
            elif state == _CHUNK_DATA:
                take = min(self._remaining, len(self._buf))
                self._body += self._buf[:take]
                del self._buf[:take]
                self._remaining -= take
                if self._remaining:
                    return None
                self._state = _CHUNK_CRLF
            else:  # _CHUNK_CRLF
                if len(self._buf) < 2:
                    return None
                if self._buf[:2] != b"\r\n":
                    raise UnusualResponse("chunk not followed by CRLF")
                del self._buf[:2]
                self._state = _CHUNK_SIZE

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise UnusualResponse("not an HTTP/1.x status line")
        try:
            status = int(parts[1])
        except ValueError:
            raise UnusualResponse("bad status code") from None
        if status < 200 or status > 599:
            raise UnusualResponse(f"status {status} not handled")
        self._status = status
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                raise UnusualResponse("malformed header line")
            key = name.lower()
            value = value.strip()
            if key in headers:
                headers[key] = headers[key] + b"," + value
            else:
                headers[key] = value
        conn = headers.get(b"connection", b"").lower()
        if parts[0] == b"HTTP/1.0":
            self._keep_alive = b"keep-alive" in conn
        else:
            self._keep_alive = b"close" not in conn
        if headers.get(b"content-encoding", b"identity").lower() != b"identity":
            raise UnusualResponse("content-encoding not handled")
        te = headers.get(b"transfer-encoding")
        if te is not None:
            if te.lower() != b"chunked":
                raise UnusualResponse("transfer-encoding not handled")
            self._state = _CHUNK_SIZE
            return
        cl = headers.get(b"content-length")
        if cl is None:
            if status in (204, 304):
                self._remaining = 0
                self._state = _BODY
                return
            raise UnusualResponse("body delimited by close")
        try:
            length = int(cl)
        except ValueError:
            raise UnusualResponse("bad content-length") from None
        if length < 0 or length > MAX_BODY:
            raise UnusualResponse("content-length out of range")
        self._remaining = length
        self._state = _BODY

    def _chunk_size(self, line: bytes) -> None:
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise UnusualResponse("bad chunk size") from None
        if size < 0 or len(self._body) + size > MAX_BODY:
            raise UnusualResponse("chunked body too large")
        if size == 0:
            self._state = _TRAILER
        else:
            self._remaining = size
            self._state = _CHUNK_DATA

    def _finish(self) -> LaneResponse:
        if self._buf:
            raise UnusualResponse("bytes after a complete answer")
        self._state = _DONE
        return LaneResponse(self._status, bytes(self._body), self._keep_alive)


class _Conn(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.last_used = loop.time()
        self._parser: ResponseParser | None = None
        self._waiter: asyncio.Future[LaneResponse] | None = None
        self._timer: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        return not self.closed and self.transport is not None and self._waiter is None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, request: bytes, timeout: float) -> asyncio.Future[LaneResponse]:
        assert self.transport is not None  # nosec B101  # only idle connections are used
        fut: asyncio.Future[LaneResponse] = self._loop.create_future()
        self._waiter = fut
        self._parser = ResponseParser()
        self.transport.write(request)
        self._timer = self._loop.call_later(timeout, self._on_timeout)
        return fut

    def data_received(self, data: bytes) -> None:
        parser, fut = self._parser, self._waiter
        if parser is None or fut is None:
            self._abort()  # nothing asked: the server is talking out of turn
            return
        try:
            res = parser.feed(data)
        except UnusualResponse as e:
            self._fail(e)
            return
        if res is None:
            return
        self._settle()
        if not res.keep_alive:
            self._abort()
        if not fut.done():
            fut.set_result(res)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None:
            self._fail(LaneDropped("connection closed before the answer was complete"))

    def close(self) -> None:
        if self._waiter is not None:
            self._fail(LaneDropped("lane closed"))
        elif self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def _on_timeout(self) -> None:
        self._timer = None
        self._fail(LaneTimeout("no complete answer in time"))

    def _fail(self, exc: LaneFailure) -> None:
        fut = self._waiter
        self._settle()
        self._abort()
        if fut is not None and not fut.done():
            fut.set_exception(exc)

    def _settle(self) -> None:
        self._waiter = None
        self._parser = None
        self.last_used = self._loop.time()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class OrderLane:
    """A few keep-alive connections to ``base_url`` (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        max_connections: int = 2,
        connect_timeout: float = 5.0,
        max_idle: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"order lane needs an http(s) URL, got {base_url!r}")
        self.host = parts.hostname
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        default = 443 if self.tls else 80
        netloc = f"[{self.host}]" if ":" in self.host else self.host
        #: ``Host`` header value.
        self.authority = netloc if self.port == default else f"{netloc}:{self.port}"
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle
        self._ssl = (
            ssl_context
            if ssl_context is not None
            else (ssl.create_default_context() if self.tls else None)
        )
        self._conns: list[_Conn] = []
        #: Called with no argument right after ``transport.write`` returned (benchmarks).
        self.on_write: Callable[[], None] | None = None
        self.sent = 0
        self.connects = 0
        self.unusual = False

    def _prune(self, now: float) -> None:
        keep: list[_Conn] = []
        for c in self._conns:
            if c.idle and now - c.last_used > self.max_idle:
                c.close()
            if not c.closed:
                keep.append(c)
        self._conns = keep

    def has_idle(self) -> bool:
        """An idle, fresh connection exists (``send`` will not raise ``LaneUnavailable``)."""
        now = asyncio.get_running_loop().time()
        return any(c.idle and now - c.last_used <= self.max_idle for c in self._conns)

    def can_connect(self) -> bool:
        """Fewer than ``max_connections`` are open."""
        self._prune(asyncio.get_running_loop().time())
        return len(self._conns) < self.max_connections

    async def connect(self) -> None:
        """Open one more connection (raises ``OSError`` / ``TimeoutError`` if it cannot)."""
        loop = asyncio.get_running_loop()
        self._prune(loop.time())
        if len(self._conns) >= self.max_connections:
            raise LaneUnavailable("all lane connections are open")
        _t, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Conn(loop),
                self.host,
                self.port,
                ssl=self._ssl,
                server_hostname=self.host if self.tls else None,
            ),
            self.connect_timeout,
        )
        self.connects += 1
        self._conns.append(conn)

    def send(self, request: bytes, timeout: float) -> asyncio.Future[LaneResponse]:
        """Write ``request`` on an idle connection now; the future resolves to the answer or
        fails with a ``LaneFailure``. Raises ``LaneUnavailable`` (nothing sent) if none is
        idle."""
        now = asyncio.get_running_loop().time()
        for c in self._conns:
            if c.idle:
                if now - c.last_used > self.max_idle:
                    continue
                fut = c.send(request, timeout)
                self.sent += 1
                if self.on_write is not None:
                    self.on_write()
                return fut
        raise LaneUnavailable("no idle lane connection")

    def note_unusual(self, fut: asyncio.Future[LaneResponse]) -> None:
        """Record that ``fut`` failed with ``UnusualResponse`` (the owner stops using the lane)."""
        if fut.done() and not fut.cancelled() and isinstance(fut.exception(), UnusualResponse):
            self.unusual = True

    async def close(self) -> None:
        """Close every connection (a request in flight fails with ``LaneDropped``)."""
        for c in self._conns:
            c.close()
        self._conns = []
        await asyncio.sleep(0)

    @property
    def open_connections(self) -> int:
        """Connections not (known to be) closed."""
        return sum(1 for c in self._conns if not c.closed)


__all__ = [
    "LaneDropped",
    "LaneFailure",
    "LaneResponse",
    "LaneTimeout",
    "LaneUnavailable",
    "OrderLane",
    "ResponseParser",
    "UnusualResponse",
]
