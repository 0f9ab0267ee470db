"""Gateway and bus consumers against the emulator and a real redis-server (issue #18: B3, B7).

B3: one gateway ingests, three ``BusMarketData`` consumers (each its own bus connection) read;
the emulator sees only the gateway's connections, every consumer's book equals the venue's truth
at sampled versions, no sequence gaps. B7 (market-data half): redis stopped for 10 s mid-run —
consumers report ``bus_down``; after the restart their books re-sync from gateway snapshots and
no deal is delivered twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from mexc_futures.bus.conn import BusConnection
from mexc_futures.bus.consumer import BusMarketData
from mexc_futures.bus.gateway import GatewayMarketData, run_gateway
from mexc_futures.bus.url import parse_bus_url
from mexc_futures.emulator.server import Emulator
from mexc_futures.marketdata import MarketDataConfig
from mexc_futures.model.events import BookResync, BookUpdate, DealGap, Trade
from mexc_futures.protocol.session import SessionConfig
from mexc_futures.transport.rest import RestClient

SYMS = ["BTC_USDT", "ETH_USDT"]
CHANNELS = ("depth", "deal", "ticker")
QUIET = MarketDataConfig(session=SessionConfig(ping_interval=20, pong_timeout=60),
                         audit_interval=None, depth_silence=None, backoff_base=0.2,
                         backoff_cap=1.0)


async def until(pred: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait for ``pred()``, polling every 20 ms, at most ``limit`` seconds."""
    async with asyncio.timeout(limit):
        for _ in range(int(limit / 0.02) + 1):
            if pred():
                return
            await asyncio.sleep(0.02)


class Consumer:
    """One bus consumer: its own connection, its checks against the venue's truth."""

    def __init__(self, ex: Emulator, url: str, name: str) -> None:
        self.ex = ex
        self.url = url
        self.name = name
        self.events: list[Any] = []
        self.checked: list[tuple[str, int, bool]] = []
        self.health: list[str] = []
        self.md: BusMarketData | None = None

    def on_event(self, ev: Any) -> None:
        self.events.append(ev)
        if isinstance(ev, BookUpdate) and self.md is not None:
            try:
                truth = self.ex.truth.book_at(ev.symbol, ev.version)
            except KeyError:
                return
            book = self.md.book(ev.symbol).book
            self.checked.append((ev.symbol, ev.version,
                                 book.equals(truth["bids"], truth["asks"])))

    def updates(self, symbol: str | None = None) -> int:
        return sum(1 for e in self.events if isinstance(e, BookUpdate)
                   and (symbol is None or e.symbol == symbol))

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        bus = BusConnection(parse_bus_url(self.url), name=self.name, ping_interval=0.1,
                            backoff_base=0.1, backoff_cap=0.5)
        async with bus, BusMarketData(self.ex.env, bus, clock=self.ex.clock, name=self.name,
                                      config=QUIET) as md:
            self.md = md
            md.on_bus(lambda h: self.health.append(h.state))
            md.on(self.on_event)
            for sym in SYMS:
                for ch in CHANNELS:
                    await md.subscribe(ch, sym)
            yield md


@contextlib.asynccontextmanager
async def gateway(ex: Emulator, url: str) -> Any:
    holder: dict[str, GatewayMarketData] = {}
    stop = asyncio.Event()
    async with BusConnection(parse_bus_url(url), name="gw", ping_interval=0.1,
                             backoff_base=0.1, backoff_cap=0.5) as bus, \
            RestClient(ex.env, clock=ex.clock) as rest:
        task = asyncio.create_task(run_gateway(
            ex.env, bus, SYMS, rest=rest, channels=CHANNELS, clock=ex.clock, config=QUIET,
            stop=stop, on_ready=lambda md: holder.setdefault("md", md)))
        await until(lambda: "md" in holder or task.done())
        try:
            yield holder["md"]
        finally:
            stop.set()
            await task


def _trade_key(t: Trade) -> tuple[Any, ...]:
    return (t.symbol, t.time, t.price, t.vol, t.side, t.open_flag, t.trade_id)


