"""Journal rows of conditional and position intents (issue #15): triggers, TP/SL, trailing,
reverse, close-all, TP/SL amends and cancels of them.

A table of its own (``conditionals``) in the execution journal's SQLite file, written through the
journal's connection (one writer). Each intent is committed in ``pending_submit`` **before** it is
sent, under a deterministic key (``journal.make_oid`` of the session and ``c:<client_key>`` or a
sequence number): the same ``client_key`` twice is ``DuplicateIntent`` — never a second order.
Like ``orders``, the insert refuses (``KillLatched``) once the kill switch is latched. The venue
does not take a client id for these endpoints (spec §5.2, §5.6–§5.8), so the row keeps the exact
request body: a lost answer is resolved by finding that request's order in the venue's lists.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from mexc_futures.execution.journal import DuplicateIntent, Journal, KillLatched, make_oid

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conditionals (
    key TEXT PRIMARY KEY, session_id TEXT NOT NULL, kind TEXT NOT NULL, symbol TEXT NOT NULL,
    label TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, venue_id TEXT,
    error_code INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
"""
_INSERT = (
    "INSERT INTO conditionals (key, session_id, kind, symbol, label, body, state, created_ms,"
    " updated_ms) SELECT ?,?,?,?,?,?,?,?,?"
)
_INSERT_ARMED = (
    "INSERT INTO conditionals (key, session_id, kind, symbol, label, body, state, created_ms,"
    " updated_ms) SELECT ?,?,?,?,?,?,?,?,?"
    " WHERE NOT EXISTS (SELECT 1 FROM kill_switch WHERE id=1 AND state != 'armed')"
)
_COLS = (
    "SELECT key, kind, symbol, label, body, state, venue_id, error_code, detail, created_ms"
    " FROM conditionals"
)


@dataclass(slots=True)
class CondRow:
    """One journaled conditional intent (see ``execution.conditional.TrackedConditional``)."""

    key: str
    kind: str
    symbol: str
    label: str
    body: str
    state: str
    venue_id: str | None
    error_code: int
    detail: str
    created_ms: int


class CondJournal:
    """The ``conditionals`` table of one ``Journal``."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._db: sqlite3.Connection = journal.db
        self._db.executescript(_SCHEMA)
        self._seq = 0

    def new_key(self, client_key: str | None) -> str:
        """Deterministic key of the next conditional intent of this session."""
        self._seq += 1
        key = f"c:{client_key}" if client_key is not None else f"c#{self._seq}"
        return make_oid(self.journal.session_id, key)

    def record(self, row: CondRow, now_ms: int, *, latch: bool = True) -> None:
        """Commit ``row`` (``pending_submit``) before it is sent; ``DuplicateIntent`` when the
        key exists, ``KillLatched`` when the kill switch is latched (``latch=False`` for
        intents that only reduce: close-all and cancels)."""
        try:
            cur = self._db.execute(
                _INSERT_ARMED if latch else _INSERT,
                (
                    row.key,
                    self.journal.session_id,
                    row.kind,
                    row.symbol,
                    row.label,
                    row.body,
                    row.state,
                    now_ms,
                    now_ms,
                ),
            )
        except sqlite3.IntegrityError as e:
            raise DuplicateIntent(row.key) from e
        if cur.rowcount != 1:
            raise KillLatched(row.key)

    def update(self, row: CondRow, now_ms: int) -> None:
        """Persist state, venue id, error code and detail."""
        self._db.execute(
            "UPDATE conditionals SET state=?, venue_id=?, error_code=?, detail=?, updated_ms=?"
            " WHERE key=?",
            (row.state, row.venue_id, row.error_code, row.detail, now_ms, row.key),
        )

    def get(self, key: str) -> CondRow | None:
        """One row by key."""
        r = self._db.execute(_COLS + " WHERE key=?", (key,)).fetchone()
        return None if r is None else CondRow(*r)

    def rows(self) -> list[CondRow]:
        """Every row, oldest first."""
        return [CondRow(*r) for r in self._db.execute(_COLS + " ORDER BY created_ms, key")]

    def bound_ids(self, kind: str) -> set[str]:
        """Venue ids already bound to a row of ``kind`` (a lookup never binds one twice)."""
        cur = self._db.execute(
            "SELECT venue_id FROM conditionals WHERE kind=? AND venue_id IS NOT NULL", (kind,)
        )
        return {r[0] for r in cur}


__all__ = ["CondJournal", "CondRow"]
