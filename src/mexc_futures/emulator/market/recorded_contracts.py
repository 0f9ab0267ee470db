"""Contracts from a recording (issue #17): ``emulator --replay`` and ``backtest`` of a symbol the
emulator's built-in catalogue does not list take the contract as the recorder fetched it
(``contract/detail``, kept raw in the manifest) instead of inventing a synthetic one.

Mapped from the recorded ``ContractDetail`` (spec §4.1): symbol, base/quote coin, id, contract
size, price and volume units, min/max volume and leverage, fee rates, margin rates and the
risk-limit ladder, price-limit rates, price coefficient variation, liquidation fee, state,
``apiAllowed``, ``isHot``, ``indexOrigin``, ``maxNumOrders``. Not in a contract detail: the
funding cycle (8 h assumed; the recorded ``push.funding.rate`` frames still set each settlement
time and rate) and the start price (the recording's first price). The emulator trades integer
contracts: a recorded ``volUnit`` below 1 is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import msgspec

from mexc_futures.emulator.market.tape import Event, Levels, Print, Ref
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.protocol.rest_market import ContractDetail

FUNDING_CYCLE_H = 8  # not in a contract detail; MEXC's usual cycle


def first_price(events: Sequence[Event]) -> float | None:
    """The first print, fair price or mid of a recorded book, whichever comes first."""
    for e in events:
        if isinstance(e, Print):
            return e.price
        if isinstance(e, Ref) and e.fair:
            return e.fair
        if isinstance(e, Levels):
            bids = [p for p, v in e.bids if v > 0]
            asks = [p for p, v in e.asks if v > 0]
            if bids and asks:
                return (max(bids) + min(asks)) / 2
    return None


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(x)


def contract_from_detail(raw: bytes | str, start_price: float | None, index: int = 0) -> Contract:
    """A ``Contract`` with the recorded terms (see the module docstring)."""
    d = msgspec.json.decode(raw.encode() if isinstance(raw, str) else bytes(raw),
                            type=ContractDetail)
    if d.vol_unit != d.vol_unit.to_integral_value() or d.vol_unit < 1:
        raise ValueError(f"{d.symbol}: volUnit {d.vol_unit} — the emulator trades whole "
                         "contracts only")
    c = Contract(
        symbol=d.symbol, base=d.base_coin, quote=d.quote_coin,
        contract_id=d.id if d.id is not None else 100_000 + index,
        start_price=start_price or float(d.price_unit) * 10_000,
        contract_size=float(d.contract_size), price_unit=float(d.price_unit),
        max_leverage=d.max_leverage, max_vol=int(d.max_vol), collect_cycle=FUNDING_CYCLE_H,
        min_leverage=d.min_leverage, min_vol=int(d.min_vol), vol_unit=int(d.vol_unit),
        state=d.state, is_hot=d.is_hot, index_origin=list(d.index_origin),
    )
    optional: dict[str, Any] = {
        "taker_fee_rate": _f(d.taker_fee_rate), "maker_fee_rate": _f(d.maker_fee_rate),
        "maintenance_margin_rate": _f(d.maintenance_margin_rate),
        "initial_margin_rate": _f(d.initial_margin_rate),
        "price_coefficient_variation": _f(d.price_coefficient_variation),
        "bid_limit_price_rate": _f(d.bid_limit_price_rate),
        "ask_limit_price_rate": _f(d.ask_limit_price_rate),
        "liquidation_fee_rate": _f(d.liquidation_fee_rate),
        "risk_base_vol": None if d.risk_base_vol is None else int(d.risk_base_vol),
        "risk_incr_vol": None if d.risk_incr_vol is None else int(d.risk_incr_vol),
        "risk_incr_mmr": _f(d.risk_incr_mmr), "risk_incr_imr": _f(d.risk_incr_imr),
        "risk_level_limit": d.risk_level_limit, "api_allowed": d.api_allowed,
        "max_num_orders": tuple(d.max_num_orders[:2]) if len(d.max_num_orders) >= 2 else None,
    }
    for name, value in optional.items():
        if value is not None:
            setattr(c, name, value)
    return c


def recorded_contracts(details: Mapping[str, Any], symbols: Sequence[str],
                       tape_events: Mapping[str, Sequence[Event]],
                       known: Sequence[str]) -> dict[str, Contract]:
    """Contracts for the ``symbols`` not in ``known`` (the built-in catalogue), from the
    manifest's ``details``; ``ValueError`` naming a symbol the recording has no detail of."""
    out: dict[str, Contract] = {}
    for i, sym in enumerate(symbols):
        if sym in known:
            continue
        raw = details.get(sym)
        if raw is None:
            raise ValueError(f"{sym} is not in the emulator's catalogue and the recording holds "
                             "no contract detail for it (record it again with this version: "
                             "the recorder stores each symbol's contract/detail)")
        out[sym] = contract_from_detail(raw, first_price(tape_events.get(sym, ())), i)
    return out


__all__ = ["contract_from_detail", "first_price", "recorded_contracts"]
