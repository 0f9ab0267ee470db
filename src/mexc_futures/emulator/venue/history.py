"""How long an account's history is kept (issue #14, the RSS plateau; reliability D7).

Every order an account ever placed stayed in ``Account.orders`` (and in the ground truth's
``orders_by_external``), every fill in ``fills``, every closed position and funding payment in
their lists: a market maker running for a day at a few orders a second grew the emulator without
bound. The venue itself serves history for a bounded span (``history_orders``: at most 90 days,
spec §5.4), so the emulator keeps, per account:

* finished orders (state 3, 4, 5) for ``HISTORY_TTL_MS`` (90 venue days) and at most
  ``ORDERS_KEEP`` of them, oldest forgotten first (active orders are never forgotten); a forgotten
  order leaves ``get``/``history_orders``/``truth.orders`` and frees its ``externalOid``;
* ``fills`` (deal rows), ``history_positions`` and ``funding_records``: the same TTL and at most
  ``FILLS_KEEP`` / ``POSITIONS_KEEP`` / ``FUNDING_KEEP``, oldest first;
* finished plan, stop and trailing orders (the tick walks these maps 100 times a second, so
  they also cost CPU): the same TTL and at most ``CONDITIONALS_KEEP`` of each; untriggered ones
  never go.

Pruning runs in batches (``SLACK`` over a cap, or once a venue minute for the TTL:
``Venue.advance``), so its cost is amortised. Sans-I/O: time comes in as ``now``.
"""

from __future__ import annotations

from typing import Any, Protocol

from mexc_futures.emulator.venue.accounts import Account


class Truth(Protocol):
    """What pruning needs of ``state.Truth`` (a protocol: ``state`` imports this module)."""

    orders_by_external: dict[str, list[Any]]


HISTORY_TTL_MS = 90 * 86_400_000
ORDERS_KEEP = 20_000
FILLS_KEEP = 50_000
POSITIONS_KEEP = 5_000
FUNDING_KEEP = 10_000
CONDITIONALS_KEEP = 2_000
SLACK = 1_000
PRUNE_EVERY_MS = 60_000


def over_cap(acct: Account) -> bool:
    """Whether a batch of pruning is due by count (cheap: called on every new order)."""
    return (
        len(acct.orders) - len(acct.live) > ORDERS_KEEP + SLACK
        or len(acct.fills) > FILLS_KEEP + SLACK
        or len(acct.history_positions) > POSITIONS_KEEP + SLACK
        or len(acct.funding_records) > FUNDING_KEEP + SLACK
        or max(len(acct.plans), len(acct.stops), len(acct.tracks)) > CONDITIONALS_KEEP + SLACK
    )


def _trim(rows: list[Any], keep: int, cutoff: int, time_of: Any) -> int:
    """Drop from the front of ``rows`` (oldest first) while over ``keep`` or older than
    ``cutoff``; returns how many went."""
    n = max(0, len(rows) - keep)
    while n < len(rows) and time_of(rows[n]) < cutoff:
        n += 1
    if n:
        del rows[:n]
    return n


# trailing-order states that are still alive (``track.NOT_ACTIVATED``, ``ACTIVATED``; ``track``
# imports the engine, which imports this module)
_TRACK_LIVE = (0, 1)


def _prune_map(items: dict[int, Any], keep: int, cutoff: int, live: Any) -> int:
    """Forget finished entries of an id-ordered map beyond ``keep`` or created before
    ``cutoff``, oldest first; live ones stay."""
    done = sum(1 for x in items.values() if not live(x))
    gone = 0
    for key, x in list(items.items()):
        if done <= keep and x.create_time >= cutoff:
            break
        if live(x):
            continue
        del items[key]
        done -= 1
        gone += 1
    return gone


def _forget_external(acct: Account, truth: Truth, oid: int, order: Any) -> None:
    key = (order.symbol, order.external_oid)
    if acct.by_external.get(key) == oid:
        del acct.by_external[key]
    same = truth.orders_by_external.get(order.external_oid)
    if same is not None:
        kept = [o for o in same if o is not order]
        if kept:
            truth.orders_by_external[order.external_oid] = kept
        else:
            del truth.orders_by_external[order.external_oid]


def prune(acct: Account, truth: Truth, now: int) -> int:
    """Forget what ``acct`` keeps beyond the caps and the TTL; returns how many records went."""
    cutoff = now - HISTORY_TTL_MS
    gone = 0
    finished = len(acct.orders) - len(acct.live)
    for oid, order in list(acct.orders.items()):
        if finished <= ORDERS_KEEP and order.create_time >= cutoff:
            break  # registration order = creation order: the rest are newer
        if order.active:
            continue
        del acct.orders[oid]
        finished -= 1
        gone += 1
        _forget_external(acct, truth, oid, order)
    gone += _trim(acct.fills, FILLS_KEEP, cutoff, lambda d: int(d.get("timestamp", 0)))
    gone += _trim(acct.history_positions, POSITIONS_KEEP, cutoff,
                  lambda p: int(p.update_time or p.create_time))  # appended when closed
    gone += _trim(acct.funding_records, FUNDING_KEEP, cutoff,
                  lambda r: int(r.get("settleTime", 0)))
    gone += _prune_map(acct.plans, CONDITIONALS_KEEP, cutoff, lambda p: p.state == 1)
    gone += _prune_map(acct.stops, CONDITIONALS_KEEP, cutoff, lambda st: not st.finished)
    gone += _prune_map(acct.tracks, CONDITIONALS_KEEP, cutoff, lambda t: t.state in _TRACK_LIVE)
    return gone


__all__ = [
    "CONDITIONALS_KEEP",
    "FILLS_KEEP",
    "FUNDING_KEEP",
    "HISTORY_TTL_MS",
    "ORDERS_KEEP",
    "POSITIONS_KEEP",
    "PRUNE_EVERY_MS",
    "SLACK",
    "over_cap",
    "prune",
]
