"""Contract catalogue of the emulator (spec §4.1).

A hand-written list of realistic USDT-margined perpetuals (BTC, ETH, SOL and dozens more) with
plausible ``contract/detail`` fields, plus a deterministic generator that pads the list to any size
(``n_contracts``, e.g. ≥ 800 for scale tests). Pure data: no I/O, no clock, no randomness beyond the
values derived from the catalogue index.

Volumes are integer contracts in the emulator (``volUnit`` 1, ``volScale`` 0 for every contract);
prices are multiples of ``priceUnit`` and are handled internally as integer ticks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

# base, start price, contractSize, priceUnit, maxLeverage, maxVol, collectCycle (h)
_CATALOGUE: tuple[tuple[str, float, float, float, int, int, int], ...] = (
    ("BTC", 84000.0, 0.0001, 0.1, 500, 400000, 8),
    ("ETH", 2400.0, 0.01, 0.01, 300, 1000000, 8),
    ("SOL", 150.0, 0.1, 0.01, 200, 600000, 8),
    ("XRP", 0.55, 1.0, 0.0001, 200, 2000000, 8),
    ("DOGE", 0.08, 100.0, 0.00001, 200, 800000, 8),
    ("BNB", 590.0, 0.01, 0.01, 200, 500000, 8),
    ("ADA", 0.45, 10.0, 0.0001, 125, 1000000, 8),
    ("AVAX", 28.0, 0.1, 0.001, 125, 500000, 8),
    ("LINK", 14.0, 0.1, 0.001, 125, 500000, 8),
    ("DOT", 6.5, 1.0, 0.001, 125, 500000, 8),
    ("LTC", 80.0, 0.01, 0.01, 125, 500000, 8),
    ("BCH", 350.0, 0.01, 0.01, 125, 300000, 8),
    ("TRX", 0.12, 100.0, 0.00001, 100, 800000, 8),
    ("TON", 5.4, 1.0, 0.001, 100, 500000, 8),
    ("SHIB", 0.000018, 1000000.0, 0.00000001, 100, 900000, 8),
    ("UNI", 7.2, 1.0, 0.001, 100, 400000, 8),
    ("ATOM", 8.1, 1.0, 0.001, 100, 400000, 8),
    ("NEAR", 5.0, 1.0, 0.001, 100, 400000, 8),
    ("APT", 9.0, 1.0, 0.001, 100, 400000, 4),
    ("ARB", 0.75, 10.0, 0.0001, 100, 800000, 8),
    ("OP", 1.8, 1.0, 0.0001, 100, 800000, 8),
    ("SUI", 1.2, 1.0, 0.0001, 100, 800000, 4),
    ("PEPE", 0.0000095, 10000000.0, 0.0000000001, 100, 900000, 8),
    ("FIL", 4.5, 1.0, 0.001, 75, 400000, 8),
    ("ETC", 22.0, 0.1, 0.001, 75, 400000, 8),
    ("XLM", 0.1, 10.0, 0.00001, 75, 800000, 8),
    ("ICP", 9.5, 0.1, 0.001, 75, 300000, 8),
    ("INJ", 22.0, 0.1, 0.001, 75, 300000, 4),
    ("AAVE", 150.0, 0.01, 0.01, 75, 300000, 8),
    ("MKR", 1500.0, 0.001, 0.1, 50, 200000, 8),
    ("SEI", 0.4, 10.0, 0.0001, 50, 800000, 4),
    ("TIA", 7.0, 1.0, 0.001, 50, 300000, 4),
    ("WIF", 2.1, 1.0, 0.0001, 50, 800000, 4),
    ("JUP", 0.9, 10.0, 0.0001, 50, 800000, 4),
    ("RUNE", 4.2, 1.0, 0.001, 50, 300000, 8),
    ("ENA", 0.35, 10.0, 0.0001, 50, 800000, 4),
    ("LDO", 1.6, 1.0, 0.0001, 50, 500000, 8),
    ("CRV", 0.3, 10.0, 0.0001, 50, 800000, 8),
    ("SAND", 0.3, 10.0, 0.0001, 50, 800000, 8),
    ("MANA", 0.3, 10.0, 0.0001, 50, 800000, 8),
    ("GALA", 0.02, 100.0, 0.00001, 50, 800000, 8),
    ("APE", 0.7, 1.0, 0.0001, 50, 500000, 8),
    ("FTM", 0.6, 10.0, 0.0001, 50, 800000, 8),
    ("ALGO", 0.15, 10.0, 0.0001, 50, 800000, 8),
    ("HBAR", 0.07, 100.0, 0.00001, 50, 800000, 8),
    ("VET", 0.025, 100.0, 0.000001, 50, 800000, 8),
    ("EOS", 0.55, 1.0, 0.0001, 50, 500000, 8),
    ("XTZ", 0.7, 1.0, 0.0001, 50, 500000, 8),
    ("SUSHI", 0.7, 1.0, 0.0001, 50, 500000, 8),
    ("ORDI", 35.0, 0.1, 0.001, 50, 300000, 4),
    ("WLD", 2.2, 1.0, 0.0001, 50, 500000, 4),
    ("RIF", 0.08, 10.0, 0.00001, 20, 300000, 8),
    ("MX", 3.0, 1.0, 0.0001, 20, 300000, 24),
)

MAX_TICKS = 2**53  # beyond this a price is not on any float tick grid (and is absurd anyway)
_INDEX_ORIGINS = ("BINANCE", "OKX", "BYBIT", "MEXC", "KUCOIN", "GATEIO", "HTX", "BITGET")


@lru_cache(maxsize=4096)
def _decimals_cached(unit: float) -> int:
    return _decimals(unit)


def _decimals(unit: float) -> int:
    """Number of decimal places of a tick such as 0.001 (→ 3) or 0.5 (→ 1)."""
    text = f"{unit:.12f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


@dataclass(frozen=True, slots=True)
class RiskTier:
    """One level of a contract's risk-limit ladder (a ``risk_limit`` row, §5.1)."""

    level: int
    max_vol: int
    mmr: float
    imr: float
    max_leverage: int


