"""The lockstep loop (issue #17, A7): virtual time moves only when nothing can run, in-loop
loopback connections are unix socket pairs with synchronous delivery, and time stands still
while a thread works."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import time

from mexc_futures.backtest.lockstep import LoopClock, VirtualTimeLoop, run


def test_sleep_jumps_exactly_to_the_timer() -> None:
    async def main() -> tuple[float, float, int]:
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        await asyncio.sleep(3600)
        return loop.time(), time.perf_counter() - t0, LoopClock(5_000).time_ms()

    vt, real, ms = run(main())
    assert math.isclose(vt, 3600.0, abs_tol=1e-9)  # exactly the timer, plus one float step
    assert real < 5.0  # an hour of virtual time, no wall wait
    assert ms == 5_000  # LoopClock counts from its construction


def test_a_deadline_loop_is_not_woken_a_hair_early() -> None:
    """Code that waits until ``time() >= deadline`` in slices: with the stdlib's clock
    resolution a timer fired ~1e-13 s early, time never reached the deadline and it re-armed
    forever (seen: a backtest spun at 15.0 - 2.7e-13 s)."""

    async def main() -> int:
        loop = asyncio.get_running_loop()
        ev = asyncio.Event()
        deadline = 0.1 * 3 + 15.0  # a float sum, as deadlines are
        await asyncio.sleep(deadline - 3e-13)  # another timer stood a hair before it
        rounds = 0
        while loop.time() < deadline:
            rounds += 1
            assert rounds < 5, loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ev.wait(), deadline - loop.time())
        return rounds

    assert run(main()) <= 3


def test_in_loop_tcp_is_a_socket_pair_and_costs_no_time() -> None:
    async def main() -> tuple[bytes, float, int, list[str]]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []

        async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            seen.append(str(w.get_extra_info("peername")[0]))
            w.write(await r.readexactly(5))
            await w.drain()
            w.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        family = writer.get_extra_info("socket").family
        writer.write(b"hello")
        got = await reader.readexactly(5)
        writer.close()
        server.close()
        await server.wait_closed()
        return got, loop.time(), family, seen

    got, vt, family, seen = run(main())
    assert got == b"hello"
    assert vt == 0.0
    assert family == socket.AF_UNIX
    assert seen == ["127.0.0.1"]  # the server sees a loopback peer, as over TCP


def test_time_stands_still_while_a_thread_works() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        timer = asyncio.ensure_future(asyncio.sleep(10))
        await loop.run_in_executor(None, time.sleep, 0.05)
        during = loop.time()
        await timer
        return during, loop.time()

    during, after = run(main())
    assert during == 0.0  # the 10 s timer did not fire while the thread ran
    assert math.isclose(after, 10.0, abs_tol=1e-9)


def test_connects_elsewhere_are_untouched() -> None:
    async def main() -> bool:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, VirtualTimeLoop)
        try:
            await asyncio.open_connection("127.0.0.1", 9)  # nothing of ours listens there
        except OSError:
            return True
        return False

    assert run(main())