def _no_more_than(got: list[Any], reference: list[Any]) -> list[Any]:
    """Keys ``got`` holds more often than ``reference`` (a duplicate delivery)."""
    from collections import Counter

    have, ref = Counter(got), Counter(reference)
    return [k for k, n in have.items() if n > ref[k]]


async def test_b3_ingest_once_fan_out_books_equal_truth(redis_url: str) -> None:
    async with Emulator(symbols=SYMS, speed=5, seed=11) as ex, gateway(ex, redis_url) as gw:
        consumers = [Consumer(ex, redis_url, f"s{i}") for i in range(3)]
        async with contextlib.AsyncExitStack() as stack:
            for c in consumers:
                await stack.enter_async_context(c.running())
            await until(lambda: all(c.updates(s) >= 40 for c in consumers for s in SYMS))
            # the venue saw the gateway only: its connections, nobody else's
            gw_conns = set(gw.pool.live)
            assert len(ex.links) == len(gw_conns) >= 1
            for c in consumers:
                assert c.md is not None
                assert c.md.stats.gaps == 0
                assert c.md.stats.undecodable == 0
                assert not [e for e in c.events if isinstance(e, BookResync)
                            and e.reason == "gap"]
                assert len(c.checked) >= 40, c.name
                assert all(ok for *_, ok in c.checked), [x for x in c.checked if not x[2]][:5]
                assert c.md.source.asked >= len(SYMS)  # its snapshots came from the gateway
                for sym in SYMS:
                    assert c.md.book(sym).synced
                assert c.health == []  # never down
        assert gw.stats.frames > 0


async def test_b7_redis_stopped_10s_consumers_report_and_resync_without_duplicates(
        redis_service: Any) -> None:
    url = redis_service.url
    gw_trades: list[Any] = []
    async with Emulator(symbols=SYMS, speed=5, seed=12) as ex, gateway(ex, url) as gw:
        gw.on(lambda ev: gw_trades.append(_trade_key(ev)) if isinstance(ev, Trade) else None)
        consumers = [Consumer(ex, url, f"s{i}") for i in range(2)]
        async with contextlib.AsyncExitStack() as stack:
            for c in consumers:
                await stack.enter_async_context(c.running())
            await until(lambda: all(c.updates(s) >= 20 for c in consumers for s in SYMS))
            asked = [c.md.source.asked for c in consumers if c.md is not None]
            redis_service.stop()
            await until(lambda: all(c.health == ["bus_down"] for c in consumers))
            for c in consumers:
                assert c.md is not None
                assert c.md.bus_state == "bus_down"
                assert not any(c.md.book(s).synced for s in SYMS)  # reported, not trusted
            await asyncio.sleep(10.0)  # B7: ten seconds without Redis
            before = [c.updates() for c in consumers]
            redis_service.start()
            await until(lambda: all(c.health == ["bus_down", "bus_up"] for c in consumers))
            await until(lambda: all(c.updates() >= b + 40 for c, b in zip(consumers, before,
                                                                          strict=True)))
            for c, n in zip(consumers, asked, strict=True):
                assert c.md is not None
                assert c.md.source.asked >= n + len(SYMS)  # re-synced from gateway snapshots
                # ... and never bridged with depth_commits (the venue's budget, per consumer)
                assert c.md.source.asked_by.get("depth_commits", 0) == 0, c.md.source.asked_by
                for s in SYMS:
                    assert c.md.book(s).synced
                late = [x for x in c.checked if x[1] > 0][-20:]
                assert late
                assert all(ok for *_, ok in c.checked), [x for x in c.checked if not x[2]][:5]
                trades = [_trade_key(e) for e in c.events if isinstance(e, Trade)]
                assert trades
                assert _no_more_than(trades, gw_trades) == []  # no deal delivered twice
                assert any(isinstance(e, DealGap) for e in c.events)  # the outage is reported
                assert any(isinstance(e, BookResync) for e in c.events)
        assert gw.bus.downs == 1
