"""Child process of the A3 crash test: records an emulator (given by port) until killed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mexc_futures.config import Environment
from mexc_futures.recording.session import record
from mexc_futures.transport.rest import RestClient


async def main(port: int, out: Path) -> None:
    env = Environment.local(port=port)
    async with RestClient(env) as rest:
        def ready(_md: object) -> None:
            print("READY", flush=True)

        await record(env, ["BTC_USDT", "ETH_USDT"], out, rest=rest, on_ready=ready)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), Path(sys.argv[2])))
