"""Margin, unrealised PnL, risk limits and liquidation prices (spec §4.1 risk ladder, §5.1, §5.2).

Why this layer is separate (see ``state.py`` for the whole stack): it only *values* an account —
unrealised PnL at the fair price, available balance, the risk tier a position volume needs, the
liquidation price — and pushes ``personal.position`` / ``personal.asset`` to show the result. It
never books a fill; that is ``fills.FillEngine``. Money is ``Decimal`` (``money.py``).

Cross margin: a cross position is backed by its own ``im`` plus the account's available balance
*before its own unrealised loss* (counting it again would double the loss), so its liquidation
price moves whenever any cross mark moves; :meth:`MarginEngine.refresh_liquidation` recomputes
it on every fair-price refresh (``liquidation.check_liquidations``).
"""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.emulator.venue.accounts import CROSS, Account, Position
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.contracts import Contract, RiskTier
from mexc_futures.emulator.venue.money import ZERO
from mexc_futures.emulator.venue.state import EngineState

RISK_LIMIT_EXCEEDED = 2031


class MarginEngine(EngineState):
    """Valuation of accounts and positions on top of :class:`EngineState`."""

    def unrealized(self, acct: Account, currency: str, cross_only: bool = False) -> Decimal:
        """Sum of unrealised PnL at fair price (booked to 8 decimals per position)."""
        return sum(
            (
                p.unrealized(self.mark(p.symbol))
                for p in acct.positions.values()
                if p.contract.quote == currency and (not cross_only or p.open_type == CROSS)
            ),
            ZERO,
        )

    def available(self, acct: Account, currency: str) -> Decimal:
        """Available balance including cross unrealised losses."""
        return acct.available(currency, self.unrealized(acct, currency, cross_only=True))

    def cross_backing(self, acct: Account, pos: Position) -> Decimal:
        """Extra margin behind a cross position: available balance before its own PnL (≥ 0)."""
        quote = pos.contract.quote
        others = self.unrealized(acct, quote, cross_only=True) - pos.unrealized(
            self.mark(pos.symbol)
        )
        return max(acct.available(quote, others), ZERO)

    def refresh_liquidation(self, pos: Position) -> bool:
        """Recompute ``pos.liquidate_price``; True when its tick-rounded value changed."""
        if not pos.hold_vol:
            return False
        acct = self.accounts[pos.account]
        extra = self.cross_backing(acct, pos) if pos.open_type == CROSS else ZERO
        c = pos.contract
        before = c.ticks(pos.liquidate_price)
        pos.liquidate_price = pos.liquidation_price(extra)
        return c.ticks(pos.liquidate_price) != before

    def push_asset(self, acct: Account, currency: str) -> None:
        """Queue ``personal.asset``."""
        cross = self.unrealized(acct, currency, cross_only=True)
        self.push(acct, "personal.asset", None, acct.asset_push(currency, cross))

    def push_position(self, pos: Position) -> None:
        """Refresh the liquidation price and queue ``personal.position``."""
        acct = self.accounts[pos.account]
        self.refresh_liquidation(pos)
        self.push(acct, "personal.position", pos.symbol, pos.row(self.mark(pos.symbol), push=True))

    def check_risk_limit(
        self, acct: Account, c: Contract, position_type: int, opening_vol: int, leverage: int
    ) -> RiskTier:
        """The tier a side would need after ``opening_vol`` more contracts, else 2031.

        The projected volume is the held position plus the unfilled part of the side's open
        opening orders plus ``opening_vol``. 2031 when it exceeds the top level's ``maxVol`` or
        when ``leverage`` exceeds the needed level's ``maxLeverage``.
        """
        pos = acct.position(c.symbol, position_type)
        held = pos.hold_vol if pos is not None else 0
        side_opens = {1: 1, 2: 3}[position_type]
        pending = sum(o.remain for o in acct.open_orders(c.symbol) if o.side == side_opens)
        tier = c.risk_tier(held + pending + opening_vol)
        if tier is None or leverage > tier.max_leverage:
            raise fail(RISK_LIMIT_EXCEEDED)
        return tier

    def current_tier(self, acct: Account, c: Contract, position_type: int) -> RiskTier:
        """The tier the side's open position is in (level 1 without a position)."""
        pos = acct.position(c.symbol, position_type)
        tiers = c.risk_tiers()
        if pos is None:
            return tiers[0]
        return c.risk_tier(pos.hold_vol) or tiers[-1]
