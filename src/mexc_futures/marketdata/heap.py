"""Give the C allocator's free memory back to the system after a resync wave (issue #13).

Why: a mass reconnect makes a session allocate and free a few megabytes in a burst (hundreds of
REST answers, replayed frames, fetch jobs). Python's own heap goes back to where it was (the
800-contract soak: glibc bytes in use flat at 23.9–24.0 MB over the last 8 of 14 drops), but
glibc keeps the freed chunks in its arenas for reuse, and fragmentation spreads them: the bytes
held free grew from 2.0 to 5.1 MB over 30 minutes and RSS with them. ``malloc_trim(0)`` returns
the free pages (top of the heap and, since glibc 2.8, whole free pages inside it). Market data
calls it once when every fetch queue has drained after a wave of at least
``MarketDataConfig.heap_trim_after`` REST fetches: a few milliseconds, once per mass reconnect,
never on the frame path.

Only glibc has ``malloc_trim``: elsewhere (macOS, musl) this is a no-op that says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable


@functools.cache
def _load() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once per process; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    fn = getattr(libc, "malloc_trim", None)
    if fn is None:
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


def trim_available() -> bool:
    """Can this process give free heap back (glibc)?"""
    return _load() is not None


def release_free_heap() -> bool:
    """``malloc_trim(0)``: True when memory was returned to the system, False when there was
    none to return or the allocator has no such call."""
    fn = _load()
    return bool(fn(0)) if fn is not None else False


__all__ = ["release_free_heap", "trim_available"]
