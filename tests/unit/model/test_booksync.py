"""BookSync (spec §8.2): splice, contiguity, gap/duplicate/reorder, commits recovery, audits."""

from __future__ import annotations

from mexc_futures.model.book import Lv
from mexc_futures.model.booksync import (
    TRANSITIONS,
    BookSync,
    Commit,
    FetchCommits,
    FetchSnapshot,
    FullBookSync,
    SyncFailed,
    SyncState,
)
from mexc_futures.model.events import BookResync, BookUpdate
from mexc_futures.protocol.rest import Level
from mexc_futures.protocol.ws import DepthDelta

BIDS = [Lv(100.0, 1.0, 1), Lv(99.0, 2.0, 1)]
ASKS = [Lv(101.0, 1.0, 1), Lv(102.0, 2.0, 1)]


def _started(sync: BookSync) -> FetchSnapshot:
    outs = sync.start()
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "start"
    fetch = outs[1]
    assert isinstance(fetch, FetchSnapshot)
    return fetch


def _live(version: int = 10) -> BookSync:
    s = BookSync("X")
    f = _started(s)
    outs = s.on_snapshot(f.request_id, version, BIDS, ASKS)
    assert isinstance(outs[-1], BookUpdate)
    assert s.synced
    return s


def _running(version: int = 10) -> BookSync:
    """LIVE with one frame applied after the snapshot (version + 1)."""
    s = _live(version - 1)
    s.on_frame(version, version, [], [])
    return s


def test_table_names_every_state() -> None:
    assert {state for state, _ in TRANSITIONS} == set(SyncState)


def test_splice_drops_old_frames_and_applies_straddling_one() -> None:
    s = BookSync("X")
    f = _started(s)
    assert s.on_frame(5, 8, [Lv(100.0, 9)], []) == []  # buffered: end <= V, dropped at splice
    assert s.on_frame(9, 12, [Lv(100.0, 3)], []) == []  # straddles V+1 = 11
    assert s.on_frame(13, 13, [], [Lv(101.0, 0)]) == []
    outs = s.on_snapshot(f.request_id, 10, BIDS, ASKS)
    assert outs == [BookUpdate(symbol="X", version=13, best_bid=100.0, best_ask=102.0)]
    assert s.book.bid_vol(100.0) == 3
    assert s.version == 13


def test_snapshot_older_than_stream_refetches() -> None:
    s = BookSync("X")
    f = _started(s)
    s.on_frame(20, 25, [], [])
    outs = s.on_snapshot(f.request_id, 10, BIDS, ASKS)
    assert isinstance(outs[0], FetchSnapshot)
    assert outs[0].attempt == 2
    assert s.state is SyncState.BUFFERING
    outs = s.on_snapshot(outs[0].request_id, 22, BIDS, ASKS)  # now newer: 20..25 straddles
    assert isinstance(outs[-1], BookUpdate)
    assert outs[-1].version == 25


def test_snapshot_newer_than_stream_waits_for_the_stream() -> None:
    s = _live(version=50)
    assert s.on_frame(40, 45, [Lv(1.0, 1)], []) == []  # older than the snapshot: dropped
    assert s.book.bid_vol(1.0) == 0
    outs = s.on_frame(46, 52, [Lv(100.0, 4)], [])
    assert isinstance(outs[0], BookUpdate)
    assert outs[0].version == 52


def test_snapshot_retries_are_bounded() -> None:
    s = BookSync("X", max_attempts=2)
    f = _started(s)
    outs = s.on_snapshot_error(f.request_id)
    assert isinstance(outs[0], FetchSnapshot)
    outs = s.on_snapshot_error(outs[0].request_id)
    assert isinstance(outs[0], SyncFailed)
    assert s.state is SyncState.FAILED
    assert s.on_frame(1, 1, [], []) == []
    assert isinstance(s.start()[1], FetchSnapshot)


