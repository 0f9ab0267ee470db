"""The connection to Redis: reconnect with backoff and a health state (``bus_up``/``bus_down``).

Lessons from the anchors (design §2.1): the client must be async-native and reconnect by itself
(hummingbot's MQTT bridge did not, brokers#8), and a dead broker must surface as a state the
strategy can see, not as an exception thrown from a foreign thread (hummingbot PR #8293).

``BusConnection`` owns one ``redis.asyncio.Redis`` client (no automatic retries; bytes in and out:
stream names come back as ``bytes``, and mixing ``str`` keys in an ids dict silently doubles
streams, design §2.4 pitfall). A monitor task PINGs every ``ping_interval`` while up. A refused or
reset connection (on a PING or on any call made through ``call()``) flips the state to ``bus_down``
at once and notifies listeners; a *timeout* alone does not — a starved process or a busy server
answers late, and a spurious ``bus_down`` would make every consumer re-sync every book — it wakes
the monitor, and ``timeouts_for_down`` (2) PINGs in a row without an answer within ``timeout``
declare the bus down. While down, the monitor retries with jittered exponential backoff
(``protocol.backoff``) and flips back to ``bus_up`` on the first PONG. ``call()`` while down
raises ``BusUnavailable`` at once, so nothing queues up behind a dead server. ``redis`` is
imported only here and only when a connection is opened: the default install never imports it
(check B1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

from mexc_futures.bus.url import BusURL
from mexc_futures.errors import ConfigError, MexcError
from mexc_futures.protocol.backoff import Backoff, RandomSource

log = logging.getLogger("mexc_futures.bus")

BusState = Literal["bus_up", "bus_down"]
T = TypeVar("T")


class BusUnavailable(MexcError):
    """The bus (Redis) cannot be reached now; the message names the server and the last error."""


@dataclass(frozen=True)
class BusHealth:
    """A state change: ``state`` since ``at`` (wall seconds), with the error that caused a down."""

    state: BusState
    at: float
    reason: str
    url: str


def import_redis() -> Any:
    """``redis.asyncio``, or a ``ConfigError`` saying how to install the optional extra."""
    try:
        import redis.asyncio as aioredis
    except ImportError:
        raise ConfigError("the bus needs the optional Redis client: "
                          "pip install 'mexc-futures[redis]'") from None
    return aioredis


def connection_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the server is not reachable" (not a bad command)."""
    import redis.exceptions as rex

    return (rex.ConnectionError, rex.TimeoutError, rex.BusyLoadingError, OSError,
            asyncio.TimeoutError)


def timeout_errors() -> tuple[type[BaseException], ...]:
    """The slow-answer subset of ``connection_errors``: on a loaded machine a live server can
    answer late, so one of these alone does not declare the bus down (see ``BusConnection``)."""
    import redis.exceptions as rex

    return (rex.TimeoutError, TimeoutError, asyncio.TimeoutError)


