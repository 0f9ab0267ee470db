"""Which strategy an order belongs to, kept in the exec service's journal (issue #18).

The exec service places the orders of many strategies under one journal session; its order
updates and fills go to the events stream of the strategy that asked (design §2.5: "routed by the
``externalOid``"). The table ``bus_intents`` (in the journal's SQLite file, written in the same
place as the orders, before the order is sent) maps each intent key to its ``externalOid`` and
strategy, so routing survives an exec-service restart.
"""

from __future__ import annotations

import sqlite3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_intents (
    intent_key TEXT PRIMARY KEY, external_oid TEXT NOT NULL, strategy TEXT NOT NULL,
    envelope_id TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bus_intents_oid ON bus_intents (external_oid);
"""


class Owners:
    """The ``bus_intents`` table (one writer: the exec service's event loop)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)
        self._cache: dict[str, str] = {}

    def record(self, key: str, oid: str, strategy: str, envelope_id: str, now_ms: int) -> None:
        """Remember that ``oid`` (intent ``key``) is ``strategy``'s; a repeat is ignored."""
        self._db.execute(
            "INSERT OR IGNORE INTO bus_intents VALUES (?,?,?,?,?)",
            (key, oid, strategy, envelope_id, now_ms),
        )
        self._cache[oid] = strategy

    def owner(self, oid: str) -> str | None:
        """The strategy that placed ``oid`` (``None``: not placed through the bus)."""
        hit = self._cache.get(oid)
        if hit is not None or not oid:
            return hit
        row = self._db.execute(
            "SELECT strategy FROM bus_intents WHERE external_oid=? LIMIT 1", (oid,)
        ).fetchone()
        if row is None:
            return None
        self._cache[oid] = str(row[0])
        return str(row[0])

    def strategies(self, since_ms: int) -> set[str]:
        """Strategies that sent an intent since ``since_ms``."""
        rows = self._db.execute(
            "SELECT DISTINCT strategy FROM bus_intents WHERE created_ms >= ?", (since_ms,)
        ).fetchall()
        return {str(r[0]) for r in rows}


__all__ = ["Owners"]
