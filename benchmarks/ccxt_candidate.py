"""ccxt.pro ``mexc`` (swap) pointed at a loopback venue, used only through its public API.

How ccxt is pointed at loopback (ccxt 4.5.x; see docs/benchmarks.md "Pointing ccxt at loopback"):

* ``urls.api.contract.public`` = ``<rest>/api/v1/contract`` and ``.private`` =
  ``<rest>/api/v1/private`` (ccxt appends the endpoint path: ``detail``, ``depth/{symbol}``,
  ``order/create``);
* ``urls.api.ws.swap`` = ``<ws>`` (the ``/edge`` socket); every other URL (``spot2``, ``broker``,
  ``ws.spot``) = ``http://127.0.0.1:9`` / ``ws://127.0.0.1:9``: a stray call fails fast on
  loopback instead of reaching the internet;
* ``urls.api.spot`` = ``<rest>``: ``load_markets`` in ccxt 4.5.x ignores
  ``options.fetchMarkets.types`` and always calls spot ``GET /api/v3/exchangeInfo`` and, with
  credentials, the signed ``GET /api/v3/capital/config/getall`` (``fetch_currencies``); the
  emulator answers both with an empty spot venue (ccxt-compat routes), so ccxt runs unmodified.

``watch_order_book`` sends ``sub.depth {symbol}``, caches 25 deltas (``snapshotDelay``), then calls
``GET /api/v1/contract/depth/{symbol}`` and applies the cache; it never checks for version gaps
(spec §8.2 note). ``create_order(symbol, 3, ...)`` (limit IOC) POSTs
``/api/v1/private/order/create`` with ``ApiKey``/``Request-Time``/``Signature`` headers, signature
over ``apiKey + time + body`` (§3.2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ccxt.pro as ccxtpro

OnUpdate = Callable[[str, str, int], None]
DEAD_HTTP = "http://127.0.0.1:9"
DEAD_WS = "ws://127.0.0.1:9"


def make_exchange(rest_url: str, ws_url: str, api_key: str, secret: str) -> Any:
    """An unmodified ccxt.pro mexc whose every URL points at loopback; see module docstring."""
    return ccxtpro.mexc({
        "apiKey": api_key,
        "secret": secret,
        "timeout": 3000,
        "enableRateLimit": False,
        "urls": {"api": {
            "spot": {"public": rest_url, "private": rest_url},
            "spot2": {"public": DEAD_HTTP, "private": DEAD_HTTP},
            "contract": {"public": f"{rest_url}/api/v1/contract",
                         "private": f"{rest_url}/api/v1/private"},
            "broker": {"private": DEAD_HTTP},
            "ws": {"spot": DEAD_WS, "swap": ws_url},
        }},
        "options": {
            "defaultType": "swap",
            "fetchMarkets": {"types": {"spot": False, "swap": {"linear": True, "inverse": False}}},
        },
    })


def unified(symbol: str) -> str:
    base, quote = symbol.split("_")
    return f"{base}/{quote}:{quote}"


class CcxtCandidate:
    """One ``watch_order_book`` loop per symbol; each return is the consumer callback."""

    name = "ccxt"
    can_order = True

    def __init__(self, api_key: str = "bench-key", secret: str = "bench-secret") -> None:
        self._key, self._secret = api_key, secret
        self.ex: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._synced: set[str] = set()

    async def start(self, ws_url: str, rest_url: str, symbols: list[str],
                    channels: tuple[str, ...], on_update: OnUpdate) -> None:
        self.ex = ex = make_exchange(rest_url, ws_url, self._key, self._secret)
        await ex.load_markets()
        self._symbols = symbols
        for s in symbols:
            if "depth" in channels:
                self._tasks.append(asyncio.create_task(self._book_loop(s, on_update)))
            if "deal" in channels:
                self._tasks.append(asyncio.create_task(self._trade_loop(s, on_update)))
            if "ticker" in channels:
                self._tasks.append(asyncio.create_task(self._ticker_loop(s, on_update)))

    async def _book_loop(self, symbol: str, on_update: OnUpdate) -> None:
        assert self.ex is not None
        u = unified(symbol)
        while True:
            ob = await self.ex.watch_order_book(u)
            self._synced.add(symbol)
            on_update("depth", symbol, ob["nonce"])

    async def _trade_loop(self, symbol: str, on_update: OnUpdate) -> None:
        assert self.ex is not None
        u = unified(symbol)
        while True:
            await self.ex.watch_trades(u)
            on_update("deal", symbol, 0)

    async def _ticker_loop(self, symbol: str, on_update: OnUpdate) -> None:
        assert self.ex is not None
        u = unified(symbol)
        while True:
            await self.ex.watch_ticker(u)
            on_update("ticker", symbol, 0)

    def synced(self) -> bool:
        return len(self._synced) == len(self._symbols)

    def _ob(self, symbol: str) -> Any:
        assert self.ex is not None
        return self.ex.orderbooks[unified(symbol)]

    def version(self, symbol: str) -> int:
        return int(self._ob(symbol)["nonce"] or 0)

    def best_bid(self, symbol: str) -> float:
        return float(self._ob(symbol)["bids"][0][0])

    def book(self, symbol: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        ob = self._ob(symbol)
        return ([(float(x[0]), float(x[1])) for x in ob["bids"]],
                [(float(x[0]), float(x[1])) for x in ob["asks"]])

    def gaps(self) -> int | None:
        return None  # ccxt does not detect gaps

    async def place_order(self, symbol: str, price: float, vol: int, oid: str) -> None:
        assert self.ex is not None
        # type 3 = limit IOC (spec §10): at the best bid it never trades and never rests, so
        # 400 triggers stay under the venue's open-order limit and the book is not touched
        await self.ex.create_order(unified(symbol), 3, "buy", vol, price, {"clientOrderId": oid})

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ex is not None:
            await self.ex.close()
