# ruff: noqa  -- adapted copy of one of the reliability audit's attack scripts, kept close to the original
"""Defect repro: the emulator's /api/v1/contract/ping answers venue_ms() (a non-decreasing clamp
of the server clock) while signed requests are checked against time_ms(). Whenever the server
clock goes backwards (a negative ClockOffset, or a positive one being cleared) ping and the auth
window disagree, so a client that measures its offset from ping (as the spec says) gets 513 on
every signed call until real time catches up (forever, for a lasting negative offset)."""
import asyncio

from mexc_futures.emulator.server import Emulator
from mexc_futures.emulator.server.faults import ClockOffset
from mexc_futures.errors import ClockSkewError
from mexc_futures.transport.rest import RestClient


async def try_call(rest, label):
    try:
        await rest.cancel_all("BTC_USDT")
        print(f"{label}: ok (offset {rest.offset_ms} ms)")
    except ClockSkewError:
        print(f"{label}: 513 after re-measuring {rest.clock_syncs} times (offset {rest.offset_ms} ms)")

async def main():
    async with Emulator(seed=1, symbols=["BTC_USDT"]) as ex:
        async with RestClient(ex.env, ex.credentials, retry_base=0.02) as rest:
            await rest.sync_clock()
            ex.faults.add(ClockOffset(ms=12000))
            await try_call(rest, "offset +12 s active")
            ex.faults.clear()
            print("server time_ms - ping:", ex.clock.time_ms() - ex.clock.venue_ms())
            await try_call(rest, "offset +12 s cleared")
        async with RestClient(ex.env, ex.credentials, retry_base=0.02) as rest:
            await asyncio.sleep(12.5)
            await rest.sync_clock()
            ex.faults.add(ClockOffset(ms=-12000))
            await try_call(rest, "offset -12 s active")
            print("server time_ms - ping:", ex.clock.time_ms() - ex.clock.venue_ms())

asyncio.run(main())