class BusConnection:
    """See the module docstring. ``async with BusConnection(url) as bus: await bus.call(...)``."""

    def __init__(self, url: BusURL, *, name: str = "mexc-futures", ping_interval: float = 0.5,
                 timeout: float = 2.0, rng: RandomSource | None = None,
                 backoff_base: float = 0.1, backoff_cap: float = 2.0,
                 wall: Callable[[], float] = time.time) -> None:
        self.url = url
        self.name = name
        self.ping_interval = ping_interval
        self.timeout = timeout
        jitter = rng or random.Random()  # noqa: S311  # nosec B311  # jitter, not security
        self._backoff = Backoff(jitter, base=backoff_base, cap=backoff_cap, reset_after=5.0)
        self._wall = wall
        self._client: Any = None
        self._errors: tuple[type[BaseException], ...] = ()
        self._timeouts: tuple[type[BaseException], ...] = ()
        self._suspect = asyncio.Event()  # a call timed out: PING now
        self.timeouts_for_down = 2
        self.call_timeouts = 0
        self._monitor: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[BusHealth], None]] = []
        self._up_event = asyncio.Event()
        self.state: BusState = "bus_down"
        self.since = wall()
        self.last_error = "not connected yet"
        self.downs = 0

    # -- lifecycle -------------------------------------------------------------------------------
    async def __aenter__(self) -> BusConnection:
        await self.open()
        return self

    async def __aexit__(self, et: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def open(self, *, wait: bool = True) -> None:
        """Create the client and start the monitor; with ``wait`` the first PING must answer
        (``BusUnavailable`` otherwise: a misspelt URL fails at start, not later)."""
        aioredis = import_redis()
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._errors = connection_errors()
        self._timeouts = timeout_errors()
        self._client = aioredis.Redis(
            host=self.url.host, port=self.url.port, db=self.url.db, username=self.url.username,
            password=self.url.password, ssl=self.url.tls, socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout, client_name=self.name,
            decode_responses=False,
            # no silent retries inside redis-py (its default since 6.0): a timed-out XADD batch
            # resent would duplicate entries, a resent BLPOP would lose the popped answer; the
            # bus's callers decide (market data: at most once; intents: idempotent ids)
            retry=Retry(NoBackoff(), 0))
        if wait:
            try:
                await asyncio.wait_for(self._client.ping(), self.timeout)
            except self._errors as exc:
                await self._client.aclose()
                raise BusUnavailable(f"cannot reach the bus at {self.url}: {exc!r}; is "
                                     "redis-server running there (and the URL right)?") from None
            self._set("bus_up", "connected")
        self._monitor = asyncio.create_task(self._watch(), name="bus-monitor")

    async def close(self) -> None:
        task, self._monitor = self._monitor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.aclose()
            self._client = None

    # -- state -----------------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return self.state == "bus_up"

    @property
    def client(self) -> Any:
        """The ``redis.asyncio.Redis`` client (bytes in, bytes out)."""
        if self._client is None:
            raise BusUnavailable("the bus connection is not open")
        return self._client

    def subscribe(self, listener: Callable[[BusHealth], None]) -> None:
        """``listener(BusHealth)`` on every change of state."""
        self._listeners.append(listener)

    async def wait_up(self, within: float | None = None) -> bool:
        """Wait until the bus is up; False after ``within`` seconds."""
        if self.up:
            return True
        try:
            await asyncio.wait_for(self._up_event.wait(), within)
        except TimeoutError:
            return False
        return True

    def _set(self, state: BusState, reason: str) -> None:
        if state == self.state:
            return
        self.state, self.since = state, self._wall()
        health = BusHealth(state, self.since, reason, str(self.url))
        if state == "bus_up":
            self._up_event.set()
            self._backoff.connected(time.monotonic())
            log.info("bus up: %s", self.url)
        else:
            self._up_event.clear()
            self.downs += 1
            self.last_error = reason
            log.warning("bus down: %s (%s); retrying", self.url, reason)
        for listener in list(self._listeners):
            try:
                listener(health)
            except Exception:  # a listener must not stop the connection's bookkeeping
                log.exception("bus health listener failed")

    def mark_down(self, reason: str) -> None:
        self._set("bus_down", reason)

    def is_connection_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self._errors)

    async def call(self, op: Callable[[Any], Awaitable[T]]) -> T:
        """``await op(client)``; a connection failure marks the bus down and raises
        ``BusUnavailable``. While down it raises at once."""
        if not self.up:
            raise BusUnavailable(f"the bus at {self.url} is down ({self.last_error})")
        try:
            return await op(self.client)
        except self._timeouts as exc:
            self.call_timeouts += 1
            self._suspect.set()  # the monitor decides, with PINGs
            raise BusUnavailable(f"the bus at {self.url} did not answer in time ({exc!r})"
                                 ) from None
        except self._errors as exc:
            self.mark_down(repr(exc))
            raise BusUnavailable(f"the bus at {self.url} is down ({exc!r})") from None

    # -- monitor ---------------------------------------------------------------------------------
    async def _ping(self) -> None:
        await asyncio.wait_for(self.client.ping(), self.timeout)

    async def _watch(self) -> None:
        late = 0  # PINGs in a row that timed out
        while True:
            if self.up:
                if not late:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._suspect.wait(), self.ping_interval)
                self._suspect.clear()
                self._backoff.healthy(time.monotonic())
            else:
                await asyncio.sleep(self._backoff.next_delay())
            try:
                await self._ping()
            except self._timeouts as exc:
                late += 1
                if not self.up or late >= self.timeouts_for_down:
                    self.mark_down(f"{late} PINGs unanswered within {self.timeout:g} s ({exc!r})")
                continue
            except self._errors as exc:
                late = 0
                self.mark_down(repr(exc))
                continue
            late = 0
            self._set("bus_up", "reconnected")
