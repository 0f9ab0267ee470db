"""Lockstep virtual time for deterministic backtests (issue #17, design record-replay-bus.md §1.4
"Pacing" mode 2, acceptance check A7).

``VirtualTimeLoop`` is the stdlib selector event loop with two changes, nothing else:

* **Time is virtual.** ``loop.time()`` starts at 0 and moves only when the loop is *quiescent*:
  no callback is ready and a non-blocking poll of every socket finds nothing to read or write.
  Then, instead of sleeping, the clock jumps to the next timer (``asyncio.sleep``, ``call_later``,
  timeouts), so a recording plays as fast as the CPU allows and every component — the replaying
  emulator and the whole client stack — sees the same clock (``LoopClock``). Nothing waits on the
  wall clock; while a thread-pool job is running (``run_in_executor``/``to_thread``) the loop
  waits for it for real and does not move time.
* **Loopback connections are socket pairs.** A TCP connect from inside the loop to a server the
  loop itself listens on (the emulator) is answered with an ``AF_UNIX`` stream ``socketpair``:
  one end replaces the client's socket (the same Python object, re-initialised on the new file
  descriptor), the other becomes the server's accepted connection. The bytes are the real
  protocol (HTTP/1.1 for REST and the order lane, WebSocket frames for market data and the
  private stream) through the unchanged aiohttp, picows and asyncio code — but a unix-socket
  write is in the peer's receive queue when ``send`` returns, where TCP loopback delivery may be
  deferred to a kernel softirq thread under load. So "no socket is readable" means "nothing is in
  flight", and readiness arrives in the order the writes happened: the order of events, and so
  every fill, is the same on every run.

Why not ``looptime`` (PyPI, fast-forwards loop time in tests): it moves the clock when the
selector would block but leaves real TCP sockets in place, so it cannot tell "idle" from "data
still in the kernel"; the socket pairs above are what makes the run repeatable. uvloop's clock
cannot be replaced, so lockstep runs on the stdlib loop (speed is not the point here: the clock
never waits).

Strategy compute time is zero in virtual time (the design's ``--charge-compute`` switch is not
built: it would make runs non-deterministic by definition).
"""

from __future__ import annotations

import asyncio
import math
import os
import selectors
import socket
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")

_LOCAL = frozenset({"127.0.0.1", "localhost", "::1"})
_IDLE_WAIT_S = 1.0  # real seconds to block while a thread-pool job runs (re-checked after)


class _PairSocket(socket.socket):
    """An ``AF_UNIX`` end of an in-loop connection: TCP-level options (``TCP_NODELAY``,
    ``TCP_QUICKACK``, which picows sets and reads on every connection) are accepted and read
    back as on: a unix stream socket never delays or batches a write."""

    __slots__ = ()

    def setsockopt(self, level: int, optname: int, value: Any, *args: Any) -> None:
        if level != socket.IPPROTO_TCP:
            super().setsockopt(level, optname, value, *args)

    def getsockopt(self, level: int, optname: int, *args: Any) -> Any:
        if level == socket.IPPROTO_TCP:
            return 1  # TCP_NODELAY / TCP_QUICKACK: in effect, a unix socket never waits
        return super().getsockopt(level, optname, *args)


