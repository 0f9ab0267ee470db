"""Where the emulator's memory goes: a diagnostic behind the control token (issue #14, RSS plateau).

``GET /_emulator/memory`` answers, for the running emulator process:

* ``rssKb`` (Linux ``/proc/self/statm``; ``None`` elsewhere), ``tasks`` (asyncio tasks alive),
  ``gc`` (collection counts per generation and, with ``?objects=1``, the number of tracked
  objects — a full walk, slow on a big heap);
* ``sizes``: the length of every structure the emulator keeps for tests or for the venue — per
  venue (``venue.memory_sizes()``: commit rings, deal logs, klines, orders, ...) and per server
  (live and closed connections, received frames, pushed depth versions, the REST call log,
  faults fired, the connection guard);
* ``tracemalloc``: when tracing is on, the ``top`` allocation sites by traceback, diffed against
  the previous call's snapshot (``sizeDiffKb``, ``countDiff``) — two calls some minutes apart
  name what grew between them; ``?top=0`` takes no snapshot (cheap, for frequent sampling).

``POST /_emulator/memory/trace {"frames": 10}`` starts ``tracemalloc`` (``{"frames": 0}``
stops it); tracing costs CPU (2–3× on the tick), so it is off unless asked for.
``benchmarks/attacks/soak.py`` with ``MF_SOAK_TRACE=1`` calls both and writes the answers next
to its samples. docs/emulator-server.md "Memory" lists every bound the sizes check.
"""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from typing import Any, Protocol

import msgspec
from aiohttp import web

from mexc_futures.emulator.server.link import Link

_encode = msgspec.json.Encoder().encode
_IGNORED = (
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
)


class MemHost(Protocol):
    """What the probe reads of the server (``Emulator`` is one)."""

    @property
    def links(self) -> dict[int, Link]: ...

    @property
    def closed_links(self) -> dict[int, Link]: ...

    @property
    def venue(self) -> Any: ...

    @property
    def rest(self) -> Any: ...

    @property
    def faults(self) -> Any: ...

    @property
    def guard(self) -> Any: ...


def rss_kb() -> int | None:
    """Resident set size of this process in KiB (Linux), else ``None``."""
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _link_sizes(links: dict[int, Link]) -> dict[str, int]:
    received = pushed = held = 0
    for link in links.values():
        conn = link.conn
        received += len(conn.session.received)
        pushed += sum(len(v) for v in conn.pushed.values())
        held += len(conn.held)
    return {"count": len(links), "receivedFrames": received, "pushedPairs": pushed,
            "heldFrames": held}


def server_sizes(host: MemHost) -> dict[str, Any]:
    """Lengths of what the server keeps (each one bounded, docs/emulator-server.md "Memory")."""
    return {
        "links": _link_sizes(host.links),
        "closedLinks": _link_sizes(host.closed_links),
        "restCalls": len(host.rest.calls),
        "faultsFired": len(host.faults.fired),
        "guardConnections": len(host.guard.conns),
    }


class MemoryProbe:
    """Snapshots and their diff; one per server."""

    def __init__(self, host: MemHost) -> None:
        self.host = host
        self._last: tracemalloc.Snapshot | None = None

    def trace(self, frames: int) -> dict[str, Any]:
        """Start tracing with ``frames`` frames per traceback (0: stop)."""
        if frames <= 0:
            tracemalloc.stop()
            self._last = None
            return {"tracing": False}
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        tracemalloc.start(frames)
        self._last = None
        return {"tracing": True, "frames": frames}

    def top(self, limit: int, group: str = "traceback") -> dict[str, Any]:
        """The ``limit`` sites that grew most since the previous call (all of them the first
        time), grouped by ``traceback`` or ``lineno``."""
        if not tracemalloc.is_tracing():
            return {"tracing": False}
        snap = tracemalloc.take_snapshot().filter_traces(_IGNORED)
        current, peak = tracemalloc.get_traced_memory()
        if self._last is None:
            stats = [(s.size, s.count, s.size, s.count, s.traceback)
                     for s in snap.statistics(group)]
        else:
            stats = [(d.size_diff, d.count_diff, d.size, d.count, d.traceback)
                     for d in snap.compare_to(self._last, group)]
        self._last = snap
        stats.sort(key=lambda s: s[0], reverse=True)
        rows = [
            {
                "sizeDiffKb": round(size_diff / 1024, 1),
                "countDiff": count_diff,
                "sizeKb": round(size / 1024, 1),
                "count": count,
                "where": [f"{fr.filename}:{fr.lineno}" for fr in tb],
            }
            for size_diff, count_diff, size, count, tb in stats[:limit]
        ]
        return {"tracing": True, "tracedKb": current // 1024, "peakKb": peak // 1024,
                "top": rows}

    def report(self, *, top: int = 25, objects: bool = False) -> dict[str, Any]:
        """The whole answer of ``GET /_emulator/memory``."""
        return {
            "rssKb": rss_kb(),
            "tasks": len(asyncio.all_tasks()),
            "gc": {"counts": list(gc.get_count()),
                   "objects": len(gc.get_objects()) if objects else None},
            "sizes": {"server": server_sizes(self.host),
                      "venue": self.host.venue.memory_sizes()},
            "tracemalloc": self.top(top) if top > 0 else {"tracing": tracemalloc.is_tracing()},
        }


def add_memory_routes(app: web.Application, host: MemHost, prefix: str) -> MemoryProbe:
    """Mount ``GET {prefix}/memory`` and ``POST {prefix}/memory/trace`` (the control guard,
    added by ``control.add_control_routes``, protects them with the token)."""
    probe = MemoryProbe(host)

    async def memory(request: web.Request) -> web.Response:
        top = int(request.query.get("top", "25"))
        objects = request.query.get("objects", "0") not in ("0", "", "false")
        body = probe.report(top=max(0, min(top, 500)), objects=objects)
        return web.Response(body=_encode(body), content_type="application/json")

    async def trace(request: web.Request) -> web.Response:
        body = msgspec.json.decode(await request.read() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        frames = int(body.get("frames", 10))
        if not 0 <= frames <= 100:
            raise ValueError("frames must be in [0, 100]")
        return web.Response(body=_encode(probe.trace(frames)), content_type="application/json")

    app.router.add_get(prefix + "/memory", memory)
    app.router.add_post(prefix + "/memory/trace", trace)
    return probe


__all__ = ["MemHost", "MemoryProbe", "add_memory_routes", "rss_kb", "server_sizes"]
