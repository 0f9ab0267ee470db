"""Contract specifications, unit conversion, rounding and order validation (spec §4.1, §11, §17).

``vol`` is always in **contracts**. For a linear contract (``quoteCoin == settleCoin``) one
contract is ``contractSize`` base coins, so ``base = vol × contractSize`` and
``notional = vol × contractSize × price`` (quote coin). For a coin-margined (inverse) contract such
as ``BTC_USD`` one contract is ``contractSize`` quote units (USD): ``notional = vol × contractSize``
and ``base = notional / price``.

Rounding uses ``Decimal`` only:

* quantities round **down** to ``volUnit`` (never above the user's intent) and never below
  ``minVol`` — that case raises ``ValidationError`` naming ``minVol`` and the nearest valid value;
* prices round to ``priceUnit``: buys down, sells up (never a worse price than asked), or an
  explicit ``decimal`` rounding mode.

Every ``ValidationError`` names the limit (``field``, ``limit``) and the nearest valid value
(``nearest``) when one exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Decimal,
    InvalidOperation,
)
from typing import Any, Literal

import msgspec

from mexc_futures.errors import ValidationError
from mexc_futures.model.intents import TradeSide

__all__ = ["CONTRACT_STATES", "ContractSpec", "Side", "to_decimal"]

#: spec §10 contract ``state``
CONTRACT_STATES: Mapping[int, str] = {
    0: "enabled",
    1: "in delivery",
    2: "delivered",
    3: "offline",
    4: "paused",
}

Side = Literal["buy", "sell"] | TradeSide

_BUY_SIDES = frozenset({TradeSide.OPEN_LONG, TradeSide.CLOSE_SHORT})


def to_decimal(value: object) -> Decimal:
    """Exact ``Decimal`` from a wire or user value: floats via their shortest ``repr`` (so
    ``0.1`` becomes ``Decimal('0.1')``), ints, numeric strings (``"7.548E+4"`` too)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value[:40]!r}") from None
    raise TypeError(f"cannot convert {type(value).__name__} to Decimal")


def _is_buy(side: Side) -> bool:
    if isinstance(side, TradeSide):
        return side in _BUY_SIDES
    if side == "buy":
        return True
    if side == "sell":
        return False
    raise ValueError(f"side must be 'buy', 'sell' or a TradeSide, not {side!r}")


#: relative distance under which a quotient counts as already on the grid (absorbs the last-digit
#: error of inexact divisions, e.g. inverse-contract conversions, at 28-digit precision)
_GRID_TOLERANCE = Decimal("1e-20")


