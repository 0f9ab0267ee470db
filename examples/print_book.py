"""Print a live BTC_USDT book: from the local emulator (started in-process), or from a URL.

    .venv/bin/python examples/print_book.py                   # in-process emulator
    .venv/bin/python examples/print_book.py --ws ws://127.0.0.1:8000/edge --rest http://127.0.0.1:8000
    .venv/bin/python examples/print_book.py --updates 20 --depth 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator

from mexc_futures.config import Environment
from mexc_futures.marketdata import MarketData
from mexc_futures.model.events import BookResync, BookUpdate


@contextlib.asynccontextmanager
async def environment(ws: str | None, rest: str | None) -> AsyncIterator[Environment]:
    if ws and rest:
        yield Environment(name="custom", rest_url=rest, ws_url=ws, is_live=False)
        return
    from mexc_futures.emulator.server import Emulator

    async with Emulator(symbols=["BTC_USDT"]) as ex:
        yield ex.env


async def main(symbol: str, updates: int, depth: int, ws: str | None, rest: str | None) -> None:
    async with environment(ws, rest) as env, MarketData(env) as md:
        sub = await md.subscribe("depth", symbol)
        seen = 0
        async for ev in sub:
            if isinstance(ev, BookResync):
                print(f"-- resync ({ev.reason}) from version {ev.from_version}")
            elif isinstance(ev, BookUpdate):
                book = md.book(symbol)
                bids, asks = book.top(depth)
                print(f"\n{symbol} v{book.version}  spread {book.spread:.2f}  mid {book.mid:.2f}")
                for (ap, av) in reversed(asks):
                    print(f"            {ap:>12.2f} {av:>10.0f}")
                for (bp, bv) in bids:
                    print(f"{bv:>10.0f} {bp:>12.2f}")
                seen += 1
                if seen >= updates:
                    break


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="print a live order book")
    p.add_argument("--symbol", default="BTC_USDT")
    p.add_argument("--updates", type=int, default=10)
    p.add_argument("--depth", type=int, default=5)
    p.add_argument("--ws", help="WebSocket URL (default: start the emulator in-process)")
    p.add_argument("--rest", help="REST base URL (with --ws)")
    a = p.parse_args()
    asyncio.run(main(a.symbol, a.updates, a.depth, a.ws, a.rest))
