"""OrderBook (emulator/matching.py): price-time priority, partial fills, versions, history."""

from __future__ import annotations

import random

import pytest

from mexc_futures.emulator.venue.matching import (
    ASK,
    BID,
    LevelMap,
    OrderBook,
    Resting,
    commit_frame,
    merged_frame,
)


def _book() -> OrderBook:
    return OrderBook(start_version=100, ring_size=10_000)


def _rest(
    book: OrderBook, oid: int, side: int, ticks: int, vol: int, owner: str | None = None
) -> None:
    book.add(Resting(oid, owner, side, ticks, vol), cts=oid)


def test_price_then_time_priority() -> None:
    book = _book()
    _rest(book, 1, ASK, 101, 5)
    _rest(book, 2, ASK, 100, 5)  # better price, later
    _rest(book, 3, ASK, 100, 5)  # same price, later still
    fills = book.match(True, None, 12, cts=9)
    assert [(f.maker.order_id, f.ticks, f.vol) for f in fills] == [
        (2, 100, 5),
        (3, 100, 5),
        (1, 101, 2),
    ]
    assert book.best_ask() == 101
    assert book.asks[101].vol == 3


def test_limit_stops_at_price_and_partial_fill_keeps_queue() -> None:
    book = _book()
    _rest(book, 1, BID, 99, 4)
    _rest(book, 2, BID, 99, 6)
    _rest(book, 3, BID, 98, 10)
    fills = book.match(False, 99, 7, cts=5)
    assert [(f.maker.order_id, f.vol) for f in fills] == [(1, 4), (2, 3)]
    assert book.orders[2].vol == 3
    assert book.top(BID, 5) == [(99, 3, 1), (98, 10, 1)]


def test_one_version_per_single_level_mutation() -> None:
    book = _book()
    _rest(book, 1, ASK, 100, 5)  # 101
    _rest(book, 2, ASK, 100, 5)  # 102
    _rest(book, 3, ASK, 101, 5)  # 103
    book.resize(3, 2, cts=1)  # 104
    book.match(
        True, None, 7, cts=2
    )  # maker 1 (105, level 100 now 5), maker 2 (106, level 100 now 3)
    book.remove(3, cts=3)  # 107 delete
    versions = [c.version for c in book.commits]
    assert versions == list(range(101, 108))
    last = book.commits[-1]
    assert (last.ticks, last.vol, last.count) == (101, 0, 0)
    assert book.version == 107


def test_available_and_would_cross() -> None:
    book = _book()
    _rest(book, 1, ASK, 100, 5)
    _rest(book, 2, ASK, 102, 5)
    assert book.available(True, 101, 8) == 5
    assert book.available(True, 102, 8) == 8
    assert book.would_cross(True, 100)
    assert not book.would_cross(True, 99)
    assert not book.would_cross(False, 101)


def test_state_at_rebuilds_every_recent_version() -> None:
    rng = random.Random(3)
    book = _book()
    snapshots: dict[int, tuple[LevelMap, LevelMap]] = {book.version: ({}, {})}
    oid = 0
    for _ in range(400):
        r = rng.random()
        if r < 0.5 or not book.orders:
            oid += 1
            side = BID if rng.random() < 0.5 else ASK
            ticks = rng.randint(80, 99) if side == BID else rng.randint(101, 120)
            _rest(book, oid, side, ticks, rng.randint(1, 9))
        elif r < 0.7:
            book.remove(rng.choice(list(book.orders)), cts=0)
        elif r < 0.85:
            book.resize(rng.choice(list(book.orders)), rng.randint(1, 9), cts=0)
        else:
            book.match(rng.random() < 0.5, None, rng.randint(1, 15), cts=0)
        snapshots[book.version] = (book.level_map(BID), book.level_map(ASK))
    for version, expected in snapshots.items():
        assert book.state_at(version) == expected
    with pytest.raises(KeyError):
        book.state_at(book.version + 1)


def test_ring_limits_history() -> None:
    book = OrderBook(start_version=0, ring_size=10)
    for i in range(30):
        _rest(book, i + 1, BID, 50 + i, 1)
    assert book.state_at(book.version - 10)[0] == {50 + i: (1, 1) for i in range(20)}
    with pytest.raises(KeyError):
        book.state_at(book.version - 11)


def test_frames_absolute_sizes_and_deletes() -> None:
    book = _book()
    _rest(book, 1, ASK, 100, 5)
    _rest(book, 2, ASK, 100, 7)
    book.remove(1, cts=0)
    _rest(book, 3, BID, 90, 2)
    book.remove(3, cts=0)
    commits = book.drain()
    assert book.drain() == []
    frame = merged_frame(commits, lambda t: t / 10)
    assert frame["begin"] == 101
    assert frame["end"] == frame["version"] == 105
    assert frame["asks"] == [[10.0, 7, 1]]
    assert frame["bids"] == [[9.0, 0, 0]]
    single = commit_frame(commits[0], lambda t: t / 10)
    assert single == {"asks": [[10.0, 5, 1]], "bids": [], "version": 101}
