"""Venue readings, continued (issue #12; fidelity audit rows 10, 16, 17). Each test failed on the
code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.errors import ApiError
from mexc_futures.execution.common import RiskRejected
from tests.integration.execution.exec_helpers import SYMBOL, create_calls, manager, resting

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
