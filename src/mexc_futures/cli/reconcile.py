"""Reconciliation: the local account view against the venue's (reliability I2).

``Snapshot`` is the comparable essence of an account — open order ids, net positions per
``(symbol, side)`` and fill ids. ``local_snapshot`` builds it from the strategy's
``AccountState``; ``venue_snapshot`` from the venue's REST answers (the emulator's ground truth in
the demo, the exchange when live). ``compare`` returns a :class:`Reconciliation` whose ``line``
is the one-line proof printed by the demo.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from mexc_futures.strategy.account import AccountState
from mexc_futures.transport.rest import RestClient, rows


@dataclass(frozen=True)
class Snapshot:
    """Comparable account state."""

    open_orders: frozenset[str]
    positions: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    fills: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reconciliation:
    """Local vs venue, with the differences named."""

    local: Snapshot
    venue: Snapshot
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Whether the two views are equal."""
        return not self.problems

    @property
    def line(self) -> str:
        """``Reconciliation: MATCH (...)`` or ``Reconciliation: MISMATCH (...)``."""
        counts = (
            f"open orders {len(self.local.open_orders)}={len(self.venue.open_orders)}, "
            f"positions {_fmt(self.local.positions)}={_fmt(self.venue.positions)}, "
            f"fills {len(self.local.fills)}={len(self.venue.fills)}"
        )
        if self.ok:
            return f"Reconciliation: MATCH — local view equals the venue ({counts})"
        return f"Reconciliation: MISMATCH ({counts}): " + "; ".join(self.problems)


def _fmt(pos: dict[tuple[str, int], Decimal]) -> str:
    if not pos:
        return "flat"
    return ",".join(f"{s}:{'L' if t == 1 else 'S'}{v}" for (s, t), v in sorted(pos.items()))


def local_snapshot(account: AccountState, symbols: Iterable[str]) -> Snapshot:
    """The client's view."""
    syms = set(symbols)
    return Snapshot(
        open_orders=frozenset(o.order_id for o in account.open_orders() if o.symbol in syms),
        positions={
            (p.symbol, int(p.position_type)): p.hold_vol
            for p in account.positions()
            if p.symbol in syms and p.hold_vol
        },
        fills=frozenset(f for f in account.fill_ids),
    )


async def venue_snapshot(rest: RestClient, symbols: Iterable[str], since_ms: int) -> Snapshot:
    """The venue's view through its REST API (fills since ``since_ms``)."""
    syms = set(symbols)
    orders = [o for o in await rest.get_open_orders() if o.symbol in syms]
    positions = {
        (p.symbol, p.position_type): p.hold_vol
        for p in await rest.get_positions()
        if p.symbol in syms and p.hold_vol
    }
    fills: set[str] = set()
    for sym in syms:
        for page in range(1, 1000):
            params = {"symbol": sym, "start_time": since_ms, "page_num": page, "page_size": 100}
            deals = rows(await rest.call("order_deals", params=params))
            fills.update(str(d.id) for d in deals)
            if len(deals) < 100:
                break
    return Snapshot(frozenset(str(o.order_id) for o in orders), positions, frozenset(fills))


def compare(local: Snapshot, venue: Snapshot) -> Reconciliation:
    """Name every difference between the two views."""
    problems: list[str] = []
    if local.open_orders != venue.open_orders:
        only_l = sorted(local.open_orders - venue.open_orders)
        only_v = sorted(venue.open_orders - local.open_orders)
        problems.append(f"open orders differ (local only {only_l}, venue only {only_v})")
    if local.positions != venue.positions:
        problems.append(f"positions differ ({_fmt(local.positions)} vs {_fmt(venue.positions)})")
    if local.fills != venue.fills:
        problems.append(
            f"fills differ ({len(local.fills - venue.fills)} local only, "
            f"{len(venue.fills - local.fills)} venue only)"
        )
    return Reconciliation(local, venue, tuple(problems))


__all__ = ["Reconciliation", "Snapshot", "compare", "local_snapshot", "venue_snapshot"]
