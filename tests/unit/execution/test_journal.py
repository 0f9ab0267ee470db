"""Journal: deterministic ids, intent before send, fills once, kill state across reopen."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from mexc_futures.execution.journal import DuplicateIntent, Journal, make_oid
from mexc_futures.model.events import Fill
from mexc_futures.model.intents import OrderKind, PlaceOrder, TradeSide
from mexc_futures.model.killswitch import KillRecord
from mexc_futures.model.orders import OrderState, TrackedOrder

INTENT = PlaceOrder(
    symbol="BTC_USDT",
    side=TradeSide.OPEN_LONG,
    kind=OrderKind.LIMIT,
    vol=Decimal(3),
    price=Decimal("100.5"),
    leverage=5,
)


def test_oid_is_deterministic_and_short() -> None:
    assert make_oid("s1", "#1") == make_oid("s1", "#1")
    assert make_oid("s1", "#1") != make_oid("s2", "#1")
    oid = make_oid("s", "k")
    assert len(oid) == 32
    assert oid.startswith("mf")


def test_client_key_gives_same_oid_and_duplicate_is_refused(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    j.start_session("sess", 1)
    a, seq = j.new_oid("key-1")
    b, _ = j.new_oid("key-1")
    assert a == b
    j.record_intent(a, seq, INTENT, 10)
    with pytest.raises(DuplicateIntent):
        j.record_intent(b, seq + 1, INTENT, 11)
    c, _ = j.new_oid(None)
    d, _ = j.new_oid(None)
    assert c != d


def test_wal_and_rows_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    j = Journal(path)
    j.start_session("sess", 1)
    oid, seq = j.new_oid(None)
    j.record_intent(oid, seq, INTENT, 10)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    j.close()  # no explicit commit needed: autocommit
    j2 = Journal(path)
    rows = j2.orders()
    assert [r.external_oid for r in rows] == [oid]
    assert rows[0].state is OrderState.PENDING_SUBMIT
    assert rows[0].price == Decimal("100.5")
    order = rows[0].tracked()
    order.state = OrderState.FILLED
    order.order_id = "77"
    order.filled = Decimal(3)
    j2.update_order(order, 20)
    assert j2.orders() == []
    got = j2.get(oid)
    assert got is not None
    assert got.order_id == "77"
    assert got.filled == 3


def test_fill_recorded_once(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db")
    f = Fill(
        fill_id="f1",
        order_id="1",
        symbol="BTC_USDT",
        side=1,
        vol=Decimal(1),
        price=Decimal(1),
        fee=Decimal(0),
        fee_currency="USDT",
        profit=Decimal(0),
        is_taker=True,
        time=1,
    )
    assert j.record_fill(f, 1)
    assert not j.record_fill(f, 2)
    assert j.fill_count() == 1


def test_kill_record_persists_and_event_text_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    j = Journal(path)
    assert j.load_kill() is None
    j.save_kill(KillRecord(state="tripped", reason="operator", detail="x\x1b[31m", alerted=True), 5)
    j.event("note", None, "bad\nline", 6)
    j.close()
    j2 = Journal(path)
    rec = j2.load_kill()
    assert rec is not None
    assert rec.state == "tripped"
    assert rec.alerted
    assert "\x1b" not in rec.detail
    assert not any("bad\nline" in line for line in j2.dump())


def test_tracked_round_trip_keeps_identity() -> None:
    t = TrackedOrder(external_oid="mfX", symbol="S", side=1, kind=1, vol=Decimal(1), price=None)
    assert t.state is OrderState.PENDING_SUBMIT
