"""``mexc-futures gateway``: ingest market data once, publish it on the bus (design §2.5).

``GatewayMarketData`` is the unchanged ``MarketData`` (pool, ledger, rotation, book sync, deal
recovery) with a frame tap on every connection, like the recorder's: each received frame is
published as it arrived — receive time, connection, a per-stream sequence and the exact bytes —
to ``mx:md:{channel}:{symbol}`` (``records.encode_md``), every XADD bounded by MINID (120 s). The
tap runs before the frame is routed, so everything the gateway's own books have applied has
already been queued for the bus; ``StreamWriter`` sends one pipelined batch per loop turn.

Beside the frames, the gateway publishes control events on ``mx:md:ctl`` (a connection up or
down, a book resync, a ``DealGap``, stopping) and serves what consumers' book syncs would have
asked the venue: ``depth`` from its own exact books (the consumer's ``BookSync`` applies it as it
would a REST snapshot), ``depth_commits`` and ``deals`` through the gateway's REST client, so
consumer processes never talk to the venue (``snapshots.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from mexc_futures.bus import names, records
from mexc_futures.bus.conn import BusConnection, BusHealth
from mexc_futures.bus.publish import StreamWriter
from mexc_futures.bus.retention import CONTROL, MARKET_DATA, Retention
from mexc_futures.bus.snapshots import SnapshotService
from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Environment
from mexc_futures.errors import ConfigError
from mexc_futures.marketdata import DepthSource, MarketData, MarketDataConfig
from mexc_futures.model.booksync import SyncOutput
from mexc_futures.model.events import BookResync
from mexc_futures.recording.session import clock_ns

log = logging.getLogger("mexc_futures.bus")

#: channels a gateway can carry: one stream per (channel, symbol) and no parameters
GATEWAY_CHANNELS = ("depth", "deal", "ticker", "funding.rate", "index.price", "fair.price")
DEFAULT_CHANNELS = ("depth", "deal", "ticker", "funding.rate")


class _Head(msgspec.Struct):
    channel: str = ""
    symbol: str = ""


_HEAD = msgspec.json.Decoder(_Head)


@dataclass
class GatewayStats:
    """What the gateway did (``published`` counts entries Redis accepted)."""

    frames: int = 0
    published: int = 0
    dropped: int = 0
    skipped: int = 0
    ctl_events: int = 0
    snapshots: int = 0
    per_stream: dict[str, int] = field(default_factory=dict)


class _BusTap:
    """``transport.ws.FrameTap`` for the gateway: every received frame -> one bounded XADD."""

    __slots__ = ("_now", "_slots", "_writer", "retention", "stats")

    def __init__(self, writer: StreamWriter, now_ns: Callable[[], int], stats: GatewayStats,
                 retention: Retention) -> None:
        self._writer = writer
        self._now = now_ns
        self._slots: dict[tuple[str, str], list[Any]] = {}  # (push channel, symbol) -> [key, seq]
        self.stats = stats
        self.retention = retention

    def rx(self, conn: int, data: memoryview) -> None:
        raw = bytes(data)
        self.stats.frames += 1
        try:
            head = _HEAD.decode(raw)
        except msgspec.DecodeError:
            self.stats.skipped += 1
            return
        slot = self._slots.get((head.channel, head.symbol))
        if slot is None:
            if not head.channel.startswith("push.") or not head.symbol:
                self.stats.skipped += 1  # answers, pongs, symbol-less channels
                return
            try:
                key = names.md_stream(head.channel[5:], head.symbol)
            except ConfigError:
                self.stats.skipped += 1
                return
            slot = self._slots[head.channel, head.symbol] = [key, 0]
        slot[1] += 1
        self._writer.add(slot[0], records.encode_md(self._now(), conn, slot[1], raw),
                         self.retention)

    def tx(self, conn: int, frame: object, data: bytes) -> None:
        """Frames the gateway sends are not published."""

    def sequences(self) -> dict[str, int]:
        return {slot[0]: slot[1] for slot in self._slots.values()}


class GatewayMarketData(MarketData):
    """``MarketData`` whose frames, connection events, resyncs and deal gaps go to the bus."""

    def __init__(self, env: Environment, bus: BusConnection, writer: StreamWriter, *,
                 rest: DepthSource, name: str = "gateway", clock: Clock = SYSTEM_CLOCK,
                 config: MarketDataConfig | None = None,
                 retention: Retention = MARKET_DATA) -> None:
        super().__init__(env, rest=rest, clock=clock, config=config)
        self.bus = bus
        self.writer = writer
        self.name = name
        self.stats = GatewayStats()
        self._now_ns = clock_ns(clock)
        self._tap = _BusTap(writer, self._now_ns, self.stats, retention)

    def frame_tap(self, conn: int) -> _BusTap:
        return self._tap

    def ctl(self, kind: records.CtlKind, **fields: Any) -> None:
        """Publish one control event on ``mx:md:ctl``."""
        ev = records.CtlEvent(kind=kind, ts_ns=time.time_ns(), gateway=self.name, **fields)
        self.writer.add(names.MD_CTL, records.encode_msg(ev), CONTROL)
        self.stats.ctl_events += 1

    def on_up(self, conn: int, reconnect: bool) -> None:
        self.ctl("up", conn=conn, reason="reconnect" if reconnect else "open")
        super().on_up(conn, reconnect)

    def on_down(self, conn: int, reason: str) -> None:
        self.ctl("down", conn=conn, reason=reason[:200])
        super().on_down(conn, reason)

    def _outputs(self, st: Any, outs: list[SyncOutput]) -> None:
        for o in outs:
            if isinstance(o, BookResync):
                self.ctl("resync", symbol=o.symbol, reason=o.reason)
        super()._outputs(st, outs)

    def deal_gap(self, st: Any, since: int, until: int) -> None:
        self.ctl("deal_gap", symbol=st.stream.symbol or "", reason=f"{since}..{until}")
        super().deal_gap(st, since, until)

    def sequences(self) -> dict[str, int]:
        """Stream key -> last published sequence."""
        return self._tap.sequences()


def check_channels(channels: Sequence[str]) -> list[str]:
    """The gateway's channel list, or ``ConfigError`` naming the ones it cannot carry."""
    bad = [c for c in channels if c not in GATEWAY_CHANNELS]
    if bad or not channels:
        raise ConfigError(f"gateway channels {bad or '(none)'}: choose from "
                          f"{', '.join(GATEWAY_CHANNELS)}")
    return list(dict.fromkeys(channels))