@dataclass
class Contract:
    """One perpetual contract: the emulator's source of truth for ``contract/detail`` (§4.1)."""

    symbol: str
    base: str
    quote: str
    contract_id: int
    start_price: float
    contract_size: float
    price_unit: float
    max_leverage: int
    max_vol: int
    collect_cycle: int
    min_leverage: int = 1
    min_vol: int = 1
    vol_unit: int = 1
    taker_fee_rate: float = 0.0004
    maker_fee_rate: float = 0.0001
    maintenance_margin_rate: float = 0.004
    initial_margin_rate: float = 0.008
    price_coefficient_variation: float = 0.01
    max_funding_rate: float = 0.003
    min_funding_rate: float = -0.003
    bid_limit_price_rate: float = 0.1
    ask_limit_price_rate: float = 0.1
    api_allowed: bool = True
    state: int = 0
    max_num_orders: tuple[int, int] = (200, 50)
    is_hot: bool = False
    index_origin: list[str] = field(default_factory=list)
    risk_base_vol: int = 0
    """Level-1 position limit in contracts; 0 means ``max_vol`` (a one-level ladder)."""
    risk_incr_vol: int = 0
    risk_incr_mmr: float = 0.0
    risk_incr_imr: float = 0.0
    risk_level_limit: int = 1
    liquidation_fee_rate: float = 0.0004
    position_open_type: int = 3
    """``positionOpenType`` (§4.1; fidelity row 10: what it allows depends on the reading,
    ``VenueRules.position_open_type``); every catalogue contract 3, ``VenueConfig.
    position_open_types`` sets others (e.g. ``{"SILVER_USDT": 1}`` as in the recording)."""
    _tiers: tuple[tuple[Any, ...], list[RiskTier]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def risk_tiers(self) -> list[RiskTier]:
        """The risk-limit ladder of §4.1 (``riskBaseVol``, ``riskIncrVol``, ``riskIncrMmr``,
        ``riskIncrImr``, ``riskLevelLimit``).

        Level ``n`` (1-based) allows a position of ``riskBaseVol + (n−1)·riskIncrVol`` contracts
        with ``mmr = maintenanceMarginRate + (n−1)·riskIncrMmr``, ``imr = initialMarginRate +
        (n−1)·riskIncrImr`` and ``maxLeverage = min(maxLeverage, ⌊1/imr⌋)``.
        """
        key = (
            self.risk_base_vol or self.max_vol,
            self.risk_incr_vol,
            self.risk_incr_mmr,
            self.risk_incr_imr,
            self.risk_level_limit,
            self.maintenance_margin_rate,
            self.initial_margin_rate,
            self.max_leverage,
        )
        if self._tiers is not None and self._tiers[0] == key:
            return self._tiers[1]
        base = key[0]
        out = []
        for i in range(max(1, self.risk_level_limit)):
            imr = round(self.initial_margin_rate + i * self.risk_incr_imr, 6)
            out.append(
                RiskTier(
                    level=i + 1,
                    max_vol=base + i * self.risk_incr_vol,
                    mmr=round(self.maintenance_margin_rate + i * self.risk_incr_mmr, 6),
                    imr=imr,
                    max_leverage=min(self.max_leverage, int(1 / imr + 1e-9)) if imr else 0,
                )
            )
        self._tiers = (key, out)
        return out

    def risk_tier(self, vol: int) -> RiskTier | None:
        """The lowest level whose ``maxVol`` holds a position of ``vol``; ``None`` above the top."""
        for tier in self.risk_tiers():
            if vol <= tier.max_vol:
                return tier
        return None

    @cached_property
    def price_scale(self) -> int:
        """Decimal places of prices (``priceScale``; cached: the price grid never changes)."""
        return _decimals_cached(self.price_unit)

    def ticks(self, price: float) -> int:
        """Price → integer ticks (nearest)."""
        return round(price / self.price_unit)

    def is_tick_multiple(self, price: float) -> bool:
        """True when ``price`` lies on the ``priceUnit`` grid (within float noise)."""
        t = price / self.price_unit
        if not math.isfinite(t) or abs(t) > MAX_TICKS:  # 1e308 / 0.1 overflows (D11)
            return False
        return abs(t - round(t)) < 1e-6

    def price(self, ticks: int) -> float:
        """Integer ticks → JSON price rounded to ``priceScale``."""
        p = round(ticks * self.price_unit, self.price_scale)
        return int(p) if self.price_scale == 0 else p

    def detail(self) -> dict[str, Any]:
        """The ``contract/detail`` object, core v1 fields plus the common v2 ones (§4.1)."""
        scale = self.price_scale
        step = [f"{self.price_unit * m:.{scale}f}" for m in (1, 10, 100, 1000)]
        return {
            "symbol": self.symbol,
            "displayName": f"{self.symbol}永续",
            "displayNameEn": f"{self.symbol} PERPETUAL",
            "positionOpenType": self.position_open_type,
            "baseCoin": self.base,
            "quoteCoin": self.quote,
            "baseCoinName": self.base,
            "quoteCoinName": self.quote,
            "futureType": 1,
            "settleCoin": self.quote,
            "contractSize": self.contract_size,
            "minLeverage": self.min_leverage,
            "maxLeverage": self.max_leverage,
            "countryConfigContractMaxLeverage": 0,
            "priceScale": scale,
            "volScale": 0,
            "amountScale": 4,
            "priceUnit": self.price_unit,
            "volUnit": self.vol_unit,
            "minVol": self.min_vol,
            "maxVol": self.max_vol,
            "bidLimitPriceRate": self.bid_limit_price_rate,
            "askLimitPriceRate": self.ask_limit_price_rate,
            "takerFeeRate": self.taker_fee_rate,
            "makerFeeRate": self.maker_fee_rate,
            "maintenanceMarginRate": self.maintenance_margin_rate,
            "initialMarginRate": self.initial_margin_rate,
            "riskBaseVol": self.risk_base_vol or self.max_vol,
            "riskIncrVol": self.risk_incr_vol,
            "riskLongShortSwitch": 0,
            "riskIncrMmr": self.risk_incr_mmr,
            "riskIncrImr": self.risk_incr_imr,
            "riskLevelLimit": self.risk_level_limit,
            "priceCoefficientVariation": self.price_coefficient_variation,
            "indexOrigin": list(self.index_origin),
            "state": self.state,
            "isNew": False,
            "isHot": self.is_hot,
            "isHidden": False,
            "conceptPlate": ["mc-trade-zone-pow"] if self.base == "BTC" else [],
            "conceptPlateId": [12] if self.base == "BTC" else [],
            "riskLimitType": "BY_VOLUME",
            "maxNumOrders": list(self.max_num_orders),
            "marketOrderMaxLevel": 20,
            "marketOrderPriceLimitRate1": 0.2,
            "marketOrderPriceLimitRate2": 0.005,
            "triggerProtect": 0.1,
            "appraisal": 0,
            "showAppraisalCountdown": 0,
            "automaticDelivery": 0,
            "apiAllowed": self.api_allowed,
            "depthStepList": step,
            "limitMaxVol": self.max_vol,
            "threshold": 0,
            "id": self.contract_id,
            "createTime": 1591242684000 + self.contract_id * 86_400_000,
            "openingTime": 0,
            "openingCountdownOption": 1,
            "showBeforeOpen": True,
            "isMaxLeverage": False,
            "isZeroFeeRate": False,
            "riskLimitMode": "INCREASE",
            "isZeroFeeSymbol": False,
            "liquidationFeeRate": self.liquidation_fee_rate,
            "feeRateMode": "NORMAL",
            "leverageFeeRates": [],
            "tieredFeeRates": [],
            "type": 1,
            "stopOnlyFair": False,
        }


def _make(index: int, row: tuple[str, float, float, float, int, int, int]) -> Contract:
    base, price, size, unit, lev, max_vol, cycle = row
    mmr = round(0.5 / lev, 6) if lev < 500 else 0.001
    return Contract(
        symbol=f"{base}_USDT",
        base=base,
        quote="USDT",
        contract_id=10 + index,
        start_price=price,
        contract_size=size,
        price_unit=unit,
        max_leverage=lev,
        max_vol=max_vol,
        collect_cycle=cycle,
        maintenance_margin_rate=mmr,
        initial_margin_rate=round(mmr * 2, 6),
        risk_base_vol=max_vol // 2,
        risk_incr_vol=max_vol // 2,
        risk_incr_mmr=mmr,
        risk_incr_imr=round(mmr * 2, 6),
        risk_level_limit=5,
        price_coefficient_variation=0.004 if base in ("BTC", "ETH") else 0.02,
        is_hot=index < 6,
        index_origin=list(_INDEX_ORIGINS[index % 3 : index % 3 + 5]),
    )


def _synthetic(index: int) -> Contract:
    """Deterministic filler contract ``SYN<index>_USDT`` for scale tests."""
    mag = (index * 7919) % 9
    price = round((1 + (index * 37) % 97 / 10.0) * 10 ** (mag - 4), 10)
    unit = 10.0 ** (mag - 7)  # a tick of 0.01-0.1 %: small caps quote few digits
    unit = round(unit, 10)
    size = 10.0 ** max(0, 3 - mag)
    return _make(
        len(_CATALOGUE) + index,
        (f"SYN{index:04d}", price, size, unit, 50, 500000, (1, 2, 4, 8, 24)[index % 5]),
    )


def set_position_open_types(contracts: dict[str, Contract], values: dict[str, int]) -> None:
    """Set ``positionOpenType`` per symbol (fidelity row 10); an unlisted symbol is an error."""
    for sym, value in values.items():
        if sym.upper() not in contracts:
            raise ValueError(f"position_open_types: {sym} is not a listed contract")
        contracts[sym.upper()].position_open_type = int(value)


def build_contracts(
    n_contracts: int | None = None,
    symbols: Sequence[str] | None = None,
    api_disallowed: Iterable[str] = (),
) -> dict[str, Contract]:
    """Return the catalogue as ``{symbol: Contract}``.

    ``symbols`` restricts the list to those names (in catalogue order; names not in the catalogue
    are generated as synthetic contracts). ``n_contracts`` pads the list with synthetic
    ``SYN####_USDT`` contracts (or truncates it) to exactly that many. ``api_disallowed`` names
    contracts whose ``apiAllowed`` is false (order placement answers 1002).
    """
    contracts = [_make(i, row) for i, row in enumerate(_CATALOGUE)]
    if symbols is not None:
        wanted = [s.upper() for s in symbols]
        by_name = {c.symbol: c for c in contracts}
        chosen: list[Contract] = []
        for i, name in enumerate(wanted):
            if name in by_name:
                chosen.append(by_name[name])
            else:
                extra = _synthetic(1000 + i)
                extra.symbol = name
                extra.base = name.split("_")[0]
                chosen.append(extra)
        contracts = chosen
    if n_contracts is not None:
        i = 0
        while len(contracts) < n_contracts:
            contracts.append(_synthetic(i))
            i += 1
        contracts = contracts[:n_contracts]
    blocked = {s.upper() for s in api_disallowed}
    for c in contracts:
        if c.symbol in blocked:
            c.api_allowed = False
    return {c.symbol: c for c in contracts}


CATALOGUE_SIZE = len(_CATALOGUE)
"""Number of hand-written contracts (≥ 40)."""