def _snap(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` moved onto the grid ``k × step`` with ``rounding``. A quotient within
    ``_GRID_TOLERANCE`` (relative) of a grid point is that grid point, so an inexact division
    never loses a whole step."""
    quotient = value / step
    nearest = quotient.to_integral_value(rounding=ROUND_HALF_EVEN)
    if abs(quotient - nearest) <= _GRID_TOLERANCE * max(abs(quotient), Decimal(1)):
        return nearest * step
    return quotient.to_integral_value(rounding=rounding) * step


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return (value / step) == (value / step).to_integral_value()


class ContractSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One contract from ``contract/detail`` (spec §4.1), with exact ``Decimal`` fields."""

    symbol: str
    base_coin: str
    quote_coin: str
    settle_coin: str
    contract_size: Decimal
    price_unit: Decimal
    vol_unit: Decimal
    min_vol: Decimal
    max_vol: Decimal
    min_leverage: int = 1
    max_leverage: int = 1
    price_scale: int = 0
    vol_scale: int = 0
    taker_fee_rate: Decimal = Decimal(0)
    maker_fee_rate: Decimal = Decimal(0)
    maintenance_margin_rate: Decimal = Decimal(0)
    initial_margin_rate: Decimal = Decimal(0)
    state: int = 0
    api_allowed: bool = True
    position_open_type: int = 3
    max_num_orders: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in ("contract_size", "price_unit", "vol_unit"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{self.symbol}: {name} must be positive")

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def from_plain(cls, values: Mapping[str, Any]) -> ContractSpec:
        """Build from snake_case plain values (floats, ints, strings); numbers become exact
        ``Decimal`` via ``to_decimal``. Unknown keys are ignored."""
        kwargs: dict[str, Any] = {}
        for name, ftype in _FIELD_KINDS.items():
            if name not in values or values[name] is None:
                continue
            raw = values[name]
            if ftype == "dec":
                kwargs[name] = to_decimal(raw)
            elif ftype == "int":
                kwargs[name] = int(raw)
            elif ftype == "bool":
                kwargs[name] = bool(raw)
            elif ftype == "tuple":
                kwargs[name] = tuple(int(x) for x in raw)
            else:
                kwargs[name] = str(raw)
        return cls(**kwargs)

    @classmethod
    def from_wire(cls, detail: Mapping[str, Any]) -> ContractSpec:
        """Build from one raw ``contract/detail`` object (camelCase keys, spec §4.1)."""
        plain = {snake: detail[camel] for snake, camel in _WIRE_NAMES.items() if camel in detail}
        return cls.from_plain(plain)

    # --- properties ---------------------------------------------------------------------------

    @property
    def is_inverse(self) -> bool:
        """Coin-margined contract (settled in the base coin, e.g. ``BTC_USD``)."""
        return self.quote_coin != self.settle_coin

    @property
    def min_vol_on_grid(self) -> Decimal:
        """The smallest valid order quantity: ``minVol`` rounded up to ``volUnit``."""
        return _snap(self.min_vol, self.vol_unit, ROUND_CEILING)

    @property
    def max_vol_on_grid(self) -> Decimal:
        """The largest valid order quantity: ``maxVol`` rounded down to ``volUnit``."""
        return _snap(self.max_vol, self.vol_unit, ROUND_FLOOR)

    # --- conversions --------------------------------------------------------------------------

    def _need_price(self, price: Decimal | None, what: str) -> Decimal:
        if price is None or price <= 0:
            raise ValidationError(
                f"{self.symbol}: {what} needs a positive price", field="price", limit="price>0"
            )
        return price

    def base_from_contracts(self, vol: Decimal, price: Decimal | None = None) -> Decimal:
        """Base-coin quantity of ``vol`` contracts (inverse contracts need ``price``)."""
        if self.is_inverse:
            return vol * self.contract_size / self._need_price(price, "base_from_contracts")
        return vol * self.contract_size

    def notional(self, vol: Decimal, price: Decimal | None = None) -> Decimal:
        """Quote-coin value of ``vol`` contracts (linear contracts need ``price``)."""
        if self.is_inverse:
            return vol * self.contract_size
        return vol * self.contract_size * self._need_price(price, "notional")

    def contracts_from_base(
        self, base: Decimal, price: Decimal | None = None, *, exact: bool = False
    ) -> Decimal:
        """Contracts for a base-coin quantity, rounded **down** to ``volUnit`` unless ``exact``.
        No ``minVol`` check here (use ``round_vol``/``validate_order``)."""
        if self.is_inverse:
            raw = base * self._need_price(price, "contracts_from_base") / self.contract_size
        else:
            raw = base / self.contract_size
        return raw if exact else _snap(raw, self.vol_unit, ROUND_FLOOR)

    def contracts_from_notional(
        self, quote: Decimal, price: Decimal | None = None, *, exact: bool = False
    ) -> Decimal:
        """Contracts for a quote-coin notional, rounded **down** to ``volUnit`` unless ``exact``."""
        if self.is_inverse:
            raw = quote / self.contract_size
        else:
            raw = quote / (self.contract_size * self._need_price(price, "contracts_from_notional"))
        return raw if exact else _snap(raw, self.vol_unit, ROUND_FLOOR)

    # --- rounding -----------------------------------------------------------------------------

    def round_price(
        self, price: Decimal, side: Side | None = None, *, mode: str | None = None
    ) -> Decimal:
        """``price`` on the ``priceUnit`` grid: ``mode`` (a ``decimal`` rounding constant) when
        given, else buys round down and sells round up, else to the nearest tick (half-even).
        A result of zero or less raises ``ValidationError`` naming the smallest tick."""
        if mode is None:
            mode = (
                ROUND_HALF_EVEN
                if side is None
                else (ROUND_FLOOR if _is_buy(side) else ROUND_CEILING)
            )
        result = _snap(price, self.price_unit, mode)
        if result <= 0:
            raise ValidationError(
                f"{self.symbol}: price {price} rounds to {result}; the smallest valid price is "
                f"priceUnit={self.price_unit}",
                field="price",
                limit=f"priceUnit={self.price_unit}",
                nearest=self.price_unit,
            )
        return result

    def round_vol(self, vol: Decimal) -> Decimal:
        """``vol`` rounded **down** to ``volUnit``. Raises ``ValidationError`` (naming ``minVol``
        and the nearest valid value) instead of returning less than ``minVol``."""
        result = _snap(vol, self.vol_unit, ROUND_FLOOR)
        if result < self.min_vol:
            nearest = self.min_vol_on_grid
            raise ValidationError(
                f"{self.symbol}: vol {vol} contracts is below minVol={self.min_vol} after "
                f"rounding down to volUnit={self.vol_unit}; nearest valid value: {nearest}",
                field="vol",
                limit=f"minVol={self.min_vol}",
                nearest=nearest,
            )
        return result

    # --- validation ---------------------------------------------------------------------------

    def check_tradable(self) -> None:
        """Raise ``ValidationError`` unless the contract is enabled (``state`` 0)."""
        if self.state != 0:
            label = CONTRACT_STATES.get(self.state, f"state {self.state}")
            raise ValidationError(
                f"{self.symbol} is {label} (contract state {self.state}); only state 0 (enabled) "
                "accepts orders",
                field="state",
                limit="state=0",
            )
        # apiAllowed=false is not refused here (fidelity row 17): the execution manager tries
        # once and switches the symbol off when the venue answers 1002.

    def validate_order(
        self,
        vol: Decimal,
        price: Decimal | None = None,
        leverage: int | Decimal | None = None,
    ) -> None:
        """Check an order before sending it: contract enabled, ``vol`` on the
        ``volUnit`` grid within ``[minVol, maxVol]``, ``price`` (when given) positive and on the
        ``priceUnit`` grid, ``leverage`` (when given) within ``[minLeverage, maxLeverage]``."""
        self.check_tradable()
        self._check_vol(vol)
        if price is not None:
            self._check_price(price)
        if leverage is not None:
            self._check_leverage(leverage)

    def _check_vol(self, vol: Decimal) -> None:
        sym = self.symbol
        if vol < self.min_vol:
            nearest = self.min_vol_on_grid
            raise ValidationError(
                f"{sym}: vol {vol} is below minVol={self.min_vol}; nearest valid value: {nearest}",
                field="vol",
                limit=f"minVol={self.min_vol}",
                nearest=nearest,
            )
        if vol > self.max_vol:
            nearest = self.max_vol_on_grid
            raise ValidationError(
                f"{sym}: vol {vol} is above maxVol={self.max_vol}; nearest valid value: {nearest}",
                field="vol",
                limit=f"maxVol={self.max_vol}",
                nearest=nearest,
            )
        if not _on_grid(vol, self.vol_unit):
            nearest = max(_snap(vol, self.vol_unit, ROUND_FLOOR), self.min_vol_on_grid)
            raise ValidationError(
                f"{sym}: vol {vol} is not a multiple of volUnit={self.vol_unit}; nearest valid "
                f"value: {nearest}",
                field="vol",
                limit=f"volUnit={self.vol_unit}",
                nearest=nearest,
            )

    def _check_price(self, price: Decimal) -> None:
        if price <= 0:
            raise ValidationError(
                f"{self.symbol}: price {price} must be positive; the smallest valid price is "
                f"priceUnit={self.price_unit}",
                field="price",
                limit="price>0",
                nearest=self.price_unit,
            )
        if not _on_grid(price, self.price_unit):
            nearest = max(_snap(price, self.price_unit, ROUND_HALF_EVEN), self.price_unit)
            raise ValidationError(
                f"{self.symbol}: price {price} is not a multiple of priceUnit={self.price_unit}; "
                f"nearest valid value: {nearest}",
                field="price",
                limit=f"priceUnit={self.price_unit}",
                nearest=nearest,
            )

    def _check_leverage(self, leverage: int | Decimal) -> None:
        low, high = self.min_leverage, self.max_leverage
        if leverage < low or leverage > high or leverage != int(leverage):
            nearest = min(max(int(leverage), low), high)
            raise ValidationError(
                f"{self.symbol}: leverage {leverage} is outside [minLeverage={low}, "
                f"maxLeverage={high}] or not whole; nearest valid value: {nearest}",
                field="leverage",
                limit=f"minLeverage={low},maxLeverage={high}",
                nearest=nearest,
            )


_FIELD_KINDS: dict[str, str] = {
    "symbol": "str",
    "base_coin": "str",
    "quote_coin": "str",
    "settle_coin": "str",
    "contract_size": "dec",
    "price_unit": "dec",
    "vol_unit": "dec",
    "min_vol": "dec",
    "max_vol": "dec",
    "min_leverage": "int",
    "max_leverage": "int",
    "price_scale": "int",
    "vol_scale": "int",
    "taker_fee_rate": "dec",
    "maker_fee_rate": "dec",
    "maintenance_margin_rate": "dec",
    "initial_margin_rate": "dec",
    "state": "int",
    "api_allowed": "bool",
    "position_open_type": "int",
    "max_num_orders": "tuple",
}

_WIRE_NAMES: dict[str, str] = {
    name: name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
    for name in _FIELD_KINDS
}
