"""This toolkit through its public API: ``MarketData`` + live books, ``RestClient.create_order``.

Built against docs/seams.md: ``MarketData(env)``, ``sub = md.subscribe(channel, symbol)`` +
``sub.on(callback)``, ``md.book(symbol)`` (``synced``, ``version``, ``best_bid``, ``levels()``),
and
``RestClient(env, credentials).create_order(...)`` (over the order lane when the client has one:
``warm_lane()`` opens it before the measured segment, as ccxt's session is warm from
``load_markets``). Import errors surface as "candidate
unavailable" in the report instead of failing the whole suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

OnUpdate = Callable[[str, str, int], None]


def available() -> str | None:
    """``None`` when the toolkit's market-data layer imports, else the reason it does not."""
    try:
        import mexc_futures.marketdata  # noqa: F401
    except Exception as e:  # pragma: no cover - depends on the tree state
        return f"{type(e).__name__}: {e}"
    return None


class ToolkitCandidate:
    """MarketData with books maintained; the callback is each subscription's ``sub.on``."""

    name = "toolkit"
    can_order = True

    def __init__(self, api_key: str = "bench-key", secret: str = "bench-secret") -> None:
        self._key, self._secret = api_key, secret
        self.md: Any = None
        self.rest: Any = None
        self._symbols: list[str] = []
        self._body: Any = None
        #: set by the client before ``start``: a consumer that takes the ``BookUpdate`` itself
        #: (``sub.on(depth_consumer)``, no adapter call in between); ``None``: adapt to
        #: ``on_update("depth", symbol, version)``
        self.depth_consumer: Callable[[Any], None] | None = None

    @staticmethod
    def update_class() -> type:
        """The event class a depth subscription's consumer counts (``BookResync`` is not)."""
        from mexc_futures.model.events import BookUpdate

        return BookUpdate

    async def start(self, ws_url: str, rest_url: str, symbols: list[str],
                    channels: tuple[str, ...], on_update: OnUpdate) -> None:
        from mexc_futures.config import Credentials, Environment
        from mexc_futures.marketdata import MarketData
        from mexc_futures.model.events import BookUpdate
        from mexc_futures.protocol.ratelimit import RateLimiter
        from mexc_futures.transport.rest import RestClient
        from mexc_futures.transport.rest_private import CreateOrderBody

        self._body = CreateOrderBody

        class _NoClientLimit(RateLimiter):
            """Client-side rate limiting off, as ccxt runs with ``enableRateLimit=False``."""

            def acquire(self, bucket: Any, now: float) -> float:
                return 0.0

        env = Environment(name="local", rest_url=rest_url, ws_url=ws_url, is_live=False)
        creds = Credentials(api_key=self._key, secret=self._secret)
        self.rest = RestClient(env, creds, limiter=_NoClientLimit())
        self.md = MarketData(env, rest=self.rest)
        await self.md.__aenter__()
        self._symbols = symbols

        # One listener per subscription (``sub.on``), as an application that cares about the
        # channel it subscribed to: no per-event type dispatch over every market event (the floor
        # knows the channel from its decode and calls ``on_update`` directly). Depth listeners
        # also receive ``BookResync``, which carries no version: only ``BookUpdate`` counts.
        def on_depth(ev: Any, update: type = BookUpdate) -> None:
            if ev.__class__ is update:
                on_update("depth", ev.symbol, ev.version)

        def on_deal(ev: Any) -> None:
            on_update("deal", ev.symbol, 0)

        def on_ticker(ev: Any) -> None:
            on_update("ticker", ev.symbol, 0)

        listener = {"depth": self.depth_consumer or on_depth, "deal": on_deal,
                    "ticker": on_ticker}
        for s in symbols:
            for ch in channels:
                sub = await self.md.subscribe(ch, symbol=s)
                sub.on(listener[ch])
        warm = getattr(self.rest, "warm_lane", None)  # open the order lane before measuring
        if warm is not None:
            await warm()

    def synced(self) -> bool:
        return all(bool(self.md.book(s).synced) for s in self._symbols)

    def version(self, symbol: str) -> int:
        return int(self.md.book(symbol).version)

    def best_bid(self, symbol: str) -> float:
        return float(self.md.book(symbol).best_bid)

    def book(self, symbol: str) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
        bids, asks = self.md.book(symbol).book.levels()
        return ([(float(p), float(v)) for p, v in bids], [(float(p), float(v)) for p, v in asks])

    def gaps(self) -> int | None:
        m = getattr(self.md, "metrics", None)
        for name in ("gaps", "version_gaps", "depth_gaps"):
            if m is not None and hasattr(m, name):
                return int(getattr(m, name))
        return None

    def begin_order(self, symbol: str, price: float, vol: int, oid: str) -> Any:
        """Place the order from inside the market-data callback: ``RestClient.begin_create``
        signs and writes the request on the order lane before it returns (no task hop before
        the write); the returned task only awaits the answer."""
        body = self._body(symbol=symbol, price=Decimal(repr(price)), vol=Decimal(vol),
                               side=1, type=3, open_type=2, external_oid=oid)
        return asyncio.ensure_future(self.rest.begin_create(body))

    async def place_order(self, symbol: str, price: float, vol: int, oid: str) -> None:
        await self.rest.create_order(symbol=symbol, side=1, order_type=3, vol=Decimal(vol),
                                     open_type=2, price=Decimal(repr(price)), external_oid=oid)

    async def close(self) -> None:
        if self.md is not None:
            await self.md.__aexit__(None, None, None)
        if self.rest is not None:
            await self.rest.close()
