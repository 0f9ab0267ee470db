"""Place, amend and cancel one order on the local emulator (started in-process).

Run: ``.venv/bin/python examples/place_amend_cancel.py``. Nothing touches the real exchange: the
emulator listens on 127.0.0.1 and generates its own key pair.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from decimal import Decimal
from pathlib import Path

from mexc_futures.emulator.server import Emulator
from mexc_futures.execution import ExecutionConfig, ExecutionManager
from mexc_futures.model.intents import AmendOrder, CancelOrder, OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.risk import RiskLimits
from mexc_futures.transport.rest import RestClient

SYMBOL = "BTC_USDT"


async def main() -> None:
    async with Emulator(symbols=[SYMBOL]) as ex:
        journal = Path(tempfile.mkdtemp()) / "journal.db"
        async with (
            RestClient(ex.env, ex.credentials) as rest,
            ExecutionManager(
                rest,
                journal_path=journal,
                risk=RiskLimits(max_position=Decimal(100), max_notional=Decimal(100_000)),
                config=ExecutionConfig(symbols=(SYMBOL,)),
            ) as em,
        ):
            print("capabilities:", em.capabilities)
            spec = em.specs[SYMBOL]
            ticker = await rest.get_ticker(SYMBOL)
            price = spec.round_price(Decimal(str(ticker.bid1)) * Decimal("0.95"))
            order = await em.submit(
                PlaceOrder(
                    symbol=SYMBOL,
                    side=TradeSide.OPEN_LONG,
                    kind=OrderKind.LIMIT,
                    vol=Decimal(1),
                    price=price,
                    leverage=10,
                )
            )
            assert order is not None
            assert order.order_id is not None
            print(f"placed  {order.external_oid} id={order.order_id} {order.state.value} @ {price}")
            await em.submit(
                AmendOrder(
                    symbol=SYMBOL,
                    order_id=order.order_id,
                    price=price - spec.price_unit,
                    vol=Decimal(2),
                )
            )
            print(
                f"amended {order.external_oid} id={order.order_id} vol={order.vol} @ {order.price}"
            )
            await em.submit(CancelOrder(symbol=SYMBOL, order_id=order.order_id))
            print(f"cancel  {order.external_oid} -> {order.state.value}")
            venue = [r for r in ex.truth.orders() if r["orderId"] == order.order_id]
            print("venue says state", venue[0]["state"], "(4 = cancelled)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