def test_late_answer_to_an_old_request_is_ignored() -> None:
    s = BookSync("X")
    f = _started(s)
    s.on_disconnect()
    assert s.on_snapshot(f.request_id, 1, BIDS, ASKS) == []
    assert s.state is SyncState.IDLE


def test_contiguous_frames_publish_each_version() -> None:
    s = _live(10)
    for v in range(11, 15):
        (out,) = s.on_frame(v, v, [Lv(100.0, float(v))], [])
        assert isinstance(out, BookUpdate)
        assert out.version == v
    assert s.book.bid_vol(100.0) == 14.0


def test_duplicate_is_dropped_and_does_not_change_the_book() -> None:
    s = _live(10)
    s.on_frame(11, 12, [Lv(100.0, 5)], [])
    s.on_frame(13, 13, [Lv(100.0, 6)], [])
    assert s.on_frame(11, 12, [Lv(100.0, 5)], []) == []
    assert s.book.bid_vol(100.0) == 6
    assert s.stats.duplicates == 1
    assert s.synced


def test_gap_detected_on_first_frame_then_commits_recover() -> None:
    s = _running(10)
    outs = s.on_frame(13, 14, [Lv(100.0, 7)], [])  # 11, 12 missing
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "gap"
    assert outs[0].from_version == 10
    fetch = outs[1]
    assert isinstance(fetch, FetchCommits)
    assert not s.synced
    assert s.on_frame(15, 15, [], [Lv(101.0, 3)]) == []  # buffered, nothing published
    # newest first; 13 sets 100 -> 7 (as the frame 13..14 did), the others move 99
    commits = [
        Commit(version=v, bids=[Lv(100.0, 7.0)] if v == 13 else [Lv(99.0, float(v))])
        for v in range(14, 6, -1)
    ]
    outs = s.on_commits(fetch.request_id, commits)
    assert outs == [BookUpdate(symbol="X", version=15, best_bid=100.0, best_ask=101.0)]
    assert s.book.bid_vol(99.0) == 14
    assert s.book.bid_vol(100.0) == 7
    assert s.stats.commits_recoveries == 1


def test_commits_that_do_not_reach_back_fall_back_to_snapshot() -> None:
    s = _running(10)
    fetch = s.on_frame(20, 20, [], [])[1]
    assert isinstance(fetch, FetchCommits)
    outs = s.on_commits(fetch.request_id, [Commit(version=v) for v in range(19, 14, -1)])
    assert isinstance(outs[0], FetchSnapshot)
    assert s.state is SyncState.BUFFERING
    outs = s.on_snapshot(outs[0].request_id, 19, BIDS, ASKS)
    assert isinstance(outs[-1], BookUpdate)
    assert outs[-1].version == 20


def test_commits_error_falls_back_to_snapshot() -> None:
    s = _running(10)
    fetch = s.on_frame(20, 20, [], [])[1]
    assert isinstance(fetch, FetchCommits)
    assert isinstance(s.on_commits_error(fetch.request_id)[0], FetchSnapshot)


def test_reordered_pair_heals_from_the_buffer() -> None:
    s = _running(10)
    outs = s.on_frame(12, 12, [Lv(100.0, 12)], [])
    assert isinstance(outs[0], BookResync)
    fetch = outs[1]
    assert isinstance(fetch, FetchCommits)
    outs = s.on_frame(11, 11, [Lv(100.0, 11)], [])
    assert outs == [BookUpdate(symbol="X", version=12, best_bid=100.0, best_ask=101.0)]
    assert s.book.bid_vol(100.0) == 12
    assert s.stats.reorders_healed == 1
    assert s.on_commits(fetch.request_id, []) == []  # late answer, already healed


def test_crossed_book_is_never_published() -> None:
    s = _live(10)
    outs = s.on_frame(11, 11, [Lv(101.5, 1)], [])
    assert [type(o) for o in outs] == [BookResync, FetchSnapshot]
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "crossed"
    assert s.stats.crossed == 1


