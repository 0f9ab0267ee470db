"""Accounts, balances and positions of the emulator (spec §5.1, §5.2, §7.8).

Money (wallet, margins, fees, PnL, funding) is kept as ``Decimal`` amounts booked at 8 decimals
(``money.py``); prices are floats on the tick grid; volumes are integer contracts;
``q = vol × contractSize`` is the position size in base coin. The margin model
(docs/emulator.md "Margin, fees, PnL, liquidation"):

* ``cash`` is the wallet balance: deposits + realised PnL − fees ± funding.
* ``positionMargin`` is the sum of ``im`` over open positions (isolated and cross); ``im`` is
  ``q × openPrice / leverage`` accumulated at each opening fill, reduced pro rata on closes, plus
  margin added with ``change_margin``.
* ``frozenBalance`` is the initial margin of the unfilled part of open opening orders.
* ``availableBalance = cash − positionMargin − frozenBalance`` (unrealised losses of cross positions
  are subtracted too); an opening order needing more answers 2005.
* Liquidation price (linear), with ``M`` the margin backing the position and ``mmr`` the
  maintenance margin rate of the position's risk tier (``Contract.risk_tier``):
  long ``(entry·q − M) / (q·(1 − mmr))``, short ``(entry·q + M) / (q·(1 + mmr))``. Isolated:
  ``M = im``; cross: ``M = im`` plus the available balance before this position's own unrealised
  loss (``margin.MarginEngine.refresh_liquidation``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.money import ZERO, booked, dec, notional
from mexc_futures.emulator.venue.orders import Order, PlanOrder, StopOrder, num

LONG, SHORT = 1, 2
ISOLATED, CROSS = 1, 2
HEDGE, ONE_WAY = 1, 2


@dataclass(slots=True)
class Position:
    """One position (§5.2 row); closed positions keep ``state`` 3 and move to the history."""

    position_id: int
    account: str
    contract: Contract
    position_type: int
    open_type: int
    leverage: int
    create_time: int
    state: int = 1
    hold_vol: int = 0
    frozen_vol: int = 0
    close_vol: int = 0
    hold_avg_price: float = 0.0
    open_avg_price: float = 0.0
    close_avg_price: float = 0.0
    liquidate_price: float = 0.0
    im: Decimal = ZERO
    oim: Decimal = ZERO
    hold_fee: Decimal = ZERO
    realised: Decimal = ZERO
    close_profit_loss: Decimal = ZERO
    fee: Decimal = ZERO
    update_time: int = 0
    version: int = 0
    open_vol_total: int = 0
    open_amount_total: float = 0.0

    @property
    def symbol(self) -> str:
        """Contract symbol."""
        return self.contract.symbol

    @property
    def sign(self) -> int:
        """+1 for long, −1 for short."""
        return 1 if self.position_type == LONG else -1

    def qty(self, vol: int | None = None) -> float:
        """Base-coin quantity of ``vol`` (default: the held volume)."""
        return (self.hold_vol if vol is None else vol) * self.contract.contract_size

    def unrealized(self, mark: float) -> Decimal:
        """Unrealised PnL at ``mark`` (rounded to 8 decimals)."""
        if not self.hold_vol:
            return ZERO
        return booked((mark - self.hold_avg_price) * self.qty() * self.sign)

    def margin_at(self, price: float, vol: int, leverage: int) -> Decimal:
        """Booked initial margin ``vol × contractSize × price / leverage``."""
        return booked(notional(price, vol, self.contract.contract_size) / max(leverage, 1))

    def open(self, vol: int, price: float, leverage: int, now: int) -> None:
        """Add ``vol`` at ``price``: weighted average entry, margin ``q·price/leverage``."""
        new = self.hold_vol + vol
        self.hold_avg_price = (self.hold_avg_price * self.hold_vol + price * vol) / new
        self.open_vol_total += vol
        self.open_amount_total += price * vol
        self.open_avg_price = self.open_amount_total / self.open_vol_total
        margin = self.margin_at(price, vol, leverage)
        self.im += margin
        self.oim += margin
        self.hold_vol = new
        self.leverage = leverage
        self.touch(now)

    def close(self, vol: int, price: float, now: int) -> Decimal:
        """Remove ``vol`` at ``price``; returns the booked realised PnL (fees excluded).

        ``im`` and ``oim`` are released pro rata (booked), all of them on the last contract.
        """
        pnl = booked(
            (dec(price) - dec(self.hold_avg_price))
            * notional(1, vol, self.contract.contract_size)
            * self.sign
        )
        closed_before = self.close_vol
        self.close_avg_price = (self.close_avg_price * closed_before + price * vol) / (
            closed_before + vol
        )
        self.close_vol += vol
        self.im -= booked(self.im * vol / self.hold_vol)
        self.oim -= booked(self.oim * vol / self.hold_vol)
        self.hold_vol -= vol
        self.realised += pnl
        self.close_profit_loss += pnl
        if self.hold_vol == 0:
            self.state = 3
            self.im = self.oim = ZERO
            self.liquidate_price = 0.0
        self.touch(now)
        return pnl

    def touch(self, now: int) -> None:
        """Bump ``version`` and ``updateTime``."""
        self.version += 1
        self.update_time = now

    def mmr(self) -> float:
        """Maintenance margin rate of the risk tier the held volume falls in."""
        tier = self.contract.risk_tier(self.hold_vol)
        return (tier or self.contract.risk_tiers()[-1]).mmr

    def liquidation_price(self, extra_margin: Decimal = ZERO) -> float:
        """Liquidation price by the documented formula; ``extra_margin`` is the cross top-up."""
        q = self.qty()
        if q <= 0:
            return 0.0
        m = float(self.im + extra_margin)
        mmr = self.mmr()
        if self.position_type == LONG:
            return max((self.hold_avg_price * q - m) / (q * (1 - mmr)), 0.0)
        return (self.hold_avg_price * q + m) / (q * (1 + mmr))

    def row(self, mark: float, push: bool = False) -> dict[str, Any]:
        """Position row (§5.2, v1 fields + common v2 ones) or ``push.personal.position`` data."""
        c = self.contract
        scale = c.price_scale
        pnl = self.unrealized(mark)
        ratio = self.mmr() * mark * self.qty() / float(self.im + pnl) if self.im + pnl > 0 else 0.0
        row: dict[str, Any] = {
            "positionId": self.position_id,
            "symbol": self.symbol,
            "positionType": self.position_type,
            "openType": self.open_type,
            "state": self.state,
            "holdVol": self.hold_vol,
            "frozenVol": self.frozen_vol,
            "closeVol": self.close_vol,
            "holdAvgPrice": num(self.hold_avg_price, scale + 4),
            "openAvgPrice": num(self.open_avg_price, scale + 4),
            "closeAvgPrice": num(self.close_avg_price, scale + 4),
            "liquidatePrice": c.price(c.ticks(self.liquidate_price)) if self.liquidate_price else 0,
            "oim": num(self.oim),
            "im": num(self.im),
            "holdFee": num(self.hold_fee),
            "realised": num(self.realised),
            "adlLevel": 1 if self.hold_vol else 0,
            "leverage": self.leverage,
            "createTime": self.create_time,
            "updateTime": self.update_time or self.create_time,
            "autoAddIm": False,
            "marginRatio": round(ratio, 4),
            "version": self.version,
            "closeProfitLoss": num(self.close_profit_loss),
            "fee": num(self.fee),
            "deductFeeList": [],
        }
        if push:
            row["pnl"] = num(pnl)
        else:
            row["holdAvgPriceFullyScale"] = f"{self.hold_avg_price:.{scale + 4}f}"
            row["openAvgPriceFullyScale"] = f"{self.open_avg_price:.{scale + 4}f}"
            row["profitRatio"] = num(pnl / self.im, 4) if self.im else 0
            row["totalFee"] = num(-self.fee)
        return row


@dataclass
class Account:
    """One API account: keys, settings, balances, orders, positions and their history."""

    api_key: str
    secret: str
    read_only: bool = False
    position_mode: int = HEDGE
    cash: dict[str, Decimal] = field(default_factory=dict)
    leverage: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    live: dict[int, Order] = field(default_factory=dict)
    by_external: dict[tuple[str, str], int] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    history_positions: list[Position] = field(default_factory=list)
    plans: dict[int, PlanOrder] = field(default_factory=dict)
    stops: dict[int, StopOrder] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    funding_records: list[dict[str, Any]] = field(default_factory=list)
    tracks: dict[int, Any] = field(default_factory=dict)  # track.TrackOrder by id
    stp_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # STP configName → group

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Active orders, newest first, optionally for one symbol."""
        out = [o for o in self.live.values() if symbol is None or o.symbol == symbol]
        out.sort(key=lambda o: o.order_id, reverse=True)
        return out

    def sync(self, order: Order) -> None:
        """Keep ``live`` (the active orders) in step with ``order.state``."""
        if order.active:
            self.live[order.order_id] = order
        else:
            self.live.pop(order.order_id, None)

    def position(self, symbol: str, position_type: int) -> Position | None:
        """The open position of ``symbol`` on one side, if any."""
        for p in self.positions.values():
            if p.symbol == symbol and p.position_type == position_type:
                return p
        return None

    def leverage_for(self, contract: Contract, position_type: int) -> tuple[int, int]:
        """``(leverage, openType)`` set for a symbol side (default ``min(20, max)``, isolated)."""
        default = (min(20, contract.max_leverage), ISOLATED)
        return self.leverage.get((contract.symbol, position_type), default)

    def frozen(self, currency: str) -> Decimal:
        """Margin frozen by open opening orders settled in ``currency``."""
        return sum((o.frozen() for o in self.live.values() if o.contract.quote == currency), ZERO)

    def position_margin(self, currency: str) -> Decimal:
        """Sum of ``im`` of open positions settled in ``currency``."""
        return sum((p.im for p in self.positions.values() if p.contract.quote == currency), ZERO)

    def wallet(self, currency: str) -> Decimal:
        """Wallet balance (deposits + realised PnL − fees ± funding) in ``currency``."""
        return self.cash.get(currency, ZERO)

    def book_cash(self, currency: str, amount: Decimal) -> None:
        """Add a booked ``amount`` (negative: a debit) to the wallet."""
        self.cash[currency] = self.cash.get(currency, ZERO) + amount

    def available(self, currency: str, cross_unrealized: Decimal = ZERO) -> Decimal:
        """``cash − positionMargin − frozen`` (+ cross unrealised losses)."""
        return (
            self.wallet(currency)
            - self.position_margin(currency)
            - self.frozen(currency)
            + min(cross_unrealized, ZERO)
        )

    def asset_row(
        self, currency: str, unrealized: Decimal, cross_unrealized: Decimal
    ) -> dict[str, Any]:
        """``account/assets`` row (§5.1, v1 + v2 fields)."""
        avail = self.available(currency, cross_unrealized)
        return {
            "currency": currency,
            "positionMargin": num(self.position_margin(currency)),
            "availableBalance": num(avail),
            "cashBalance": num(max(avail, ZERO)),
            "frozenBalance": num(self.frozen(currency)),
            "equity": num(self.wallet(currency) + unrealized),
            "unrealized": num(unrealized),
            "bonus": 0,
            "availableCash": num(max(avail, ZERO)),
            "availableOpen": num(max(avail, ZERO)),
            "debtAmount": 0,
            "contributeMarginAmount": 0,
            "vcoinId": "",
        }

    def asset_push(self, currency: str, cross_unrealized: Decimal) -> dict[str, Any]:
        """``push.personal.asset`` data (§7.8)."""
        return {
            "availableBalance": num(self.available(currency, cross_unrealized)),
            "bonus": 0,
            "currency": currency,
            "frozenBalance": num(self.frozen(currency)),
            "positionMargin": num(self.position_margin(currency)),
        }
