"""A strategy starts knowing its account, and cleans up only its own orders (issue #12 item 7,
ux-audit finding 2): a ``StrategySession`` on an emulator account that already holds a position
and a resting order placed elsewhere (the "web UI")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.emulator.server.server import Emulator
from mexc_futures.model.intents import TradeSide
from mexc_futures.strategy.api import Intents, Strategy, StrategyView, limit
from mexc_futures.strategy.session import StrategySession
from mexc_futures.transport.rest import RestClient

SYMBOL = "BTC_USDT"
pytestmark = pytest.mark.timeout(60)


class Probe(Strategy):
    """Records what it sees at start; rests one order of its own far below the market."""

    name = "probe"
    channels = ("depth",)

    def __init__(self, price: Decimal) -> None:
        super().__init__((SYMBOL,))
        self.price = price
        self.seen: dict[str, object] = {}

    def on_start(self, view: StrategyView) -> Intents:
        self.seen = {
            "position": view.position(SYMBOL),
            "own": len(view.open_orders(SYMBOL)),
            "foreign": [o.external_oid for o in view.foreign_orders(SYMBOL)]
            if hasattr(view, "foreign_orders")  # the old code had no such view
            else None,
            "balance": view.balance("USDT"),
        }
        return [limit(SYMBOL, TradeSide.OPEN_LONG, 1, self.price, leverage=10)]


@pytest.fixture
async def ex() -> AsyncIterator[Emulator]:
    async with Emulator(seed=7, symbols=[SYMBOL]) as emu:
        yield emu


async def test_item7_strategy_starts_knowing_its_account_and_cleans_up_only_its_orders(
    ex: Emulator, tmp_path: Path
) -> None:
    async with RestClient(ex.env, ex.credentials) as rest:
        t = await rest.get_ticker(SYMBOL)
        await rest.create_order(
            symbol=SYMBOL, side=1, order_type=5, vol=Decimal(3), open_type=1, leverage=10
        )
        away = Decimal(str(t.bid1)) * Decimal("0.8")
        price = away.quantize(Decimal("0.1"))
        await rest.create_order(
            symbol=SYMBOL,
            side=1,
            order_type=1,
            vol=Decimal(1),
            price=price,
            open_type=1,
            leverage=10,
            external_oid="web-ui-1",
        )
    strategy = Probe(price - 10)
    async with StrategySession(
        strategy, ex.env, ex.credentials, journal_path=tmp_path / "j.db"
    ) as session:
        await session.run(1.0)
        account = session.engine.account
        foreign = account.foreign_orders(SYMBOL) if hasattr(account, "foreign_orders") else []
    assert strategy.seen["position"] == Decimal(3), strategy.seen
    assert strategy.seen["own"] == 0
    assert strategy.seen["foreign"] == ["web-ui-1"]
    assert strategy.seen["balance"] is not None
    assert [o.external_oid for o in foreign] == ["web-ui-1"]
    web = ex.truth.orders("web-ui-1")
    assert [r["state"] for r in web] in ([1], [2]), "the clean-up cancelled a foreign order"
    ours = [r for r in ex.truth.orders() if r["externalOid"].startswith("mf")]
    assert len(ours) == 1
    assert ours[0]["state"] == 4  # our own order: cancelled by on_stop's CancelAll


async def test_item8_ws_login_signed_with_the_venue_clock_on_a_fast_emulator(
    tmp_path: Path,
) -> None:
    """Ux finding 8: against an emulator whose clock runs 20x, REST signed with the measured
    server time but the WebSocket login used the local clock ("reqTime outside the allowed
    window"). One offset source (``RestClient.venue_clock``) for both: the session opens."""
    async with Emulator(seed=8, symbols=[SYMBOL], speed=20) as emu:
        await asyncio.sleep(1.0)  # the venue's clock is now ~19 s ahead of ours
        strategy = Probe(Decimal(1000))
        async with StrategySession(
            strategy, emu.env, emu.credentials, journal_path=tmp_path / "j.db"
        ) as session:
            await session.run(0.3)
        assert strategy.seen["own"] == 0
