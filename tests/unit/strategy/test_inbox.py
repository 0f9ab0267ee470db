"""Strategy engine queues (``strategy.inbox``): conflation, drop-oldest bound, dispatch order."""

from __future__ import annotations

from decimal import Decimal

from mexc_futures.model.events import BalanceUpdate, BookUpdate, Ticker
from mexc_futures.strategy.inbox import EventInbox


def _book(symbol: str, version: int) -> BookUpdate:
    return BookUpdate(symbol=symbol, version=version, best_bid=1.0, best_ask=2.0)


def _ticker(price: float) -> Ticker:
    return Ticker(symbol="BTC_USDT", last_price=price)


def _balance(currency: str) -> BalanceUpdate:
    z = Decimal(0)
    return BalanceUpdate(currency=currency, available=z, frozen=z, position_margin=z)


def test_books_conflate_keeping_first_and_newest_arrival() -> None:
    box = EventInbox(market_queue=4)
    assert not box.put_book(_book("A", 1), 1.0)
    assert box.put_book(_book("A", 2), 2.0)
    assert box.put_book(_book("A", 3), 3.0)
    assert len(box) == 1
    assert box.pop() == (_book("A", 3), 1.0, 3.0)
    assert box.pop() is None
    assert len(box) == 0


def test_market_queue_drops_oldest_when_full() -> None:
    box = EventInbox(market_queue=2)
    assert not box.put_market(_ticker(1), 1.0)
    assert not box.put_market(_ticker(2), 2.0)
    assert box.put_market(_ticker(3), 3.0)
    assert len(box) == 2
    assert [box.pop(), box.pop(), box.pop()] == [
        (_ticker(2), 2.0, 2.0),
        (_ticker(3), 3.0, 3.0),
        None,
    ]


def test_account_first_then_oldest_market_event_book_on_tie() -> None:
    box = EventInbox(market_queue=8)
    box.put_market(_ticker(1), 2.0)
    box.put_book(_book("A", 1), 2.0)
    box.put_book(_book("B", 1), 1.0)
    box.put_market(_ticker(2), 3.0)
    box.put_account(_balance("USDT"), 5.0)
    box.put_account(_balance("BTC"), 6.0)
    assert len(box) == 6
    order = []
    while (item := box.pop()) is not None:
        order.append(item)
    assert order == [
        (_balance("USDT"), 5.0, 5.0),
        (_balance("BTC"), 6.0, 6.0),
        # books pop in symbol insertion order; the head book (A, t=2) ties the ticker: book first
        (_book("A", 1), 2.0, 2.0),
        (_book("B", 1), 1.0, 1.0),
        (_ticker(1), 2.0, 2.0),
        (_ticker(2), 3.0, 3.0),
    ]
