"""Order, plan-order and stop-order records and their JSON rows (spec §5.5–§5.7, §7.8).

Rows copy the v2 examples in ``vectors/rest_responses.json``: ``orderId`` is a string in order rows
and pushes, ``positionId`` a number in order rows but a string in stop rows, plan ``id`` a string,
stop ``id`` a number, and plan ``executeCycle`` is reported in hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.money import ZERO, booked, notional, to_json

# order states (§10)
PENDING, OPEN, FILLED, CANCELLED, INVALID = 1, 2, 3, 4, 5
# plan / stop states (§10)
UNTRIGGERED, PLAN_CANCELLED, EXECUTED, PLAN_INVALID, EXEC_FAILED = 1, 2, 3, 4, 5

# order errorCode values (§6.2)
EC_IOC, EC_FOK, EC_POST_ONLY, EC_MARKET = 18, 19, 20, 21

LIMIT, POST_ONLY, IOC, FOK, MARKET, MARKET_TO_LIMIT = 1, 2, 3, 4, 5, 6


def num(x: float | Decimal, scale: int = 8) -> float | int:
    """Round for JSON; integral values become ints (as in the examples).

    A ``Decimal`` is rounded half-even and then converted to the float whose shortest repr is that
    decimal, so the JSON text carries the exact booked amount (docs/emulator.md "Money").
    """
    if isinstance(x, Decimal):
        return to_json(x, scale)
    r = round(x, scale)
    return int(r) if r == int(r) and abs(r) < 2**53 else r


def opens(side: int) -> bool:
    """Sides 1 (open long) and 3 (open short) open; 2 and 4 close (§5.3)."""
    return side in (1, 3)


def is_buy(side: int) -> bool:
    """Sides 1 (open long) and 2 (close short) buy."""
    return side in (1, 2)


@dataclass(slots=True, kw_only=True)
class OrderTerms:
    """What an order asks for: shared by user orders (§5.3) and the plans that place them (§5.6)."""

    account: str
    contract: Contract
    side: int
    vol: int
    leverage: int
    open_type: int
    order_type: int
    price: float
    position_mode: int
    create_time: int
    reduce_only: bool = False
    stop_loss_price: float = 0.0
    take_profit_price: float = 0.0
    loss_trend: int = 1
    profit_trend: int = 1
    error_code: int = 0
    update_time: int = 0

    @property
    def symbol(self) -> str:
        """Contract symbol."""
        return self.contract.symbol


@dataclass(slots=True, kw_only=True)
class Order(OrderTerms):
    """One user order (``category`` 1) or a system take-over order of a liquidation (2).

    Money fields (fees, profit, margins) are booked ``Decimal`` amounts (``money.py``).
    """

    order_id: int
    external_oid: str
    state: int = PENDING
    deal_vol: int = 0
    deal_amount: float = 0.0
    taker_fee: Decimal = ZERO
    maker_fee: Decimal = ZERO
    profit: Decimal = ZERO
    version: int = 1
    position_id: int = 0
    order_margin: Decimal = ZERO
    used_margin: Decimal = ZERO
    category: int = 1

    @property
    def remain(self) -> int:
        """Unfilled volume."""
        return self.vol - self.deal_vol

    @property
    def active(self) -> bool:
        """Pending or open (cancellable)."""
        return self.state in (PENDING, OPEN)

    @property
    def avg_price(self) -> float:
        """Average fill price (0 before any fill)."""
        return self.deal_amount / self.deal_vol if self.deal_vol else 0.0

    def margin_for_price(self, price: float, vol: int) -> Decimal:
        """Booked initial margin of ``vol`` contracts at ``price`` and this order's leverage."""
        return booked(notional(price, vol, self.contract.contract_size) / max(self.leverage, 1))

    def margin_for(self, vol: int) -> Decimal:
        """Booked initial margin of ``vol`` contracts at this order's price and leverage."""
        return booked(
            notional(self.price, vol, self.contract.contract_size) / max(self.leverage, 1)
        )

    def frozen(self) -> Decimal:
        """Margin still frozen for the unfilled part of an active opening order."""
        return self.margin_for(self.remain) if self.active and opens(self.side) else ZERO

    def row(self) -> dict[str, Any]:
        """Order row as in the v2 REST examples (§5.5)."""
        scale = self.contract.price_scale
        avg = round(self.avg_price, scale + 4)
        row: dict[str, Any] = {
            "orderId": str(self.order_id),
            "symbol": self.symbol,
            "positionId": self.position_id,
            "price": self.price,
            "priceStr": f"{self.price:.{scale}f}",
            "vol": self.vol,
            "leverage": self.leverage,
            "side": self.side,
            "category": self.category,
            "orderType": self.order_type,
            "dealAvgPrice": num(avg),
            "dealAvgPriceStr": f"{avg:.{scale}f}",
            "dealVol": self.deal_vol,
            "orderMargin": num(self.order_margin),
            "takerFee": num(self.taker_fee),
            "makerFee": num(self.maker_fee),
            "profit": num(self.profit),
            "feeCurrency": self.contract.quote,
            "openType": self.open_type,
            "state": self.state,
            "externalOid": self.external_oid,
            "errorCode": self.error_code,
            "usedMargin": num(self.used_margin),
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "positionMode": self.position_mode,
            "reduceOnly": self.reduce_only,
            "version": self.version,
            "showCancelReason": 0,
            "showProfitRateShare": 0,
            "bboTypeNum": 0,
            "totalFee": num(self.taker_fee + self.maker_fee),
            "zeroSaveTotalFeeBinance": 0,
            "zeroTradeTotalFeeBinance": 0,
        }
        if self.stop_loss_price or self.take_profit_price:
            row.update(
                stopLossPrice=self.stop_loss_price,
                takeProfitPrice=self.take_profit_price,
                lossTrend=self.loss_trend,
                profitTrend=self.profit_trend,
            )
        return row

    def push_row(self) -> dict[str, Any]:
        """``push.personal.order`` data (§7.8, shaped like the 2026 fixture)."""
        scale = self.contract.price_scale
        long_side = self.side in (1, 4)
        return {
            "bboTypeNum": 0,
            "bizSource": 1,
            "category": self.category,
            "createTime": self.create_time,
            "dealAvgPrice": num(round(self.avg_price, scale + 4)),
            "dealVol": self.deal_vol,
            "errorCode": self.error_code,
            "externalOid": self.external_oid,
            "feeCurrency": self.contract.quote,
            "leverage": self.leverage,
            "makerFee": num(self.maker_fee),
            "makerFeeRate": self.contract.maker_fee_rate,
            "openType": self.open_type,
            "orderId": str(self.order_id),
            "orderMargin": num(self.order_margin),
            "orderType": self.order_type,
            "positionId": self.position_id,
            "positionMode": self.position_mode,
            "positionType": "long" if long_side else "short",
            "price": self.price,
            "profit": num(self.profit),
            "remainVol": self.remain,
            "side": self.side,
            "sideType": "buy" if is_buy(self.side) else "sell",
            "state": self.state,
            "symbol": self.symbol,
            "takerFee": num(self.taker_fee),
            "takerFeeRate": self.contract.taker_fee_rate,
            "updateTime": self.update_time or self.create_time,
            "usedMargin": num(self.used_margin),
            "version": self.version,
            "vol": self.vol,
        }