def test_fresh_snapshot_older_than_first_frame_refetches_directly() -> None:
    s = _live(10)
    outs = s.on_frame(12, 12, [], [])
    assert isinstance(outs[1], FetchSnapshot)


def test_stream_far_behind_a_snapshot_is_bounded() -> None:
    s = BookSync("X", max_fresh_drops=2)
    f = _started(s)
    s.on_snapshot(f.request_id, 100, BIDS, ASKS)
    assert s.on_frame(1, 1, [], []) == []
    assert s.on_frame(2, 2, [], []) == []
    outs = s.on_frame(3, 3, [], [])
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "stale"


def test_buffer_is_bounded() -> None:
    s = BookSync("X", max_buffer=3)
    _started(s)
    for v in range(1, 10):
        s.on_frame(v, v, [], [])
    assert s.stats.buffer_overflows == 6


def test_disconnect_and_force_resync() -> None:
    s = _live(10)
    (ev,) = s.on_disconnect()
    assert isinstance(ev, BookResync)
    assert ev.reason == "reconnect"
    assert not s.synced
    assert s.on_disconnect() == []
    s = _live(10)
    outs = s.force_resync("stale")
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "stale"
    assert isinstance(outs[1], FetchSnapshot)


def test_audit_top_counts_divergence_only_at_equal_version() -> None:
    s = _live(10)
    assert s.audit_top(9, [Lv(1.0, 1)], [], 5) == []
    assert s.stats.audit_skipped == 1
    assert s.audit_top(10, BIDS, ASKS, 5) == []
    assert s.stats.divergences == 0
    outs = s.audit_top(10, [Lv(100.0, 1.5)], ASKS, 5)
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "audit"
    assert s.stats.divergences == 1


def test_audit_bbo_needs_consecutive_misses() -> None:
    s = BookSync("X", bbo_tolerance=2)
    f = _started(s)
    s.on_snapshot(f.request_id, 10, BIDS, ASKS)
    assert s.audit_bbo(100.0, 101.0) == []
    assert s.audit_bbo(99.0, 101.0) == []
    assert s.audit_bbo(100.0, 101.0) == []  # a match resets the count
    assert s.audit_bbo(99.0, 101.0) == []
    outs = s.audit_bbo(99.0, 101.0)
    assert isinstance(outs[0], BookResync)
    assert s.stats.divergences == 1


def test_handover_joins_new_connection_without_loss_or_double() -> None:
    s = BookSync("X")
    f = s.start(source=1)[1]
    assert isinstance(f, FetchSnapshot)
    s.on_snapshot(f.request_id, 10, BIDS, ASKS)
    s.begin_handover(2)
    assert s.handover_pending
    assert s.on_frame(13, 14, [Lv(100.0, 14)], [], source=2) == []  # ahead: held back
    s.on_frame(11, 12, [Lv(100.0, 12)], [], source=1)
    assert s.source == 2
    assert not s.handover_pending
    assert s.version == 14
    assert s.book.bid_vol(100.0) == 14
    assert s.on_frame(13, 14, [Lv(100.0, 99)], [], source=1) == []  # old connection ignored
    (out,) = s.on_frame(15, 15, [Lv(100.0, 15)], [], source=2)
    assert isinstance(out, BookUpdate)
    assert out.version == 15


def test_handover_when_not_live_switches_at_once() -> None:
    s = BookSync("X")
    s.start(source=1)
    s.begin_handover(2)
    assert s.source == 2
    assert not s.handover_pending
    assert s.on_frame(1, 1, [], [], source=3) == []
    assert s.stats.foreign_frames == 1


