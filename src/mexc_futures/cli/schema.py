"""One ``--json`` schema style for every command (ux-audit finding 12; ``docs/cli-json.md``).

Rules, the same everywhere:

* names are ``snake_case`` English (``order_id``, ``entry_price``), never wire camelCase;
* enumerations are words, never wire integers: ``"side": "open long"``, ``"type": "post-only"``,
  ``"state": "open"``, ``"margin": "isolated"``, ``"position": "long"``;
* every price, volume, amount, rate and fee is a **decimal string** (``"84000.1"``, ``"0.0001"``):
  exact, no float artefacts, no scientific notation; counts and leverage are integers;
* times are integers in Unix **milliseconds** (``"time_ms"``), except kline bar times which are
  Unix seconds as the venue gives them (``"time_s"``);
* a value the venue did not give is ``null``.

The converters below take the library's typed rows (wire structs or domain events) and return
plain dicts; ``emit_json`` prints them. Pure functions.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mexc_futures.cli.activity import KINDS, SIDES, STATES
from mexc_futures.model.events import BalanceUpdate, Fill, OrderUpdate, PositionUpdate
from mexc_futures.model.instrument import ContractSpec

MARGIN = {1: "isolated", 2: "cross"}
POSITION = {1: "long", 2: "short"}
CONTRACT_STATE = {0: "enabled", 1: "delivery", 2: "delivered", 3: "offline", 4: "paused"}  # §4.1


def num(x: object) -> str | None:
    """A decimal string (``None`` stays ``None``): ``1.8e-05`` -> ``"0.000018"``."""
    if x is None:
        return None
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    text = format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")
    return "0" if text in ("-0", "0E-8") else text


def order(o: OrderUpdate) -> dict[str, Any]:
    """An order row."""
    return {
        "order_id": o.order_id,
        "external_oid": o.external_oid,
        "symbol": o.symbol,
        "side": SIDES.get(o.side, str(o.side)),
        "type": KINDS.get(o.order_type, str(o.order_type)),
        "state": STATES.get(o.state, str(o.state)),
        "price": num(o.price),
        "vol": num(o.vol),
        "filled": num(o.deal_vol),
        "avg_price": num(o.deal_avg_price) if o.deal_vol else None,
        "leverage": o.leverage or None,
        "margin": MARGIN.get(o.open_type),
        "created_ms": o.create_time or None,
        "updated_ms": o.update_time or None,
    }


def position(
    p: PositionUpdate, mark: float | None = None, contract_size: Decimal | None = None
) -> dict[str, Any]:
    """A position row; with ``mark`` and ``contract_size`` also notional and unrealised PnL."""
    sign = 1 if int(p.position_type) == 1 else -1
    upnl = notional = None
    if mark is not None and contract_size is not None:
        m = Decimal(str(mark))
        notional = m * p.hold_vol * contract_size
        upnl = sign * (m - p.hold_avg_price) * p.hold_vol * contract_size
    return {
        "position_id": p.position_id,
        "symbol": p.symbol,
        "position": POSITION.get(int(p.position_type), str(p.position_type)),
        "contracts": num(p.hold_vol),
        "entry_price": num(p.hold_avg_price),
        "mark_price": num(mark),
        "liquidation_price": num(p.liquidate_price),
        "notional": num(notional),
        "unrealised": num(upnl),
        "realised": num(p.realised),
        "margin": num(p.im),
        "margin_mode": MARGIN.get(p.open_type),
        "leverage": p.leverage,
    }


def balance(b: BalanceUpdate) -> dict[str, Any]:
    """A balance row."""
    return {
        "currency": b.currency,
        "available": num(b.available),
        "frozen": num(b.frozen),
        "position_margin": num(b.position_margin),
        "equity": num(b.equity),
        "unrealised": num(b.unrealized),
    }


def fill(f: Fill) -> dict[str, Any]:
    """A fill (trade of ours)."""
    return {
        "fill_id": f.fill_id,
        "order_id": f.order_id,
        "external_oid": f.external_oid or None,
        "symbol": f.symbol,
        "side": SIDES.get(f.side, str(f.side)),
        "vol": num(f.vol),
        "price": num(f.price),
        "fee": num(f.fee),
        "fee_currency": f.fee_currency,
        "realised": num(f.profit),
        "role": "taker" if f.is_taker else "maker",
        "time_ms": f.time,
    }


def contract(c: ContractSpec) -> dict[str, Any]:
    """A contract specification."""
    return {
        "symbol": c.symbol,
        "base": c.base_coin,
        "quote": c.quote_coin,
        "settle": c.settle_coin,
        "contract_size": num(c.contract_size),
        "tick": num(c.price_unit),
        "vol_step": num(c.vol_unit),
        "min_vol": num(c.min_vol),
        "max_vol": num(c.max_vol),
        "min_leverage": c.min_leverage,
        "max_leverage": c.max_leverage,
        "maker_fee": num(c.maker_fee_rate),
        "taker_fee": num(c.taker_fee_rate),
        "maintenance_margin_rate": num(c.maintenance_margin_rate),
        "api_allowed": c.api_allowed,
        "state": CONTRACT_STATE.get(c.state, str(c.state)),
    }


__all__ = [
    "MARGIN",
    "POSITION",
    "SIDES", "balance", "contract", "fill", "num", "order", "position"]
