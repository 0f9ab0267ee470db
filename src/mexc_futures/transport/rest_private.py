"""Private methods of the REST client: account (§5.1–§5.2), orders (§5.3–§5.5), plan and stop
orders (§5.6–§5.7). Credentials required (``ConfigError`` otherwise).

Each method calls one endpoint through ``RestCore.call`` / ``RestCore.begin``; state-changing
calls follow the core's fate-unknown contract (a 5xx or timeout raises with ``fate_unknown``:
look the order up, never resend it under a new id). ``order/create`` bodies are
``CreateOrderBody`` (encoded in the field order below, ``None`` fields omitted).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from decimal import Decimal
from typing import cast

import msgspec

from mexc_futures.protocol import rest as w
from mexc_futures.transport.rest_core import ENCODE, RestCore, drop_none, rows


class CreateOrderBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``order/create`` body (spec §5.3), encoded in this field order; ``None`` fields omitted."""

    symbol: str
    price: Decimal | None = None
    vol: Decimal
    leverage: int | None = None
    side: int
    type: int
    open_type: int = msgspec.field(name="openType")
    #: always sent by the execution manager (fidelity row 1: v1 "default: user's setting" vs v2
    #: "default dual-side"; stating the account's mode is right under both readings)
    position_mode: int | None = msgspec.field(default=None, name="positionMode")
    external_oid: str | None = msgspec.field(default=None, name="externalOid")
    position_id: int | None = msgspec.field(default=None, name="positionId")
    reduce_only: bool | None = msgspec.field(default=None, name="reduceOnly")
    stop_loss_price: Decimal | None = msgspec.field(default=None, name="stopLossPrice")
    take_profit_price: Decimal | None = msgspec.field(default=None, name="takeProfitPrice")
    loss_trend: int | None = msgspec.field(default=None, name="lossTrend")  # 1 last 2 fair 3 index
    profit_trend: int | None = msgspec.field(default=None, name="profitTrend")
    stp_mode: int | None = msgspec.field(default=None, name="stpMode")  # submit_batch (v2)


