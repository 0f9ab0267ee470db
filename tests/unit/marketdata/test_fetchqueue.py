"""FetchQueue: one pending fetch per symbol, resyncs before audits, busy books first (D5)."""

from __future__ import annotations

from mexc_futures.marketdata.fetchqueue import FetchQueue


def test_one_job_per_symbol_keeps_its_place() -> None:
    q: FetchQueue[str] = FetchQueue("depth")
    q.put("A", "a1", 0.0)
    q.put("B", "b1", 1.0)
    q.put("A", "a2", 2.0)  # a newer request for A replaces the pending one, same place
    assert len(q) == 2
    assert q.stats.replaced == 1
    assert q.pop(3.0) == "a2"
    assert q.stats.max_wait == 3.0
    assert q.pop(3.0) == "b1"
    assert q.pop(3.0) is None


def test_rank_then_activity_then_arrival() -> None:
    q: FetchQueue[str] = FetchQueue("depth")
    activity = {"QUIET": 0, "BUSY": 50, "AUDIT": 99, "MID": 5, "MID2": 5}
    q.put("AUDIT", "audit", 0.0, rank=1)
    q.put("QUIET", "quiet", 0.0)
    q.put("MID", "mid", 0.0)
    q.put("BUSY", "busy", 0.0)
    q.put("MID2", "mid2", 0.0)
    order = [q.pop(1.0, activity.__getitem__) for _ in range(5)]
    assert order == ["busy", "mid", "mid2", "quiet", "audit"]


def test_discard() -> None:
    q: FetchQueue[str] = FetchQueue("depth")
    q.put("A", "a", 0.0)
    q.discard("A")
    q.discard("B")
    assert "A" not in q
    assert q.pop(0.0) is None


def test_counts_per_rank_follow_put_replace_pop_discard() -> None:
    q: FetchQueue[str] = FetchQueue("depth")
    q.put("A", "audit-a", 0.0, rank=1)
    q.put("B", "audit-b", 0.0, rank=1)
    q.put("C", "snap-c", 0.0)
    assert (q.count(0), q.count(1)) == (1, 2)
    q.put("A", "snap-a", 0.0, rank=0)  # a resync replaces the audit and takes its rank
    assert (q.count(0), q.count(1)) == (2, 1)
    q.put("C", "audit-c", 0.0, rank=1)  # an audit never demotes a pending resync
    assert (q.count(0), q.count(1)) == (2, 1)
    q.discard("B")
    assert sorted([q.pop(1.0), q.pop(1.0)]) == ["snap-a", "snap-c"]  # audit-c was dropped
    assert q.count(0) + q.count(1) == len(q) == 0
