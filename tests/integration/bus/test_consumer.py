"""``BusMarketData`` details against a real redis-server (issue #18)."""

from __future__ import annotations

import asyncio

from mexc_futures.bus import records
from mexc_futures.bus.conn import BusConnection
from mexc_futures.bus.consumer import BusMarketData
from mexc_futures.bus.url import parse_bus_url
from mexc_futures.config import Environment
from mexc_futures.model.events import Trade

ENV = Environment(name="test", rest_url="http://127.0.0.1:9", ws_url="ws://127.0.0.1:9",
                  is_live=False)
KEY = "mx:md:deal:BTC_USDT"


def deal(t: int, price: float) -> bytes:
    return (b'{"symbol":"BTC_USDT","data":[{"p":%r,"v":1,"T":1,"O":1,"M":2,"t":%d,"i":"%d"}],'
            b'"channel":"push.deal","ts":%d}' % (price, t, t, t))


async def test_subscribing_while_the_bus_is_down_never_replays_old_deals(redis_url: str) -> None:
    """A consumer that subscribes while Redis is unreachable starts at the stream's newest entry
    once it is back: the 2 minutes of retained history are not delivered as new trades."""
    url = parse_bus_url(redis_url)
    async with BusConnection(url, name="writer") as w:
        for seq in (1, 2, 3):  # history, already in the stream
            await w.client.xadd(KEY, records.encode_md(0, 1, seq, deal(1_000 + seq, 100.0 + seq)))
        bus = BusConnection(url, name="consumer", ping_interval=0.05)  # not open: bus_down
        trades: list[Trade] = []
        async with BusMarketData(ENV, bus) as md:
            md.on(lambda ev: trades.append(ev) if isinstance(ev, Trade) else None)
            await md.subscribe("deal", "BTC_USDT")  # the bus is down here
            await bus.open()
            for _ in range(200):  # the reader found the tail and routes what comes after it
                if md.stats.reads:
                    break
                await asyncio.sleep(0.01)
            await w.client.xadd(KEY, records.encode_md(0, 1, 4, deal(2_000, 200.0)))
            for _ in range(300):
                if trades:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            await bus.close()
        assert [t.price for t in trades] == [200.0]