class PrivateEndpoints(RestCore):
    """Typed private endpoints (§5); part of ``RestClient``."""

    # ------------------------------------------------------------------ account (§5.1–§5.2)
    async def get_assets(self) -> list[w.AssetData]:
        """Every asset row."""
        return rows(await self.call("account_assets"))

    async def get_asset(self, currency: str) -> w.AssetData:
        """One asset row."""
        return cast(w.AssetData, await self.call("account_asset", path={"currency": currency}))

    async def get_positions(self, symbol: str | None = None) -> list[w.PositionData]:
        """Open positions."""
        return rows(await self.call("open_positions", params={"symbol": symbol}))

    async def get_position_mode(self) -> int:
        """1 hedge, 2 one-way."""
        return int(await self.call("position_mode"))

    async def change_position_mode(self, mode: int) -> None:
        """Switch hedge (1) / one-way (2); fails with anything open."""
        await self.call("change_position_mode", body={"positionMode": mode})

    async def get_leverage(self, symbol: str) -> list[w.LeverageRow]:
        """Leverage rows, one per position side."""
        return rows(await self.call("leverage", params={"symbol": symbol}))

    async def change_leverage(
        self,
        leverage: int,
        *,
        position_id: int | None = None,
        symbol: str | None = None,
        open_type: int | None = None,
        position_type: int | None = None,
    ) -> None:
        """Change leverage of a position, or of a symbol side without one."""
        body = drop_none(
            {
                "positionId": position_id,
                "leverage": leverage,
                "openType": open_type,
                "symbol": symbol,
                "positionType": position_type,
            }
        )
        await self.call("change_leverage", body=body)

    async def close_all_positions(self) -> None:
        """Market-close every position."""
        await self.call("close_all_positions")

    # ------------------------------------------------------------------ orders (§5.3–§5.5)
    async def create_order(
        self,
        *,
        symbol: str,
        side: int,
        order_type: int,
        vol: Decimal,
        open_type: int,
        price: Decimal | None = None,
        leverage: int | None = None,
        external_oid: str | None = None,
        position_id: int | None = None,
        reduce_only: bool | None = None,
        stop_loss_price: Decimal | None = None,
        take_profit_price: Decimal | None = None,
        request_timeout: float | None = None,
    ) -> w.CreateResult:
        """``order/create``. A 5xx/timeout raises with ``fate_unknown`` (look it up by oid)."""
        body = CreateOrderBody(
            symbol=symbol,
            price=price,
            vol=vol,
            leverage=leverage,
            side=side,
            type=order_type,
            open_type=open_type,
            external_oid=external_oid,
            position_id=position_id,
            reduce_only=reduce_only,
            stop_loss_price=stop_loss_price,
            take_profit_price=take_profit_price,
        )
        return await self.begin_create(body, request_timeout=request_timeout)

    def begin_create(
        self, body: CreateOrderBody, *, request_timeout: float | None = None
    ) -> Awaitable[w.CreateResult]:
        """``order/create`` via ``begin``: on the order lane the signed request is written
        before this returns; await the result (same failures as ``create_order``)."""
        return self.begin("order_create", body=ENCODE(body), request_timeout=request_timeout)

    async def change_limit_order(self, order_id: str, price: Decimal, vol: Decimal) -> str:
        """Amend a limit order; returns the new order id."""
        body = {"orderId": order_id, "price": price, "vol": vol}
        return str(await self.call("order_change_limit", body=body))

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[w.CancelResult]:
        """Cancel up to 50 orders by id; per-item results (2040/2041 per item)."""
        return rows(await self.call("order_cancel", body=list(order_ids)))

    async def cancel_by_external(self, symbol: str, external_oid: str) -> list[w.CancelResult]:
        """Cancel one order by its externalOid (array body, v2)."""
        body = [{"symbol": symbol, "externalOid": external_oid}]
        return rows(await self.call("order_cancel_external", body=body))

    async def cancel_all(self, symbol: str | None = None) -> None:
        """Cancel every open order (of ``symbol``; all contracts: ``"symbol": ""``, which v2 —
        where the key is required — reads as "every contract" and v1 as absent: fidelity row 2)."""
        await self.call("order_cancel_all", body={"symbol": symbol or ""})

    async def get_order(self, order_id: str) -> w.OrderData:
        """One order by venue id."""
        return cast(w.OrderData, await self.call("order_get", path={"order_id": order_id}))

    async def get_order_by_external(self, symbol: str, external_oid: str) -> w.OrderData:
        """One order by externalOid (resolves UNKNOWN outcomes)."""
        return cast(
            w.OrderData,
            await self.call(
                "order_get_external", path={"symbol": symbol, "external_oid": external_oid}
            ),
        )

    async def batch_query(self, order_ids: Sequence[str]) -> list[w.OrderData]:
        """Up to 50 orders by id."""
        return rows(await self.call("order_batch_query", params={"order_ids": ",".join(order_ids)}))

    async def get_open_orders(self, page_size: int = 100) -> list[w.OrderData]:
        """Every open order (all pages)."""
        out: list[w.OrderData] = []
        page = 1
        while True:
            batch = rows(
                await self.call("open_orders", params={"page_num": page, "page_size": page_size})
            )
            out.extend(batch)
            if len(batch) < page_size:
                return out
            page += 1

    async def get_history_orders(
        self, symbol: str | None = None, *, page_size: int = 100, states: str | None = None
    ) -> list[w.OrderData]:
        """Recent orders (first page)."""
        params = {"symbol": symbol, "states": states, "page_num": 1, "page_size": page_size}
        return rows(await self.call("history_orders", params=params))

    async def get_order_deals(
        self, symbol: str, *, start_time: int | None = None, page_size: int = 100
    ) -> list[w.OrderDealData]:
        """Own fills of ``symbol`` (v1 ``order_deals``)."""
        params = {
            "symbol": symbol,
            "start_time": start_time,
            "page_num": 1,
            "page_size": page_size,
        }
        return rows(await self.call("order_deals", params=params))

    async def get_deal_details(self, order_id: str) -> list[w.OrderDealData]:
        """Fills of one order."""
        return rows(await self.call("order_deal_details", path={"order_id": order_id}))

    async def get_open_order_count(self) -> w.OpenOrderCount:
        """Counts of open limit, stop, plan and track orders."""
        return cast(w.OpenOrderCount, await self.call("open_order_total_count"))

    # ------------------------------------------------------------------ plan / stop (§5.6–§5.7)
    async def cancel_all_plan_orders(self, symbol: str | None = None) -> None:
        """Cancel every plan (trigger) order."""
        await self.call("plan_cancel_all", body=drop_none({"symbol": symbol}))

    async def cancel_all_stop_orders(self, symbol: str | None = None) -> None:
        """Cancel every TP/SL order."""
        await self.call("stop_cancel_all", body=drop_none({"symbol": symbol}))

    async def get_plan_orders(self, symbol: str | None = None) -> list[w.PlanOrderData]:
        """Untriggered plan orders (state 1)."""
        now = self.venue_time_ms()
        params = {
            "symbol": symbol,
            "states": "1",
            "start_time": now - 7 * 86_400_000,
            "end_time": now + 60_000,
            "page_num": 1,
            "page_size": 100,
        }
        return rows(await self.call("plan_orders", params=params))

    async def get_stop_orders(self, symbol: str | None = None) -> list[w.StopOrderData]:
        """Open TP/SL orders."""
        return rows(await self.call("stop_open_orders", params={"symbol": symbol}))


__all__ = ["CreateOrderBody", "PrivateEndpoints"]
