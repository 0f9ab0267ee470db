"""``MarketDataConfig``: the market-data manager's tunables.

A module of its own so that the router (``marketdata.router``) and the facade
(``marketdata.facade``) both use it without importing each other (issue #11: no import cycles).
"""

from __future__ import annotations

import msgspec

from mexc_futures.protocol.ratelimit import RateLimiter
from mexc_futures.protocol.session import SessionConfig


class MarketDataConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Tunables (seconds are clock seconds, i.e. venue seconds under a scaled clock)."""

    max_per_conn: int = 30
    session: SessionConfig = SessionConfig()
    snapshot_limit: int | None = 1000
    commits_limit: int = 1000
    depth_silence: float | None = 30.0  # staleness watchdog per depth stream (S3, row 8)
    quiet_max_factor: float = 8.0  # an idle book's watchdog backs off up to this x silence
    audit_interval: float | None = 60.0  # REST top-N audit period per book (S14)
    audit_depth: int = 20
    audit_rate: float = 2.0  # all books' audits together, per second (half the depth bucket)
    audit_ticker: bool = False  # also compare ticker bid1/ask1 (needs a ticker subscription)
    queue_size: int = 100_000
    dedup_window_ms: int = 120_000
    rotation_timeout: float = 30.0
    rotation_overlap: float = 1.0
    rest_timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_cap: float = 30.0
    deal_recovery: bool = True  # fill deal gaps from REST ``deals`` (D9, spec §4.5)
    deal_recovery_delay: float = 1.0  # let frames of the gap's window still in flight arrive
    deal_gap_margin_ms: int = 1000  # widen a connection gap's window by this much each side
    fetch_workers: int = 4  # concurrent snapshot (and commits) fetches; the rest queue (D5)
    progress_every: float = 10.0  # log resync progress at most this often while fetches queue
    #: give glibc's free heap back (``malloc_trim``) when the fetch queues drain after at least
    #: this many REST fetches (a mass reconnect); None: never (``marketdata/heap.py``)
    heap_trim_after: int | None = 100


def market_data_limiter() -> RateLimiter:
    """The REST limiter of a client that serves market data only (book snapshots, commits, deal
    recoveries): scheduled by slots and margin, without the answer hold (``protocol/ratelimit``).

    Why: market data's fetch queue keeps at most ``fetch_workers`` requests per bucket in flight,
    and the hold made every resync pay the venue's latency under load. In the 800-contract soak
    (``md_soak --no-answer-hold``, 2026-12-06) the books were back after a mass drop in 25.4, 29.9,
    37.2, 51.7, 64.0 s without the hold against 47.1, 49.6, 44.2, 56.4, 65.0 s with it, and the
    venue answered 0 of 7,458 calls with a 510. A 510 there costs a retry, not an order; the
    trading client keeps the hold (bursts of creates and cancels can drain a bucket)."""
    return RateLimiter(answer_hold=False)


__all__ = ["MarketDataConfig", "market_data_limiter"]
