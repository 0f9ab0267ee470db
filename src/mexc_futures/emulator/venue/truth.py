"""Ground truth queries over a venue (reliability.md I1, I3, I4; docs/seams.md ``venue.truth``).

Method names and keyword arguments match the control routes
(``/_emulator/truth/orders?externalOid=X``, ``/truth/deals?symbol=S``,
``/truth/book/{symbol}?version=V``). Results are JSON-ready and are the same rows the REST API
serves (``positions`` = ``position/open_positions`` rows at the current fair price, ``fills`` =
the account's deal rows with booked ``fee``/``profit``), so a client's view can be compared with
them field by field. An account the venue never added raises ``KeyError``.
"""

from __future__ import annotations

from typing import Any

from mexc_futures.emulator.venue.engine import Engine
from mexc_futures.emulator.venue.matching import LevelMap


class VenueTruth:
    """What the venue really did: orders by ``externalOid``, deals, depth versions, books."""

    def __init__(self, engine: Engine) -> None:
        self._e = engine

    def orders(
        self,
        externalOid: str | None = None,
        symbol: str | None = None,
    ) -> list[dict[str, Any]]:
        """Order rows accepted with ``externalOid`` (all orders when omitted), oldest first."""
        t = self._e.truth
        if externalOid is not None:
            found = t.orders_by_external.get(externalOid, [])
        else:
            found = [o for lst in t.orders_by_external.values() for o in lst]
            found.sort(key=lambda o: o.order_id)
        sym = symbol.upper() if symbol else None
        return [o.row() for o in found if sym is None or o.symbol == sym]

    def order_count(self, external_oid: str) -> int:
        """How many orders carry ``external_oid`` (I1: at most one)."""
        return self._e.truth.order_count(external_oid)

    def external_oid_counts(self) -> dict[str, int]:
        """``{externalOid: number of orders}`` over every account."""
        return {k: len(v) for k, v in self._e.truth.orders_by_external.items()}

    def deals(self, symbol: str | None = None) -> list[dict[str, Any]]:
        """Public deals the venue made (synthetic and user), oldest first."""
        d = self._e.truth.deals
        if symbol is not None:
            return list(d.get(symbol.upper(), []))
        return [x for lst in d.values() for x in lst]

    def positions(
        self, account: str, symbol: str | None = None, closed: bool = False
    ) -> list[dict[str, Any]]:
        """Open position rows of ``account`` (``closed=True``: its closed ones, oldest first)."""
        acct = self._e.accounts[account]
        if closed:
            found = list(acct.history_positions)
        else:
            found = sorted(acct.positions.values(), key=lambda p: p.position_id)
        sym = symbol.upper() if symbol else None
        return [p.row(self._e.mark(p.symbol)) for p in found if sym is None or p.symbol == sym]

    def fills(self, account: str, symbol: str | None = None) -> list[dict[str, Any]]:
        """Every fill (deal row) of ``account``, oldest first, optionally for one ``symbol``."""
        sym = symbol.upper() if symbol else None
        return [
            dict(d) for d in self._e.accounts[account].fills if sym is None or d["symbol"] == sym
        ]

    def balance(self, account: str, currency: str = "USDT") -> str:
        """The wallet balance as an exact decimal string (deposits + PnL − fees ± funding)."""
        return str(self._e.accounts[account].wallet(currency.upper()))

    def depth_versions(self, symbol: str) -> range:
        """Contiguous depth versions handed to the publisher for ``symbol``."""
        return self._e.truth.published_versions(symbol.upper())

    def version(self, symbol: str) -> int:
        """Current depth version of ``symbol``."""
        return self._e.books[self._e.contract(symbol).symbol].version

    def book_at(self, symbol: str, version: int) -> dict[str, Any]:
        """The book ``{asks, bids, version}`` at ``version``.

        Any version from the oldest still in the commit ring (``VenueConfig.ring_size`` single-level
        changes back) up to the current one; older or future versions raise ``KeyError``.
        """
        c = self._e.contract(symbol)
        bids, asks = self._e.books[c.symbol].state_at(version)
        return {
            "asks": _levels(asks, c.price, False),
            "bids": _levels(bids, c.price, True),
            "version": version,
        }

    def book(self, symbol: str, version: int | None = None) -> dict[str, Any]:
        """The book now, or at ``version``."""
        v = self.version(symbol) if version is None else version
        return self.book_at(symbol, v)


def _levels(levels: LevelMap, price: Any, descending: bool) -> list[list[Any]]:
    return [[price(p), v, n] for p, (v, n) in sorted(levels.items(), reverse=descending)]
