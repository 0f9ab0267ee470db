"""The C ``Book`` behind the ``OrderBook`` API reads exactly like the pure book (#19).

Random sequences of every mutation (``set_bid``/``set_ask``/``apply``/``replace``/``clear``,
duplicate prices, zero sizes, deletes of absent prices, ints and -0.0) applied to both; after
each one every reading API must agree.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from mexc_futures._speedups import hot
from mexc_futures.model.book import Lv, PyOrderBook

pytestmark = pytest.mark.skipif(hot is None, reason="compiled path not built / disabled")

price = hs.sampled_from([99.0, 99.5, 100.0, 100.5, 101.0, 101.5, 102, 0.0001, 1e6])
vol = hs.sampled_from([0, 0.0, -0.0, 1, 2.5, 1e-8, 7])
level = hs.builds(Lv, price, vol)
levels = hs.lists(level, max_size=6)
op = hs.one_of(
    hs.tuples(hs.just("set_bid"), price, vol),
    hs.tuples(hs.just("set_ask"), price, vol),
    hs.tuples(hs.just("apply"), levels, levels),
    hs.tuples(hs.just("replace"), levels, levels, hs.integers(0, 2**40)),
    hs.tuples(hs.just("clear")),
)


def reading(b: object) -> tuple[object, ...]:
    from typing import Any

    x: Any = b
    return (x.best_bid, x.best_ask, x.best_bid_level(), x.best_ask_level(), x.spread, x.mid,
            x.crossed, x.top(2), x.levels(), x.depth(), x.version,
            [x.bid_vol(p) for p in (99.0, 100.0, 102)], [x.ask_vol(p) for p in (100.5, 101.0)],
            x.equals(*x.levels()), x.equals([(99.0, 3)], [], depth=1))


@settings(max_examples=300, deadline=None)
@given(ops=hs.lists(op, max_size=25))
def test_c_book_reads_like_the_pure_book(ops: list[tuple[object, ...]]) -> None:
    assert hot is not None
    c, p = hot.Book("S"), PyOrderBook("S")
    for o in ops:
        name, *args = o
        rc = getattr(c, str(name))(*args)
        rp = getattr(p, str(name))(*args)
        assert rc == rp, o
        assert reading(c) == reading(p), o
    assert repr(c).startswith("OrderBook('S', v=")


def test_versions_beyond_int64_are_kept() -> None:
    assert hot is not None
    b = hot.Book("S")
    b.version = 2**70
    assert b.version == 2**70
    b.version = 5
    assert b.version == 5
