"""Durable order journal: SQLite in WAL mode (reliability I1, I2, I8, S24; spec §5.3).

Contract:

* ``new_oid`` derives a deterministic ``externalOid``: the session's prefix ``oid_prefix`` (``"mf"``
  + 6 hex chars of ``sha256(session_id)``) + 24 hex chars of ``sha256(session_id, client_key or
  "#seq")`` — 32 characters, the venue maximum (error 2030). The prefix tells this run's orders
  from everyone else's (the web UI, another bot, an earlier run).
  The same ``(session, client_key)`` always gives the same id, so a strategy that repeats an intent
  repeats the id and the journal refuses the duplicate.
* ``record_intent`` is committed **before** the request leaves the process; a crash after it
  (kill -9) leaves a row in ``pending_submit``, which the restart reconciliation resolves by lookup.
  It is refused (``KillLatched``) once the kill-switch record is latched — by this process or any
  other writing the same journal — in the same statement, so no order is journaled (or sent)
  after ``mexc-futures kill`` committed its latch (reliability D1).
* ``running`` lists the processes trading on this journal (pid, label, heartbeat, whether they saw
  the kill switch); ``mexc-futures kill`` waits for each to acknowledge.
* Files are created 0600 (``-wal``/``-shm`` inherit the mode).
* Order states, venue ids and fills (each ``fill_id`` once) are recorded; ``orders`` gives every
  non-terminal order for reconciliation after a restart, with the fills already journaled;
  ``short_of_fills`` the terminal orders whose fills are incomplete (a crash between the state and
  its fills); ``transaction()`` groups a fill and its order row into one commit.
* The kill-switch record is one row that survives restarts.
* Nothing secret is ever written: rows hold order fields, ids and escaped venue text only.

``synchronous`` defaults to ``NORMAL`` (WAL: durable across a process crash, not across power
loss, ~20 µs per commit); ``FULL`` fsyncs every commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from mexc_futures.errors import escape_exchange_text
from mexc_futures.model.events import Fill
from mexc_futures.model.intents import PlaceOrder
from mexc_futures.model.killswitch import KillRecord
from mexc_futures.model.orders import OrderState, TrackedOrder

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS running (
    session_id TEXT PRIMARY KEY, pid INTEGER NOT NULL, label TEXT NOT NULL,
    started_ms INTEGER NOT NULL, heartbeat_ms INTEGER NOT NULL, ended_ms INTEGER,
    kill_seen_ms INTEGER);
CREATE TABLE IF NOT EXISTS orders (
    external_oid TEXT PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL,
    client_key TEXT, label TEXT, symbol TEXT NOT NULL, side INTEGER NOT NULL,
    kind INTEGER NOT NULL, vol TEXT NOT NULL, price TEXT, leverage INTEGER,
    margin_mode INTEGER NOT NULL, reduce_only INTEGER NOT NULL,
    state TEXT NOT NULL, order_id TEXT, filled TEXT NOT NULL DEFAULT '0',
    avg_price TEXT NOT NULL DEFAULT '0', error_code INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY, external_oid TEXT, order_id TEXT NOT NULL, symbol TEXT NOT NULL,
    side INTEGER NOT NULL, vol TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL,
    time_ms INTEGER NOT NULL, recorded_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL,
    external_oid TEXT, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kill_switch (
    id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL, reason TEXT NOT NULL,
    detail TEXT NOT NULL, tripped_at_ms INTEGER NOT NULL, alerted INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL);
"""

_TERMINAL = tuple(s.value for s in OrderState if s.terminal)
_COLS = (
    "SELECT external_oid, session_id, seq, symbol, side, kind, vol, price, state, order_id,"
    " filled, created_ms FROM orders"
)
_Q_ONE = _COLS + " WHERE external_oid=?"
_Q_LIVE = _COLS + " WHERE state NOT IN (?,?,?) ORDER BY created_ms, seq"
_Q_ALL = _COLS + " ORDER BY created_ms, seq"
# terminal orders whose journaled fills fall short of their filled quantity (reliability D8)
_Q_SHORT = (
    "SELECT external_oid, session_id, seq, symbol, side, kind, vol, price, state, order_id,"
    " filled, created_ms FROM orders o WHERE state IN (?,?,?) AND CAST(filled AS REAL) >"
    " COALESCE((SELECT SUM(CAST(f.vol AS REAL)) FROM fills f"
    " WHERE f.external_oid = o.external_oid), 0) ORDER BY created_ms, seq"
)
_Q_FILLS = (
    "SELECT fill_id, vol FROM fills WHERE external_oid=?"
    " OR (external_oid IS NULL AND order_id=?)"
)
assert len(_TERMINAL) == 3


