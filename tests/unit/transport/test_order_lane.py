"""Order lane: the HTTP/1.1 response parser, and the lane against a scripted raw loopback server
(partial reads, chunked answers, drops -> fate unknown, timeouts, reconnect, fallback to aiohttp).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import TransportError
from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.transport.order_lane import (
    LaneDropped,
    LaneResponse,
    LaneTimeout,
    LaneUnavailable,
    OrderLane,
    ResponseParser,
    UnusualResponse,
)
from mexc_futures.transport.rest import RestClient

pytestmark = pytest.mark.timeout(20)

OK_BODY = b'{"success":true,"code":0,"data":{"orderId":"7391","ts":1}}'


def _ok(body: bytes = OK_BODY) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def _chunked(body: bytes) -> bytes:
    half = len(body) // 2
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x;ext=1\r\n" % half
        + body[:half]
        + b"\r\n"
        + b"%x\r\n" % (len(body) - half)
        + body[half:]
        + b"\r\n0\r\nX-Trailer: y\r\n\r\n"
    )


# ---------------------------------------------------------------------------- parser (sans-I/O)
def test_parser_content_length_byte_by_byte() -> None:
    p = ResponseParser()
    raw = _ok()
    results = [p.feed(raw[i : i + 1]) for i in range(len(raw))]
    assert all(r is None for r in results[:-1])
    assert results[-1] == LaneResponse(200, OK_BODY, True)


def test_parser_chunked_in_pieces_with_extensions_and_trailers() -> None:
    raw = _chunked(OK_BODY)
    for cut in (1, 7, 50, len(raw) - 3):
        p = ResponseParser()
        assert p.feed(raw[:cut]) is None
        assert p.feed(raw[cut:]) == LaneResponse(200, OK_BODY, True)


def test_parser_connection_close_and_http10() -> None:
    close = b"HTTP/1.1 500 Err\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno"
    assert ResponseParser().feed(close) == LaneResponse(500, b"no", False)
    assert ResponseParser().feed(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == (
        LaneResponse(200, b"", False)
    )
    assert ResponseParser().feed(b"HTTP/1.1 204 No\r\n\r\n") == LaneResponse(204, b"", True)


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nuntil close",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxYY",
        b"HTTP/1.1 200 OK\r\n bad: header\r\nContent-Length: 0\r\n\r\n",
    ],
)
def test_parser_refuses_unusual_answers(raw: bytes) -> None:
    with pytest.raises(UnusualResponse):
        ResponseParser().feed(raw)


# ---------------------------------------------------------------------------- raw loopback server
@dataclass
class RawServer:
    """Reads HTTP/1.1 requests (head + Content-Length body) and plays a script per request:
    ``bytes`` (sent in 3 pieces), ``"drop"`` (close without answering), ``"hang"``."""

    script: list[object] = field(default_factory=list)
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)  # head, body
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.requests.append((head, body))
                step = self.script.pop(0) if self.script else _ok()
                if step == "drop":
                    writer.close()
                    return
                if step == "hang":
                    await asyncio.sleep(5)
                    return
                assert isinstance(step, bytes)
                for i in range(3):  # partial writes: the client sees several reads
                    writer.write(step[i * len(step) // 3 : (i + 1) * len(step) // 3])
                    await writer.drain()
                    await asyncio.sleep(0.002)
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    srv = RawServer()
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
    srv.port = server.sockets[0].getsockname()[1]
    yield srv
    server.close()


REQUEST = b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}"


async def test_lane_partial_reads_and_keep_alive(raw_server: RawServer) -> None:
    lane = OrderLane(f"http://127.0.0.1:{raw_server.port}")
    with pytest.raises(LaneUnavailable):
        lane.send(REQUEST, 1.0)  # nothing connected: nothing sent
    await lane.connect()
    writes: list[int] = []
    lane.on_write = lambda: writes.append(1)
    raw_server.script = [_ok(), _chunked(OK_BODY)]
    assert (await lane.send(REQUEST, 1.0)).body == OK_BODY
    assert (await lane.send(REQUEST, 1.0)).body == OK_BODY  # chunked, same connection
    assert raw_server.connections == 1
    assert writes == [1, 1]
    await lane.close()


async def test_lane_one_request_in_flight_per_connection(raw_server: RawServer) -> None:
    lane = OrderLane(f"http://127.0.0.1:{raw_server.port}", max_connections=1)
    await lane.connect()
    fut = lane.send(REQUEST, 1.0)
    assert not lane.has_idle()
    with pytest.raises(LaneUnavailable):
        lane.send(REQUEST, 1.0)
    with pytest.raises(LaneUnavailable):
        await lane.connect()  # max_connections reached
    await fut
    assert lane.has_idle()
    await lane.close()


async def test_lane_drop_and_timeout_fail_then_reconnect(raw_server: RawServer) -> None:
    lane = OrderLane(f"http://127.0.0.1:{raw_server.port}")
    await lane.connect()
    raw_server.script = ["drop"]
    with pytest.raises(LaneDropped):
        await lane.send(REQUEST, 1.0)
    assert lane.open_connections == 0
    await lane.connect()
    raw_server.script = ["hang"]
    with pytest.raises(LaneTimeout):
        await lane.send(REQUEST, 0.05)
    assert lane.open_connections == 0  # aborted: its answer can never be matched
    await lane.connect()
    assert (await lane.send(REQUEST, 1.0)).status == 200
    assert lane.connects == 3
    await lane.close()


async def test_lane_connection_close_answer_then_reconnect(raw_server: RawServer) -> None:
    lane = OrderLane(f"http://127.0.0.1:{raw_server.port}")
    await lane.connect()
    raw_server.script = [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(OK_BODY)
        + OK_BODY
    ]
    res = await lane.send(REQUEST, 1.0)
    assert res.body == OK_BODY
    assert not res.keep_alive
    assert not lane.has_idle()
    await lane.close()


# ---------------------------------------------------------------------------- through RestClient
CREATE = {
    "symbol": "BTC_USDT",
    "side": 1,
    "order_type": 1,
    "vol": Decimal(2),
    "open_type": 1,
    "price": Decimal("100.5"),
    "leverage": 5,
    "external_oid": "mfX",
}


class Unlimited(RateLimiter):
    def acquire(self, bucket: object, now: float) -> float:
        return 0.0


def _client(port: int) -> RestClient:
    return RestClient(
        Environment.local("127.0.0.1", port),
        Credentials("mx0vglLANEKEY", "lane-secret"),
        limiter=Unlimited(),
        timeout=1.0,
    )


async def test_rest_create_over_lane_signed_headers(raw_server: RawServer) -> None:
    async with _client(raw_server.port) as rest:
        res = await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert rest.lane is not None
        assert rest.lane.sent == 1
    assert res.order_id == "7391"
    head, body = raw_server.requests[-1]
    assert head.startswith(b"POST /api/v1/private/order/create HTTP/1.1\r\n")
    for name in (b"ApiKey: mx0vglLANEKEY", b"Request-Time: ", b"Signature: ", b"Host: 127.0.0.1"):
        assert name in head
    assert b"lane-secret" not in head + body
    assert body.startswith(b'{"symbol":"BTC_USDT","price":100.5,"vol":2')


async def test_rest_drop_on_create_is_fate_unknown_then_reconnects(raw_server: RawServer) -> None:
    raw_server.script = ["drop"]
    async with _client(raw_server.port) as rest:
        with pytest.raises(TransportError) as ei:
            await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert ei.value.fate_unknown
        assert len(raw_server.requests) == 1  # never resent
        await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert rest.lane is not None
        assert rest.lane.connects == 2
    assert raw_server.connections == 2


async def test_rest_unusual_answer_fate_unknown_then_aiohttp(raw_server: RawServer) -> None:
    raw_server.script = [b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx"]
    async with _client(raw_server.port) as rest:
        with pytest.raises(TransportError) as ei:
            await rest.create_order(**CREATE)  # type: ignore[arg-type]
        assert ei.value.fate_unknown
        assert rest.lane is not None
        assert rest.lane.unusual
        res = await rest.create_order(**CREATE)  # type: ignore[arg-type]
    assert res.order_id == "7391"
    assert b"aiohttp" in raw_server.requests[-1][0]  # the fallback's User-Agent
    assert b"aiohttp" not in raw_server.requests[0][0]


async def test_begin_writes_before_returning(raw_server: RawServer) -> None:
    async with _client(raw_server.port) as rest:
        assert await rest.warm_lane()
        assert rest.lane is not None
        pending = rest.begin("order_cancel_all", body={})
        assert rest.lane.sent == 1  # written synchronously, before the first await
        await pending
