"""D3 repro (audit attack 5 / S15): one text frame above picows' 4 MiB limit, or JSON nested past
the decoder's recursion limit, on one of two connections.

Before the fix the failure escaped the connection supervisor and ``async with MarketData`` raised
an ExceptionGroup into the caller (no reconnect). Now: prints what each connection counted and
whether the other connection was touched.

usage: python -m benchmarks.attacks.repro_oversized_frame_kills_marketdata
"""

from __future__ import annotations

import asyncio
from typing import Any

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import BadFrame
from mexc_futures.marketdata import MarketData, MarketDataConfig

SYMS = ["BTC_USDT", "ETH_USDT"]


async def _synced(md: MarketData) -> None:
    for _ in range(200):
        if all(md.book(s).synced for s in SYMS):
            return
        await asyncio.sleep(0.05)


def _emulator_conn(ex: Emulator, symbol: str) -> int:
    return next(int(r["id"]) for r in ex.connections()
                if r["open"] and any(symbol in str(s) for s in r["subscriptions"]))


async def attack(fault: dict[str, Any]) -> None:
    cfg = MarketDataConfig(max_per_conn=1, audit_interval=None)
    try:
        async with (
            Emulator(symbols=SYMS, speed=1) as ex,
            MarketData(ex.env, clock=ex.clock, config=cfg) as md,
        ):
            for s in SYMS:
                await md.subscribe("depth", s)
            await _synced(md)
            ex.faults.add(BadFrame(conn=_emulator_conn(ex, SYMS[0]), **fault))
            await asyncio.sleep(3)
            await _synced(md)
            for cid, streams in md.connections.items():
                m = md.metrics.conn(cid)
                print(f"  conn {cid} {[s.symbol for s in streams]}: reconnects {m.reconnects}, "
                      f"protocol_errors {m.protocol_errors}, decode_errors {m.decode_errors}, "
                      f"handler_errors {m.handler_errors}")
            print("  still running after 3 s; synced:", {s: md.book(s).synced for s in SYMS})
    except BaseException as e:  # what reaches the application
        subs = getattr(e, "exceptions", [])
        print("  escaped to the caller:", type(e).__name__,
              [f"{type(x).__name__}: {x}" for x in subs])


async def main() -> None:
    print("one 5 MiB text frame on the BTC_USDT connection:")
    await attack({"kind": "oversized", "size": 5 * 1024 * 1024})
    print("two JSON frames nested 100,000 deep on the BTC_USDT connection:")
    await attack({"kind": "deep_nested", "count": 2})


if __name__ == "__main__":
    asyncio.run(main())
