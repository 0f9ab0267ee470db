"""Open orders the journal does not know (reliability D2; ux-audit finding 2).

Every open order on the account is accounted for after a reconciliation pass; none is ignored:

* **an amend's replacement**: ``change_limit_order`` cancels the order and places a new one with a
  new ``orderId`` (and, on the emulator, an automatic ``_m_…`` externalOid). When the amend's
  answer is lost, ``expect_amend`` remembers what was asked; an untracked open order with the same
  symbol, side and price and the asked quantity (or the asked quantity less what the original had
  filled) is **adopted**: the tracked order takes the new id (``OrderTracker.amend``) and the
  venue's row, or — if the tracked order already ended — the replacement is tracked as its own
  order and journaled. Expected amends are forgotten after ``amend_memory`` seconds.
* **a journaled order the tracker dropped** (journaled final, e.g. ``invalid`` after a restart's
  lookups missed a create still in flight) is tracked again from its journal row (``_revive``).
* **anything else** (the web UI, another bot, another journal) is *foreign*: visible in
  ``foreign`` (newest row per order id) with one warning and one journal event per order, never
  counted as ours and never touched — unless ``ExecutionConfig.foreign_orders == "cancel"`` (an
  account dedicated to this process), which cancels it, with the same log line and event.

Decisions only; I/O is the caller's ``cancel`` callback. Time comes from the injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from mexc_futures.clock import Clock
from mexc_futures.execution.journal import Journal
from mexc_futures.model.events import OrderUpdate
from mexc_futures.model.orders import OrderTracker, TrackedOrder

log = logging.getLogger("mexc_futures.execution")

FOREIGN_POLICIES = ("watch", "cancel")


@dataclass(slots=True)
class ExpectedAmend:
    """An amend whose answer was lost: what its replacement looks like."""

    order: TrackedOrder
    original_id: str
    price: Decimal
    vols: frozenset[Decimal]
    asked_at: float


class Adopter:
    """See the module docstring."""

    def __init__(
        self,
        tracker: OrderTracker,
        *,
        clock: Clock,
        journal: Callable[[], Journal | None],
        apply_update: Callable[[OrderUpdate], None],
        cancel: Callable[[OrderUpdate], Awaitable[None]],
        policy: str = "watch",
        amend_memory: float = 120.0,
    ) -> None:
        if policy not in FOREIGN_POLICIES:
            raise ValueError(f"foreign_orders must be one of {FOREIGN_POLICIES}, not {policy!r}")
        self.tracker = tracker
        self.clock = clock
        self.policy = policy
        self.amend_memory = amend_memory
        #: Open orders on the account that are not ours, by venue id (newest row).
        self.foreign: dict[str, OrderUpdate] = {}
        self.adopted = 0
        #: externalOids of replacements tracked as orders of their own (owned like the original)
        self.owned: set[str] = set()
        self._expected: list[ExpectedAmend] = []
        self._journal = journal
        self._apply_update = apply_update
        self._cancel = cancel

    def expect_amend(
        self, order: TrackedOrder, original_id: str, price: Decimal, vol: Decimal
    ) -> None:
        """Remember an amend whose outcome is unknown (its replacement may appear later)."""
        vols = frozenset({vol, vol - order.filled})
        now = self.clock.monotonic()
        self._expected.append(ExpectedAmend(order, original_id, price, vols, now))

    def replacement_for(self, order: TrackedOrder, rows: list[OrderUpdate]) -> OrderUpdate | None:
        """The untracked open row that is ``order``'s expected replacement, newest first."""
        for exp in self._live_expectations():
            if exp.order is order:
                match = self._match(exp, rows)
                if match is not None:
                    return match
        return None

    def adopt_replacement(self, exp_order: TrackedOrder, row: OrderUpdate) -> None:
        """Make ``row`` (the amend's replacement) the tracked order's venue incarnation."""
        self._expected = [e for e in self._expected if e.order is not exp_order]
        self.foreign.pop(row.order_id, None)
        self.adopted += 1
        if exp_order.state.live:
            self.tracker.amend(exp_order, row.order_id, row.price, max(row.vol, exp_order.filled))
            self._apply_update(row)
            what = f"tracked order {exp_order.external_oid} now has venue id {row.order_id}"
        else:  # the original already ended: the replacement is an order of its own
            adopted = self.tracker.add(_tracked(row))
            journal = self._journal()
            if journal is not None:
                journal.record_adopted(adopted, f"amend of {exp_order.external_oid}", self._now())
            self._apply_update(row)
            what = f"tracked as {adopted.external_oid}"
            self.owned.add(adopted.external_oid)
        log.warning(
            "adopted open order %s on %s (the replacement of a lost amend of %s): %s",
            row.order_id,
            row.symbol,
            exp_order.external_oid,
            what,
        )
        self._event("order_adopted", exp_order.external_oid, f"{row.order_id}: {what}")

    async def sweep(self, untracked: list[OrderUpdate]) -> None:
        """Account for open rows no tracked order claims: adopt, then watch or cancel."""
        for row in untracked:
            if self._revive(row):
                continue
            exp = self._claiming(row)
            if exp is not None:
                self.adopt_replacement(exp.order, row)
                continue
            first = row.order_id not in self.foreign
            self.foreign[row.order_id] = row
            if self.policy == "cancel":
                log.warning(
                    "open order %s on %s (externalOid %r) is not in this journal: cancelling it "
                    "(foreign_orders='cancel')",
                    row.order_id,
                    row.symbol,
                    row.external_oid,
                )
                self._event("foreign_order_cancelled", None, _describe(row))
                await self._cancel(row)
            elif first:
                log.warning(
                    "open order %s on %s (externalOid %r) was not placed through this journal: "
                    "left alone, visible in foreign_orders",
                    row.order_id,
                    row.symbol,
                    row.external_oid,
                )
                self._event("foreign_order", None, _describe(row))
        seen = {r.order_id for r in untracked}
        for oid in [o for o in self.foreign if o not in seen]:
            del self.foreign[oid]  # no longer open

    def _revive(self, row: OrderUpdate) -> bool:
        """An open order whose externalOid *is* in the journal, as a final row: a create that
        reached the venue after a restart had concluded "never accepted". Track it again."""
        journal = self._journal()
        if journal is None or not row.external_oid:
            return False
        known = journal.get(row.external_oid)
        if known is None:
            return False
        self.tracker.add(known.tracked())
        self._apply_update(row)
        log.warning(
            "open order %s (%s) was journaled as %s: the venue has it, tracking it again",
            row.order_id,
            row.external_oid,
            known.state.value,
        )
        self._event("order_revived", row.external_oid, f"{row.order_id}: was {known.state.value}")
        return True

    # ------------------------------------------------------------------ helpers
    def _live_expectations(self) -> list[ExpectedAmend]:
        horizon = self.clock.monotonic() - self.amend_memory
        self._expected = [e for e in self._expected if e.asked_at >= horizon]
        return self._expected

    def _claiming(self, row: OrderUpdate) -> ExpectedAmend | None:
        for exp in self._live_expectations():
            if self._match(exp, [row]) is not None:
                return exp
        return None

    @staticmethod
    def _match(exp: ExpectedAmend, rows: list[OrderUpdate]) -> OrderUpdate | None:
        o = exp.order
        fits = [
            r
            for r in rows
            if r.symbol == o.symbol
            and r.side == o.side
            and r.price == exp.price
            and r.vol in exp.vols
            and r.order_id != exp.original_id
            and r.state in (1, 2)
        ]
        return max(fits, key=lambda r: (r.create_time, r.order_id)) if fits else None

    def _event(self, kind: str, oid: str | None, detail: str) -> None:
        journal = self._journal()
        if journal is not None:
            journal.event(kind, oid, detail, self._now())

    def _now(self) -> int:
        return self.clock.time_ms()


def _describe(row: OrderUpdate) -> str:
    return (
        f"{row.order_id} {row.symbol} side {row.side} {row.vol} @ {row.price} "
        f"externalOid {row.external_oid!r}"
    )


def _tracked(row: OrderUpdate) -> TrackedOrder:
    return TrackedOrder(
        external_oid=row.external_oid or f"adopted-{row.order_id}",
        symbol=row.symbol,
        side=row.side,
        kind=row.order_type,
        vol=row.vol,
        price=row.price,
        order_id=row.order_id,
    )


__all__ = ["FOREIGN_POLICIES", "Adopter", "ExpectedAmend"]
