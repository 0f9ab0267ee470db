"""The venue's state and the private-push queue: the bottom layer of the trading engine.

The engine is cut into layers, each a class adding one concern on top of the one below:

* ``state.EngineState`` (this module) — books, markets, accounts, id counters, ground truth and
  the publication queue; nothing here changes a balance.
* ``margin.MarginEngine`` — what money is worth: unrealised PnL, available balance, risk tiers,
  liquidation prices, and the ``personal.position`` / ``personal.asset`` pushes that show them.
* ``fills.FillEngine`` — applying a trade: fees, realised PnL, position opening and closing,
  attached TP/SL stops, and the §7.8 push sequence of a fill.
* ``engine.Engine`` — the order lifecycle: placement (validated by ``placement.py``), resting,
  cancelling and final states.

The cut follows what changes together: a new push shape touches one layer, a new order rule
another, and the fill arithmetic can be read (and tested for exactness) without the validation.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import mexc_futures.emulator.venue.history as history
from mexc_futures.emulator.market.market import SymbolMarket
from mexc_futures.emulator.venue.accounts import Account
from mexc_futures.emulator.venue.codes import fail
from mexc_futures.emulator.venue.contracts import Contract
from mexc_futures.emulator.venue.matching import OrderBook
from mexc_futures.emulator.venue.orders import Order
from mexc_futures.emulator.venue.packed import DealLog
from mexc_futures.emulator.venue.rules import VenueRules

TRUTH_DEALS_KEEP = 200_000  # per symbol at most ...
TRUTH_DEALS_BUDGET = 30_000  # ... and about this many over all symbols (reliability D7)
TRUTH_DEALS_MIN = 200  # per symbol at least


@dataclass(frozen=True, slots=True)
class Publication:
    """Something to push: ``topic`` (docs/seams.md), ``symbol`` (or ``None``), JSON-ready ``data``.

    ``account`` is the API key for private topics; ``ts`` is the venue time in ms.
    """

    topic: str
    symbol: str | None
    data: Any
    account: str | None = None
    ts: int = 0


@dataclass
class Truth:
    """Ground truth for tests (reliability.md I1, I3, I4)."""

    orders_by_external: dict[str, list[Order]] = field(default_factory=dict)
    deals: dict[str, DealLog] = field(default_factory=dict)
    """Public deals per symbol, oldest first (the newest ``TRUTH_DEALS_KEEP``), packed."""
    first_published: dict[str, int] = field(default_factory=dict)
    last_published: dict[str, int] = field(default_factory=dict)
    deal_counts: dict[str, int] = field(default_factory=dict)
    """Public deals ever printed per symbol (the log itself is bounded)."""
    symbols: int = 1
    """How many symbols share ``TRUTH_DEALS_BUDGET``."""

    def order_count(self, external_oid: str) -> int:
        """How many orders the venue accepted with this ``externalOid`` (I1: must be ≤ 1)."""
        return len(self.orders_by_external.get(external_oid, []))

    def published_versions(self, symbol: str) -> range:
        """The contiguous depth versions handed to the publisher for ``symbol``."""
        first = self.first_published.get(symbol)
        if first is None:
            return range(0)
        return range(first, self.last_published[symbol] + 1)

    def deals_of(self, symbol: str) -> DealLog:
        """The (bounded) public deal log of ``symbol``, created on first use."""
        d = self.deals.get(symbol)
        if d is None:
            keep = max(TRUTH_DEALS_MIN, min(TRUTH_DEALS_KEEP, TRUTH_DEALS_BUDGET // self.symbols))
            d = self.deals[symbol] = DealLog(keep)
        return d

    def add_deal(self, symbol: str, deal: dict[str, Any]) -> None:
        """Log one public deal of ``symbol``."""
        self.deals_of(symbol).append(deal)
        self.deal_counts[symbol] = self.deal_counts.get(symbol, 0) + 1


class Ids:
    """Deterministic id sequences shaped like live ids: ``next(engine.ids.order)``."""

    def __init__(self, seed: int) -> None:
        self.order = count(739_000_000_000_000_001 + (seed % 1000) * 10**12)
        self.position = count(1_100_000_001)
        self.plan = count(860_000_000_000_000_001)
        self.stop = count(569_000_001)
        self.fill = count(13_900_000_001)
        self.plan_trigger = count(1)
        self.track = count(990_000_000_000_000_001)


class EngineState:
    """Books, markets and accounts of one venue, id counters and the private-push queue."""

    def __init__(
        self,
        contracts: dict[str, Contract],
        seed: int,
        now_ms: int,
        reject_duplicate_oid: bool = True,
    ) -> None:
        self.contracts = contracts
        self.books: dict[str, OrderBook] = {}
        self.markets: dict[str, SymbolMarket] = {}
        self.accounts: dict[str, Account] = {}
        self.pubs: list[Publication] = []
        self.truth = Truth(symbols=max(len(contracts), 1))
        self.now_ms = now_ms
        self.reject_duplicate_oid = reject_duplicate_oid
        self.rules = VenueRules()
        self.rest_lag: dict[str, int] = {}
        self._seed = seed
        self.ids = Ids(seed)
        self._oid_seq = 0

    def contract(self, symbol: str | None) -> Contract:
        """Contract by (case-insensitive) symbol, else 1001 (§12.3)."""
        c = self.contracts.get(symbol.upper()) if isinstance(symbol, str) else None
        if c is None:
            raise fail(1001)
        return c

    def mark(self, symbol: str) -> float:
        """Fair price of ``symbol``."""
        return self.markets[symbol].fair_price

    def auto_oid(self) -> str:
        """A fresh ``externalOid`` ``_m_<32 hex>`` (spec §5.5, §12.4): the hex of a version-4 UUID,
        as live (``_m_a6e614e4107e4d13893f9f4a3f46d2d8``), derived from (seed, sequence) with
        BLAKE2b so that a seed still replays the same ids."""
        self._oid_seq += 1
        digest = hashlib.blake2b(f"{self._seed}:{self._oid_seq}".encode(), digest_size=16)
        return "_m_" + uuid.UUID(bytes=digest.digest(), version=4).hex

    def register(self, acct: Account, order: Order) -> None:
        """Record a new order in its account and in the ground truth."""
        acct.orders[order.order_id] = order
        acct.sync(order)
        acct.by_external[(order.symbol, order.external_oid)] = order.order_id
        self.truth.orders_by_external.setdefault(order.external_oid, []).append(order)
        if history.over_cap(acct):  # bounded history (issue #14): batches of SLACK
            history.prune(acct, self.truth, self.now_ms)

    def push(self, acct: Account, topic: str, symbol: str | None, data: Any) -> None:
        """Queue a private publication."""
        self.pubs.append(Publication(topic, symbol, data, acct.api_key, self.now_ms))
