"""The market-data soak's opt-in client memory probe (``md_soak --trace-memory``, issue #13).

What grows in a ``MarketData`` session that a flat fd / task count does not show:

  * ``tracemalloc`` started after the warm-up (the cold start), a snapshot at each sample and
    its growth against the first one, by source line (top sites per sample) and, at the end, by
    traceback (the call path that allocated what is still alive);
  * the sizes of every container the session's objects hold (dicts, lists, sets, deques of the
    ``MarketData`` and its routes, sync machines, deal de-duplicators, fetch queues, metrics,
    ledger, pool, connections and their sessions, the REST client): summed per
    ``Class.attribute`` over all instances, so a per-route dict keyed by connection ids shows as
    one growing line;
  * glibc's heap figures (``mallinfo2``: bytes in use vs held free in the arenas), to tell a
    Python-level growth from the allocator keeping freed memory.

Sampling costs a few hundred milliseconds per snapshot at 300 contracts: the probe is off by
default and its figures are for finding a growth, not for the soak's latency figures.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import tracemalloc
from collections import deque
from typing import Any

_CONTAINERS = (dict, list, set, frozenset, deque, bytearray)
_MAX_NODES = 200_000


def _attrs(obj: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    d = getattr(obj, "__dict__", None)
    if isinstance(d, dict):
        out.extend(d.items())
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name in ("__dict__", "__weakref__"):
                continue
            try:
                out.append((name, getattr(obj, name)))
            except AttributeError:
                continue
    return out


def _ours(obj: Any) -> bool:
    mod = type(obj).__module__ or ""
    return mod.startswith(("mexc_futures", "benchmarks"))


def structure_sizes(root: Any) -> dict[str, int]:
    """``Class.attr -> total len`` over every project object reachable from ``root`` through
    attributes and container values (containers of containers: ``Class.attr[]`` sums the
    inner lengths). Bounded walk; each object counted once."""
    sizes: dict[str, int] = {}
    seen: set[int] = set()
    todo: list[Any] = [root]
    nodes = 0
    while todo and nodes < _MAX_NODES:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        nodes += 1
        cls = type(obj).__name__
        for name, val in _attrs(obj):
            if isinstance(val, _CONTAINERS):
                key = f"{cls}.{name}"
                sizes[key] = sizes.get(key, 0) + len(val)
                items = list(val.values()) if isinstance(val, dict) else (
                    [] if isinstance(val, bytearray) else list(val))
                if isinstance(val, dict):
                    items += [k for k in val if _ours(k)]
                inner = 0
                for v in items:
                    if isinstance(v, _CONTAINERS):
                        inner += len(v)
                    elif isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], dict):
                        inner += len(v[1])  # DealDedup.cur: conn -> (t, counts)
                    if _ours(v):
                        todo.append(v)
                if inner:
                    sizes[key + "[]"] = sizes.get(key + "[]", 0) + inner
            elif _ours(val):
                todo.append(val)
    sizes["_objects_walked"] = nodes
    return sizes


_LIBS = ("mexc_futures", "picows", "aiofastnet", "uvloop", "aiohttp", "asyncio", "msgspec")


def live_objects() -> dict[str, int]:
    """Live gc-tracked objects per ``module.Class`` of the project and its network libraries
    (a per-connection object graph kept after every reconnect shows here)."""
    out: dict[str, int] = {"_gc_collected": gc.collect()}  # cyclic garbage is not "live"
    for o in gc.get_objects():
        t = type(o)
        mod = t.__module__
        if isinstance(mod, str) and mod.startswith(_LIBS):
            key = f"{mod}.{t.__qualname__}"
            out[key] = out.get(key, 0) + 1
    return out


def book_levels(md: Any) -> int:
    """Price levels held by every local book of ``md`` (the compiled book is not walkable)."""
    n = 0
    for st in list(getattr(md, "_streams", {}).values()):
        sync = getattr(st, "sync", None)
        if sync is not None:
            n += sum(sync.book.depth())
    return n


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _libc() -> Any:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = lib.mallinfo2
        fn.restype = _Mallinfo2
        return fn
    except (OSError, AttributeError):
        return None


_MALLINFO = _libc()


def heap_mb() -> dict[str, float]:
    """glibc heap: arena (sbrk), mmapped blocks, in use and free (MB); empty if unavailable."""
    if _MALLINFO is None:
        return {}
    m = _MALLINFO()
    mb = 1024.0 * 1024.0
    return {"arena_mb": round(m.arena / mb, 1), "mmap_mb": round(m.hblkhd / mb, 1),
            "in_use_mb": round((m.uordblks + m.hblkhd) / mb, 1),
            "free_mb": round(m.fordblks / mb, 1)}


def _site(stat: Any) -> dict[str, Any]:
    frames = [f"{f.filename.rsplit('site-packages/', 1)[-1].rsplit('src/', 1)[-1]}:{f.lineno}"
              for f in stat.traceback]
    return {"kb": round(stat.size_diff / 1024.0, 1), "count": stat.count_diff,
            "at": frames if len(frames) > 1 else frames[0]}


class MemProbe:
    """tracemalloc after the warm-up plus structure sizes at each sample (see module doc)."""

    def __init__(self, frames: int = 6, trace: bool = True, mid_at: float = 0.0) -> None:
        self.frames = frames
        self.trace = trace  # False: sizes and heap only (RSS not inflated by tracemalloc)
        self.mid_at = mid_at  # a second baseline at the first sample at or after this time
        self.started = False
        self.base: tracemalloc.Snapshot | None = None
        self.mid: tracemalloc.Snapshot | None = None
        self.mid_t = 0.0
        self.samples: list[dict[str, Any]] = []
        self.sizes0: dict[str, int] = {}
        self.live0: dict[str, int] = {}

    def start(self, md: Any) -> None:
        gc.collect()
        self.started = True
        if self.trace:
            tracemalloc.start(self.frames)
            self.base = self._snap()
        self.sizes0 = structure_sizes(md)
        self.live0 = live_objects()

    @staticmethod
    def _snap() -> tracemalloc.Snapshot:
        return tracemalloc.take_snapshot().filter_traces((
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
            tracemalloc.Filter(False, "<unknown>")))

    def sample(self, md: Any, t: float) -> dict[str, Any]:
        if not self.started:
            return {}
        doc: dict[str, Any] = {"t": round(t, 1), "book_levels": book_levels(md),
                               "blocks": sys.getallocatedblocks(), **heap_mb()}
        if self.base is not None:
            snap = self._snap()
            diff = snap.compare_to(self.base, "lineno")
            doc["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 1048576.0, 2)
            doc["tracemalloc_own_mb"] = round(tracemalloc.get_tracemalloc_memory() / 1048576.0, 2)
            doc["top_lines"] = [_site(s) for s in diff[:8]]
            if self.mid is None and self.mid_at and t >= self.mid_at:
                self.mid, self.mid_t = snap, t
        sizes = structure_sizes(md)
        grown = {k: [self.sizes0.get(k, 0), v] for k, v in sizes.items()
                 if v != self.sizes0.get(k, 0) and k != "_objects_walked"}
        live = live_objects()
        doc["live_changed"] = dict(sorted(
            ((k, [self.live0.get(k, 0), v]) for k, v in live.items() if v != self.live0.get(k, 0)),
            key=lambda kv: -abs(kv[1][1] - kv[1][0]))[:15])
        doc["sizes_changed"] = dict(sorted(grown.items(),
                                           key=lambda kv: -abs(kv[1][1] - kv[1][0]))[:25])
        self.samples.append(doc)
        return doc

    def report(self, md: Any) -> dict[str, Any]:
        """Top growth sites by traceback since the warm-up and the structure sizes: first vs
        last (every container, so a bounded cache shows its cap)."""
        if not self.started:
            return {}
        out: dict[str, Any] = {"tracemalloc": self.trace, "frames": self.frames}
        if self.base is not None:
            snap = self._snap()
            out["top_tracebacks"] = [_site(s) for s in
                                     snap.compare_to(self.base, "traceback")[:20]]
            if self.mid is not None:
                out["mid_t"] = self.mid_t
                out["top_tracebacks_since_mid"] = [_site(s) for s in
                                                   snap.compare_to(self.mid, "traceback")[:20]]
            tracemalloc.stop()
        sizes = structure_sizes(md)
        keys = sorted(set(sizes) | set(self.sizes0))
        return {**out,
                "sizes_first_last": {k: [self.sizes0.get(k, 0), sizes.get(k, 0)] for k in keys},
                "samples": self.samples}


__all__ = ["MemProbe", "book_levels", "heap_mb", "live_objects", "structure_sizes"]
