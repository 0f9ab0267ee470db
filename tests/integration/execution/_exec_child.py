"""Child process for S24: places resting orders until killed (-9). Secrets come from env vars.

Usage: python -m tests.integration.execution._exec_child PORT JOURNAL; prints ``placed <oid>``
per order.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from mexc_futures.config import Credentials, Environment
from mexc_futures.execution.facade import ExecutionManager
from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide
from mexc_futures.transport.rest import RestClient
from tests.integration.execution.exec_helpers import FAST, SYMBOL


async def main(port: int, journal: Path) -> None:
    env = Environment.local("127.0.0.1", port)
    creds = Credentials(os.environ["MEXC_API_KEY"], os.environ["MEXC_API_SECRET"])
    config = replace(FAST, create_timeout=60.0)
    async with (
        RestClient(env, creds) as rest,
        ExecutionManager(rest, journal_path=journal, config=config) as em,
    ):
        t = await rest.get_ticker(SYMBOL)
        price = em.specs[SYMBOL].round_price(Decimal(str(t.bid1)) * Decimal("0.9"))
        for i in range(50):
            intent = PlaceOrder(
                symbol=SYMBOL,
                side=TradeSide.OPEN_LONG,
                kind=OrderKind.LIMIT,
                vol=Decimal(1),
                price=price - i,
                leverage=10,
            )
            order = await em.submit(intent)
            assert order is not None
            print("placed", order.external_oid, flush=True)
            await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
