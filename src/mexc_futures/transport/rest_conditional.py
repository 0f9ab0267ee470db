"""Typed REST methods for every order type beyond plain limit/market (issue #15).

Plan (trigger) orders §5.6, TP/SL stop orders §5.7, trailing (track) orders §5.8, batch placement
and chase §5.3, batch cancel / query by ``externalOid`` §5.4–§5.5, position reverse, margin and
auto-add margin §5.2, history (``order_deals/v3``, history positions, funding records, close
orders) §5.2/§5.5, risk limits and tiered fee rate §5.1. Part of ``RestClient``.

Each method names its endpoint and the venue codes it documents (raised as the typed errors of
``mexc_futures.errors``). Calls that change state follow the core's fate-unknown contract: a 5xx
or timeout raises with ``fate_unknown=True`` and is never retried here; the execution manager
(``execution.conditional``) looks the order up instead. Bodies are the structs of
``protocol.bodies``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import cast

from mexc_futures.protocol import rest as w
from mexc_futures.protocol.bodies import (
    AutoAddMarginBody,
    ChangeMarginBody,
    ExternalRef,
    PlanChangePriceBody,
    PlanChangeStopBody,
    PlanOrderBody,
    ReverseBody,
    StopChangeBody,
    StopOrderBody,
    TrackChangeBody,
    TrackOrderBody,
)
from mexc_futures.transport.rest_core import ENCODE, RestCore, drop_none, rows
from mexc_futures.transport.rest_private import CreateOrderBody

#: ``submit_batch`` takes at most this many orders (§5.3; more answers 2014).
BATCH_MAX = 50
_DAY_MS = 86_400_000


def _ids(data: object) -> str:
    return str(data)


class ConditionalEndpoints(RestCore):
    """Plan, stop, trailing, batch, chase, position and history endpoints; part of
    ``RestClient``."""

    # ------------------------------------------------------------------ plan orders (§5.6)
    async def place_plan_order(self, body: PlanOrderBody) -> str:
        """``planorder/place/v2``: the plan id. Codes 3001-3004, 2011, 2015, 2029."""
        return _ids(await self.call("plan_place_v2", body=ENCODE(body)))

    async def change_plan_price(self, body: PlanChangePriceBody) -> None:
        """``planorder/change_price``: new trigger (and limit) price. 5002 when it is gone."""
        await self.call("plan_change_price", body=ENCODE(body))

    async def change_plan_stop_order(self, body: PlanChangeStopBody) -> None:
        """``planorder/change_stop_order``: the plan's attached TP/SL (0 removes). 3001 bad
        trend, 5002 gone."""
        await self.call("plan_change_stop_order", body=ENCODE(body))

    async def cancel_plan_orders(self, items: Sequence[tuple[str, str]]) -> None:
        """``planorder/cancel`` ``[(symbol, plan id)]``, at most 50 (2013 over)."""
        body = [{"symbol": s, "orderId": i} for s, i in items]
        await self.call("plan_cancel", body=body)

    async def list_plan_orders(
        self,
        symbol: str | None = None,
        *,
        states: str | None = None,
        days: int = 7,
        page_size: int = 100,
    ) -> list[w.PlanOrderData]:
        """``planorder/list/orders`` of the last ``days`` (``states`` e.g. ``"1"`` untriggered,
        ``"1,2,3,4,5"`` all). ``start_time`` and ``end_time`` are required by v2."""
        now = self.clock.time_ms() + self.offset_ms
        params = {
            "symbol": symbol,
            "states": states,
            "start_time": now - days * _DAY_MS,
            "end_time": now + 60_000,
            "page_num": 1,
            "page_size": page_size,
        }
        return rows(await self.call("plan_orders", params=params))

    # ------------------------------------------------------------------ stop orders (§5.7)
    async def place_stop_order(self, body: StopOrderBody) -> str:
        """``stoporder/place``: the stop id. 2009 no position, 5001 no price, 5003 price on the
        wrong side, 5004 volume over the position."""
        return _ids(await self.call("stop_place", body=ENCODE(body)))

    async def change_stop_plan_price(self, body: StopChangeBody) -> None:
        """``stoporder/change_plan_price`` (``stop_plan_order_id``): move a TP/SL. 5002 gone."""
        await self.call("stop_change_plan_price", body=ENCODE(body))

    async def change_stop_price(self, body: StopChangeBody) -> None:
        """``stoporder/change_price`` (``order_id`` of a limit order): the order's attached
        TP/SL. 2040 when the order is unknown."""
        await self.call("stop_change_price", body=ENCODE(body))

    async def cancel_stop_orders(self, stop_ids: Sequence[str]) -> None:
        """``stoporder/cancel`` ``[{stopPlanOrderId}]``, at most 50."""
        await self.call("stop_cancel", body=[{"stopPlanOrderId": i} for i in stop_ids])

    async def list_stop_orders(
        self,
        symbol: str | None = None,
        *,
        is_finished: int | None = None,
        page_size: int = 100,
    ) -> list[w.StopOrderData]:
        """``stoporder/list/orders`` (``is_finished`` 0 open, 1 done)."""
        params = {
            "symbol": symbol,
            "is_finished": is_finished,
            "page_num": 1,
            "page_size": page_size,
        }
        return rows(await self.call("stop_orders", params=params))

    async def get_stop_order(self, stop_id: str) -> w.StopOrderData:
        """``stoporder/order_details/{id}``. 5002 when unknown."""
        return cast(w.StopOrderData, await self.call("stop_order_details", path={"id": stop_id}))

    # ------------------------------------------------------------------ trailing (§5.8)
    async def place_track_order(self, body: TrackOrderBody) -> str:
        """``trackorder/place``: the trailing order's id."""
        return _ids(await self.call("track_place", body=ENCODE(body)))

    async def change_track_order(self, body: TrackChangeBody) -> None:
        """``trackorder/change_order``."""
        await self.call("track_change_order", body=ENCODE(body))

    async def cancel_track_order(
        self, symbol: str | None = None, track_order_id: str | None = None
    ) -> None:
        """``trackorder/cancel`` ``{symbol?, trackOrderId?}``: one, or every one of ``symbol``."""
        body = drop_none({"symbol": symbol, "trackOrderId": track_order_id})
        await self.call("track_cancel", body=body)

    async def list_track_orders(
        self, symbol: str | None = None, *, states: str | None = None, page_size: int = 100
    ) -> list[w.TrackOrderData]:
        """``trackorder/list/orders`` (``states`` 0 not active, 1 active, 2 triggered, 3 trigger
        failed, 4 cancelled; e.g. ``"0,1"`` for the live ones)."""
        params = {"symbol": symbol, "states": states, "pageIndex": 1, "pageSize": page_size}
        return rows(await self.call("track_orders", params=params))

    # ------------------------------------------------------------------ batch and chase (§5.3)
    async def submit_batch(
        self, orders: Sequence[CreateOrderBody], *, stp_mode: int = 0
    ) -> list[w.BatchOrderResult]:
        """``order/submit_batch``: at most 50 (2014 over), per-order ``errorCode``. v2 serves it
        to market-maker accounts only and requires ``stpMode`` (0 none, 1 cancel both, 2 cancel
        maker, 3 cancel taker) on each order. A 5xx/timeout is fate-unknown for every order."""
        if not 0 < len(orders) <= BATCH_MAX:
            raise ValueError(f"submit_batch takes 1 to {BATCH_MAX} orders, not {len(orders)}")
        body = [_with_stp(o, stp_mode) for o in orders]
        return rows(await self.call("order_submit_batch", body=ENCODE(body)))

    async def chase_limit_order(self, order_id: str) -> None:
        """``order/chase_limit_order``: move an open limit order to the best price (no data)."""
        await self.call("order_chase", body={"orderId": order_id})

    async def batch_cancel_by_external(
        self, refs: Sequence[tuple[str, str]]
    ) -> list[w.CancelResult]:
        """``order/batch_cancel_with_external`` ``[(symbol, externalOid)]``: per-item results
        (2040 not found, 2041 not cancellable)."""
        body = [ExternalRef(symbol=s, external_oid=o) for s, o in refs]
        return rows(await self.call("order_batch_cancel_external", body=ENCODE(body)))

    async def batch_query_by_external(self, refs: Sequence[tuple[str, str]]) -> list[w.OrderData]:
        """``order/batch_query_with_external`` ``[(symbol, externalOid)]``: the orders found."""
        body = [ExternalRef(symbol=s, external_oid=o) for s, o in refs]
        return rows(await self.call("order_batch_query_external", body=ENCODE(body)))

    # ------------------------------------------------------------------ positions (§5.2)
    async def reverse_position(self, symbol: str, position_id: int, vol: Decimal) -> None:
        """``position/reverse``: close ``vol`` and open it the other way (4/2 s)."""
        body = ReverseBody(symbol=symbol, position_id=position_id, vol=vol)
        await self.call("reverse_position", body=ENCODE(body))

    async def change_margin(self, position_id: int, amount: Decimal, *, add: bool) -> None:
        """``position/change_margin`` (isolated): add or remove margin. 2018 when removing more
        than the position can spare; 2009 no position."""
        kind = "ADD" if add else "SUB"
        body = ChangeMarginBody(position_id=position_id, amount=amount, type=kind)
        await self.call("change_margin", body=ENCODE(body))

    async def change_auto_add_margin(self, position_id: int, enabled: bool) -> None:
        """``position/change_auto_add_im``."""
        body = AutoAddMarginBody(position_id=position_id, is_enabled=enabled)
        await self.call("change_auto_add_im", body=ENCODE(body))

    # ------------------------------------------------------------------ history (§5.2, §5.5)
    async def get_order_deals_v3(
        self,
        symbol: str,
        *,
        start_time: int | None = None,
        end_time: int | None = None,
        page_num: int = 1,
        page_size: int = 100,
    ) -> list[w.OrderDealData]:
        """``order/list/order_deals/v3``: own fills (``page_size`` ≤ 1000, span ≤ 90 d)."""
        params = {
            "symbol": symbol,
            "start_time": start_time,
            "end_time": end_time,
            "page_num": page_num,
            "page_size": page_size,
        }
        return rows(await self.call("order_deals_v3", params=params))

    async def get_history_positions(
        self, symbol: str | None = None, *, position_type: int | None = None, page_size: int = 100
    ) -> list[w.PositionData]:
        """``position/list/history_positions`` (first page; plain list or page accepted)."""
        params = {"symbol": symbol, "type": position_type, "page_num": 1, "page_size": page_size}
        return rows(await self.call("history_positions", params=params))

    async def get_funding_records(
        self, symbol: str | None = None, *, position_id: int | None = None, page_size: int = 100
    ) -> list[w.FundingRecord]:
        """``position/funding_records`` (first page)."""
        params = {
            "symbol": symbol,
            "position_id": position_id,
            "page_num": 1,
            "page_size": page_size,
        }
        return rows(await self.call("funding_records", params=params))

    # ------------------------------------------------------------------ account (§5.1)
    async def get_risk_limits(self, symbol: str | None = None) -> dict[str, list[w.RiskLimitRow]]:
        """``account/risk_limit``: symbol -> tiers."""
        data = await self.call("risk_limit", params={"symbol": symbol})
        return dict(cast(dict[str, list[w.RiskLimitRow]], data or {}))

    async def get_tiered_fee_rate(self, symbol: str | None = None) -> w.TieredFeeRate:
        """``account/tiered_fee_rate`` (v1): level, maker and taker fee."""
        return cast(w.TieredFeeRate, await self.call("tiered_fee_rate", params={"symbol": symbol}))


def _with_stp(order: CreateOrderBody, stp_mode: int) -> CreateOrderBody:
    if order.stp_mode is not None:
        return order
    return CreateOrderBody(
        **{f: getattr(order, f) for f in order.__struct_fields__ if f != "stp_mode"},
        stp_mode=stp_mode,
    )


__all__ = ["BATCH_MAX", "ConditionalEndpoints"]
