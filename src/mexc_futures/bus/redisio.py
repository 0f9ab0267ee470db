"""The Redis client of the execution side of the bus: fail fast, reconnect ourselves (#18).

``connect(url)`` builds a redis-py asyncio client from a ``BusURL`` (or text parsed like
``--bus``; the password only from ``MEXC_BUS_PASSWORD``) with no retries of its own: the exec
service and the remote executor see an outage at the first failed call, report it and retry on
their own schedule. ``redis`` is imported only here and only when a client is built (design §2.5:
nothing imports it unless a bus is asked for).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from mexc_futures.bus.url import ENV_PASSWORD, BusURL, parse_bus_url

if TYPE_CHECKING:
    from redis.asyncio import Redis


def connect(url: str | BusURL) -> Redis:
    """A redis-py asyncio client for ``url`` that fails fast (see the module docstring)."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    u = bus_url(url)
    return Redis(
        host=u.host,
        port=u.port,
        db=u.db,
        username=u.username,
        password=u.password,
        ssl=u.tls,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        retry=Retry(NoBackoff(), 0),
    )


def bus_url(url: str | BusURL) -> BusURL:
    """``url`` as a ``BusURL`` (its password, if any, from ``MEXC_BUS_PASSWORD``)."""
    if isinstance(url, BusURL):
        return url
    return parse_bus_url(url, password=os.environ.get(ENV_PASSWORD) or None)


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a lost or refused connection raises (the bus is down)."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OSError)


def timeouts() -> tuple[type[BaseException], ...]:
    """What a call that may have reached the server raises (its fate is unknown)."""
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisTimeoutError, TimeoutError)


__all__ = ["bus_url", "connect", "redis_errors", "timeouts"]