class _VirtualSelector(selectors.BaseSelector):
    """Delegates to the real selector but never blocks while virtual time can move instead."""

    def __init__(self, loop_ref: Callable[[], VirtualTimeLoop | None]) -> None:
        self._real = selectors.DefaultSelector()
        self._loop_ref = loop_ref

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        loop = self._loop_ref()
        if ready or timeout == 0:
            if not ready and loop is not None:
                loop.nudge()
            return ready
        if loop is None or loop.threads_busy or timeout is None:
            # a thread will wake us through the self-pipe; or nothing is scheduled at all and
            # only the outside world (a signal) can: wait for real, time stands still
            return self._real.select(_IDLE_WAIT_S if timeout is not None else None)
        loop.jump(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """The stdlib event loop on virtual time with in-process loopback socket pairs; see the
    module docstring. ``jumps`` counts quiescent points (how often time moved)."""

    def __init__(self) -> None:
        self._vnow = 0.0
        self.jumps = 0
        self._threads = 0
        self._servers: dict[tuple[str, int], tuple[Callable[[], asyncio.BaseProtocol],
                                                   asyncio.Server]] = {}
        self._peer_port = 40_000
        loop_ref: list[VirtualTimeLoop] = []
        super().__init__(_VirtualSelector(lambda: loop_ref[0] if loop_ref else None))
        loop_ref.append(self)
        # a timer is due when time has reached it, not "within the wall clock's resolution":
        # time then always stands exactly on the timer that woke the loop, and code that waits
        # until ``loop.time() >= deadline`` is never woken a hair early (and re-arms forever)
        self._clock_resolution = 0.0

    # ---------------------------------------------------------------- time
    def time(self) -> float:
        return self._vnow

    @property
    def threads_busy(self) -> bool:
        return self._threads > 0

    def jump(self, timeout: float) -> None:
        """Quiescent: move to the next timer (``timeout`` away, as the loop computed it)."""
        target = self._vnow + timeout
        scheduled = getattr(self, "_scheduled", None)
        if scheduled:  # exactly the timer's own time, not a float sum short of it
            target = max(target, float(scheduled[0].when()))
        self._vnow = max(self._vnow, target)
        self.jumps += 1

    def nudge(self) -> None:
        """Nothing is ready but a timer stands exactly at ``time()``: the loop pops timers only
        strictly before ``time() + resolution`` (0 here), so step one float ulp onto it."""
        scheduled = getattr(self, "_scheduled", None)
        if not getattr(self, "_ready", True) and scheduled and scheduled[0].when() <= self._vnow:
            self._vnow = math.nextafter(self._vnow, math.inf)

    def run_in_executor(  # type: ignore[override]  # typeshed's TypeVarTuple form
        self, executor: Executor | None, func: Callable[..., T], *args: Any
    ) -> asyncio.Future[T]:
        fut = super().run_in_executor(executor, func, *args)
        self._threads += 1

        def _done(_f: asyncio.Future[T]) -> None:
            self._threads -= 1

        fut.add_done_callback(_done)
        return fut

    # ---------------------------------------------------------------- in-process network
    async def create_server(self, protocol_factory: Any, host: Any = None,
                            port: Any = None, **kwargs: Any) -> asyncio.Server:
        """A real listener (it names the port) that also answers in-loop connects by pairs."""
        server = await super().create_server(protocol_factory, host, port, **kwargs)
        for s in server.sockets:
            if s.family in (socket.AF_INET, socket.AF_INET6):
                name = s.getsockname()
                self._servers[(str(name[0]), int(name[1]))] = (protocol_factory, server)
        return server

    def _target(self, address: Any) -> tuple[Callable[[], asyncio.BaseProtocol],
                                             asyncio.Server] | None:
        if not isinstance(address, tuple) or len(address) < 2 or address[0] not in _LOCAL:
            return None
        for host in ("127.0.0.1", "::1"):
            hit = self._servers.get((host, int(address[1])))
            if hit is not None and hit[1].is_serving():
                return hit
        return None

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        """asyncio's, aiohttp's (aiohappyeyeballs) and picows' (aiofastnet) connects all come
        here: a connect to an in-loop server becomes a unix socket pair."""
        target = self._target(address)
        if target is None:
            await super().sock_connect(sock, address)
            return
        factory, server = target
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        os.close(sock.detach())
        socket.socket.__init__(sock, fileno=mine.detach())
        sock.__class__ = _PairSocket  # same layout (no new slots): TCP options become no-ops
        sock.setblocking(False)
        theirs = _PairSocket(fileno=theirs.detach())
        theirs.setblocking(False)
        self._peer_port += 1
        protocol = factory()
        waiter = self.create_future()
        # what the loop's own accept does with an accepted socket (typeshed omits it)
        make = self._make_socket_transport  # type: ignore[attr-defined]
        make(theirs, protocol, waiter, extra={"peername": ("127.0.0.1", self._peer_port)},
             server=server)
        await waiter


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a fresh ``VirtualTimeLoop``."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main)


class LoopClock:
    """``mexc_futures.clock.Clock`` on the running loop's time (virtual under lockstep):
    ``time_ms`` = ``start_ms`` + loop milliseconds since construction, ``monotonic`` = loop
    seconds."""

    speed = 1.0

    def __init__(self, start_ms: int) -> None:
        self._start_ms = start_ms
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()

    def time_ms(self) -> int:
        return self._start_ms + round((self._loop.time() - self._t0) * 1000)

    def monotonic(self) -> float:
        return self._loop.time()


__all__ = ["LoopClock", "VirtualTimeLoop", "run"]
