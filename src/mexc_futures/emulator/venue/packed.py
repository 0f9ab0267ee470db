"""``PackedRing``: a bounded ring of fixed-width number records in one ``array``.

What the emulator keeps for tests by the hundred thousand — depth commits (``matching.py``, 8
integers each) and the ``(begin, end)`` versions pushed to each connection (``server/fanout.py``,
2 each) — cost ~272 and ~136 bytes per record as Python objects (an object, a tuple and its
big ``int`` objects). Packed they cost 8 bytes per integer: 64 and 16 (issue #14, the RSS
plateau: 300 000 commits were 82 MB, now 19 MB). The ring behaves like ``deque(maxlen=N)`` for
what the callers use: ``append``, ``extend``, ``len``, iteration oldest first, ``reversed``,
indexing (``[0]`` oldest, ``[-1]`` newest) and ``maxlen``; records come back as tuples.
``typecode="d"`` stores floats (closed kline bars, ``market/klines.py``: 56 bytes a bar instead
of ~230).

Storage grows with use (a quiet symbol's ring stays small) up to ``maxlen`` records, then the
oldest record's slot is overwritten.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class PackedRing:
    """Bounded ring of ``width``-number records (``typecode`` "q": signed 64-bit integers, "d":
    floats), oldest first."""

    __slots__ = ("_a", "_head", "_n", "maxlen", "width")

    def __init__(
        self, width: int, maxlen: int, items: Iterable[Sequence[Any]] = (), typecode: str = "q"
    ) -> None:
        if width < 1 or maxlen < 1:
            raise ValueError("width and maxlen must be >= 1")
        self.width = width
        self.maxlen = maxlen
        self._a: array[Any] = array(typecode)
        self._head = 0  # index (in records) of the oldest record once the ring is full
        self._n = 0
        self.extend(items)

    def append(self, item: Sequence[Any]) -> None:
        """Add the newest record (the oldest goes once ``maxlen`` are kept)."""
        if self._n < self.maxlen:
            self._a.extend(item)
            self._n += 1
            return
        a, i = self._a, self._head * self.width
        for k, value in enumerate(item):  # in place: no allocation on the hot path
            a[i + k] = value
        self._head = (self._head + 1) % self.maxlen

    def extend(self, items: Iterable[Sequence[Any]]) -> None:
        for item in items:
            self.append(item)

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def _record(self, k: int) -> tuple[Any, ...]:
        """The ``k``-th record from the oldest (0-based, ``0 <= k < len``)."""
        w = self.width
        i = ((self._head + k) % self._n if self._n == self.maxlen else k) * w
        return tuple(self._a[i : i + w])

    def __getitem__(self, k: int) -> tuple[Any, ...]:
        if k < 0:
            k += self._n
        if not 0 <= k < self._n:
            raise IndexError("PackedRing index out of range")
        return self._record(k)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        for k in range(self._n):
            yield self._record(k)

    def __reversed__(self) -> Iterator[tuple[Any, ...]]:
        for k in range(self._n - 1, -1, -1):
            yield self._record(k)

    def nbytes(self) -> int:
        """Bytes held by the packed storage."""
        return self._a.buffer_info()[1] * self._a.itemsize


class DealLog:
    """A symbol's public deal log for the ground truth (``truth.deals``), packed: 64 bytes a deal
    instead of ~470 as a dict (issue #14). Deals go in and come out as the venue's deal rows
    ``{p, v, T, O, M, t, i}`` (``i`` a string, ``p`` an int where it was one)."""

    __slots__ = ("_ring",)

    def __init__(self, maxlen: int) -> None:
        self._ring = PackedRing(8, maxlen, typecode="d")

    @property
    def maxlen(self) -> int:
        return self._ring.maxlen

    def append(self, d: dict[str, Any]) -> None:
        p = d.get("p", 0)
        self._ring.append(
            (p, d.get("v", 0), d.get("T", 0), d.get("O", 0), d.get("M", 0), d.get("t", 0),
             int(d.get("i") or 0), 1.0 if isinstance(p, int) else 0.0)
        )

    def __len__(self) -> int:
        return len(self._ring)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for p, v, side, flag, self_trade, t, i, int_price in self._ring:
            yield {"p": int(p) if int_price else p, "v": int(v), "T": int(side), "O": int(flag),
                   "M": int(self_trade), "t": int(t), "i": str(int(i))}


__all__ = ["DealLog", "PackedRing"]
