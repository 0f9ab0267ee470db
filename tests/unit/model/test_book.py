"""OrderBook: absolute levels, deletes, best prices, top-N, spread/mid, crossed, equality."""

from __future__ import annotations

import random

from mexc_futures.model.book import Lv, OrderBook


def test_empty_book_has_no_prices() -> None:
    b = OrderBook("BTC_USDT")
    assert b.best_bid is None
    assert b.best_ask is None
    assert b.spread is None
    assert b.mid is None
    assert not b.crossed
    assert b.top(5) == ([], [])


def test_apply_sets_absolute_sizes_and_zero_deletes() -> None:
    b = OrderBook()
    b.apply([Lv(100.0, 5, 1), Lv(99.5, 3, 2)], [Lv(101.0, 7, 1), Lv(102.0, 1, 1)])
    assert b.best_bid == 100.0
    assert b.best_ask == 101.0
    b.apply([Lv(100.0, 2, 1)], [])  # absolute, not additive
    assert b.bid_vol(100.0) == 2
    b.apply([Lv(100.0, 0, 0)], [Lv(101.0, 0, 0)])
    assert b.best_bid == 99.5
    assert b.best_ask == 102.0
    b.apply([Lv(42.0, 0, 0)], [])  # deleting an absent level is a no-op
    assert b.depth() == (1, 1)


def test_top_orders_sides_and_spread_mid() -> None:
    b = OrderBook()
    b.apply([Lv(p, 1.0) for p in (97.0, 99.0, 98.0)], [Lv(p, 2.0) for p in (103.0, 101.0, 102.0)])
    bids, asks = b.top(2)
    assert bids == [(99.0, 1.0), (98.0, 1.0)]
    assert asks == [(101.0, 2.0), (102.0, 2.0)]
    assert b.spread == 2.0
    assert b.mid == 100.0
    assert b.best_bid_level() == (99.0, 1.0)
    assert b.best_ask_level() == (101.0, 2.0)
    assert b.top(0) == ([], [])


def test_crossed_detection() -> None:
    b = OrderBook()
    b.apply([Lv(100.0, 1)], [Lv(100.0, 1)])
    assert b.crossed
    b.apply([], [Lv(100.0, 0)])
    assert not b.crossed


def test_replace_and_equality_with_reference() -> None:
    b = OrderBook()
    b.apply([Lv(1.0, 1)], [Lv(9.0, 1)])
    b.replace([Lv(100.0, 1, 1), Lv(99.0, 0, 0)], [Lv(101.0, 2, 1)], version=7)
    assert b.version == 7
    assert b.depth() == (1, 1)
    assert b.equals([Lv(100, 1)], [Lv(101, 2)])
    assert not b.equals([Lv(100, 1)], [Lv(101, 3)])
    b.apply([Lv(98.0, 4)], [])
    assert b.equals([Lv(100, 1)], [Lv(101, 2)], depth=1)
    assert not b.equals([Lv(100, 1)], [Lv(101, 2)])


def test_matches_a_dict_model_under_random_updates() -> None:
    rng = random.Random(7)
    b = OrderBook()
    bids: dict[float, float] = {}
    asks: dict[float, float] = {}
    for _ in range(3000):
        side_bid = rng.random() < 0.5
        price = float(rng.randint(1, 60)) if side_bid else float(rng.randint(61, 120))
        vol = float(rng.choice([0, 0, 1, 2, 5]))
        model = bids if side_bid else asks
        if vol:
            model[price] = vol
        else:
            model.pop(price, None)
        (b.set_bid if side_bid else b.set_ask)(price, vol)
        assert b.best_bid == (max(bids) if bids else None)
        assert b.best_ask == (min(asks) if asks else None)
    assert b.equals(list(bids.items()), list(asks.items()))
    assert "OrderBook" in repr(b)


def test_apply_reports_crossed_and_keeps_best_prices_current() -> None:
    b = OrderBook()
    assert b.apply([Lv(100.0, 1), Lv(99.0, 2)], [Lv(101.0, 1)]) is False
    assert (b.best_bid, b.best_ask) == (100.0, 101.0)
    assert b.apply([], [Lv(100.0, 3)]) is True  # touches the best bid: crossed
    assert b.crossed
    assert b.best_ask == 100.0
    assert b.apply([Lv(100.0, 0)], []) is False  # the crossing bid goes
    assert (b.best_bid, b.best_ask) == (99.0, 100.0)
    assert b.apply([Lv(99.0, 0)], [Lv(100.0, 0), Lv(101.0, 0)]) is False  # both sides empty
    assert (b.best_bid, b.best_ask) == (None, None)
    b.replace([Lv(5.0, 1)], [Lv(6.0, 1)], version=3)
    assert (b.best_bid, b.best_ask) == (5.0, 6.0)
    b.set_bid(5.5, 1)
    b.set_ask(6.0, 0)
    assert (b.best_bid, b.best_ask) == (5.5, None)
    b.clear()
    assert (b.best_bid, b.best_ask, b.version) == (None, None, 0)
