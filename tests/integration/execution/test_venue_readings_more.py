"""Venue readings, continued (issue #12; fidelity audit rows 10, 16, 17). Each test failed on the
code before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import aiohttp
import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.venue.rules import VenueRules
from mexc_futures.errors import ApiError
from mexc_futures.execution.common import RiskRejected
from mexc_futures.protocol.signing import canonical_query
from tests.integration.execution.exec_helpers import (
    SYMBOL,
    create_calls,
    manager,
    rest_for,
    resting,
)

pytestmark = pytest.mark.timeout(60)


async def test_fidelity17_api_allowed_false_is_tried_once(tmp_path: Path) -> None:
    """Row 17: ``apiAllowed=false`` was a hard refusal, yet such contracts traded over the API in
    2026. The order goes out once; the venue's 1002 switches that symbol off, not all trading."""
    async with Emulator(seed=17, symbols=[SYMBOL]) as emu:
        emu.venue.set_api_allowed(SYMBOL, False)
        async with manager(emu, tmp_path / "j.db") as em:
            assert em.capabilities.contracts[SYMBOL] == "ok"
            with pytest.raises(ApiError) as refused:
                await em.submit(await resting(em))
            assert refused.value.code == 1002
            assert len(create_calls(emu)) == 1
            assert em.trading_off_reason == ""
            with pytest.raises(RiskRejected, match=r"apiAllowed=false.*pick another contract"):
                await em.submit(await resting(em))
            assert len(create_calls(emu)) == 1
            assert "apiAllowed=false" in em.capabilities.contracts[SYMBOL]


async def _code_signed_as(emu: Emulator, form: Literal["raw", "encoded"]) -> int:
    """``order/batch_query?order_ids=1%2C2`` signed over the raw or the encoded values."""
    assert emu.credentials is not None
    signer = emu.credentials.signer()
    params = {"order_ids": "1,2"}
    query = canonical_query(params)
    rt = str(emu.clock.time_ms())
    signed = canonical_query(params, encode=form == "encoded")
    hdrs = signer.auth_headers(rt, signer.sign(rt, signed))
    url = f"{emu.rest_url}/api/v1/private/order/batch_query?{query}"
    async with aiohttp.ClientSession() as s, s.get(url, headers=hdrs) as r:
        code: int = (await r.json())["code"]
        return code


@pytest.mark.parametrize("accept", ["raw", "encoded"])
async def test_fidelity16_comma_lists_against_a_venue_taking_one_signing(
    accept: Literal["raw", "encoded"],
) -> None:
    """Row 16: the emulator accepted every variant, so the client's choice was never tested.
    With ``VenueRules.get_signing`` it takes only one; the client signs the raw values like the
    2026 demo SDKs (and sends them encoded), so it passes the ``raw`` venue; the ``encoded``
    venue refuses it with 602, which shows the switch bites."""
    rules = VenueRules(get_signing=accept)
    async with Emulator(seed=16, symbols=[SYMBOL], venue_options={"rules": rules}) as emu:
        other: Literal["raw", "encoded"] = "encoded" if accept == "raw" else "raw"
        assert await _code_signed_as(emu, accept) == 0
        assert await _code_signed_as(emu, other) == 602
        async with rest_for(emu) as rest:
            if accept == "raw":
                assert await rest.batch_query(["1", "2"]) == []
            else:
                with pytest.raises(ApiError) as refused:
                    await rest.batch_query(["1", "2"])
                assert refused.value.code == 602
