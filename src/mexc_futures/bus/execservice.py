"""The exec service: one execution manager per account, fed by intents over Redis (issue #18).

``ExecService(url, account, manager=..., private=...)``; ``await service.run(stop)``:

1. **Lease** (``bus.lease``): ``SET mx:lease:{account} NX PX ttl``. Held by another instance:
   wait for it to lapse (saying who holds it), or refuse at once (``wait=False``,
   ``LeaseBusy``). Renewed every ``ttl/3``; lost to another instance: the service stops.
2. **Execution manager** (built by ``manager()``, started only once the lease is held): journal,
   risk gate, kill switch, start-up reconciliation — the in-process guarantees, unchanged — and
   the account's ``PrivateStream`` (``private(em)``) feeding it.
3. **Intents**: ``XREADGROUP exec`` on ``mx:ord:{account}:intents``; after every (re)connect
   ``XAUTOCLAIM`` (idle ≥ 0) takes over what a killed instance left pending, later only entries
   idle ≥ ``claim_idle``. Each intent: its ``externalOid`` follows from the intent key
   (``bus.intents``), the owning strategy is journaled (``bus.owners``), then
   ``ExecutionManager.submit`` (journal before send). A redelivered intent finds its journal row
   and is answered from it, never sent again. The outcome goes to the strategy's events stream,
   then ``XACK`` — a crash between them re-answers, never re-sends. An intent past its
   ``expires_ms`` that was never journaled is answered ``expired`` and not sent.
4. **Events**: order updates and fills to the owning strategy's stream, positions, balances and
   kill-switch events to every strategy seen; queued (bounded, overflow counted) while Redis is
   down and sent when it is back.
5. **Kill switch**: mirrored to ``mx:kill:{account}`` (after every reconnect too, from the
   journal's latch); operator commands from ``mx:ctl:{account}`` (``bus.control``).

Redis down: nothing is read or executed (``lease`` ``stale``), the execution manager keeps
reconciling over REST and its kill switch works (a ``kill --direct`` latch in the same journal
stops it, reliability D1); when Redis is back the service resumes from the pending list.

``fault(point, entry_id)`` is a test hook called at ``read`` (an intent read and decoded, nothing
done yet) and
``answered`` (submit returned, outcome not yet published nor acked); a test kills the process
there (B5).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import msgspec

from mexc_futures.bus.exec_control import ControlSide
from mexc_futures.bus.exec_events import EventsOut
from mexc_futures.bus.intents import (
    IntentEnvelope,
    Outcome,
    Snapshot,
    decode_intent,
    encode,
    exec_session,
    external_oid_for,
    failure,
    intent_key,
    keyed,
    success,
)
from mexc_futures.bus.lease import (
    RELEASE_SCRIPT,
    RENEW_SCRIPT,
    Lease,
    LeaseEvent,
    LeaseState,
    make_token,
)
from mexc_futures.bus.ordkeys import (
    EVENTS_MAXLEN,
    GROUP,
    events_key,
    intents_key,
    lease_key,
)
from mexc_futures.bus.owners import Owners
from mexc_futures.bus.redisio import bus_url, connect, redis_errors
from mexc_futures.bus.url import BusURL
from mexc_futures.clock import SYSTEM_CLOCK, Clock
from mexc_futures.errors import MexcError
from mexc_futures.execution.journal import DuplicateIntent
from mexc_futures.execution.probe import probe_symbol
from mexc_futures.model.events import (
    KillSwitchTripped,
)
from mexc_futures.model.intents import CancelAll, CancelOrder, PlaceBatch, PlaceChase, PlaceOrder

if TYPE_CHECKING:
    from mexc_futures.execution.facade import ExecutionManager

log = logging.getLogger("mexc_futures.bus.exec")

#: Events kept for strategies while Redis is down (oldest dropped and counted beyond it).
OUTBOX_MAX = 100_000
#: Strategies that sent an intent within this window get account-wide events at start.
STRATEGY_WINDOW_MS = 24 * 3600 * 1000


class LeaseBusy(MexcError):
    """Another exec service holds the account's lease."""


