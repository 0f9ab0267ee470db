"""A subscribed stream's routing state (``Route``), its one-call fan-out and the fetch requests
the router queues besides the sync machines' own (``AuditTop``, ``ProbeQuiet``, ``DealRecovery``).

The bottom floor of the router: ``fetchside`` (REST fetches, queues, audits), ``gaps`` (deal gaps,
quiet-book watchdog) and ``router`` (stream tables, the per-frame path) all build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from mexc_futures.marketdata.subscription import DealDedup, Subscription
from mexc_futures.model.booksync import BookSync, FullBookSync
from mexc_futures.protocol.ledger import Stream
from mexc_futures.transport.metrics import StreamMetrics

Listener = Callable[[Any], None]


class AuditTop(NamedTuple):
    """A periodic REST top-N audit of ``symbol``'s book (S14), queued behind resyncs."""

    symbol: str


class ProbeQuiet(NamedTuple):
    """Ask the venue whether a silent book at ``version`` changed (one depth_commits read)."""

    symbol: str
    version: int


class DealRecovery(NamedTuple):
    """Fetch REST deals to fill a ``DealGap`` of ``symbol`` (D9); not before ``not_before``."""

    symbol: str
    since: int
    until: int
    not_before: float


class Route:
    """Routing state of one subscribed stream."""

    __slots__ = (
        "auditing",
        "bbo",
        "deal_first",
        "dedup",
        "fanout",
        "gap_since",
        "last_count",
        "last_gap",
        "metrics",
        "peer_counts",
        "publish",
        "reopened",
        "rest_mark",
        "rotating",
        "silence",
        "since_ms",
        "stream",
        "subs",
        "sync",
        "wire",
    )

    def __init__(self, stream: Stream, metrics: StreamMetrics) -> None:
        self.stream = stream
        self.metrics = metrics
        self.subs: list[Subscription] = []
        self.fanout: tuple[Listener, ...] = ()  # every listener of this stream, in call order
        #: one call that hands an event to all of ``fanout`` (the listener itself when there is
        #: one, ``None`` when there is none); rebuilt with ``fanout``
        self.publish: Listener | None = None
        self.sync: BookSync | FullBookSync | None = None
        self.dedup: DealDedup | None = None
        self.gap_since: int | None = None
        #: deal streams (D9): the last DealGap window reported, and the time the stream came
        #: back from a reconnect until its first deal proves the subscription flows again
        self.last_gap: tuple[int, int] = (0, 0)
        self.reopened: int | None = None
        self.deal_first: int | None = None  # first deal after the reconnect, while still open
        self.since_ms = 0  # venue ms when the stream was subscribed
        #: depth streams: connection -> (last end, its ts) seen off the in-order path (D9)
        self.wire: dict[int, tuple[int, int]] = {}
        #: depth streams: the version a REST snapshot / commits set the book to, until the wire
        #: has delivered past it (0: none); the book's version is no proof of the wire then (D9)
        self.rest_mark = 0
        self.last_count = 0
        self.rotating = 0  # twin connection taking over this book (rotation), 0 if none
        self.auditing = False
        #: quiet-book watchdog (fidelity row 8): the symbol's deal / ticker message counts at the
        #: last silence check, the current watch interval (grows while the book stays idle) and,
        #: on a ticker stream, the last ``(bid1, ask1)``
        self.peer_counts: tuple[int, int] = (0, 0)
        self.silence = 0.0
        self.bbo: tuple[float | None, float | None] | None = None

    def messages(self) -> int:
        """Frames received for this stream (depth counts them in its sync machine)."""
        if isinstance(self.sync, BookSync):
            return self.sync.stats.frames
        return self.metrics.messages


def _publisher(fan: tuple[Listener, ...]) -> Listener | None:
    """One callable for a fan-out: ``None`` for none, the listener itself for one (the common
    case: no loop on the per-frame path), else a loop over all of them in order."""
    if not fan:
        return None
    if len(fan) == 1:
        return fan[0]

    def publish(ev: Any) -> None:
        for f in fan:
            f(ev)

    return publish


__all__ = ["AuditTop", "DealRecovery", "Listener", "ProbeQuiet", "Route"]
