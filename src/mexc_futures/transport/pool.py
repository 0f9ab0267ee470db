"""Connections per ledger: one supervised task per connection id, reconnecting with backoff.

Structured concurrency (architecture principle 6): every connection task lives in the pool's
``asyncio.TaskGroup``; ``async with Pool(...)`` cancels and awaits them all on exit; every wait
has a timeout (``WsConnection`` sleeps until the session's next deadline; backoff sleeps are
bounded by the cap). The pool executes ``protocol.ledger`` actions (``apply``) and tells its owner
when a connection comes up (``on_up(conn, reconnect)``) or goes down (``on_down(conn, reason)``),
so the owner can resync books and report deal gaps. After a reconnect, the initial frames of the
new session come from ``initial_frames(conn)`` (the ledger's re-placement), so everything is
resubscribed and, on private connections, logged in and filtered again first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from types import TracebackType

from mexc_futures.clock import Clock
from mexc_futures.protocol.backoff import Backoff
from mexc_futures.protocol.ledger import Close, LedgerAction, Open, Subscribe, Unsubscribe
from mexc_futures.protocol.session import ClientFrame, Session, SessionConfig, Sub, Unsub
from mexc_futures.protocol.signing import Signer
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.ws import ConnHooks, WsConnection

log = logging.getLogger(__name__)

Filters = tuple[tuple[str, tuple[str, ...]], ...]


class PoolHooks(ConnHooks):
    """Connection hooks plus the pool's lifecycle callbacks."""

    def on_up(self, conn: int, reconnect: bool) -> None:
        """``conn`` is open (and logged in, on private connections)."""

    def on_down(self, conn: int, reason: str) -> None:
        """``conn`` closed; it reconnects unless it was closed on purpose."""

    def initial_frames(self, conn: int) -> Sequence[ClientFrame]:
        """Frames a fresh session of ``conn`` sends after open (login/filter excluded)."""
        return ()

    def wanted(self, conn: int) -> bool:
        """Whether ``conn`` should be reconnected after it drops (it still carries streams)."""
        return True


def sub_frame(action: Subscribe | Unsubscribe) -> ClientFrame:
    """The session frame of a ledger subscribe / unsubscribe."""
    s = action.stream
    param = tuple(sorted(s.param().items()))
    if isinstance(action, Subscribe):
        return Sub(s.channel, param, key=s)
    return Unsub(s.channel, param)


