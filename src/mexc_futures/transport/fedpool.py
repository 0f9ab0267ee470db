"""``FedPool``: a ``Pool`` whose connections are fed from elsewhere — no sockets, no tasks.

A recording (``recording.replay.ReplayPool``) and the bus (``bus.consumer.BusPool``) both hand
frames to the unchanged router as if they came off a socket. What such a pool must do is the
same for both: keep the ledger's connections known, bring a connection "up" with a fresh
protocol session so the router's per-connection tables exist, and say ``on_up``/``on_down`` to
its owner exactly as a socket would. The feed itself (which frames, when a connection comes and
goes) stays with each subclass.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from mexc_futures.clock import Clock
from mexc_futures.protocol.ledger import Close, LedgerAction, Open
from mexc_futures.protocol.session import ClientFrame, Session, SessionConfig
from mexc_futures.transport.metrics import Metrics
from mexc_futures.transport.pool import Pool, PoolHooks
from mexc_futures.transport.ws import WsConnection


class FedPool(Pool):
    """Connections without sockets: ``up``/``down`` are called by the feed, ``send`` sends
    nothing (the feed's source holds the subscriptions)."""

    def __init__(self, url: str, hooks: PoolHooks, metrics: Metrics, clock: Clock) -> None:
        super().__init__(url, hooks, metrics, clock=clock)
        self.known: set[int] = set()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, et: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.live.clear()

    def apply(self, actions: Sequence[LedgerAction]) -> None:
        for a in actions:
            if isinstance(a, Open):
                self.opened(a.conn)
            elif isinstance(a, Close):
                self.closed(a.conn)

    def opened(self, conn: int) -> None:
        """The ledger opened ``conn``: known from now on (a subclass may bring it up)."""
        self.known.add(conn)

    def closed(self, conn: int) -> None:
        """The ledger closed ``conn``: forgotten, without an ``on_down``."""
        self.known.discard(conn)
        self.live.pop(conn, None)

    def open(self, conn: int) -> None:
        self.known.add(conn)

    def close(self, conn: int) -> None:
        self.live.pop(conn, None)

    def send(self, conn: int, frame: ClientFrame) -> bool:
        return conn in self.live

    @property
    def task_count(self) -> int:
        return 0

    def up(self, conn: int, reconnect: bool) -> WsConnection:
        """The connection is up: its route table, then the owner's ``on_up``."""
        session = Session(SessionConfig(), login=False)
        session.on_open(self.clock.monotonic())
        c = WsConnection(conn, self.url, session, self.hooks, self.metrics.conn(conn),
                         clock=self.clock)
        self.live[conn] = c
        self.hooks.on_up(conn, reconnect)
        return c

    def down(self, conn: int, reason: str) -> None:
        if self.live.pop(conn, None) is not None:
            self.hooks.on_down(conn, reason)
