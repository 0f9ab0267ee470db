"""Every public channel of spec §7.5 yields typed domain events; iterators and callbacks agree;
``depth.full`` books skip older versions; unknown channels and bad arguments are refused."""

from __future__ import annotations

import asyncio

import pytest

from mexc_futures.model.events import (
    BookUpdate,
    FairPrice,
    FundingRate,
    IndexPrice,
    Kline,
    Ticker,
    Tickers,
    Trade,
)
from tests.integration.marketdata.md_helpers import running

SYM = "BTC_USDT"


async def test_every_public_channel_is_typed() -> None:
    async with running([SYM, "ETH_USDT"], speed=60) as (_ex, md, rec):
        subs = {
            "tickers": await md.subscribe("tickers"),
            "ticker": await md.subscribe("ticker", SYM),
            "deal": await md.subscribe("deal", SYM),
            "kline": await md.subscribe("kline", SYM, interval="Min1"),
            "funding.rate": await md.subscribe("funding.rate", SYM),
            "index.price": await md.subscribe("index.price", SYM),
            "fair.price": await md.subscribe("fair.price", SYM),
            "depth.full": await md.subscribe("depth.full", "ETH_USDT", limit=5),
        }
        want = {"tickers": Tickers, "ticker": Ticker, "deal": Trade, "kline": Kline,
                "index.price": IndexPrice, "fair.price": FairPrice, "depth.full": BookUpdate}
        seen: dict[str, set[type]] = {k: set() for k in subs}
        for name, sub in subs.items():
            sub.on(lambda ev, n=name: seen[n].add(type(ev)))
        await rec.until(lambda: all(want[k] in seen[k] for k in want), limit=20)
        assert seen["funding.rate"] <= {FundingRate}
        book = md.book("ETH_USDT")
        assert book.synced
        bids, asks = book.top(5)
        assert 0 < len(bids) <= 5
        assert bids[0][0] < asks[0][0]
        await subs["deal"].close()
        assert len(md.connections[1]) == 7


async def test_async_iterator_and_global_events() -> None:
    async with running([SYM], speed=20) as (_ex, md, _rec):
        sub = await md.subscribe("depth", SYM)
        got = []
        async with asyncio.timeout(10):
            async for ev in sub:
                got.append(ev)
                if sum(isinstance(e, BookUpdate) for e in got) >= 3:
                    break
        async with asyncio.timeout(10):
            async for ev in md.events():
                if isinstance(ev, BookUpdate):
                    break
        book = md.book(SYM)
        assert book.spread is not None
        assert book.mid is not None
        assert book.best_bid is not None
        assert book.best_ask is not None
        assert book.version >= got[-1].version


async def test_bad_subscriptions_are_refused() -> None:
    async with running([SYM]) as (_ex, md, _rec):
        with pytest.raises(ValueError, match="unknown public channel"):
            await md.subscribe("depth.step", SYM)
        with pytest.raises(ValueError, match="needs a symbol"):
            await md.subscribe("deal")
        with pytest.raises(ValueError, match="takes no symbol"):
            await md.subscribe("tickers", SYM)
        assert md.connections == {}
