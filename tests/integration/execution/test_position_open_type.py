"""``positionOpenType`` (fidelity audit row 10): the client stays safe under either reading.

The docs conflict: REST detail says 1 isolated, 2 cross, 3 both; the v2 WebSocket
``push.contract`` table says 1 both, 2 cross, 3 isolated. The client follows the REST reading
(``model/risk.py``, docs/execution.md). The emulator acts out either one
(``VenueRules.position_open_type``, ``mexc-futures emulator --position-open-type-rule``), so these
tests run the unchanged client against both: an open the client believes forbidden is never
sent; an open the venue forbids is refused (2002) and leaves no order, no position and no
unresolved state behind.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.emulator.venue.rules import VenueRules
from mexc_futures.errors import ApiError
from mexc_futures.execution.common import RiskRejected
from mexc_futures.model.intents import MarginMode, PlaceOrder
from tests.integration.execution.exec_helpers import SYMBOL, create_calls, manager, resting

pytestmark = pytest.mark.timeout(60)


def _venue(reading: str, value: int) -> Emulator:
    rules = VenueRules(position_open_type=reading)  # type: ignore[arg-type]
    return Emulator(seed=10, symbols=[SYMBOL],
                    venue_options={"rules": rules, "position_open_types": {SYMBOL: value}})


def _with_mode(order: PlaceOrder, mode: MarginMode) -> PlaceOrder:
    return msgspec.structs.replace(order, margin_mode=mode)


def _live_at_venue(emu: Emulator) -> list[dict[str, object]]:
    return [r for r in emu.truth.orders() if r["state"] in (1, 2)]


async def test_rest_reading_isolated_only_contract(tmp_path: Path) -> None:
    """REST reading, value 1 (isolated only): the venue would refuse cross; the client refuses
    it first, without sending anything, and isolated opens go through."""
    async with _venue("rest", 1) as emu, manager(emu, tmp_path / "j.db") as em:
        with pytest.raises(RiskRejected, match="accepts only isolated"):
            await em.submit(_with_mode(await resting(em), MarginMode.CROSS))
        assert create_calls(emu) == []
        placed = await em.submit(_with_mode(await resting(em), MarginMode.ISOLATED))
        assert placed is not None
        assert len(_live_at_venue(emu)) == 1


async def test_ws_reading_venue_stricter_than_the_client(tmp_path: Path) -> None:
    """WS reading, value 3: the venue allows isolated only while the client (REST reading)
    believes both. The cross open goes out once, the venue answers 2002 and nothing is left
    behind: no live order, no position, no order the client still waits for; a reconciliation
    agrees. The isolated open trades normally."""
    async with _venue("ws", 3) as emu, manager(emu, tmp_path / "j.db") as em:
        with pytest.raises(ApiError) as refused:
            await em.submit(_with_mode(await resting(em), MarginMode.CROSS))
        assert refused.value.code == 2002
        assert len(create_calls(emu)) == 1
        assert _live_at_venue(emu) == []
        assert em.open_orders == []
        await em.reconcile()
        assert em.open_orders == []
        assert em.positions == {}
        assert em.trading_off_reason == ""
        placed = await em.submit(_with_mode(await resting(em), MarginMode.ISOLATED))
        assert placed is not None
        assert len(_live_at_venue(emu)) == 1
        assert len(em.open_orders) == 1


async def test_ws_reading_client_narrower_than_the_venue(tmp_path: Path) -> None:
    """WS reading, value 1: the venue allows both, the client (REST reading: isolated only)
    refuses cross locally — narrower, never an unintended order."""
    async with _venue("ws", 1) as emu, manager(emu, tmp_path / "j.db") as em:
        with pytest.raises(RiskRejected):
            await em.submit(_with_mode(await resting(em), MarginMode.CROSS))
        assert create_calls(emu) == []
        assert await em.submit(_with_mode(await resting(em), MarginMode.ISOLATED)) is not None