class DuplicateIntent(Exception):
    """The ``externalOid`` is already journaled: the intent was issued before."""


class KillLatched(Exception):
    """``record_intent`` refused: the journal's kill-switch record is not ``armed`` (it may have
    been latched by another process, e.g. ``mexc-futures kill``). Nothing was journaled."""


@dataclass(frozen=True, slots=True)
class RunningSession:
    """A process trading on this journal (``running`` table; reliability D1)."""

    session_id: str
    pid: int
    label: str
    started_ms: int
    heartbeat_ms: int
    kill_seen_ms: int | None


@dataclass(frozen=True, slots=True)
class JournalOrder:
    """A journaled order row."""

    external_oid: str
    session_id: str
    seq: int
    symbol: str
    side: int
    kind: int
    vol: Decimal
    price: Decimal | None
    state: OrderState
    order_id: str | None
    filled: Decimal
    created_ms: int
    fill_ids: frozenset[str] = frozenset()
    fill_sum: Decimal = Decimal(0)

    def tracked(self) -> TrackedOrder:
        """The tracker object for this row, with the fills already journaled (so a restart
        does not re-fetch fills it has: reliability D13)."""
        return TrackedOrder(
            external_oid=self.external_oid,
            symbol=self.symbol,
            side=self.side,
            kind=self.kind,
            vol=self.vol,
            price=self.price,
            state=self.state,
            order_id=self.order_id,
            filled=max(self.filled, self.fill_sum),
            fill_sum=self.fill_sum,
            fill_ids=set(self.fill_ids),
        )


def oid_prefix(session_id: str) -> str:
    """The 8-character prefix every ``externalOid`` of ``session_id`` starts with: ``mf`` + 6
    hex digits of sha256(session_id). What a run owns (its clean-up touches only these)."""
    return "mf" + hashlib.sha256(session_id.encode()).hexdigest()[:6]


def make_oid(session_id: str, key: str) -> str:
    """``oid_prefix(session_id)`` + 24 hex digits of sha256(session_id NUL key): 32 chars,
    deterministic."""
    digest = hashlib.sha256(f"{session_id}\x00{key}".encode()).hexdigest()
    return oid_prefix(session_id) + digest[:24]


