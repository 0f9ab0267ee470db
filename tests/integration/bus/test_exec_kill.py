"""B6 (design record-replay-bus.md §2.7): the kill switch through the bus and without it.

``mexc-futures kill --bus URL`` (a real CLI process) reaches the exec service, which cancels
everything and verifies; strategies get ``KillSwitchTripped`` and their next order is refused; the
latch is mirrored to ``mx:kill:{account}`` and survives an exec-service restart and a Redis that
lost its data, until ``kill --reset``. With Redis stopped, ``kill --direct`` works over REST and
stops the running exec service through the shared journal (reliability D1).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.bus.control import read_mirror
from mexc_futures.bus.redisio import connect
from mexc_futures.bus.remote import RemoteExecutor
from mexc_futures.cli.common import Options
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import KillSwitchActive
from mexc_futures.model.events import KillSwitchTripped
from mexc_futures.model.orders import TrackedOrder
from mexc_futures.testing.services import RedisServer
from tests.conftest import ROOT
from tests.integration.bus.bus_helpers import ACCOUNT, service
from tests.integration.bus.test_exec_flow import resting_via_rest
from tests.integration.execution.exec_helpers import SYMBOL, crossing

pytestmark = pytest.mark.timeout(120)


async def cli(ex: Emulator, state: Path, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ)
    env["MEXC_API_KEY"] = ex.credentials.api_key
    env["MEXC_API_SECRET"] = ex.credentials.secret
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mexc_futures.cli",
        "--emulator-url",
        ex.rest_url,
        "--state-dir",
        str(state),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def journal_of(ex: Emulator, state: Path) -> Path:
    """The journal `kill --direct` latches for this emulator: the exec service uses it too."""
    return Options(emulator_url=ex.rest_url, state_dir=state).journal_path


async def _kill_event(remote: RemoteExecutor) -> KillSwitchTripped:
    async def find() -> KillSwitchTripped:
        async for event in remote.events():
            if isinstance(event, KillSwitchTripped):
                return event
        raise AssertionError("unreachable")

    return await asyncio.wait_for(find(), 15)


async def test_b6_kill_through_the_bus_survives_restarts_until_reset(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    async with Emulator(seed=6, symbols=[SYMBOL]) as ex:
        journal = journal_of(ex, state)
        intent = await resting_via_rest(ex)
        async with (
            service(ex, redis_aof.url, journal),
            RemoteExecutor(redis_aof.url, ACCOUNT, "mm") as remote,
        ):
            order = await remote.submit(intent)
            assert isinstance(order, TrackedOrder)
            assert order.state.live
            code, out, err = await cli(ex, state, "kill", "--bus", redis_aof.url, "--reason", "b6")
            assert code == 0, out + err
            assert "TRIPPED by the exec service" in out
            assert "(0 open)" in out
            code, out, err = await cli(ex, state, "kill", "--bus", redis_aof.url, "--status")
            assert code == 0, out + err
            assert "Kill switch ('main', exec service): " in out
            assert "(b6)" in out
            event = await _kill_event(remote)
            assert event.reason == "b6"
            assert [o for o in ex.truth.orders() if o["state"] in (1, 2)] == []  # none open
            with pytest.raises(KillSwitchActive):
                await remote.submit(intent)
        async with connect_close(redis_aof.url) as r:
            mirror = await read_mirror(r, ACCOUNT)
        assert mirror is not None
        assert mirror.reason == "b6"

        # a Redis that lost everything: the restarted exec service mirrors the journal's latch
        redis_aof.stop()
        shutil.rmtree(redis_aof.directory / "appendonlydir", ignore_errors=True)
        redis_aof.start()
        async with service(ex, redis_aof.url, journal) as svc:
            assert svc.em is not None
            assert svc.em.kill_switch.tripped
            for _ in range(100):
                async with connect_close(redis_aof.url) as r:
                    mirror = await read_mirror(r, ACCOUNT)
                if mirror is not None:
                    break
                await asyncio.sleep(0.05)
            assert mirror is not None
            assert mirror.reason == "b6"
            async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm") as remote:
                assert remote.snapshot is not None
                assert remote.snapshot.kill is not None
                with pytest.raises(KillSwitchActive):
                    await remote.submit(intent)
            code, out, err = await cli(ex, state, "kill", "--bus", redis_aof.url, "--reset")
            assert code == 0, out + err
            assert "re-armed by the exec service" in out
            assert not svc.em.kill_switch.tripped
            async with connect_close(redis_aof.url) as r:
                assert await read_mirror(r, ACCOUNT) is None
            async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm") as remote:
                again = await remote.submit(intent)
                assert isinstance(again, TrackedOrder)
                assert again.state.live


async def test_b6_kill_direct_with_redis_stopped_stops_the_exec_service(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    async with Emulator(seed=7, symbols=[SYMBOL]) as ex:
        journal = journal_of(ex, state)
        intent = await resting_via_rest(ex)
        async with service(ex, redis_aof.url, journal) as svc:
            async with RemoteExecutor(redis_aof.url, ACCOUNT, "mm") as remote:
                order = await remote.submit(intent)
                assert isinstance(order, TrackedOrder)
                assert order.state.live
            redis_aof.stop()
            # through the bus first: unreachable, so it says so and kills directly
            code, out, err = await cli(ex, state, "kill", "--bus", redis_aof.url)
            assert code == 0, out + err
            assert "bus unreachable" in err
            assert "direct path" in err
            assert "pid" in out
            assert "stopped after" in out
            assert svc.em is not None
            assert svc.em.kill_switch.tripped
            code, out, err = await cli(ex, state, "kill", "--direct")
            assert code == 0, out + err
            assert "(0 open)" in out
            redis_aof.start()
            for _ in range(200):  # back: the latch reaches the mirror
                async with connect_close(redis_aof.url) as r:
                    mirror = await read_mirror(r, ACCOUNT)
                if mirror is not None:
                    break
                await asyncio.sleep(0.05)
            assert mirror is not None


class connect_close:  # an async context manager around connect()
    def __init__(self, url: str) -> None:
        self.r = connect(url)

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self.r

    async def __aexit__(self, *exc: object) -> None:
        await self.r.aclose()


async def test_b6_kill_flatten_through_the_bus_closes_positions(
    redis_aof: RedisServer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    async with Emulator(seed=12, symbols=[SYMBOL]) as ex:
        journal = journal_of(ex, state)
        async with (
            service(ex, redis_aof.url, journal) as svc,
            RemoteExecutor(redis_aof.url, ACCOUNT, "mm") as remote,
        ):
            assert svc.em is not None
            filled = await remote.submit(await crossing(svc.em))
            assert isinstance(filled, TrackedOrder)
            for _ in range(100):
                if svc.em.positions:
                    break
                await asyncio.sleep(0.05)
            assert svc.em.positions, "the crossing order opened no position"
            code, out, err = await cli(ex, state, "kill", "--bus", redis_aof.url, "--flatten")
            assert code == 0, out + err
            assert "every position closed (flat)" in out
        assert all(
            Decimal(str(p["holdVol"])) == 0 for p in ex.truth.positions(ex.credentials.api_key)
        ), ex.truth.positions(ex.credentials.api_key)
