"""``BusMarketData``: the ``MarketData`` API with market data from a gateway, over the bus.

The same ``MarketData`` (subscribe, ``book``, events, callbacks), the same router, ``BookSync`` and
deal de-duplication — only the source differs, as in replay (``recording/replay.py``): a
``BusPool`` (a ``transport.pool.Pool`` without sockets) keeps one route table per stream, and a
reader task hands each entry of ``XREAD`` over the subscribed ``mx:md:{channel}:{symbol}`` keys to
``codec.frame_fast_path`` and that table, as the picows listener does. Book snapshots, reconnect
bridging and deal-gap recovery go to the gateway (``snapshots.GatewaySource``), never the venue.

Each stream gets its own local "connection" (``max_per_conn=1``), so that trouble on one stream
resets only that stream, through the machinery a real reconnect uses:

* **sequence gap** — an entry whose per-stream sequence is not the last + 1 (the consumer fell
  behind the 120 s retention, the gateway restarted or lost the bus for a while): that stream's
  connection goes down and up again; its book emits ``BookResync`` and re-syncs from a gateway
  snapshot, a deal stream reports ``DealGap`` and recovers the missing deals through the gateway,
  de-duplicated against those already delivered (no duplicates);
* **bus down** (``BusConnection`` state ``bus_down``) — every stream's connection goes down
  (books unsynced, deal gaps open) and ``bus_state`` says so; consumers of ``on_bus`` (the
  strategy's health) learn it at once. **Bus back** — every stream comes up again, books re-sync
  from gateway snapshots, deal gaps are reported and recovered, and reading resumes after the
  last entry seen (nothing is delivered twice);
* **gateway control events** (``mx:md:ctl``) — a ``deal_gap`` on the gateway's side is passed on
  as a ``DealGap`` of that symbol (the gateway recovers it from REST; its deal frames carry the
  recovered trades only as a REST answer, so consumers recover through the gateway too).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import msgspec

from mexc_futures.bus import names, records
from mexc_futures.bus.conn import BusConnection, BusHealth, BusUnavailable
from mexc_futures.bus.snapshots import GatewaySource, tail_id
from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Environment
from mexc_futures.errors import MalformedFrame, ProtocolDriftError
from mexc_futures.marketdata import MarketData, MarketDataConfig
from mexc_futures.protocol import codec
from mexc_futures.protocol.ledger import Stream
from mexc_futures.transport.fedpool import FedPool
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import PoolHooks

log = logging.getLogger("mexc_futures.bus")

READ_COUNT = 1000
READ_BLOCK_MS = 200  # new subscriptions join the next read; an idle read costs ~0.1 ms


def bus_config(base: MarketDataConfig | None = None) -> MarketDataConfig:
    """The consumer's tunables: one stream per local connection; no staleness watchdog and no
    audits of its own (the gateway watches the venue; a consumer's books are checked by the
    sequence of every entry)."""
    cfg = base or MarketDataConfig()
    return msgspec.structs.replace(cfg, max_per_conn=1, depth_silence=None, audit_interval=None)


class BusPool(FedPool):
    """A ``Pool`` whose connections are bus streams: no sockets, no tasks. A connection the
    ledger opens while the bus is up comes up on the next loop turn (``subscribe`` finishes
    first); while the bus is down it waits for ``bus_up``."""

    def __init__(self, hooks: PoolHooks, metrics: Metrics, clock: Clock) -> None:
        super().__init__("bus://", hooks, metrics, clock)
        self.bus_up = False
        self._pending: set[int] = set()

    def opened(self, conn: int) -> None:
        super().opened(conn)
        if self.bus_up:
            self._pending.add(conn)
            asyncio.get_running_loop().call_soon(self._open_pending)

    def closed(self, conn: int) -> None:
        super().closed(conn)
        self._pending.discard(conn)

    def _open_pending(self) -> None:
        for conn in sorted(self._pending):
            if conn in self.known and conn not in self.live and self.bus_up:
                self.up(conn, reconnect=False)
        self._pending.clear()


@dataclass
class BusStats:
    """What the consumer read (``gaps``: sequence gaps seen, each answered by a resync)."""

    entries: int = 0
    frames: int = 0
    undecodable: int = 0
    unrouted: int = 0
    gaps: int = 0
    reads: int = 0
    bus_downs: int = 0
    ctl_events: int = 0
    lag_ns: list[int] = field(default_factory=list)  # receive-at-gateway -> routed here (sampled)
    hop_ms: list[int] = field(default_factory=list)  # stored in Redis (entry id) -> routed here


async def _xread(ids: dict[bytes, bytes], client: Any) -> Any:
    return await client.xread(ids, count=READ_COUNT, block=READ_BLOCK_MS)


class BusMarketData(MarketData):
    """``MarketData`` fed by a gateway over the bus; see the module docstring.

    ``bus`` is an open ``BusConnection`` (owned by the caller). ``on_bus(BusHealth)`` callbacks
    learn ``bus_up``/``bus_down`` as it happens; ``bus_state`` is the current one."""

    def __init__(self, env: Environment, bus: BusConnection, *, clock: Clock = SYSTEM_CLOCK,
                 config: MarketDataConfig | None = None, name: str | None = None,
                 lag_sample_every: int = 0, now_ns: Callable[[], int] | None = None) -> None:
        self.source = GatewaySource(bus, name=name)
        super().__init__(env, rest=self.source, clock=clock, config=bus_config(config))
        self.bus = bus
        self.stats = BusStats()
        self.bus_pool = BusPool(self, self._metrics, clock)
        self._bus_listeners: list[Callable[[BusHealth], None]] = []
        self._last_id: dict[bytes, bytes | None] = {}  # key -> last id read (None: find tail)
        self._last_seq: dict[bytes, int] = {}    # stream key -> last sequence seen
        self._conn_of_key: dict[bytes, Stream] = {}
        self._reader: asyncio.Task[None] | None = None
        self._ctl_last: bytes | None = None
        self._lag_every = lag_sample_every
        self._now_ns = now_ns
        self._wake = asyncio.Event()

    def bridge_ok(self) -> bool:
        """Never bridge a returning book with ``depth_commits``: a gateway snapshot costs the venue
        nothing, commits would spend the gateway's REST budget once per consumer."""
        return False

    @property
    def bus_state(self) -> str:
        return self.bus.state

    def on_bus(self, callback: Callable[[BusHealth], None]) -> None:
        """Call ``callback(BusHealth)`` when the bus goes down or comes back."""
        self._bus_listeners.append(callback)

    # ---------------------------------------------------------------- lifecycle

    async def __aenter__(self) -> BusMarketData:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        self._pool = self.bus_pool
        self.bus_pool.bus_up = self.bus.up
        self.bus.subscribe(self._on_health)
        self._reader = self._group.create_task(self._read_loop(), name="bus-md-read")
        return self

    async def __aexit__(self, et: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await super().__aexit__(et, exc, tb)

    async def subscribe(self, channel: str, symbol: str | None = None,
                        **params: str | int | bool) -> Any:
        if params or symbol is None:
            raise ValueError(f"the bus carries one stream per channel and symbol, without "
                             f"parameters: {channel} {symbol} {params or ''} is not on it")
        key = names.md_stream(channel, symbol).encode()
        if key not in self._last_id:
            # from the newest entry on: older ones are history the book sync does not need (and
            # old deals would reach the strategy as new). Found before the book sync starts (its
            # snapshot must not be older than the first entry read); while the bus is down, the
            # reader finds it when the bus is back (every book re-syncs then anyway)
            try:
                self._last_id[key] = await tail_id(self.bus, key.decode())
            except BusUnavailable:
                self._last_id[key] = None
            self._conn_of_key[key] = Stream.of(channel, symbol)
            self._wake.set()
        return await super().subscribe(channel, symbol)

    # ---------------------------------------------------------------- bus health

    def _on_health(self, h: BusHealth) -> None:
        pool = self.bus_pool
        if h.state == "bus_down":
            self.stats.bus_downs += 1
            pool.bus_up = False
            for conn in sorted(pool.live):
                pool.down(conn, f"bus down: {h.reason}")
            self._last_seq.clear()  # every stream re-syncs when it is back: no gap to report
        else:
            pool.bus_up = True
            for conn in sorted(pool.known):
                if conn not in pool.live and conn in self.ledger.connections:
                    pool.up(conn, reconnect=True)
            self._wake.set()
        for cb in list(self._bus_listeners):
            try:
                cb(h)
            except Exception:
                log.exception("bus health callback failed")

    # ---------------------------------------------------------------- reading

    def _gap(self, key: bytes, conn: int, seen: int, want: int) -> None:
        self.stats.gaps += 1
        log.warning("bus: %s sequence %d after %d: re-syncing it from the gateway",
                    key.decode(), seen, want - 1)
        self.bus_pool.down(conn, "bus sequence gap")
        self.bus_pool.up(conn, reconnect=True)

    def route_entries(self, key: bytes, entries: Sequence[tuple[bytes, dict[bytes, bytes]]]
                      ) -> None:
        """Route the entries of one stream key (in order); public for tests and benchmarks."""
        stats = self.stats
        stream = self._conn_of_key.get(key)
        self._last_id[key] = entries[-1][0]
        if stream is None:
            return
        conn = self.ledger.conn_of(stream)
        live = self.bus_pool.live
        fast = codec.frame_fast_path()
        last_seq = self._last_seq
        lag_every = self._lag_every
        for entry_id, fields in entries:
            stats.entries += 1
            try:
                rec = records.decode_md(fields)
            except ValueError:
                stats.undecodable += 1
                continue
            prev = last_seq.get(key)
            last_seq[key] = rec.seq
            c = live.get(conn) if conn is not None else None
            if c is None:
                stats.unrouted += 1
                continue
            if prev is not None and rec.seq != prev + 1:
                self._gap(key, c.conn_id, rec.seq, prev + 1)
                c = live.get(c.conn_id)
                if c is None:
                    continue
            try:
                msg = fast(rec.frame)
            except msgspec.MsgspecError:
                try:
                    msg = codec.decode_frame(rec.frame)
                except (MalformedFrame, ProtocolDriftError):
                    stats.undecodable += 1
                    continue
            route = c.routes.get(msg.__class__)
            if route is None:
                stats.unrouted += 1
                continue
            stats.frames += 1
            route(msg)
            if lag_every and self._now_ns is not None and stats.frames % lag_every == 0:
                now = self._now_ns()
                stats.lag_ns.append(now - rec.recv_ns)
                stats.hop_ms.append(now // 1_000_000 - int(entry_id.split(b"-", 1)[0]))

    def _on_ctl(self, entries: Sequence[tuple[bytes, dict[bytes, bytes]]]) -> None:
        for entry_id, fields in entries:
            self._ctl_last = entry_id
            try:
                ev = records.decode_ctl(fields)
            except (msgspec.DecodeError, KeyError):
                continue
            self.stats.ctl_events += 1
            if ev.kind == "deal_gap" and ev.symbol in self._deals:
                st = self._deals[ev.symbol]
                since, _, until = ev.reason.partition("..")
                with contextlib.suppress(ValueError):
                    self.deal_gap(st, int(since), int(until))

    async def _read_loop(self) -> None:
        ctl_key = names.MD_CTL.encode()
        while True:
            if not self.bus.up or not self._last_id:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 1.0)
                continue
            try:
                if self._ctl_last is None:
                    self._ctl_last = await tail_id(self.bus, names.MD_CTL)
                for key in [k for k, v in self._last_id.items() if v is None]:
                    self._last_id[key] = await tail_id(self.bus, key.decode())
                ids: dict[bytes, bytes] = {k: v for k, v in self._last_id.items() if v}
                ids[ctl_key] = self._ctl_last
                reply = await self.bus.call(functools.partial(_xread, ids))
            except BusUnavailable:
                continue
            self.stats.reads += 1
            for key, entries in reply or ():
                if not entries:
                    continue
                if key == ctl_key:
                    self._on_ctl(entries)
                else:
                    self.route_entries(key, entries)




@contextlib.asynccontextmanager
async def bus_market_data(url: Any, env: Environment, clock: Clock = SYSTEM_CLOCK, *,
                          name: str | None = None,
                          on_bus: Callable[[BusHealth], None] | None = None,
                          config: MarketDataConfig | None = None,
                          lag_sample_every: int = 1) -> AsyncIterator[BusMarketData]:
    """Open a ``BusConnection`` to ``url`` (a ``BusURL``) and a ``BusMarketData`` on it; the
    ``StrategySession(market_data=...)`` factory of ``run --bus``. Lag is sampled on every
    routed frame by default (gateway receive -> routed here, wall clock of this machine)."""
    import time

    async with BusConnection(url, name=name or "strategy") as bus, \
            BusMarketData(env, bus, clock=clock, config=config, name=name,
                          lag_sample_every=lag_sample_every, now_ns=time.time_ns) as md:
        if on_bus is not None:
            md.on_bus(on_bus)
        yield md


__all__ = ["BusMarketData", "BusPool", "BusStats", "bus_config", "bus_market_data"]
