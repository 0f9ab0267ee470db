"""``PackedRing`` / ``CommitRing`` behave like ``deque(maxlen=N)`` for what the emulator uses."""

from __future__ import annotations

import random
from collections import deque

import pytest

from mexc_futures.emulator.venue.matching import Commit, CommitRing
from mexc_futures.emulator.venue.packed import PackedRing


@pytest.mark.parametrize("maxlen", [1, 3, 7, 64])
def test_packed_ring_matches_a_bounded_deque(maxlen: int) -> None:
    rng = random.Random(maxlen)
    ring, ref = PackedRing(2, maxlen), deque[tuple[int, ...]](maxlen=maxlen)
    for i in range(200):
        item = (1_500_000_000 + i, rng.randrange(-(2**62), 2**62))
        ring.append(item)
        ref.append(item)
        assert len(ring) == len(ref)
        assert list(ring) == list(ref)
        assert list(reversed(ring)) == list(reversed(ref))
        assert ring[0] == ref[0]
        assert ring[-1] == ref[-1]
    assert ring.nbytes() == maxlen * 2 * 8
    with pytest.raises(IndexError):
        ring[maxlen]
    seeded = PackedRing(2, maxlen, list(ref))
    assert list(seeded) == list(ref)


def test_commit_ring_gives_commits_back() -> None:
    ring = CommitRing(3)
    commits = [Commit(10 + i, 1, 840_000 + i, 5, 1, 4, 1, 1_789_000_000_000 + i) for i in range(5)]
    for c in commits:
        ring.append(c)
    assert list(ring) == commits[2:]
    assert next(reversed(ring)) == commits[-1]
    assert ring[0].version == 12
    assert ring.maxlen == 3
    assert bool(CommitRing(2)) is False
