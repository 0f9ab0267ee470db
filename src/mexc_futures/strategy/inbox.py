"""Events waiting for the strategy: the strategy engine's queues (brief §6.1), sans-I/O.

Contract:

* Book updates are conflated: one slot per symbol holds the newest ``BookUpdate`` with the
  arrival time of the first version still pending and of the newest (``put_book`` returns True
  when it replaced a pending version).
* Other market events wait in a FIFO of at most ``market_queue`` items; when full the oldest is
  dropped (``put_market`` returns True then).
* Account events wait in an unbounded FIFO (the engine bounds it by back-pressure) and are taken
  before any market event.
* ``pop`` returns ``(event, first_arrival, newest_arrival)`` (equal unless conflated): account
  first; otherwise the older of the oldest pending book and the oldest other market event (a book
  on a tie). Within a kind, order is kept.

Times are whatever the caller passes (the engine's injected monotonic clock).
"""

from __future__ import annotations

from collections import deque

from mexc_futures.model.events import AccountEvent, BookUpdate, Event, MarketEvent


class EventInbox:
    """The pending events (see the module docstring); ``len()`` is the backlog."""

    def __init__(self, market_queue: int) -> None:
        self.market_queue = market_queue
        #: symbol -> (newest update, first arrival, newest arrival)
        self.books: dict[str, tuple[BookUpdate, float, float]] = {}
        self.others: deque[tuple[MarketEvent, float]] = deque()
        self.account: deque[tuple[AccountEvent, float]] = deque()

    def __len__(self) -> int:
        return len(self.books) + len(self.others) + len(self.account)

    def put_book(self, event: BookUpdate, now: float) -> bool:
        """Hold ``event`` as its symbol's pending book; True if it replaced one (conflated)."""
        held = self.books.get(event.symbol)
        if held is not None:
            self.books[event.symbol] = (event, held[1], now)
            return True
        self.books[event.symbol] = (event, now, now)
        return False

    def put_market(self, event: MarketEvent, now: float) -> bool:
        """Queue a non-book market event; True if the queue was full and its oldest dropped."""
        dropped = len(self.others) >= self.market_queue
        if dropped:
            self.others.popleft()
        self.others.append((event, now))
        return dropped

    def put_account(self, event: AccountEvent, now: float) -> None:
        """Queue an account event (never dropped here)."""
        self.account.append((event, now))

    def pop(self) -> tuple[Event, float, float] | None:
        """The next event with its first and newest arrival times, or None when empty."""
        if self.account:
            event, t_in = self.account.popleft()
            return event, t_in, t_in
        # Alternate fairly between conflated books and other market events, oldest first.
        book_t = next(iter(self.books.values()))[1] if self.books else None
        other_t = self.others[0][1] if self.others else None
        if book_t is not None and (other_t is None or book_t <= other_t):
            sym = next(iter(self.books))
            return self.books.pop(sym)
        if other_t is not None:
            other, t_in = self.others.popleft()
            return other, t_in, t_in
        return None


__all__ = ["EventInbox"]