class ExecService(EventsOut, ControlSide):
    """See the module docstring."""

    def __init__(
        self,
        url: str | BusURL,
        account: str,
        *,
        manager: Callable[[], AbstractAsyncContextManager[ExecutionManager]],
        private: Callable[[ExecutionManager], AbstractAsyncContextManager[Any]] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        lease_ttl: float = 5.0,
        wait: bool = True,
        claim_idle: float = 30.0,
        block_ms: int = 500,
        fault: Callable[[str, str], None] | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> None:
        self.url, self.account = url, account
        self.clock = clock
        self.redis = connect(url)
        self.lease = Lease(lease_ttl, make_token(clock.time_ms()))
        self.wait = wait
        self.claim_idle_ms = int(claim_idle * 1000)
        self.block_ms = block_ms
        self._manager, self._private = manager, private
        self._fault = fault
        self._status = on_status or (lambda text: log.warning("%s", text))
        self.consumer = self.lease.token.replace(" ", "-")
        self.em: ExecutionManager | None = None
        self.owners: Owners | None = None
        self.strategies: set[str] = set()
        self.bus_up = False
        self.handled = 0
        self.duplicates = 0
        self.dropped_events = 0
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._out_ready = asyncio.Event()
        self._kill_dirty = True
        self._claim_all = True
        self._claimed_at = 0.0
        self._ended = asyncio.Event()
        self._closing = False
        self.end_reason = ""

    # ------------------------------------------------------------------ lifecycle
    async def run(self, stop: asyncio.Event) -> str:
        """Hold the lease, run the execution manager and serve intents until ``stop`` is set
        or the lease is lost. Returns why it ended."""
        renew: asyncio.Task[None] | None = None
        try:
            if not await self._acquire(stop):
                return "stopped while waiting for the lease"
            # renewed from now on: the manager's start (probe, reconciliation) may outlast it
            renew = asyncio.get_running_loop().create_task(self._renew_loop())
            async with self._manager() as em:
                if em.session_id != exec_session(self.account):
                    raise ValueError(
                        f"the exec service's execution manager must use session_id="
                        f"{exec_session(self.account)!r} (externalOids derive from it)"
                    )
                self.em = em
                assert em.journal is not None  # nosec B101  # started
                self.owners = Owners(em.journal.db)
                self.strategies |= self.owners.strategies(self.clock.time_ms() - STRATEGY_WINDOW_MS)
                em.on(self._on_manager_event)
                if not self._ended.is_set():  # the lease may have been lost meanwhile
                    await self._serve(stop, em)
        finally:
            if renew is not None:
                renew.cancel()
            await self._release()
        return self.end_reason or "stopped"

    async def _serve(self, stop: asyncio.Event, em: ExecutionManager) -> None:
        async with asyncio.TaskGroup() as tg:
            tasks = [
                tg.create_task(self._consume_loop(em)),
                tg.create_task(self._ctl_loop(em)),
                tg.create_task(self._publish_loop()),
            ]
            if self._private is not None:
                tasks.append(tg.create_task(self._private_loop(em)))
            stopper = tg.create_task(stop.wait())
            ended = tg.create_task(self._ended.wait())
            await asyncio.wait([stopper, ended], return_when=asyncio.FIRST_COMPLETED)
            await self._drain_outbox(1.0)
            self._closing = True  # blocked reads end within block_ms (redis-py may hang if
            readers = tasks[0], tasks[1]  # a blocked read is cancelled)
            await asyncio.wait(readers, timeout=self.block_ms / 1000 + 2)
            for task in [*tasks, stopper, ended]:
                task.cancel()

    def _end(self, reason: str) -> None:
        self.end_reason = reason
        self._ended.set()

    # ------------------------------------------------------------------ lease
    async def _acquire(self, stop: asyncio.Event) -> bool:
        key, said = lease_key(self.account), ""
        while not stop.is_set():
            try:
                got = await self.redis.set(
                    key, self.lease.token, nx=True, px=int(self.lease.ttl_s * 1000)
                )
                raw: Any = None if got else await self.redis.get(key)
                holder = raw.decode() if raw else ""
                self._bus(True)
            except redis_errors() as e:
                self._bus(False, str(e))
                self.lease.apply(LeaseEvent.UNREACHABLE, self.clock.monotonic())
                await _sleep_or(stop, 1.0)
                continue
            if got:
                self.lease.apply(LeaseEvent.ACQUIRED, self.clock.monotonic())
                self._status(f"exec-service {self.account}: lease acquired ({self.lease.token})")
                return True
            self.lease.apply(LeaseEvent.REFUSED, self.clock.monotonic(), holder)
            if not self.wait:
                raise LeaseBusy(
                    f"account {self.account!r} is already run by an exec service ({holder}); "
                    "stop that one, or start this one without --no-wait to take over when its "
                    "lease lapses"
                )
            if holder != said:
                said = holder
                self._status(
                    f"exec-service {self.account}: account held by {holder}; waiting for its "
                    f"lease to lapse (it expires {self.lease.ttl_s:.0f} s after its holder stops)"
                )
            await _sleep_or(stop, self.lease.renew_every)
        return False

    async def _renew_loop(self) -> None:
        key, ttl_ms = lease_key(self.account), int(self.lease.ttl_s * 1000)
        while True:
            await asyncio.sleep(self.lease.renew_every)
            try:
                got: Any = await self.redis.eval(RENEW_SCRIPT, 1, key, self.lease.token, ttl_ms)
            except redis_errors() as e:
                self.lease.apply(LeaseEvent.UNREACHABLE, self.clock.monotonic())
                self._bus(False, str(e))
                continue
            self._bus(True)
            now = self.clock.monotonic()
            if got == 1:
                self.lease.apply(LeaseEvent.RENEWED, now)
            elif got == 2:
                self.lease.apply(LeaseEvent.ACQUIRED, now)
            else:
                holder = got.decode() if isinstance(got, bytes) else str(got)
                if self.lease.apply(LeaseEvent.REFUSED, now, holder) is LeaseState.LOST:
                    self._end(f"lease lost to {holder}: another exec service runs {self.account}")
                    return

    async def _release(self) -> None:
        with contextlib.suppress(*redis_errors()):
            await self.redis.eval(RELEASE_SCRIPT, 1, lease_key(self.account), self.lease.token)
        with contextlib.suppress(*redis_errors()):
            await self.redis.aclose()

    def _bus(self, up: bool, why: str = "") -> None:
        if up and not self.bus_up:
            self._kill_dirty = self._claim_all = True  # Redis may have restarted
            self._out_ready.set()
            self._status(f"exec-service {self.account}: bus up")
        elif not up and self.bus_up:
            self._status(
                f"exec-service {self.account}: bus down ({why}); not reading intents, "
                "still reconciling over REST"
            )
        self.bus_up = up

    # ------------------------------------------------------------------ intents
    async def _consume_loop(self, em: ExecutionManager) -> None:
        stream = intents_key(self.account)
        while not self._closing:
            if not self.lease.may_execute(self.clock.monotonic()):
                await asyncio.sleep(0.05)
                continue
            try:
                if self._kill_dirty:
                    await self._mirror_kill(em)
                now = self.clock.monotonic()
                if self._claim_all:  # (re)connected: everything pending is ours to finish
                    await self._ensure_group(stream)
                    await self._claim(em, stream, 0)
                    self._claim_all, self._claimed_at = False, now
                elif now - self._claimed_at >= self.claim_idle_ms / 1000:
                    await self._claim(em, stream, self.claim_idle_ms)  # stuck anywhere else
                    self._claimed_at = now
                reply: Any = await self.redis.xreadgroup(
                    GROUP, self.consumer, {stream: ">"}, count=16, block=self.block_ms
                )
                self._bus(True)
                for _, entries in reply or ():
                    for entry_id, fields in entries:
                        await self._handle(em, stream, entry_id, fields)
            except redis_errors() as e:
                self._bus(False, str(e))
                await asyncio.sleep(0.2)
            except Exception as e:  # a bug: stop cleanly; the intent stays pending, not acked
                log.exception("exec-service %s: intent handling failed", self.account)
                self._end(f"stopped: intent handling failed ({e!r}); the intent stays pending")
                return

    async def _ensure_group(self, stream: str) -> None:
        from redis.exceptions import ResponseError

        try:
            await self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def _claim(self, em: ExecutionManager, stream: str, min_idle_ms: int) -> None:
        """Take over pending intents (of a killed instance, or ours before a reconnect)."""
        start: Any = "0-0"
        while True:
            got: Any = await self.redis.xautoclaim(
                stream, GROUP, self.consumer, min_idle_ms, start_id=start, count=100
            )
            start, entries = got[0], got[1]
            for entry_id, fields in entries:
                if fields is not None:
                    await self._handle(em, stream, entry_id, fields)
            for gone in got[2] if len(got) > 2 else ():
                await self.redis.xack(stream, GROUP, gone)
            if start in (b"0-0", "0-0"):
                return

    async def _handle(
        self, em: ExecutionManager, stream: str, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> None:
        eid = entry_id.decode()
        try:
            env = decode_intent(fields[b"m"])
        except (KeyError, msgspec.DecodeError, msgspec.ValidationError) as e:
            log.error("intent %s is malformed (%s): dropped", eid, e)
            await self.redis.xack(stream, GROUP, entry_id)
            return
        self.strategies.add(env.strategy)
        if env.intent is None:
            answer: Outcome | Snapshot = await self._snapshot(em, env)
        elif not self.lease.may_execute(self.clock.monotonic()):
            self._claim_all = True  # not ours to run now: left pending, claimed when held
            return
        else:
            self._hook("read", eid)
            answer = await self._execute(em, env)
            self.handled += 1
            self._hook("answered", eid)
        await self.redis.xadd(
            events_key(self.account, env.strategy),
            {"m": encode(answer)},
            maxlen=EVENTS_MAXLEN,
            approximate=True,
        )
        await self.redis.xack(stream, GROUP, entry_id)

    async def _execute(self, em: ExecutionManager, env: IntentEnvelope) -> Outcome:
        assert env.intent is not None
        assert self.owners is not None
        key = intent_key(env)
        intent = keyed(env.intent, key)
        oids = self._oids(intent)
        journal = em.journal_or_raise()
        seen = any(journal.get(oid) is not None for oid in oids)
        now = self.clock.time_ms()
        for oid in oids:
            self.owners.record(key, oid, env.strategy, env.id, now)
        if seen:
            self.duplicates += 1
        elif now > env.expires_ms:
            late = (now - env.expires_ms) / 1000
            return Outcome(
                id=env.id,
                ok=False,
                error="expired",
                message=f"intent expired {late:.1f} s before the exec service read it: not sent",
            )
        try:
            await self._know(em, intent)
            if isinstance(intent, CancelAll) and not intent.all_orders:
                await self._cancel_strategy(em, env.strategy, intent.symbol)
                return Outcome(id=env.id, ok=True)
            result = await em.submit(intent)
        except DuplicateIntent:
            row = journal.get(oids[0]) if oids else None
            return success(env.id, row.tracked() if row else None, duplicate=True)
        except (MexcError, ValueError) as e:
            return failure(env.id, e)
        return success(env.id, result, duplicate=seen)

    async def _know(self, em: ExecutionManager, intent: object) -> None:
        """Contract rules, leverage and reference price of a symbol seen for the first time
        (the exec service serves every symbol; the risk gate needs them)."""
        symbols = {getattr(intent, "symbol", None)}
        if isinstance(intent, PlaceBatch):
            symbols = {o.symbol for o in intent.orders}
        for symbol in symbols:
            if symbol and symbol not in em.specs:
                await probe_symbol(
                    em.rest, symbol, caps=em.capabilities, view=em.view, specs=em.specs
                )

    def _oids(self, intent: object) -> list[str]:
        """The externalOids the intent's orders will be journaled under (a chase: its first)."""
        if isinstance(intent, PlaceOrder) and intent.client_key:
            return [external_oid_for(self.account, intent.client_key)]
        if isinstance(intent, PlaceChase) and intent.client_key:
            return [external_oid_for(self.account, f"chase:{intent.client_key}")]
        if isinstance(intent, PlaceBatch):
            return [external_oid_for(self.account, o.client_key or "") for o in intent.orders]
        return []

    async def _cancel_strategy(
        self, em: ExecutionManager, strategy: str, symbol: str | None
    ) -> None:
        """``CancelAll`` from one strategy: its own live orders only (never another's)."""
        assert self.owners is not None  # nosec B101
        mine = [
            o
            for o in em.open_orders
            if (symbol is None or o.symbol == symbol)
            and self.owners.owner(o.external_oid) == strategy
        ]
        for o in mine:
            await em.submit(CancelOrder(symbol=o.symbol, external_oid=o.external_oid))

    async def _snapshot(self, em: ExecutionManager, env: IntentEnvelope) -> Snapshot:
        """The answer to a hello: the account as the execution manager knows it."""
        ks = em.kill_switch
        kill = KillSwitchTripped(reason=ks.reason, detail=ks.detail) if ks.tripped else None
        try:
            orders = tuple(await em.venue_open_orders())
        except MexcError as e:
            log.warning("open orders for %s's snapshot: %s", env.strategy, e)
            orders = ()
        return Snapshot(
            id=env.id,
            positions=tuple(em.positions.values()),
            balances=tuple(em.balances.values()),
            orders=orders,
            kill=kill,
        )

    def _hook(self, point: str, entry_id: str) -> None:
        if self._fault is not None:
            self._fault(point, entry_id)


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


__all__ = ["ExecService", "LeaseBusy", "bus_url", "connect"]
