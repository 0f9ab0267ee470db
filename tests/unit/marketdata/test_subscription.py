"""DealDedup (I4) and EventQueue bounds (I7)."""

from __future__ import annotations

from mexc_futures.marketdata.subscription import DealDedup, EventQueue
from mexc_futures.protocol.ws import DealItem


def _deal(t: int, p: float = 1.0, v: float = 1.0, i: str | None = None) -> DealItem:
    return DealItem(p=p, v=v, taker_side=1, open_flag=1, self_trade=2, t=t, i=i)


def test_trade_id_dedup() -> None:
    d = DealDedup(window_ms=1000)
    assert d.fresh(1, _deal(5, i="a"))
    assert not d.fresh(2, _deal(5, i="a"))
    assert d.duplicates == 1


def test_identical_deals_in_one_ms_are_kept_apart_and_matched_across_connections() -> None:
    d = DealDedup(window_ms=1000)
    same = _deal(10)
    assert d.fresh(1, same)
    assert d.fresh(1, same)  # the second identical deal of that ms is a new deal
    assert not d.fresh(2, same)  # the rotation twin delivers both again: both duplicates
    assert not d.fresh(2, same)
    assert d.fresh(2, same)  # a third one is new
    assert d.fresh(1, _deal(11))


def test_window_bounds_memory() -> None:
    d = DealDedup(window_ms=100)
    for t in range(0, 10_000, 10):
        d.fresh(1, _deal(t, i=str(t)))
    assert len(d.seen) <= 11
    assert len(d.order) == len(d.seen)


def test_rotations_do_not_grow_the_per_connection_state() -> None:
    """Every rotation carries the stream on a new connection id (S6); the dedup remembers a
    few recent connections, not every one the session ever had (issue #13: RSS flat)."""
    d = DealDedup(window_ms=1000)
    for n in range(200):  # 200 rotations, each twin delivering the deals of its ms
        conn = 10 + n
        assert d.fresh(conn, _deal(n * 10))
        assert not d.fresh(conn + 1, _deal(n * 10))  # the twin's copy: a duplicate
    assert len(d.conn_t) <= 4
    assert len(d.cur) <= 4
    # the live connection and its twin are kept: where a gap starts when one of them dies
    assert d.conn_t[209] == d.conn_t[210] == 1990


def test_a_third_connection_keeps_the_two_live_ones() -> None:
    d = DealDedup(window_ms=10_000)
    for conn, t in ((1, 5), (2, 6), (3, 7), (4, 8), (5, 9)):
        d.fresh(conn, _deal(t))
    assert sorted(d.conn_t) == [2, 3, 4, 5]
    assert sorted(d.cur) == [2, 3, 4, 5]


async def test_event_queue_drops_oldest_when_full() -> None:
    q = EventQueue(2)
    for i in range(5):
        q.put(i)
    assert q.dropped == 3
    assert len(q) == 2
    assert await q.get() == 3
    q.close()
    assert await q.get() == 4
