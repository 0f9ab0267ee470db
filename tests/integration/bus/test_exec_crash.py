"""B5 (design record-replay-bus.md §2.7): the exec service killed after ``XREADGROUP`` before
the REST call, after the call before ``XACK``, and with the create in flight; a new exec service
takes over the pending intent: every journaled ``externalOid`` exactly once at the venue
(reliability I1 across processes), and the strategy gets its answer."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from mexc_futures.bus.intents import external_oid_for
from mexc_futures.bus.remote import RemoteExecutor
from mexc_futures.emulator.server.faults import Delay
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.journal import Journal
from mexc_futures.model.orders import TrackedOrder
from mexc_futures.testing.services import RedisServer
from tests.conftest import ROOT
from tests.integration.bus.bus_helpers import ACCOUNT
from tests.integration.execution.exec_helpers import SYMBOL

pytestmark = pytest.mark.timeout(90)


async def _child(ex: Emulator, url: str, journal: Path, point: str) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env["MEXC_API_KEY"] = ex.credentials.api_key
    env["MEXC_API_SECRET"] = ex.credentials.secret
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.integration.bus._exec_service_child",
        str(ex.port),
        url,
        str(journal),
        point,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    await _expect(proc, b"ready")
    return proc


async def _expect(proc: asyncio.subprocess.Process, word: bytes) -> bytes:
    assert proc.stdout is not None
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, f"child exited before {word!r}"
        if line.startswith(word):
            return line


async def _intent(ex: Emulator):  # type: ignore[no-untyped-def]
    from tests.integration.bus.test_exec_flow import resting_via_rest

    return await resting_via_rest(ex)


@pytest.mark.parametrize("point", ["read", "answered", "in_flight"])
async def test_b5_exec_service_killed_mid_intent_sends_it_exactly_once(
    redis_aof: RedisServer, tmp_path: Path, point: str
) -> None:
    journal = tmp_path / "j.db"
    async with Emulator(seed=5, symbols=[SYMBOL]) as ex:
        intent = await _intent(ex)
        first = await _child(ex, redis_aof.url, journal, point if point != "in_flight" else "none")
        async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm", result_timeout=45) as remote:
            if point == "in_flight":  # the venue takes the order but its answer never comes
                ex.faults.add(Delay(seconds=30, execute=True, endpoints=("create",), count=1))
            pending = asyncio.create_task(remote.submit(intent))
            oid = external_oid_for(ACCOUNT, f"mm:{remote.boot}:2")
            try:
                if point == "in_flight":
                    for _ in range(500):
                        if ex.truth.order_count(oid):
                            break
                        await asyncio.sleep(0.02)
                    first.send_signal(signal.SIGKILL)
                else:
                    await _expect(first, b"crash " + point.encode())
            finally:
                if first.returncode is None:
                    first.send_signal(signal.SIGKILL)
                await first.wait()
            ex.faults.clear()
            assert ex.truth.order_count(oid) == (0 if point == "read" else 1)
            second = await _child(ex, redis_aof.url, journal, "none")
            try:
                order = await asyncio.wait_for(pending, 40)
            finally:
                second.send_signal(signal.SIGTERM)
                await second.wait()
        assert isinstance(order, TrackedOrder)
        assert order.external_oid == oid
        j = Journal(journal)
        journaled = [r.external_oid for r in j.orders(live_only=False)]
        j.close()
        assert journaled == [oid]
        for each in journaled:
            assert ex.truth.order_count(each) == 1, each
        assert ex.truth.external_oid_counts() == {oid: 1}