async def _heartbeat(md: GatewayMarketData, every: float) -> None:
    key = names.gateway_heartbeat(md.name)
    while True:
        sync = md.sync_progress()
        info = {"name": md.name, "pid": _pid(), "frames": md.stats.frames,
                "published": md.writer.published, "dropped": md.writer.dropped,
                "streams": len(md.sequences()), "books": int(sync.get("books", 0)),
                "synced": int(sync.get("synced", 0)), "ts_ns": time.time_ns()}
        if md.bus.up:
            with contextlib.suppress(Exception):
                await md.bus.call(functools.partial(_set, key, msgspec.json.encode(info),
                                                    int(every * 5000)))
        await asyncio.sleep(every)


async def _set(key: str, raw: bytes, px: int, client: Any) -> Any:
    return await client.set(key, raw, px=px)


def _pid() -> int:
    import os

    return os.getpid()


async def run_gateway(
    env: Environment,
    bus: BusConnection,
    symbols: Sequence[str],
    *,
    rest: Any,
    channels: Sequence[str] = DEFAULT_CHANNELS,
    name: str = "gateway",
    clock: Clock = SYSTEM_CLOCK,
    config: MarketDataConfig | None = None,
    duration: float | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[GatewayMarketData], None] | None = None,
    progress: Callable[[GatewayMarketData], None] | None = None,
) -> GatewayStats:
    """Run a gateway on an open ``bus`` until ``duration`` (clock seconds) or ``stop``.

    ``rest`` is a ``transport.rest.RestClient`` on ``env`` (snapshots, commits, deals)."""
    chans = check_channels(channels)
    writer = StreamWriter(bus)
    md = GatewayMarketData(env, bus, writer, rest=rest, name=name, clock=clock, config=config)

    def on_health(h: BusHealth) -> None:
        if h.state == "bus_up":  # tell consumers the gateway is there again
            md.ctl("up", reason="bus back")

    bus.subscribe(on_health)
    stop = stop or asyncio.Event()
    service = SnapshotService(md, bus, rest)
    async with md, asyncio.TaskGroup() as tg:
        for sym in symbols:
            for ch in chans:
                await md.subscribe(ch, sym)
        tasks = [tg.create_task(service.run(), name="gw-snapshots"),
                 tg.create_task(_heartbeat(md, 1.0), name="gw-heartbeat")]
        if on_ready is not None:
            on_ready(md)
        speed = float(getattr(clock, "speed", 1.0))
        t0 = clock.monotonic()
        try:
            while not stop.is_set():
                if duration is not None and clock.monotonic() - t0 >= duration:
                    break
                if progress is not None:
                    progress(md)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5 if duration is None else
                                           max(0.001, min(0.5, (duration - (
                                               clock.monotonic() - t0)) / speed)))
        finally:
            md.ctl("stopping", reason="gateway exits")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.flush(), 2.0)
            for t in tasks:
                t.cancel()
    md.stats.published, md.stats.dropped = writer.published, writer.dropped
    md.stats.snapshots = service.answered
    md.stats.per_stream = md.sequences()
    return md.stats


__all__ = ["DEFAULT_CHANNELS", "GATEWAY_CHANNELS", "GatewayMarketData", "GatewayStats",
           "check_channels", "run_gateway"]
