"""Snapshots over the bus: consumers ask the gateway, never the venue (design §2.3, §2.5).

MEXC allows ~10 ``depth`` snapshots per 2 s; 800 books take minutes to sync, per process. With a
gateway, a consumer's ``BookSync`` asks ``GatewaySource`` (a ``marketdata.DepthSource``) instead
of REST: the request goes to the stream ``mx:snap:req``; the gateway's ``SnapshotService``
answers ``depth`` from its own exact book (no venue request at all; a book that is not synced
yet answers an error and the consumer's sync retries with its usual backoff), and
``depth_commits``/``deals`` through the gateway's REST client (its budget, its queue). Answers are
pushed to a list ``mx:snap:{symbol}:{req}`` that expires after 30 s, which the consumer pops.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import time
from typing import TYPE_CHECKING, Any

import msgspec

from mexc_futures.bus import names, records
from mexc_futures.bus.conn import BusConnection, BusUnavailable
from mexc_futures.bus.retention import CONTROL
from mexc_futures.errors import MexcError
from mexc_futures.protocol import rest as w

if TYPE_CHECKING:
    from mexc_futures.marketdata import MarketData

log = logging.getLogger("mexc_futures.bus")

REPLY_TTL_MS = 30_000
SHARE_S = 1.0
_ENC = msgspec.json.Encoder()
_BODY: dict[str, Any] = {"depth": w.DepthData, "depth_commits": list[w.DepthCommit],
                         "deals": list[w.DealData]}


async def tail_id(bus: BusConnection, key: str) -> bytes:
    """The id of the newest entry of ``key`` (read from there on), ``0-0`` when empty."""
    rows = await bus.call(lambda c: c.xrevrange(key, count=1))
    return rows[0][0] if rows else b"0-0"


async def _read_requests(since: bytes, client: Any) -> Any:
    return await client.xread({names.SNAP_REQUESTS: since}, count=200, block=500)


class SnapshotService:
    """Gateway side: answers ``mx:snap:req`` (see the module docstring)."""

    def __init__(self, md: MarketData, bus: BusConnection, rest: Any) -> None:
        self.md = md
        self.bus = bus
        self.rest = rest
        self.answered = 0
        self.refused = 0
        self.rest_calls = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: one REST answer serves every consumer asking the same within ``SHARE_S`` (a deal gap
        #: seen by N consumers is one venue request, not N)
        self._shared: dict[tuple[str, str, int | None], tuple[float, asyncio.Future[bytes]]] = {}

    def depth_body(self, symbol: str, limit: int | None) -> tuple[bytes, int]:
        """The gateway's exact book of ``symbol`` in the REST ``depth`` shape, and its version;
        ``MexcError`` when there is none."""
        try:
            view = self.md.book(symbol)
        except KeyError:
            raise MexcError(f"the gateway does not carry depth of {symbol}") from None
        if not view.synced:
            raise MexcError(f"the gateway's {symbol} book is not synced yet")
        book = view.book
        bids, asks = book.top(limit) if limit else book.levels()
        body = {"asks": [[p, v] for p, v in asks], "bids": [[p, v] for p, v in bids],
                "version": book.version, "timestamp": book.ts}
        return _ENC.encode(body), book.version

    async def answer(self, req: records.SnapRequest) -> None:
        reply: records.SnapReply
        try:
            if req.what == "depth":
                body, version = self.depth_body(req.symbol, req.limit)
            else:
                body, version = await self._rest(req), 0
            reply = records.SnapReply(symbol=req.symbol, req=req.req, body=msgspec.Raw(body),
                                      version=version, ts_ns=time.time_ns())
            self.answered += 1
        except (MexcError, OSError, TimeoutError) as exc:
            reply = records.SnapReply(symbol=req.symbol, req=req.req, error=str(exc)[:300],
                                      ts_ns=time.time_ns())
            self.refused += 1
        key = names.snapshot_reply(req.symbol, req.req)
        raw = records.encode_reply(reply)

        async def push(c: Any) -> None:
            pipe = c.pipeline(transaction=False)
            pipe.rpush(key, raw)
            pipe.pexpire(key, REPLY_TTL_MS)
            await pipe.execute()

        try:
            await self.bus.call(push)
        except BusUnavailable:
            return

    async def _rest(self, req: records.SnapRequest) -> bytes:
        key = (req.what, req.symbol, req.limit)
        now = time.monotonic()
        hit = self._shared.get(key)
        if hit is not None and now - hit[0] < SHARE_S:
            return await asyncio.shield(hit[1])
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._shared[key] = (now, fut)
        for k in [k for k, (t, _) in self._shared.items() if now - t >= SHARE_S]:
            del self._shared[k]
        try:
            self.rest_calls += 1
            if req.what == "depth_commits":
                data = await self.rest.get_depth_commits(req.symbol, req.limit or 1000)
            else:
                data = await self.rest.get_deals(req.symbol, req.limit)
            body = _ENC.encode(data)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: later askers re-raise it, nobody logs it as lost
            self._shared.pop(key, None)
            raise
        fut.set_result(body)
        return body

    def _spawn(self, req: records.SnapRequest) -> None:
        task = asyncio.create_task(self.answer(req), name=f"gw-snap-{req.symbol}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> None:
        """Read requests from now on; answers are concurrent; survives bus outages."""
        last: bytes | None = None
        while True:
            if not await self.bus.wait_up(1.0):
                continue
            try:
                if last is None:
                    last = await tail_id(self.bus, names.SNAP_REQUESTS)
                since = last
                rows = await self.bus.call(functools.partial(_read_requests, since))
            except BusUnavailable:
                continue
            for _key, entries in rows or ():
                for entry_id, fields in entries:
                    last = entry_id
                    try:
                        req = records.decode_request(fields)
                    except (msgspec.DecodeError, KeyError):
                        log.warning("bus: unreadable snapshot request %r", fields)
                        continue
                    self._spawn(req)


class GatewaySource:
    """Consumer side: a ``DepthSource`` answered by the gateway over the bus."""

    def __init__(self, bus: BusConnection, *, name: str | None = None,
                 timeout: float = 5.0) -> None:
        self.bus = bus
        self.name = name or f"c{os.getpid()}"
        self.timeout = timeout
        self._ids = itertools.count(1)
        self.asked = 0
        self.asked_by: dict[str, int] = {}
        self.failed = 0

    async def _ask(self, what: records.SnapWhat, symbol: str, limit: int | None) -> Any:
        req = f"{self.name}-{next(self._ids)}"
        msg = records.SnapRequest(symbol=symbol, req=req, what=what, limit=limit,
                                  ts_ns=time.time_ns())
        key = names.snapshot_reply(symbol, req)
        self.asked += 1
        self.asked_by[what] = self.asked_by.get(what, 0) + 1
        try:
            await self.bus.call(lambda c: c.xadd(names.SNAP_REQUESTS, records.encode_msg(msg),
                                                 **CONTROL.xadd_kwargs(0)))
            deadline = time.monotonic() + self.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no gateway answered {what} {symbol} within "
                                       f"{self.timeout:g} s: is `mexc-futures gateway` running "
                                       "on this bus with that symbol?")
                # BLPOP's own timeout stays well under the socket timeout (Redis >= 6: decimal
                # seconds), so a late answer on a loaded machine is not a socket timeout
                got = await self.bus.call(lambda c: c.blpop([key], timeout=0.25))
                if got is not None:
                    break
        except (BusUnavailable, TimeoutError):
            self.failed += 1
            raise
        try:
            reply = records.decode_reply(got[1])
            if reply.error or reply.body == b"null":
                raise MexcError(f"gateway: {reply.error or 'empty answer'}")
            return msgspec.json.decode(reply.body, type=_BODY[what])
        except (msgspec.DecodeError, MexcError) as exc:
            self.failed += 1
            raise MexcError(f"gateway answer to {what} {symbol}: {exc}") from None

    async def get_depth(self, symbol: str, limit: int | None = None) -> Any:
        return await self._ask("depth", symbol, limit)

    async def get_depth_commits(self, symbol: str, limit: int) -> Any:
        return await self._ask("depth_commits", symbol, limit)

    async def get_deals(self, symbol: str, limit: int | None = None) -> Any:
        return await self._ask("deals", symbol, limit)


__all__ = ["REPLY_TTL_MS", "GatewaySource", "SnapshotService", "tail_id"]