def test_full_book_skips_older_versions() -> None:
    fb = FullBookSync("X")
    (u,) = fb.on_full(5, BIDS, ASKS)
    assert isinstance(u, BookUpdate)
    assert fb.synced
    assert fb.version == 5
    assert fb.on_full(4, [Lv(1.0, 1)], []) == []
    (u,) = fb.on_full(5, [Lv(100.0, 9)], ASKS)  # same version resent: applied
    assert fb.book.bid_vol(100.0) == 9
    (r,) = fb.on_full(6, [Lv(200.0, 1)], ASKS)
    assert isinstance(r, BookResync)
    assert not fb.synced
    fb.on_full(7, BIDS, ASKS)
    assert isinstance(fb.on_disconnect()[0], BookResync)
    assert fb.on_disconnect() == []


def test_handover_in_lockstep_switches_on_the_same_frame() -> None:
    s = BookSync("X")
    f = s.start(source=1)[1]
    assert isinstance(f, FetchSnapshot)
    s.on_snapshot(f.request_id, 10, BIDS, ASKS)
    s.begin_handover(2)
    s.on_frame(11, 11, [Lv(100.0, 11)], [], source=1)
    assert s.on_frame(10, 10, [], [], source=2) == []  # the twin lags: dropped
    assert s.handover_pending
    assert s.on_frame(11, 11, [Lv(100.0, 11)], [], source=2) == []  # same frame: switch
    assert s.source == 2
    assert s.on_frame(12, 12, [Lv(100.0, 1)], [], source=1) == []  # old connection ignored
    (out,) = s.on_frame(12, 12, [Lv(100.0, 12)], [], source=2)
    assert isinstance(out, BookUpdate)
    assert s.book.bid_vol(100.0) == 12


def test_on_depth_hot_path_builds_no_event_and_reads_merged_and_unmerged_frames() -> None:
    s = _running(10)
    assert s.hot
    merged = DepthDelta(asks=(), bids=(Level(100.0, 5.0),), version=12, begin=11, end=12)
    assert s.on_depth(merged, 7, 0) is None  # applied in order: nothing built
    assert s.update_event() == BookUpdate(symbol="X", version=12, best_bid=100.0,
                                          best_ask=101.0, ts=7)
    unmerged = DepthDelta(asks=(Level(101.0, 0.0),), bids=(), version=13)
    assert s.on_depth(unmerged, 8, 0) is None
    assert (s.version, s.book.best_ask, s.book.ts) == (13, 102.0, 8)
    assert s.stats.applied == s.stats.frames == 3  # the frame of ``_running`` + two
    dup = DepthDelta(asks=(), bids=(Level(100.0, 9.0),), version=13)
    assert s.on_depth(dup, 9, 0) == []  # off the hot path: dropped, book untouched
    assert s.book.bid_vol(100.0) == 5.0
    crossing = DepthDelta(asks=(), bids=(Level(150.0, 1.0),), version=14)
    outs = s.on_depth(crossing, 10, 0)
    assert outs is not None
    assert isinstance(outs[0], BookResync)
    assert outs[0].reason == "crossed"
    assert not s.hot
    assert not s.synced


def test_hot_flag_follows_freshness_and_handover() -> None:
    s = _live(9)
    assert not s.hot  # fresh from a snapshot: the first frame takes the checked path
    assert s.on_frame(10, 10, [], []) == [BookUpdate(symbol="X", version=10, best_bid=100.0,
                                                      best_ask=101.0)]
    assert s.hot
    s.begin_handover(2)
    assert s.hot  # nothing from the new connection yet
    assert s.on_frame(12, 12, [Lv(98.0, 1)], [], source=2) == []  # ahead: waits
    assert not s.hot
    assert s.handover_pending
    outs = s.on_frame(11, 11, [Lv(97.0, 1)], [])  # the old connection closes the hole
    assert outs == [BookUpdate(symbol="X", version=12, best_bid=100.0, best_ask=101.0)]
    assert s.source == 2
    assert s.hot
    assert not s.handover_pending
    assert s.on_frame(13, 13, [], [], source=0) == []  # the old connection is foreign now
    assert s.on_depth(DepthDelta(asks=(), bids=(), version=13), 0, 2) is None
    s.on_disconnect()
    assert not s.hot
