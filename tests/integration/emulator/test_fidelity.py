"""Emulator fidelity where the evidence is clear (issue #14; fidelity audit rows 7, 15).

Rows 5 and 6 (no subscription cap, the 60 s ping rule) are in test_emulator_limits_faults.py,
row 14 (``planorder_`` ids) and row 19 (2018) in the unit tests.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from mexc_futures.emulator.server import Emulator
from mexc_futures.protocol.endpoints import ENDPOINTS
from tests.integration.emulator.emulator_helpers import get, recv_until


def test_tpsl_change_endpoints_are_limited_at_4_per_2s() -> None:
    """Row 7: v2 docs and Mexc.Net limit both TP/SL modify endpoints at 4 / 2 s."""
    by_name = {ep.name: ep for ep in ENDPOINTS}
    for name in ("stop_change_price", "stop_change_plan_price"):
        assert (by_name[name].bucket.capacity, by_name[name].bucket.per_seconds) == (4, 2.0)


@pytest.mark.asyncio
async def test_deals_as_objects_with_compress_false_and_rest_deals_carry_i() -> None:
    """Row 15: ``compress:false`` deals come one object per frame; REST deals carry ``i``."""
    async with Emulator(symbols=["SOL_USDT"], speed=20) as ex, aiohttp.ClientSession() as s:
        ex.venue.set_flow_rate("SOL_USDT", 200)
        async with s.ws_connect(ex.ws_url) as merged, s.ws_connect(ex.ws_url) as plain:
            await merged.send_str(json.dumps({"method": "sub.deal",
                                              "param": {"symbol": "SOL_USDT"}}))
            await plain.send_str(json.dumps({"method": "sub.deal",
                                             "param": {"symbol": "SOL_USDT", "compress": False}}))
            arrays = await recv_until(merged, "push.deal", 5.0)
            objects = await recv_until(plain, "push.deal", 5.0)
        assert isinstance(arrays["data"], list)
        assert isinstance(objects["data"], dict)
        assert set(objects["data"]) >= {"p", "v", "T", "O", "M", "t", "i"}
        _, body = await get(s, ex, "/api/v1/contract/deals/SOL_USDT", {"limit": 5})
        rows = body["data"]
        assert rows
        assert all(isinstance(row["i"], str) for row in rows)