class Journal:
    """SQLite journal (one writer: the execution manager's event loop thread)."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.path = Path(path)
        if not self.path.exists():  # owner-only from the first byte (-wal/-shm copy the mode)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)
        self.session_id = ""
        self._seq = 0

    def close(self) -> None:
        """Close the database (idempotent)."""
        self._db.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for tables other modules own (``execution.cond_journal``)."""
        return self._db

    # ------------------------------------------------------------------ sessions and ids
    def start_session(self, session_id: str, now_ms: int) -> None:
        """Begin a session; ids of this process derive from ``session_id``."""
        self.session_id = session_id
        self._seq = 0
        self._db.execute("INSERT OR IGNORE INTO sessions VALUES (?, ?)", (session_id, now_ms))

    def new_oid(self, client_key: str | None) -> tuple[str, int]:
        """Next ``(externalOid, seq)`` of this session (see module docstring)."""
        if not self.session_id:
            raise RuntimeError("start_session first")
        self._seq += 1
        key = f"k:{client_key}" if client_key is not None else f"#{self._seq}"
        return make_oid(self.session_id, key), self._seq

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit (all or nothing across a crash); nests as a no-op."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------ running processes (D1)
    def register_running(self, session_id: str, pid: int, label: str, now_ms: int) -> None:
        """Announce a process trading on this journal (``mexc-futures kill`` lists it)."""
        self._db.execute(
            "INSERT OR REPLACE INTO running VALUES (?,?,?,?,?,NULL,NULL)",
            (session_id, pid, escape_exchange_text(label, 120), now_ms, now_ms),
        )

    def heartbeat(self, session_id: str, now_ms: int) -> None:
        """Refresh a running process's heartbeat."""
        self._db.execute(
            "UPDATE running SET heartbeat_ms=? WHERE session_id=?", (now_ms, session_id)
        )

    def end_running(self, session_id: str, now_ms: int) -> None:
        """The process stopped cleanly."""
        self._db.execute("UPDATE running SET ended_ms=? WHERE session_id=?", (now_ms, session_id))

    def mark_kill_seen(self, session_id: str, now_ms: int) -> None:
        """The process saw the latched kill switch and sends no more orders."""
        self._db.execute(
            "UPDATE running SET kill_seen_ms=? WHERE session_id=?", (now_ms, session_id)
        )

    def running(self, *, exclude: str | None = None) -> list[RunningSession]:
        """Processes that registered and did not stop cleanly (liveness is the caller's check:
        a crashed process leaves its row)."""
        rows = self._db.execute(
            "SELECT session_id, pid, label, started_ms, heartbeat_ms, kill_seen_ms FROM running"
            " WHERE ended_ms IS NULL ORDER BY started_ms"
        ).fetchall()
        return [RunningSession(*r) for r in rows if r[0] != exclude]

    # ------------------------------------------------------------------ orders
    def record_intent(self, oid: str, seq: int, intent: PlaceOrder, now_ms: int) -> None:
        """Commit a new order in ``pending_submit`` before it is sent."""
        try:
            cur = self._db.execute(
                "INSERT INTO orders (external_oid, session_id, seq, client_key, label, symbol,"
                " side, kind, vol, price, leverage, margin_mode, reduce_only, state, created_ms,"
                " updated_ms) SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,? WHERE NOT EXISTS"
                " (SELECT 1 FROM kill_switch WHERE id=1 AND state != 'armed')",
                (
                    oid,
                    self.session_id,
                    seq,
                    intent.client_key,
                    intent.label,
                    intent.symbol,
                    int(intent.side),
                    int(intent.kind),
                    str(intent.vol),
                    None if intent.price is None else str(intent.price),
                    intent.leverage,
                    int(intent.margin_mode),
                    int(intent.reduce_only),
                    OrderState.PENDING_SUBMIT.value,
                    now_ms,
                    now_ms,
                ),
            )
        except sqlite3.IntegrityError as e:
            raise DuplicateIntent(oid) from e
        if cur.rowcount != 1:  # the latch was committed (maybe by another process) first
            raise KillLatched(oid)

    def record_adopted(self, order: TrackedOrder, label: str, now_ms: int) -> None:
        """Journal an open order found at the venue and adopted (an amend's replacement)."""
        self._db.execute(
            "INSERT OR IGNORE INTO orders (external_oid, session_id, seq, label, symbol, side,"
            " kind, vol, price, margin_mode, reduce_only, state, order_id, created_ms,"
            " updated_ms) VALUES (?,?,0,?,?,?,?,?,?,0,0,?,?,?,?)",
            (
                order.external_oid,
                self.session_id,
                escape_exchange_text(label, 120),
                order.symbol,
                order.side,
                order.kind,
                str(order.vol),
                None if order.price is None else str(order.price),
                order.state.value,
                order.order_id,
                now_ms,
                now_ms,
            ),
        )

    def update_order(self, order: TrackedOrder, now_ms: int) -> None:
        """Persist the tracker's view of ``order``."""
        self._db.execute(
            "UPDATE orders SET state=?, order_id=?, filled=?, avg_price=?, error_code=?,"
            " version=?, vol=?, price=?, updated_ms=? WHERE external_oid=?",
            (
                order.state.value,
                order.order_id,
                str(order.filled),
                str(order.avg_price),
                order.error_code,
                order.version,
                str(order.vol),
                None if order.price is None else str(order.price),
                now_ms,
                order.external_oid,
            ),
        )

    def get(self, oid: str) -> JournalOrder | None:
        """One journaled order."""
        rows = self._rows(self._db.execute(_Q_ONE, (oid,)))
        return rows[0] if rows else None

    def orders(self, *, live_only: bool = True) -> list[JournalOrder]:
        """Journaled orders (non-terminal only by default), oldest first."""
        if live_only:
            return self._rows(self._db.execute(_Q_LIVE, _TERMINAL))
        return self._rows(self._db.execute(_Q_ALL))

    def short_of_fills(self) -> list[JournalOrder]:
        """Terminal orders whose journaled fills add up to less than their filled quantity: a
        crash came between the state and its fills (reliability D8); start-up fetches them."""
        rows = self._rows(self._db.execute(_Q_SHORT, _TERMINAL))
        return [r for r in rows if r.fill_sum < r.filled]

    def not_found_since(self, since_ms: int) -> list[JournalOrder]:
        """Orders resolved "never accepted" (``invalid``, no venue id, no venue error code)
        since ``since_ms``: a create written just before a crash may still land."""
        cur = self._db.execute(
            "SELECT external_oid, session_id, seq, symbol, side, kind, vol, price, state,"
            " order_id, filled, created_ms FROM orders WHERE state='invalid' AND order_id IS NULL"
            " AND error_code=0 AND updated_ms>=? ORDER BY created_ms, seq",
            (since_ms,),
        )
        return self._rows(cur)

    def _with_fills(self, r: JournalOrder) -> JournalOrder:
        fills = self._db.execute(_Q_FILLS, (r.external_oid, r.order_id)).fetchall()
        if not fills:
            return r
        return replace(
            r,
            fill_ids=frozenset(f[0] for f in fills),
            fill_sum=sum((Decimal(f[1]) for f in fills), Decimal(0)),
        )

    def _rows(self, cur: sqlite3.Cursor) -> list[JournalOrder]:
        rows = [
            JournalOrder(
                external_oid=r[0],
                session_id=r[1],
                seq=r[2],
                symbol=r[3],
                side=r[4],
                kind=r[5],
                vol=Decimal(r[6]),
                price=None if r[7] is None else Decimal(r[7]),
                state=OrderState(r[8]),
                order_id=r[9],
                filled=Decimal(r[10]),
                created_ms=r[11],
            )
            for r in cur.fetchall()
        ]
        return [self._with_fills(r) for r in rows]

    # ------------------------------------------------------------------ fills and events
    def record_fill(self, fill: Fill, now_ms: int) -> bool:
        """Record a fill once; False when ``fill_id`` was already journaled."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO fills VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                fill.fill_id,
                fill.external_oid or None,
                fill.order_id,
                fill.symbol,
                fill.side,
                str(fill.vol),
                str(fill.price),
                str(fill.fee),
                fill.time,
                now_ms,
            ),
        )
        return cur.rowcount == 1

    def fills(
        self, *, symbols: list[str] | None = None, since_ms: int | None = None
    ) -> list[dict[str, object]]:
        """Journaled fills (newest first), of ``symbols`` and after ``since_ms`` when given:
        ``fill_id``, ``order_id``, ``external_oid``, ``symbol``, ``side``, ``vol``, ``price``,
        ``fee`` (decimal strings) and ``time_ms`` — what ``mexc-futures fills`` shows."""
        query = (
            "SELECT fill_id, order_id, external_oid, symbol, side, vol, price, fee, time_ms "
            "FROM fills WHERE time_ms >= ?"
        )
        args: list[object] = [since_ms or 0]
        if symbols:
            query += f" AND symbol IN ({','.join('?' * len(symbols))})"
            args += symbols
        cur = self._db.execute(query + " ORDER BY time_ms DESC", args)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def fill_count(self) -> int:
        """Number of journaled fills."""
        return int(self._db.execute("SELECT COUNT(*) FROM fills").fetchone()[0])

    def event(self, kind: str, oid: str | None, detail: str, now_ms: int) -> None:
        """Append an audit event (``detail`` is escaped)."""
        self._db.execute(
            "INSERT INTO events (ts_ms, kind, external_oid, detail) VALUES (?,?,?,?)",
            (now_ms, kind, oid, escape_exchange_text(detail, 500)),
        )

    # ------------------------------------------------------------------ kill switch
    def save_kill(self, rec: KillRecord, now_ms: int) -> None:
        """Persist the kill-switch record."""
        self._db.execute(
            "INSERT OR REPLACE INTO kill_switch VALUES (1,?,?,?,?,?,?)",
            (
                rec.state,
                rec.reason,
                escape_exchange_text(rec.detail, 500),
                rec.tripped_at_ms,
                int(rec.alerted),
                now_ms,
            ),
        )

    def load_kill(self) -> KillRecord | None:
        """The persisted kill-switch record, if any."""
        row = self._db.execute(
            "SELECT state, reason, detail, tripped_at_ms, alerted FROM kill_switch WHERE id=1"
        ).fetchone()
        if row is None:
            return None
        return KillRecord(
            state=row[0], reason=row[1], detail=row[2], tripped_at_ms=row[3], alerted=bool(row[4])
        )

    def dump(self) -> list[str]:
        """Every row of every table as text (audits and the canary-secret test)."""
        return [str(line) for line in self._db.iterdump()]


__all__ = [
    "DuplicateIntent",
    "Journal",
    "JournalOrder",
    "KillLatched",
    "RunningSession",
    "make_oid",
    "oid_prefix",
]