class Pool:
    """Supervises WebSocket connections; see the module docstring."""

    def __init__(
        self,
        url: str,
        hooks: PoolHooks,
        metrics: Metrics,
        *,
        clock: Clock,
        rng: random.Random | None = None,
        session_config: SessionConfig | None = None,
        signer: Signer | None = None,
        filters: Filters | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.hooks = hooks
        self.metrics = metrics
        self.clock = clock
        self.speed: float = float(getattr(clock, "speed", 1.0))
        self.rng = rng or random.Random()  # noqa: S311  # nosec B311  # jitter
        self.session_config = session_config or SessionConfig()
        self.signer = signer
        self.filters = filters
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.connect_timeout = connect_timeout
        self.live: dict[int, WsConnection] = {}
        self._stop: dict[int, asyncio.Event] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._group: asyncio.TaskGroup | None = None

    async def __aenter__(self) -> Pool:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for cid in list(self._stop):
            self.close(cid)
        assert self._group is not None  # nosec B101  # type narrowing
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                await self._group.__aexit__(et, exc, tb)
        self._group = None

    # ---------------------------------------------------------------- actions

    def apply(self, actions: Sequence[LedgerAction]) -> None:
        """Carry out ledger decisions (sync; I/O happens in the connection tasks)."""
        for a in actions:
            if isinstance(a, Open):
                self.open(a.conn)
            elif isinstance(a, Subscribe | Unsubscribe):
                conn = self.live.get(a.conn)
                if conn is not None:  # otherwise initial_frames() covers it at (re)connect
                    conn.send(sub_frame(a))
            elif isinstance(a, Close):
                self.close(a.conn)

    def open(self, conn: int) -> None:
        """Start supervising connection ``conn``."""
        if conn in self._tasks or self._group is None:
            return
        self._stop[conn] = asyncio.Event()
        self._tasks[conn] = self._group.create_task(self._supervise(conn), name=f"ws-{conn}")

    def close(self, conn: int) -> None:
        """Close ``conn`` for good (no reconnect)."""
        ev = self._stop.get(conn)
        if ev is not None:
            ev.set()
        c = self.live.get(conn)
        if c is not None:
            c.close("closed")

    def send(self, conn: int, frame: ClientFrame) -> bool:
        """Send on a live connection; False if it is not up (the frame is then not sent)."""
        c = self.live.get(conn)
        if c is None:
            return False
        c.send(frame)
        return True

    @property
    def task_count(self) -> int:
        """Connection tasks alive (reliability I7)."""
        return sum(1 for t in self._tasks.values() if not t.done())

    # ---------------------------------------------------------------- supervision

    async def _supervise(self, cid: int) -> None:
        stop = self._stop[cid]
        backoff = Backoff(self.rng, base=self.backoff_base, cap=self.backoff_cap)
        m = self.metrics.conn(cid)
        attempts = 0
        try:
            while not stop.is_set():
                session = Session(self.session_config, login=self.signer is not None,
                                  filters=self.filters)
                for f in self.hooks.initial_frames(cid):
                    session.send(f)
                conn = WsConnection(cid, self.url, session, _Relay(self, cid), m,
                                    clock=self.clock, signer=self.signer,
                                    connect_timeout=self.connect_timeout)
                self.live[cid] = conn
                try:
                    reason = await conn.run()
                except Exception as exc:  # D3: one failure stays here
                    reason = self._contained(cid, conn, "run", exc)
                self.live.pop(cid, None)
                if conn.login_error is not None:
                    reason = f"login failed: {conn.login_error}"
                if session.opened_at or session.frames_sent:
                    backoff.healthy(self.clock.monotonic())
                    try:
                        self.hooks.on_down(cid, reason)
                    except Exception as exc:  # D3: as above
                        self._contained(cid, conn, "on_down", exc)
                attempts += 1
                if stop.is_set() or conn.login_error is not None or not self.hooks.wanted(cid):
                    if conn.login_error is not None:
                        log.error("conn %d: login failed: %s", cid, conn.login_error)
                    break
                m.reconnects += 1
                delay = backoff.next_delay() / self.speed
                log.info("conn %d down (%s); reconnecting in %.3f s", cid, reason, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            self.live.pop(cid, None)
            self._stop.pop(cid, None)
            self._tasks.pop(cid, None)
            self.metrics.retire(cid)

    def _contained(self, cid: int, conn: WsConnection, where: str, exc: Exception) -> str:
        """D3: count and log an exception that escaped connection ``cid``; it is reconnected
        like any other drop and no other connection notices."""
        self.metrics.conn(cid).supervisor_errors += 1
        log.error("conn %d: %s failed (%s); replacing the connection", cid, where,
                  type(exc).__name__, exc_info=exc)
        with contextlib.suppress(Exception):
            conn.close("error")
        return f"error: {type(exc).__name__}"

    def _up(self, cid: int) -> None:
        conn = self.live.get(cid)
        m = self.metrics.conn(cid)
        if conn is not None:
            self.hooks.on_up(cid, m.reconnects > 0)


class _Relay(ConnHooks):
    """Binds a connection's hooks to the pool's (adds ``on_up`` at open / login)."""

    def __init__(self, pool: Pool, cid: int) -> None:
        self._pool = pool
        self._cid = cid
        h = pool.hooks
        self.on_push = h.on_push  # type: ignore[method-assign]
        self.push_routes = h.push_routes  # type: ignore[method-assign]
        self.depth_table = h.depth_table  # type: ignore[method-assign]
        self.on_stale = h.on_stale  # type: ignore[method-assign]
        self.on_rotate = h.on_rotate  # type: ignore[method-assign]
        self.on_venue_error = h.on_venue_error  # type: ignore[method-assign]
        self.frame_tap = h.frame_tap  # type: ignore[method-assign]

    def on_open(self, conn: int) -> None:
        if self._pool.signer is None:
            self._pool._up(conn)

    def on_logged_in(self, conn: int) -> None:
        self._pool.hooks.on_logged_in(conn)
        self._pool._up(conn)


__all__ = ["Filters", "Pool", "PoolHooks", "sub_frame"]
