"""Shared helpers for the bus execution tests: an exec service on an emulator, in this process
(``service``) or as a child process (``_exec_service_child``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from mexc_futures.bus.execservice import ExecService
from mexc_futures.bus.intents import exec_session
from mexc_futures.bus.lease import LeaseState
from mexc_futures.emulator.server.server import Emulator
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.marketdata.private_stream import PrivateStream
from tests.integration.execution.exec_helpers import FAST, rest_for

ACCOUNT = "main"
CONFIG = replace(FAST, reconcile_interval=0.5)


@contextlib.asynccontextmanager
async def exec_manager(
    ex: Emulator, journal: Path, account: str = ACCOUNT
) -> AsyncIterator[ExecutionManager]:
    async with (
        rest_for(ex) as rest,
        ExecutionManager(
            rest,
            journal_path=journal,
            config=CONFIG,
            session_id=exec_session(account),
            label="exec-service",
        ) as em,
    ):
        yield em


def private_for(ex: Emulator) -> Callable[[ExecutionManager], Any]:
    def make(em: ExecutionManager) -> PrivateStream:
        assert ex.credentials is not None
        return PrivateStream(ex.env, ex.credentials, ("order", "order.deal", "position", "asset"))

    return make


@contextlib.asynccontextmanager
async def service(
    ex: Emulator, url: str, journal: Path, *, account: str = ACCOUNT, **kw: Any
) -> AsyncIterator[ExecService]:
    svc = ExecService(
        url,
        account,
        manager=lambda: exec_manager(ex, journal, account),
        private=kw.pop("private", private_for(ex)),
        lease_ttl=kw.pop("lease_ttl", 2.0),
        block_ms=200,
        **kw,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(svc.run(stop))
    try:
        for _ in range(500):
            if task.done():
                task.result()
            if svc.lease.state is LeaseState.HELD and svc.em is not None and svc.em.ready:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("exec service did not start")
        yield svc
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
