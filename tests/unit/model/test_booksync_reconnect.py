"""BookSync after a reconnect (issue #13, D5): an exact book is bridged with depth_commits."""

from __future__ import annotations

from mexc_futures.model.book import Lv
from mexc_futures.model.booksync import BookSync, Commit, FetchCommits, FetchSnapshot
from mexc_futures.model.events import BookResync, BookUpdate

BIDS = [Lv(100.0, 1.0, 1), Lv(99.0, 2.0, 1)]
ASKS = [Lv(101.0, 1.0, 1), Lv(102.0, 2.0, 1)]


def _live_then_dropped(version: int = 10) -> BookSync:
    s = BookSync("X")
    fetch = s.start()[1]
    assert isinstance(fetch, FetchSnapshot)
    s.on_snapshot(fetch.request_id, version, BIDS, ASKS)
    assert s.synced
    outs = s.on_disconnect()
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "reconnect"
    return s


def test_exact_book_is_bridged_with_commits_after_a_reconnect() -> None:
    s = _live_then_dropped()
    outs = s.start(source=2)
    assert isinstance(outs[1], FetchCommits)
    # the venue moved 11, 12 meanwhile; then a frame of the new connection continues at 13
    moved = [Commit(12, [Lv(100.0, 5.0)]), Commit(11, [], [Lv(101.0, 0.0)])]
    outs = s.on_commits(outs[1].request_id, moved)
    assert s.synced
    assert s.version == 12
    assert s.book.best_bid == 100.0
    assert s.book.best_ask == 102.0
    assert s.stats.snapshots == 1  # only the cold start's
    assert s.on_frame(13, 13, [Lv(99.0, 0.0)], [], source=2)[-1] == BookUpdate(
        symbol="X", version=13, best_bid=100.0, best_ask=102.0)


def test_quiet_book_needs_no_snapshot_after_a_reconnect() -> None:
    s = _live_then_dropped(version=10)
    req = s.start(source=2)[1]
    assert isinstance(req, FetchCommits)
    outs = s.on_commits(req.request_id, [Commit(10, [Lv(100.0, 1.0)]), Commit(9, [Lv(98.0, 0.0)])])
    assert s.synced
    assert s.version == 10
    assert isinstance(outs[-1], BookUpdate)
    assert s.stats.snapshots == 1


def test_commits_that_do_not_reach_back_fall_back_to_a_snapshot() -> None:
    s = _live_then_dropped(version=10)
    req = s.start(source=2)[1]
    assert isinstance(req, FetchCommits)
    outs = s.on_commits(req.request_id, [Commit(2000), Commit(1999)])
    assert isinstance(outs[-1], FetchSnapshot)
    assert not s.synced


def test_bridge_off_or_discredited_book_restarts_from_a_snapshot() -> None:
    s = _live_then_dropped()
    assert isinstance(s.start(source=2, bridge=False)[1], FetchSnapshot)
    s = BookSync("X")
    fetch = s.start()[1]
    assert isinstance(fetch, FetchSnapshot)
    s.on_snapshot(fetch.request_id, 10, BIDS, ASKS)
    s.force_resync("audit")  # the book was wrong: nothing to bridge from
    s.on_disconnect()
    assert isinstance(s.start(source=2)[1], FetchSnapshot)
