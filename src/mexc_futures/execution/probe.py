"""Capability probe run at start (spec §3.4 clock, §4.1 contract rules, §5.1–§5.2 account).

``run_probe`` measures the server clock offset (``ping``), proves the key can read the account
(``assets``, a harmless read), reads the position mode, and for every configured symbol the
contract (``apiAllowed``, ``state``), the leverage per side and the fair price (the risk gate's
reference for market orders). It fills ``Capabilities``, the risk view, the contract specs and the
balances, and **raises** what the venue answered (``AuthError``, ``ApiError``,
``TransportError``): the manager turns that into a trading-off reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from mexc_futures.model.events import BalanceUpdate
from mexc_futures.model.instrument import ContractSpec
from mexc_futures.model.risk import ONE_WAY, RiskView
from mexc_futures.protocol.convert import balance_update, contract_spec
from mexc_futures.transport.rest import RestClient

log = logging.getLogger("mexc_futures.execution")


@dataclass(slots=True)
class Capabilities:
    """What the probe found at start."""

    clock_offset_ms: int = 0
    rtt_ms: float = 0.0
    can_read: bool = False
    position_mode: int = ONE_WAY
    contracts: dict[str, str] = field(default_factory=dict)  # symbol -> "ok" or why not
    leverage: dict[tuple[str, int], int] = field(default_factory=dict)


async def run_probe(
    rest: RestClient,
    symbols: tuple[str, ...],
    *,
    caps: Capabilities,
    view: RiskView,
    specs: dict[str, ContractSpec],
    balances: dict[str, BalanceUpdate],
    max_skew_ms: int,
) -> None:
    """Run the probe (see the module docstring); venue errors propagate."""
    caps.clock_offset_ms = await rest.sync_clock()
    caps.rtt_ms = rest.rtt_ms
    if abs(caps.clock_offset_ms) > max_skew_ms:
        log.warning("clock offset %d ms corrected from ping", caps.clock_offset_ms)
    for a in await rest.get_assets():
        balances[a.currency] = balance_update(a)
    caps.can_read = True
    caps.position_mode = await rest.get_position_mode()
    view.position_mode = caps.position_mode
    for symbol in symbols:
        await probe_symbol(rest, symbol, caps=caps, view=view, specs=specs)


async def probe_symbol(
    rest: RestClient,
    symbol: str,
    *,
    caps: Capabilities,
    view: RiskView,
    specs: dict[str, ContractSpec],
) -> None:
    """Contract rules, leverage per side and reference price of one symbol."""
    spec = contract_spec(await rest.get_contract(symbol))
    specs[symbol] = spec
    why = "ok"  # apiAllowed=false: tried once, the venue's answer decides (fidelity row 17)
    if spec.state != 0:
        why = f"contract state {spec.state} (not enabled)"
    caps.contracts[symbol] = why
    for row in await rest.get_leverage(symbol):
        view.leverage[(symbol, row.position_type)] = row.leverage
        caps.leverage[(symbol, row.position_type)] = row.leverage
    fair = await rest.get_fair_price(symbol)
    view.reference_price[symbol] = Decimal(str(fair.fair_price))


__all__ = ["Capabilities", "probe_symbol", "run_probe"]
