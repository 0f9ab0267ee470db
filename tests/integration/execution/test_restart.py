"""S24: a client killed with -9 while orders are in flight; on restart, reconciliation from the
journal runs before any new order (I1, I2, I8)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from mexc_futures.emulator.server.faults import Delay
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.journal import Journal
from mexc_futures.model.orders import OrderState
from tests.conftest import ROOT
from tests.integration.execution.exec_helpers import (
    SYMBOL,
    check_i1,
    check_i2,
    create_calls,
    manager,
    resting,
)

pytestmark = pytest.mark.timeout(60)


async def _read_placed(proc: asyncio.subprocess.Process, n: int) -> list[str]:
    assert proc.stdout is not None
    oids: list[str] = []
    while len(oids) < n:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line, "child exited early"
        if line.startswith(b"placed "):
            oids.append(line.split()[1].decode())
    return oids


async def test_s24_kill_9_in_flight_then_journal_reconciliation(tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    async with Emulator(seed=11, symbols=[SYMBOL]) as ex:
        env = dict(os.environ)
        env["MEXC_API_KEY"] = ex.credentials.api_key
        env["MEXC_API_SECRET"] = ex.credentials.secret
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{env.get('PYTHONPATH', '')}"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.execution._exec_child",
            str(ex.port),
            str(journal),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        try:
            placed = await _read_placed(proc, 3)
            # hold every create answer: the next order is accepted but its answer never comes
            ex.faults.add(Delay(seconds=1.5, execute=True, endpoints=("create",), count=None))
            for _ in range(200):
                mine = [o for o in ex.truth.external_oid_counts() if o.startswith("mf")]
                if len(mine) > len(placed):
                    break
                await asyncio.sleep(0.02)
            else:
                pytest.fail("the in-flight order never reached the venue")
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        ex.faults.clear()
        pending = [r for r in Journal(journal).orders() if r.state is OrderState.PENDING_SUBMIT]
        assert len(pending) == 1, "exactly the in-flight order is journaled but unanswered"
        in_flight = pending[0].external_oid
        assert ex.truth.order_count(in_flight) == 1

        calls_before = len(ex.rest.calls)
        async with manager(ex, journal) as em:
            assert em.ready
            order = em.order(in_flight)
            assert order is not None
            assert order.state in (OrderState.PENDING, OrderState.OPEN)
            restart_calls = list(ex.rest.calls)[calls_before:]
            assert all(c.endpoint not in ("order_create", "order_submit") for c in restart_calls)
            assert any(c.endpoint == "order_get_external" for c in restart_calls)
            new = await em.submit(await resting(em))
            assert new is not None
            first_create = next(
                i
                for i, c in enumerate(list(ex.rest.calls)[calls_before:])
                if c.endpoint == "order_create"
            )
            lookups = [
                i
                for i, c in enumerate(list(ex.rest.calls)[calls_before:])
                if c.endpoint in ("order_get_external", "open_orders")
            ]
            assert lookups
            assert max(lookups[:2]) < first_create  # reconciliation before any new order
            await em.reconcile()
            check_i1(ex, em)
            check_i2(ex, em)
            assert not em.kill_switch.tripped
            mine = [o for o in ex.truth.external_oid_counts() if o.startswith("mf")]
            assert len(mine) == len(placed) + 2  # the three, the one in flight, the new one
            assert create_calls(ex)