@dataclass(slots=True, kw_only=True)
class PlanOrder(OrderTerms):
    """A trigger order (§5.6): the terms of the order it places once triggered."""

    plan_id: int
    trigger_price: float
    trigger_type: int
    execute_cycle_h: int
    trend: int
    price_protect: int = 0
    state: int = UNTRIGGERED
    order_id: int = 0

    def row(self) -> dict[str, Any]:
        """Plan row (REST list and ``push.personal.plan.order``)."""
        row: dict[str, Any] = {
            "id": str(self.plan_id),
            "symbol": self.contract.symbol,
            "leverage": self.leverage,
            "side": self.side,
            "triggerPrice": self.trigger_price,
            "price": self.price,
            "vol": self.vol,
            "openType": self.open_type,
            "triggerType": self.trigger_type,
            "state": self.state,
            "executeCycle": self.execute_cycle_h,
            "trend": self.trend,
            "orderType": self.order_type,
            "errorCode": self.error_code,
            "priceProtect": self.price_protect,
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "positionMode": self.position_mode,
            "lossTrend": self.loss_trend,
            "profitTrend": self.profit_trend,
            "reduceOnly": self.reduce_only,
        }
        if self.order_id:
            row["orderId"] = str(self.order_id)
        if self.stop_loss_price or self.take_profit_price:
            row["stopLossPrice"] = self.stop_loss_price
            row["takeProfitPrice"] = self.take_profit_price
        return row


@dataclass(slots=True)
class StopOrder:
    """A TP/SL order on a position (§5.7)."""

    stop_id: int
    account: str
    contract: Contract
    position_id: int
    position_type: int
    vol: int
    stop_loss_price: float
    take_profit_price: float
    loss_trend: int
    profit_trend: int
    create_time: int
    order_id: int = 0
    state: int = UNTRIGGERED
    trigger_side: int = 0
    reality_vol: int = 0
    place_order_id: int = 0
    error_code: int = 0
    version: int = 1
    price_protect: int = 0
    vol_type: int = 1
    update_time: int = 0

    @property
    def finished(self) -> bool:
        """True once executed, cancelled, invalid or failed."""
        return self.state != UNTRIGGERED

    def row(self) -> dict[str, Any]:
        """Stop row (REST and ``push.personal.stop.planorder``), as the v2 example."""
        return {
            "id": self.stop_id,
            "orderId": str(self.order_id),
            "symbol": self.contract.symbol,
            "positionId": str(self.position_id),
            "lossTrend": self.loss_trend,
            "profitTrend": self.profit_trend,
            "stopLossPrice": self.stop_loss_price,
            "takeProfitPrice": self.take_profit_price,
            "state": self.state,
            "triggerSide": self.trigger_side,
            "positionType": self.position_type,
            "vol": self.vol,
            "realityVol": self.reality_vol,
            "placeOrderId": str(self.place_order_id),
            "errorCode": self.error_code,
            "version": self.version,
            "isFinished": int(self.finished),
            "priceProtect": self.price_protect,
            "profitLossVolType": "SAME",
            "takeProfitVol": self.vol,
            "stopLossVol": self.vol,
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "volType": self.vol_type,
            "takeProfitReverse": 2,
            "stopLossReverse": 2,
            "closeTryTimes": 0,
            "reverseTryTimes": 0,
            "reverseErrorCode": 0,
            "takeProfitType": 0,
            "takeProfitOrderPrice": 0,
            "stopLossType": 0,
            "stopLossOrderPrice": 0,
        }
