"""One queue per REST bucket for the fetches book sync asks for (reliability D5), sans-I/O.

Why: after a mass reconnect every book asks for a snapshot at once. Firing them all at the rate
limiter (each with its own deadline, which then includes the wait behind hundreds of others) ends
in timeouts, retries and starvation: the audit's soak saw 0 of 150 books come back. Instead the
router puts each request here and a few workers (no more than the bucket serves per window) take
them one at a time, so the deadline of a request covers only its own HTTP call.

Rules:
  * one pending job per symbol (fair share): a newer request for the same symbol replaces the
    older one (its ``request_id`` is the one the sync machine waits for) and keeps its place; a
    less urgent one (higher ``rank``) is dropped instead;
  * priority: lower ``rank`` first (book resyncs before audits), then the most active book first
    (``activity(symbol)``: frames buffered while it waits, deals seen — books that trade matter
    most), then first come, first served;
  * counters for metrics and the progress log: queued now, started, done, failed, and the longest
    time a job waited in the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class _Job(Generic[T]):
    item: T
    rank: int
    seq: int
    queued_at: float


@dataclass(slots=True)
class QueueStats:
    """Counters of one fetch queue (read by ``metrics.SyncProgress``)."""

    started: int = 0
    done: int = 0
    failed: int = 0
    replaced: int = 0
    skipped: int = 0  # popped but no longer needed (the book healed or restarted meanwhile)
    stolen: int = 0  # taken by the other bucket's idle workers (commits -> snapshot)
    max_wait: float = 0.0  # longest queue wait of a started job (clock seconds)


class FetchQueue(Generic[T]):
    """Pending fetches of one REST bucket, one per symbol; see the module docstring."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: dict[str, _Job[T]] = {}
        self._ranks: dict[int, int] = {}  # pending jobs per rank
        self._seq = 0
        self.stats = QueueStats()

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._jobs

    def put(self, symbol: str, item: T, now: float, rank: int = 0) -> None:
        """Queue ``item`` for ``symbol`` (replacing a pending one, which keeps its place)."""
        old = self._jobs.get(symbol)
        if old is not None:
            if rank > old.rank:
                return  # a less urgent job (an audit) never replaces a pending resync
            self.stats.replaced += 1
            old.item = item
            if rank < old.rank:
                self._count(old.rank, -1)
                self._count(rank, 1)
                old.rank = rank
            return
        self._seq += 1
        self._jobs[symbol] = _Job(item, rank, self._seq, now)
        self._count(rank, 1)

    def _count(self, rank: int, n: int) -> None:
        self._ranks[rank] = self._ranks.get(rank, 0) + n

    def count(self, rank: int) -> int:
        """Pending jobs of ``rank``."""
        return self._ranks.get(rank, 0)

    def get(self, symbol: str) -> T | None:
        """``symbol``'s pending job, if any."""
        job = self._jobs.get(symbol)
        return None if job is None else job.item

    def discard(self, symbol: str) -> None:
        """Forget ``symbol``'s pending job (the stream went away)."""
        job = self._jobs.pop(symbol, None)
        if job is not None:
            self._count(job.rank, -1)

    def pop_first(self, rank: int, now: float,
                  activity: Callable[[str], int] | None = None) -> T | None:
        """The next job of ``rank`` only (``None`` when there is none), same order as ``pop``."""
        if not self._ranks.get(rank):
            return None
        syms = [s for s, j in self._jobs.items() if j.rank == rank]
        if activity is None:
            sym = min(syms, key=lambda s: self._jobs[s].seq)
        else:
            sym = min(syms, key=lambda s: (-activity(s), self._jobs[s].seq))
        return self._take(sym, now)

    def pop(self, now: float, activity: Callable[[str], int] | None = None) -> T | None:
        """The next job to run (``None`` when empty); see the module docstring for the order."""
        if not self._jobs:
            return None
        if activity is None:
            sym = min(self._jobs, key=lambda s: (self._jobs[s].rank, self._jobs[s].seq))
        else:
            sym = min(self._jobs, key=lambda s: (self._jobs[s].rank, -activity(s),
                                                 self._jobs[s].seq))
        return self._take(sym, now)

    def _take(self, sym: str, now: float) -> T:
        job = self._jobs.pop(sym)
        self._count(job.rank, -1)
        st = self.stats
        st.started += 1
        st.max_wait = max(st.max_wait, now - job.queued_at)
        return job.item


__all__ = ["FetchQueue", "QueueStats"]
