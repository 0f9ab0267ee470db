"""The raw floor: picows + msgspec typed decode + dict/bisect book, no abstractions.

What a careful hand-written client costs: one tagged-union decode per frame, levels applied to a
``dict`` plus a sorted key list kept with ``bisect``, the version chain checked (spec §8.2 step 5),
then the consumer callback. It syncs like §8.2 (buffer, REST snapshot, drop ``end <= V``).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec
from picows import WSListener, WSMsgType, WSTransport, ws_connect

OnUpdate = Callable[[str, str, int], None]


class _Depth(msgspec.Struct):
    asks: list[tuple[float, float, int]]
    bids: list[tuple[float, float, int]]
    version: int
    begin: int = 0
    end: int = 0


class _DepthMsg(msgspec.Struct, tag_field="channel", tag="push.depth"):
    symbol: str
    data: _Depth


class _DealMsg(msgspec.Struct, tag_field="channel", tag="push.deal"):
    symbol: str
    data: list[dict[str, Any]]


class _TickerMsg(msgspec.Struct, tag_field="channel", tag="push.ticker"):
    symbol: str
    data: dict[str, Any]


_DEC = msgspec.json.Decoder(_DepthMsg | _DealMsg | _TickerMsg)


class _Book:
    __slots__ = ("ask_keys", "asks", "bid_keys", "bids", "buffer", "gaps", "synced", "version")

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self.bid_keys: list[float] = []  # ascending, best last
        self.ask_keys: list[float] = []  # negated ascending, best last
        self.version = 0
        self.synced = False
        self.buffer: list[_Depth] = []
        self.gaps = 0

    def apply(self, d: _Depth) -> None:
        bids, bk = self.bids, self.bid_keys
        for p, v, _ in d.bids:
            if v:
                if p not in bids:
                    insort(bk, p)
                bids[p] = v
            elif p in bids:
                del bids[p]
                del bk[bisect_left(bk, p)]
        asks, ak = self.asks, self.ask_keys
        for p, v, _ in d.asks:
            if v:
                if p not in asks:
                    insort(ak, -p)
                asks[p] = v
            elif p in asks:
                del asks[p]
                del ak[bisect_left(ak, -p)]
        self.version = d.version


class _Listener(WSListener):
    def __init__(self, owner: FloorCandidate) -> None:
        self.o = owner

    def on_ws_frame(self, transport: WSTransport, frame: Any) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            return
        try:
            msg = _DEC.decode(frame.get_payload_as_bytes())
        except msgspec.ValidationError:
            if b'"pong"' in frame.get_payload_as_bytes():
                self.o.pong.set()
            return  # acks
        o = self.o
        if type(msg) is _DepthMsg:
            book = o.books[msg.symbol]
            d = msg.data
            if not book.synced:
                book.buffer.append(d)
                return
            if (d.begin or d.version) != book.version + 1:
                book.gaps += 1
            book.apply(d)
            o.on_update("depth", msg.symbol, d.version)
        else:
            o.on_update("deal" if type(msg) is _DealMsg else "ticker", msg.symbol, 0)


class FloorCandidate:
    """Floor client; see module docstring."""

    name = "floor"

    def __init__(self) -> None:
        self.books: dict[str, _Book] = {}
        self.on_update: OnUpdate = lambda k, s, v: None
        self._transport: WSTransport | None = None
        self._session: aiohttp.ClientSession | None = None
        self.pong = asyncio.Event()

    async def start(self, ws_url: str, rest_url: str, symbols: list[str],
                    channels: tuple[str, ...], on_update: OnUpdate) -> None:
        self.on_update = on_update
        self.books = {s: _Book() for s in symbols}
        self._transport, _ = await ws_connect(lambda: _Listener(self), ws_url)
        for s in symbols:
            for ch in channels:
                param = {"symbol": s, "compress": True} if ch == "depth" else {"symbol": s}
                self._transport.send(WSMsgType.TEXT, msgspec.json.encode(
                    {"method": f"sub.{ch}", "param": param}))
        # The server handles one socket in order: once the pong is back every sub is registered,
        # so a snapshot taken now cannot predate the first frame we will receive (§8.2 step 1).
        self._transport.send(WSMsgType.TEXT, b'{"method":"ping"}')
        await asyncio.wait_for(self.pong.wait(), 30)
        self._session = aiohttp.ClientSession()
        if "depth" in channels:
            await asyncio.gather(*(self._sync(rest_url, s) for s in symbols))

    async def _sync(self, rest_url: str, symbol: str) -> None:
        book = self.books[symbol]
        assert self._session is not None
        while not book.synced:
            async with self._session.get(f"{rest_url}/api/v1/contract/depth/{symbol}") as r:
                snap = (await r.json())["data"]
            book.bids.clear()
            book.asks.clear()
            book.bid_keys.clear()
            book.ask_keys.clear()
            book.apply(_Depth(asks=[tuple(x) for x in snap["asks"]],
                              bids=[tuple(x) for x in snap["bids"]], version=snap["version"]))
            pending = [d for d in book.buffer if d.version > book.version]
            if pending and (pending[0].begin or pending[0].version) > book.version + 1:
                await asyncio.sleep(0.01)
                continue  # snapshot older than the stream: refetch (§8.2 step 4)
            for d in pending:
                book.apply(d)
            book.buffer.clear()
            book.synced = True

    def synced(self) -> bool:
        return all(b.synced for b in self.books.values())

    def version(self, symbol: str) -> int:
        return self.books[symbol].version

    def best_bid(self, symbol: str) -> float:
        return self.books[symbol].bid_keys[-1]

    def book(self, symbol: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        b = self.books[symbol]
        return ([(p, float(b.bids[p])) for p in reversed(b.bid_keys)],
                [(-q, float(b.asks[-q])) for q in reversed(b.ask_keys)])

    def gaps(self) -> int | None:
        return sum(b.gaps for b in self.books.values())

    async def place_order(self, symbol: str, price: float, vol: int, oid: str) -> None:
        raise NotImplementedError("the floor has no order path")

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.send_close()
            self._transport.disconnect()
        if self._session is not None:
            await self._session.close()
