"""``RemoteExecutor``: the strategy engine's ``Executor`` talking to an exec service (issue #18).

``async with RemoteExecutor(url, account, strategy) as ex``; the engine calls ``submit(intent)``:

* bus up: the intent is written to ``mx:ord:{account}:intents`` in an ``IntentEnvelope`` (id
  ``{strategy}:{boot}:{seq}``, expiring ``intent_ttl`` seconds later) and ``submit`` awaits the
  exec service's ``Outcome`` on ``mx:ord:{account}:events:{strategy}``; it returns what
  ``ExecutionManager.submit`` returns (``TrackedOrder``, a batch's list, a conditional's row) or
  raises what it raises (``KillSwitchActive`` — the engine halts —, the venue's ``ApiError``,
  ``RemoteRefused`` for the risk gate, trading off, an expired intent). No answer within
  ``result_timeout``: ``BusTimeout`` (fate unknown: the order may still be placed; its updates
  arrive on the events stream all the same).
* bus down: ``BusDown`` at once and **nothing is written** (design §2.5: strategies cannot
  submit while Redis is down). ``on_health("bus_down", text)`` is called when the bus is lost
  and ``on_health("bus_up", text)`` when it is back (the CLI turns them into ``HealthReport``).

``events()`` yields the account events the exec service routes to this strategy (its order
updates and fills, the account's positions and balances, ``KillSwitchTripped``), resuming after
an outage from the last entry read (no duplicates). ``snapshot`` is the account as the exec
service saw it at start (the hello's answer). ``owns(update)`` tells this strategy's orders from
the rest: their ``externalOid`` derives from intents this process sent (``bus.intents``).

Latency (design B10, reported separately from in-process tick-to-order through ``on_latency``):
``tick→intent (bus)`` — from the arrival of the event that caused the intent (``origin()``, the
engine's ``submitting_origin``) until the intent is in Redis; ``intent RTT (bus)`` — from writing
the intent to reading its outcome (exec service, REST call and both bus hops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mexc_futures.bus.intents import (
    IntentEnvelope,
    Outcome,
    Snapshot,
    check_name,
    decode_event,
    encode,
    external_oid_for,
    intent_id,
    intent_key,
    result_of,
)
from mexc_futures.bus.ordkeys import INTENTS_MAXLEN, events_key, intents_key
from mexc_futures.bus.redisio import bus_url, connect, redis_errors, timeouts
from mexc_futures.bus.url import BusURL
from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.errors import MexcError
from mexc_futures.model.events import AccountEvent, OrderUpdate
from mexc_futures.model.intents import Intent, PlaceBatch, PlaceChase, PlaceOrder

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("mexc_futures.bus.remote")

EVENT_QUEUE = 100_000


class BusDown(MexcError):
    """The bus cannot be reached: the intent was not submitted."""


class BusTimeout(MexcError):
    """The exec service did not answer in time; the intent may still be carried out."""

    fate_unknown = True


class RemoteExecutor:
    """See the module docstring."""

    def __init__(
        self,
        url: str | BusURL,
        account: str,
        strategy: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        result_timeout: float = 10.0,
        intent_ttl: float | None = None,
        on_health: Callable[[str, str], None] | None = None,
        on_latency: Callable[[str, float], None] | None = None,
        origin: Callable[[], float | None] | None = None,
        block_ms: int = 500,
    ) -> None:
        self.url = bus_url(url)
        self.account = check_name("account", account)
        self.strategy = check_name("strategy", strategy)
        self.clock = clock
        self.result_timeout = result_timeout
        self.intent_ttl = result_timeout if intent_ttl is None else intent_ttl
        self.on_health = on_health
        self.on_latency = on_latency
        self.origin = origin
        self.block_ms = block_ms
        self.boot = secrets.token_hex(4)
        self.redis: Redis = connect(url)
        self.up = False
        self.snapshot: Snapshot | None = None
        self.own_oids: set[str] = set()
        self.refused_down = 0  # intents refused because the bus was down
        self.dropped_events = 0
        self._seq = 0
        self._pending: dict[str, asyncio.Future[Outcome | Snapshot]] = {}
        self._queue: asyncio.Queue[AccountEvent] = asyncio.Queue(EVENT_QUEUE)
        self._last: str | None = None
        self._reader: asyncio.Task[None] | None = None
        self._said_down = False
        self._closing = False

    async def __aenter__(self) -> RemoteExecutor:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self, *, hello: bool = True) -> None:
        """Find the end of our events stream, start reading it, and say hello (the exec
        service answers with the account's snapshot). Raises ``BusDown`` when the bus cannot
        be reached, ``BusTimeout`` when no exec service answers the hello."""
        try:
            self._last = await self._tail()
        except redis_errors() as e:
            raise BusDown(f"cannot reach the bus at {self.url}: {e}") from None
        self._set_up(True)
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        if hello:
            answer = await self._send(None)
            if isinstance(answer, Snapshot):
                self.snapshot = answer

    async def close(self) -> None:
        """Stop reading and close the connection."""
        self._closing = True
        if self._reader is not None:  # a blocked XREAD is not cancelled (redis-py may hang)
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), self.block_ms / 1000 + 2)
            except TimeoutError:
                self._reader.cancel()
        for fut in self._pending.values():
            fut.cancel()
        with contextlib.suppress(*redis_errors()):
            await self.redis.aclose()

    # ------------------------------------------------------------------ submit
    async def submit(self, intent: Intent) -> object:
        """Carry out ``intent`` through the exec service (see the module docstring)."""
        answer = await self._send(intent)
        assert isinstance(answer, Outcome)  # nosec B101  # an intent is answered by an Outcome
        return result_of(answer)

    async def _send(self, intent: Intent | None) -> Outcome | Snapshot:
        if not self.up:
            self.refused_down += 1
            raise BusDown(
                f"bus down: {type(intent).__name__ if intent else 'hello'} not submitted "
                "(nothing is sent until the bus is back)"
            )
        self._seq += 1
        env_id = intent_id(self.strategy, self.boot, self._seq)
        now = self.clock.time_ms()
        env = IntentEnvelope(
            id=env_id,
            strategy=self.strategy,
            sent_ms=now,
            expires_ms=now + int(self.intent_ttl * 1000),
            intent=intent,
        )
        self._own(env)
        fut: asyncio.Future[Outcome | Snapshot] = asyncio.get_running_loop().create_future()
        self._pending[env_id] = fut
        t0 = self.clock.monotonic()
        try:
            try:
                await self.redis.xadd(
                    intents_key(self.account),
                    {"m": encode(env)},
                    maxlen=INTENTS_MAXLEN,
                    approximate=True,
                )
            except timeouts() as e:
                raise BusTimeout(f"writing the intent timed out ({e}); it may still run") from None
            except redis_errors() as e:
                self._set_up(False, str(e))
                self.refused_down += 1
                raise BusDown(f"bus down: intent not submitted ({e})") from None
            written = self.clock.monotonic()
            origin = self.origin() if self.origin is not None else None
            if self.on_latency is not None and intent is not None and origin is not None:
                self.on_latency("tick→intent (bus)", (written - origin) * 1000)
            try:
                answer = await asyncio.wait_for(fut, self.result_timeout)
            except TimeoutError:
                raise BusTimeout(
                    f"no answer from the exec service of {self.account!r} within "
                    f"{self.result_timeout:.0f} s; the intent may still be carried out (is "
                    "`mexc-futures exec-service` running?)"
                ) from None
            if self.on_latency is not None and intent is not None:
                self.on_latency("intent RTT (bus)", (self.clock.monotonic() - t0) * 1000)
            return answer
        finally:
            self._pending.pop(env_id, None)

    def _own(self, env: IntentEnvelope) -> None:
        intent, key = env.intent, intent_key(env)
        if isinstance(intent, PlaceOrder):
            self.own_oids.add(external_oid_for(self.account, key))
        elif isinstance(intent, PlaceChase):  # its first order (moves re-place it)
            self.own_oids.add(external_oid_for(self.account, f"chase:{key}"))
        elif isinstance(intent, PlaceBatch):
            for i, o in enumerate(intent.orders):
                sub = f"{key}/{o.client_key}" if o.client_key else f"{key}/{i}"
                self.own_oids.add(external_oid_for(self.account, sub))

    def seed(self) -> list[AccountEvent]:
        """The account as the exec service answered the hello: positions, balances, open
        orders and, when latched, ``KillSwitchTripped``."""
        snap = self.snapshot
        if snap is None:
            return []
        out: list[AccountEvent] = [*snap.positions, *snap.balances, *snap.orders]
        if snap.kill is not None:
            out.append(snap.kill)
        return out

    def owns(self, upd: OrderUpdate) -> bool:
        """Whether ``upd`` is an order this strategy process placed."""
        return upd.external_oid in self.own_oids

    # ------------------------------------------------------------------ events in
    async def events(self) -> AsyncIterator[AccountEvent]:
        """Account events routed to this strategy (see the module docstring)."""
        while True:
            yield await self._queue.get()

    async def _tail(self) -> str:
        got: Any = await self.redis.xrevrange(events_key(self.account, self.strategy), count=1)
        return got[0][0].decode() if got else "0-0"

    async def _read_loop(self) -> None:
        key = events_key(self.account, self.strategy)
        while not self._closing:
            try:
                if self._last is None:
                    self._last = await self._tail()
                got: Any = await self.redis.xread({key: self._last}, count=200, block=self.block_ms)
                self._set_up(True)
                for _, entries in got or ():
                    for entry_id, fields in entries:
                        self._last = entry_id.decode()
                        self._deliver(fields)
            except redis_errors() as e:
                self._set_up(False, str(e))
                await asyncio.sleep(0.2)

    def _deliver(self, fields: dict[bytes, bytes]) -> None:
        try:
            event = decode_event(fields[b"m"])
        except Exception as e:  # a malformed entry must not stop the reader
            log.error("malformed event on the bus dropped: %s", e)
            return
        if isinstance(event, Outcome | Snapshot):
            fut = self._pending.get(event.id)
            if fut is not None and not fut.done():
                fut.set_result(event)
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped_events += 1

    def _set_up(self, up: bool, why: str = "") -> None:
        if up == self.up:
            return
        self.up = up
        if self.on_health is None:
            return
        if up:
            if self._said_down:
                self.on_health("bus_up", f"bus back at {self.url}: intents flow again")
        else:
            self._said_down = True
            self.on_health(
                "bus_down",
                f"bus unreachable at {self.url} ({why}): intents are refused, nothing is "
                "submitted until it is back; the exec service keeps reconciling",
            )


__all__ = ["BusDown", "BusTimeout", "RemoteExecutor"]
