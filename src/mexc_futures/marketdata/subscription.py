"""Consumer-side pieces of market data: bounded event queues, subscriptions, book views, deal
de-duplication (reliability I4, I7). Used by ``marketdata`` (public) and ``private_stream``.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any, Protocol

from mexc_futures.model.book import Level, OrderBook
from mexc_futures.protocol import ws as wire
from mexc_futures.protocol.ledger import Stream

#: a deal's identity without its id: ``(t, p, v, T, O, M)`` (REST deals carry no ``i``)
DealKey = tuple[int, float, float, int, int, int]

Callback = Callable[[Any], None]


class Owner(Protocol):
    """What a subscription needs from its ``MarketData``."""

    @property
    def queue_size(self) -> int:
        """Bound of each event queue."""
        ...

    async def unsubscribe(self, sub: Subscription) -> None:
        """End ``sub``."""
        ...

    def listeners_changed(self) -> None:
        """A callback or iterator was added: rebuild the precomputed fan-out."""
        ...


class EventQueue:
    """A bounded event queue: the oldest event is dropped (and counted) when full (I7)."""

    def __init__(self, size: int) -> None:
        self._items: deque[Any] = deque(maxlen=size)
        self._ready = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def put(self, ev: Any) -> None:
        items = self._items
        if len(items) == items.maxlen:
            self.dropped += 1
        items.append(ev)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> Any:
        while not self._items:
            if self.closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)


class Subscription:
    """One ``md.subscribe(...)``: iterate it or attach callbacks; ``close()`` unsubscribes."""

    def __init__(self, md: Owner, stream: Stream) -> None:
        self.stream = stream
        self.channel = stream.channel
        self.symbol = stream.symbol
        self._md = md
        self._callbacks: list[Callback] = []
        self._queue: EventQueue | None = None
        self.active = True

    def on(self, callback: Callback) -> None:
        """Call ``callback(event)`` for each event of this subscription (synchronously)."""
        self._callbacks.append(callback)
        self._md.listeners_changed()

    def listeners(self) -> list[Callback]:
        """What an event of this subscription is handed to, in order (callbacks, then queue)."""
        out = list(self._callbacks)
        if self._queue is not None:
            out.append(self._queue.put)
        return out

    def _deliver(self, ev: Any) -> None:
        for cb in self._callbacks:
            cb(ev)
        q = self._queue
        if q is not None:
            q.put(ev)

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._queue is None:
            self._queue = EventQueue(self._md.queue_size)
            self._md.listeners_changed()
        return self._iter(self._queue)

    async def _iter(self, q: EventQueue) -> AsyncIterator[Any]:
        while True:
            try:
                yield await q.get()
            except StopAsyncIteration:
                return

    async def close(self) -> None:
        """Unsubscribe (same as ``md.unsubscribe(self)``)."""
        await self._md.unsubscribe(self)


class BookView:
    """Read-only live book of one symbol."""

    def __init__(self, book: OrderBook, synced: Callable[[], bool]) -> None:
        self._book = book
        self._synced = synced

    @property
    def synced(self) -> bool:
        """True when the book is exact at ``version`` (False while resyncing)."""
        return self._synced()

    @property
    def version(self) -> int:
        """The venue depth version the book reflects."""
        return self._book.version

    @property
    def best_bid(self) -> float | None:
        """Highest bid."""
        return self._book.best_bid

    @property
    def best_ask(self) -> float | None:
        """Lowest ask."""
        return self._book.best_ask

    @property
    def spread(self) -> float | None:
        """Best ask minus best bid."""
        return self._book.spread

    @property
    def mid(self) -> float | None:
        """Mid price."""
        return self._book.mid

    def top(self, n: int) -> tuple[list[Level], list[Level]]:
        """Top ``n`` levels per side (built on demand)."""
        return self._book.top(n)

    @property
    def book(self) -> OrderBook:
        """The underlying book (do not mutate)."""
        return self._book


#: connections a deal stream remembers (``DealDedup.conn_t`` / ``cur``): one carries it, a
#: rotation's twin joins it for a while; a session rotates every connection before the venue's
#: lifetime ends (S6), each time under a new id, so without a bound these dicts grow by one
#: entry per rotation per deal stream for as long as the session runs (issue #13, memory)
_CONNS_KEPT = 4


def _drop_oldest(d: dict[int, Any], when: Callable[[int], int]) -> None:
    """Remove the entries of ``d`` but the ``_CONNS_KEPT - 1`` newest (by ``when``)."""
    for conn in sorted(d, key=when)[: len(d) - _CONNS_KEPT + 1]:
        del d[conn]


class DealDedup:
    """Deal de-duplication over a time window (I4).

    Key: the trade id ``i`` when present, else ``(t, p, v, T, O, M, n)`` where ``n`` counts
    identical tuples within the same millisecond on the same connection (so two connections
    carrying the same deals during a rotation agree on the key).
    """

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self.seen: set[Hashable] = set()
        self.order: deque[tuple[int, Hashable]] = deque()
        self.cur: dict[int, tuple[int, dict[tuple[Any, ...], int]]] = {}  # conn -> (t, counts)
        self.last_t = 0
        #: conn -> time of the last deal that connection delivered (fresh or not): where its
        #: gap starts when it dies while another connection carries the stream (D9, rotation)
        self.conn_t: dict[int, int] = {}
        self.duplicates = 0
        #: the start of a pending REST recovery (D9): nothing at or after it is forgotten until
        #: the recovery ran, however long it waited in the queue (else it delivers again a deal
        #: that left the window meanwhile); None when no recovery is pending
        self.pin: int | None = None
        #: ``(t, p, v, T, O, M)`` of every deal delivered in the window, in delivery order (the
        #: REST recovery of a gap subtracts them, D9), and of deals recovered from REST
        self.delivered: deque[DealKey] = deque()
        self.recovered: dict[DealKey, int] = {}

    def fresh(self, conn: int, d: wire.DealItem) -> bool:
        """True the first time a deal is seen; False (and counted) for a duplicate."""
        t = d.t
        conn_t = self.conn_t
        last = conn_t.get(conn)
        if last is None:  # a new connection (a rotation's twin): forget the oldest ones
            if len(conn_t) >= _CONNS_KEPT:
                _drop_oldest(conn_t, lambda c: conn_t[c])
            conn_t[conn] = t
        elif t > last:
            conn_t[conn] = t
        base = (t, d.p, d.v, d.taker_side, d.open_flag, d.self_trade)
        if self.recovered and self.recovered.get(base):  # fetched from REST after a gap (D9)
            self.recovered[base] -= 1
            self.duplicates += 1
            return False
        if d.i is not None:
            key: Hashable = d.i
        else:
            cur = self.cur.get(conn)
            if cur is None or cur[0] != t:
                if cur is None and len(self.cur) >= _CONNS_KEPT:
                    _drop_oldest(self.cur, lambda c: self.cur[c][0])
                cur = (t, {})
                self.cur[conn] = cur
            n = cur[1].get(base, 0)
            cur[1][base] = n + 1
            key = (*base, n)
        if key in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(key)
        self.order.append((t, key))
        self.delivered.append(base)
        if t > self.last_t:
            self.last_t = t
        self._prune()
        return True

    def _prune(self) -> None:
        horizon = self.last_t - self.window_ms
        if self.pin is not None and self.pin < horizon:
            horizon = self.pin
        order = self.order
        while order and order[0][0] < horizon:
            self.seen.discard(order.popleft()[1])
        delivered = self.delivered
        while delivered and delivered[0][0] < horizon:
            delivered.popleft()
        if self.recovered:
            for base in [b for b in self.recovered if b[0] < horizon]:
                del self.recovered[base]

    def delivered_between(self, since: int, until: int) -> Counter[DealKey]:
        """Deals delivered with ``since <= t <= until`` (within the window), as a multiset."""
        return Counter(b for b in self.delivered if since <= b[0] <= until)

    def mark_recovered(self, base: DealKey, trade_id: str | None = None) -> None:
        """A deal fetched from REST was delivered: a late WebSocket copy is a duplicate (known by
        its trade id when REST gave one, else by its fields, once)."""
        if trade_id is None:
            self.recovered[base] = self.recovered.get(base, 0) + 1
        elif trade_id not in self.seen:
            self.seen.add(trade_id)
            self.order.append((base[0], trade_id))
        self.delivered.append(base)
        if base[0] > self.last_t:
            self.last_t = base[0]
        self._prune()


__all__ = ["BookView", "Callback", "DealDedup", "DealKey", "EventQueue", "Owner", "Subscription"]
