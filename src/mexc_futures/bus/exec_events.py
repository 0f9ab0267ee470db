"""The exec service's outbound side: account events to the strategies' streams (issue #18).

A mixin of ``bus.execservice.ExecService`` (its state is declared below):

* order updates and fills go to the stream of the strategy that placed the order
  (``bus.owners``: externalOid -> strategy, journaled before the send);
* positions, balances (from the private stream) and ``KillSwitchTripped`` go to every strategy
  seen (a hello, an intent, or an intent within the last day according to the journal);
* everything waits in a bounded outbox (``OUTBOX_MAX``, oldest dropped and counted) and is
  written in pipelined, trimmed ``XADD`` batches; while Redis is down it stays queued and goes out
  when it is back, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from mexc_futures.bus.intents import encode
from mexc_futures.bus.ordkeys import EVENTS_MAXLEN, events_key
from mexc_futures.bus.owners import Owners
from mexc_futures.bus.redisio import redis_errors
from mexc_futures.model.events import (
    AccountEvent,
    BalanceUpdate,
    Fill,
    KillSwitchTripped,
    OrderUpdate,
    PositionUpdate,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from mexc_futures.execution.facade import ExecutionManager

#: Events kept for strategies while Redis is down (oldest dropped and counted beyond it).
OUTBOX_MAX = 100_000


class EventsOut:
    """Routing and publishing of the execution manager's events (see the module docstring)."""

    account: str
    redis: Redis
    owners: Owners | None
    em: ExecutionManager | None
    strategies: set[str]
    dropped_events: int
    bus_up: bool
    _outbox: deque[tuple[str, bytes]]
    _out_ready: asyncio.Event
    _kill_dirty: bool
    _private: Callable[[ExecutionManager], AbstractAsyncContextManager[Any]] | None

    if TYPE_CHECKING:

        def _bus(self, up: bool, why: str = "") -> None: ...

    def _on_manager_event(self, event: object) -> None:
        """``ExecutionManager.on``: order updates / fills to their owner, kill to everyone."""
        if isinstance(event, KillSwitchTripped):
            self._kill_dirty = True
            self._broadcast(event)
            return
        if isinstance(event, OrderUpdate | Fill):
            self._route(event)

    def _route(self, event: OrderUpdate | Fill) -> None:
        if self.owners is None or self.em is None:
            return
        oid = event.external_oid
        if not oid and isinstance(event, Fill):
            order = self.em.tracker.get(order_id=event.order_id)
            oid = order.external_oid if order is not None else ""
        owner = self.owners.owner(oid)
        if owner is not None:
            self._queue(events_key(self.account, owner), encode(event))

    def _broadcast(self, event: AccountEvent) -> None:
        raw = encode(event)
        for strategy in sorted(self.strategies):
            self._queue(events_key(self.account, strategy), raw)

    def _queue(self, key: str, raw: bytes) -> None:
        if len(self._outbox) >= OUTBOX_MAX:
            self._outbox.popleft()
            self.dropped_events += 1
        self._outbox.append((key, raw))
        self._out_ready.set()

    async def _publish_loop(self) -> None:
        while True:
            await self._out_ready.wait()
            self._out_ready.clear()
            while self._outbox:
                batch = [self._outbox[i] for i in range(min(200, len(self._outbox)))]
                try:
                    async with self.redis.pipeline(transaction=False) as pipe:
                        for key, raw in batch:
                            pipe.xadd(key, {"m": raw}, maxlen=EVENTS_MAXLEN, approximate=True)
                        await pipe.execute()
                except redis_errors() as e:
                    self._bus(False, str(e))
                    await asyncio.sleep(0.2)
                    continue
                for _ in batch:
                    self._outbox.popleft()

    async def _drain_outbox(self, wait_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                while self._outbox and self.bus_up:
                    self._out_ready.set()
                    await asyncio.sleep(0.01)

    async def _private_loop(self, em: ExecutionManager) -> None:
        assert self._private is not None  # nosec B101
        async with self._private(em) as stream:
            events: AsyncIterator[AccountEvent] = stream.__aiter__()
            async for event in events:
                em.on_account_event(event)
                if isinstance(event, PositionUpdate | BalanceUpdate):
                    self._broadcast(event)


__all__ = ["OUTBOX_MAX", "EventsOut"]
