"""Reconciliation: the local account view against the venue's (reliability I2).

``Snapshot`` is the comparable essence of an account — open order ids, net positions per
``(symbol, side)`` and fill ids. ``local_snapshot`` builds it from the strategy's
``AccountState`` (its own open orders and the foreign ones it sees, like the venue's
list); ``venue_snapshot`` from the venue's REST answers (the emulator's or the
exchange's). ``compare`` returns a :class:`Reconciliation` whose ``line`` is the one-line proof
printed by the demo.

With the emulator in the same process, the REST answers are checked once more against what the
venue really did: ``truth_snapshot`` reads the account straight from ``Emulator.venue`` (open
orders, positions, fills) and ``oid_problems`` checks reliability I1 with ``venue.truth`` — every
journaled ``externalOid`` names at most one venue order, and exactly one (with our order id) when
the client holds a venue order id for it. ``compare(local, truth, label="emulator truth",
extra=oid_problems(...))`` gives the second proof line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from mexc_futures.strategy.account import AccountState
from mexc_futures.transport.rest import RestClient, rows

if TYPE_CHECKING:
    from mexc_futures.emulator.venue.venue import Venue
    from mexc_futures.execution.journal import JournalOrder


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
    label: str = "venue"
    title: str = "Reconciliation"
    detail: str = ""

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
            + (f", {self.detail}" if self.detail else "")
        )
        if self.ok:
            return f"{self.title}: MATCH — local view equals the {self.label} ({counts})"
        return f"{self.title}: MISMATCH ({counts}): " + "; ".join(self.problems)


def _fmt(pos: dict[tuple[str, int], Decimal]) -> str:
    if not pos:
        return "flat"
    return ",".join(f"{s}:{'L' if t == 1 else 'S'}{v}" for (s, t), v in sorted(pos.items()))


def local_snapshot(
    account: AccountState, symbols: Iterable[str], since_ms: int | None = None
) -> Snapshot:
    """The client's view (fills since ``since_ms`` when given, like the venue's side: a fill of
    an order placed before the run may reach the account during it)."""
    syms = set(symbols)
    older = (
        frozenset()
        if since_ms is None
        else frozenset(f.fill_id for f in account.recent_fills() if f.time < since_ms)
    )
    mine_and_others = [*account.open_orders(), *account.foreign_orders()]
    return Snapshot(
        open_orders=frozenset(o.order_id for o in mine_and_others if o.symbol in syms),
        positions={
            (p.symbol, int(p.position_type)): p.hold_vol
            for p in account.positions()
            if p.symbol in syms and p.hold_vol
        },
        fills=frozenset(f for f in account.fill_ids if f not in older),
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


def truth_snapshot(venue: Venue, api_key: str, symbols: Iterable[str], since_ms: int) -> Snapshot:
    """The account of ``api_key`` as the in-process venue holds it (fills since ``since_ms``)."""
    syms = set(symbols)
    acct = venue.account(api_key)
    return Snapshot(
        open_orders=frozenset(str(o.order_id) for o in acct.open_orders() if o.symbol in syms),
        positions={
            (p.symbol, p.position_type): Decimal(p.hold_vol)
            for p in acct.positions.values()
            if p.symbol in syms and p.hold_vol
        },
        fills=frozenset(
            str(f["id"])
            for f in acct.fills
            if f.get("symbol") in syms and int(f.get("timestamp", 0)) >= since_ms
        ),
    )


def oid_problems(venue: Venue, journaled: Iterable[JournalOrder]) -> tuple[int, list[str]]:
    """Reliability I1 against ``venue.truth``: (orders checked, problems found)."""
    problems: list[str] = []
    n = 0
    for row in journaled:
        n += 1
        found = venue.truth.orders(externalOid=row.external_oid)
        if len(found) > 1:
            problems.append(f"externalOid {row.external_oid} names {len(found)} venue orders")
        elif row.order_id is not None and not found:
            problems.append(f"externalOid {row.external_oid} (order {row.order_id}) is unknown")
        elif row.order_id is not None and str(found[0]["orderId"]) != row.order_id:
            problems.append(
                f"externalOid {row.external_oid}: venue order {found[0]['orderId']}, "
                f"journal says {row.order_id}"
            )
    return n, problems


def compare(
    local: Snapshot,
    venue: Snapshot,
    *,
    label: str = "venue",
    title: str = "Reconciliation",
    extra: Iterable[str] = (),
    detail: str = "",
) -> Reconciliation:
    """Name every difference between the two views (plus ``extra`` problems found elsewhere)."""
    problems: list[str] = []
    if local.open_orders != venue.open_orders:
        only_l = sorted(local.open_orders - venue.open_orders)
        only_v = sorted(venue.open_orders - local.open_orders)
        problems.append(f"open orders differ (local only {only_l}, {label} only {only_v})")
    if local.positions != venue.positions:
        problems.append(f"positions differ ({_fmt(local.positions)} vs {_fmt(venue.positions)})")
    if local.fills != venue.fills:
        problems.append(
            f"fills differ ({len(local.fills - venue.fills)} local only, "
            f"{len(venue.fills - local.fills)} {label} only)"
        )
    problems.extend(extra)
    return Reconciliation(local, venue, tuple(problems), label, title, detail)


__all__ = [
    "Reconciliation",
    "Snapshot",
    "compare",
    "local_snapshot",
    "oid_problems",
    "truth_snapshot",
    "venue_snapshot",
]
