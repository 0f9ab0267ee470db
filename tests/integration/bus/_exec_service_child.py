"""Child process for B5: an exec service that kills itself (``os._exit``) at a fault point.

Usage: python -m tests.integration.bus._exec_service_child PORT REDIS_URL JOURNAL POINT
(POINT: ``read`` — intent read, nothing done; ``answered`` — submit returned, outcome neither
published nor acked; ``none``). Keys from MEXC_API_KEY / MEXC_API_SECRET. Prints ``ready`` once
it serves intents and ``crash POINT ENTRY`` just before dying.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mexc_futures.bus.execservice import ExecService
from mexc_futures.bus.intents import exec_session
from mexc_futures.bus.lease import LeaseState
from mexc_futures.config import Credentials, Environment
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.transport.rest import RestClient
from tests.integration.bus.bus_helpers import ACCOUNT, CONFIG


async def main(port: int, url: str, journal: Path, point: str) -> None:
    env = Environment.local("127.0.0.1", port)
    creds = Credentials(os.environ["MEXC_API_KEY"], os.environ["MEXC_API_SECRET"])

    def fault(at: str, entry: str) -> None:
        if at == point:
            print("crash", at, entry, flush=True)
            os._exit(9)

    async with RestClient(env, creds, retry_base=0.01, timeout=5.0) as rest:
        svc = ExecService(
            url,
            ACCOUNT,
            manager=lambda: ExecutionManager(
                rest, journal_path=journal, config=CONFIG, session_id=exec_session(ACCOUNT)
            ),
            lease_ttl=1.5,
            block_ms=200,
            fault=fault,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(svc.run(stop))
        while not (svc.lease.state is LeaseState.HELD and svc.em is not None and svc.em.ready):
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        print("ready", flush=True)
        await task


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]))
