"""The private account stream (spec §7.6-§7.8): login, ``personal.filter``, typed events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any

from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.config import Credentials, Environment
from mexc_futures.errors import MexcError
from mexc_futures.marketdata.subscription import Callback, EventQueue
from mexc_futures.model.events import AccountEvent
from mexc_futures.protocol import convert
from mexc_futures.protocol.session import SessionConfig
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import Pool, PoolHooks

PRIVATE_FILTERS = frozenset({"order", "order.deal", "position", "plan.order", "stop.order",
                             "stop.planorder", "risk.limit", "adl.level", "asset"})
_RULELESS = frozenset({"asset", "adl.level"})


class LoginError(MexcError):
    """The venue refused the WebSocket login (bad key, signature or time, spec §7.6)."""


class PrivateStream(PoolHooks):
    """Account pushes of one key: login (``subscribe:false``), then ``personal.filter``.

    ``async with PrivateStream(env, creds, ["order", "asset"], ["BTC_USDT"]) as ps:`` waits for
    the login and raises ``LoginError`` if the venue refuses it (never hangs: bounded by the
    session's login timeout). Iterating yields ``AccountEvent`` for order / deal / position /
    asset pushes and the typed wire struct (``protocol.ws``) for the other ``push.personal.*``.
    Reconnects log in and re-send the filter automatically.
    """

    def __init__(
        self,
        env: Environment,
        credentials: Credentials,
        channels: Sequence[str],
        symbols: Sequence[str] = (),
        *,
        clock: Clock = SYSTEM_CLOCK,
        session_config: SessionConfig | None = None,
        queue_size: int = 100_000,
    ) -> None:
        bad = set(channels) - PRIVATE_FILTERS
        if bad:
            raise ValueError(f"unknown private channels {sorted(bad)}")
        self.env = env
        self.clock = clock
        self.filters = tuple(
            (c, () if c in _RULELESS else tuple(symbols)) for c in channels
        )
        self.metrics = Metrics()
        self._signer = credentials.signer()
        self._session_config = session_config or SessionConfig()
        self._queue = EventQueue(queue_size)
        self._callbacks: list[Callback] = []
        self._pool: Pool | None = None
        self._up = asyncio.Event()
        self._login_error: str | None = None

    async def __aenter__(self) -> PrivateStream:
        self._pool = Pool(self.env.ws_url, self, self.metrics, clock=self.clock,
                          session_config=self._session_config, signer=self._signer,
                          filters=self.filters)
        await self._pool.__aenter__()
        self._pool.open(1)
        timeout = self._session_config.login_timeout / float(getattr(self.clock, "speed", 1.0))
        try:
            await asyncio.wait_for(self._up.wait(), timeout + 10.0)
        except TimeoutError:
            await self.__aexit__(None, None, None)
            raise LoginError("private stream: no login answer") from None
        if self._login_error is not None:
            await self.__aexit__(None, None, None)
            raise LoginError(f"private stream login refused: {self._login_error}")
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.__aexit__(None, None, None)
        self._queue.close()

    def on(self, callback: Callback) -> None:
        """Call ``callback(event)`` for each account event (synchronously)."""
        self._callbacks.append(callback)

    def __aiter__(self) -> AsyncIterator[AccountEvent | Any]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[AccountEvent | Any]:
        while True:
            try:
                yield await self._queue.get()
            except StopAsyncIteration:
                return

    # pool hooks
    def on_up(self, conn: int, reconnect: bool) -> None:
        self._up.set()

    def on_down(self, conn: int, reason: str) -> None:
        if reason.startswith("login failed"):
            self._login_error = reason.removeprefix("login failed: ")
            self._up.set()

    def on_push(self, conn: int, msg: Any) -> None:
        events = convert.events_of(msg)
        for ev in events or (msg,):
            for cb in self._callbacks:
                cb(ev)
            self._queue.put(ev)


__all__ = ["PRIVATE_FILTERS", "LoginError", "PrivateStream"]
