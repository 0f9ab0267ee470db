"""The WebSocket manager (brief §6.1): subscriptions -> typed event streams and exact local books.

Users import from here: ``from mexc_futures.marketdata import MarketData, PrivateStream``.

Why this cut: everything that turns MEXC WebSocket frames into domain events for a client lives in
one room, and nothing else does.

* ``facade`` — ``MarketData``: lifecycle, the public API, connection hooks, rotation.
* ``router`` — the per-frame hot path: routing every frame to its book / deal de-dup / queue.
* ``config`` — ``MarketDataConfig`` (its own module so that router and facade don't import each
  other).
* ``private_stream`` — ``PrivateStream``: the signed ``personal.*`` stream (spec §7.8).
* ``subscription`` — ``Subscription`` handles, bounded event queues, deal de-duplication.
  (Its counters, ``Metrics``, live in ``transport.metrics``: the pool and sockets bump them too.)

Floors: imports ``transport``, ``protocol``, ``model`` (and ``errors``/``config``/``clock``), never
``execution``, ``strategy`` or ``cli`` (checked by ``tests/unit/test_layout.py``).
"""

from mexc_futures.marketdata.config import MarketDataConfig
from mexc_futures.marketdata.facade import PUBLIC_CHANNELS, DepthSource, MarketData
from mexc_futures.marketdata.private_stream import LoginError, PrivateStream
from mexc_futures.marketdata.subscription import BookView, Subscription

__all__ = [
    "PUBLIC_CHANNELS",
    "BookView",
    "DepthSource",
    "LoginError",
    "MarketData",
    "MarketDataConfig",
    "PrivateStream",
    "Subscription",
]
