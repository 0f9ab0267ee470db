"""Market-data metrics: per connection and per stream, in Python and Prometheus text format.

Counters are plain attributes bumped on the hot path (no locks, no label lookups); the
Prometheus text (exposition format 0.0.4) is rendered only when asked for. Stream gaps, resyncs
and divergences are counted by the router as the sync machines report them; a depth stream's
``messages`` is its ``BookSync.stats.frames``, folded in whenever ``MarketData.metrics`` is read
(so a depth frame bumps one counter, not two).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, fields

#: ``Metrics.connections`` key (and Prometheus ``conn="retired"``) of the folded counters of
#: connections that are gone for good (rotated out, closed), beyond the newest ``KEEP_RETIRED``
RETIRED = -1
KEEP_RETIRED = 64


@dataclass(slots=True)
class ConnMetrics:
    """One WebSocket connection."""

    conn: int
    messages: int = 0
    bytes: int = 0
    decode_errors: int = 0
    unknown_frames: int = 0
    protocol_errors: int = 0  # picows failed the socket (frame over the size limit, ...) (D3)
    handler_errors: int = 0  # a frame's handler raised; the connection was replaced (D3)
    supervisor_errors: int = 0  # anything else that escaped a connection's run (D3)
    venue_errors: int = 0
    reconnects: int = 0
    frames_sent: int = 0
    stalls: int = 0
    rotations: int = 0
    last_pong_rtt: float = 0.0
    open: bool = False


@dataclass(slots=True)
class StreamMetrics:
    """One subscribed stream (``channel`` + ``symbol``)."""

    channel: str
    symbol: str
    messages: int = 0
    gaps: int = 0
    resyncs: int = 0
    duplicates: int = 0
    divergences: int = 0
    stale: int = 0
    idle: int = 0  # silent-depth checks that found the book merely quiet (fidelity row 8)
    recovered: int = 0  # deals fetched from REST to fill a gap (D9)
    last_latency_ms: float = 0.0
    last_ts: int = 0


@dataclass(slots=True)
class Metrics:
    """All market-data metrics of one ``MarketData``."""

    connections: dict[int, ConnMetrics] = field(default_factory=dict)
    streams: dict[tuple[str, str], StreamMetrics] = field(default_factory=dict)
    #: book sync progress and REST fetch queues (``MarketData.sync_progress()``), refreshed each
    #: time ``MarketData.metrics`` is read: books, synced, snapshots/commits queued, done, failed
    sync: dict[str, float] = field(default_factory=dict)
    _retired: deque[int] = field(default_factory=deque)

    def retire(self, conn: int) -> None:
        """``conn`` is gone for good (its supervisor ended). The newest ``KEEP_RETIRED`` stay
        listed as they are; older ones are folded into ``connections[RETIRED]``, so a session
        that rotates connections for days keeps a bounded dict and the same totals (#13)."""
        if conn == RETIRED or conn not in self.connections:
            return
        self._retired.append(conn)
        while len(self._retired) > KEEP_RETIRED:
            gone = self.connections.pop(self._retired.popleft(), None)
            if gone is None:
                continue
            into = self.conn(RETIRED)
            for f in fields(ConnMetrics):
                if f.name not in _NOT_SUMMED:
                    setattr(into, f.name, getattr(into, f.name) + getattr(gone, f.name))

    def conn(self, conn: int) -> ConnMetrics:
        """The metrics of ``conn`` (created on first use)."""
        m = self.connections.get(conn)
        if m is None:
            m = self.connections[conn] = ConnMetrics(conn)
        return m

    def stream(self, channel: str, symbol: str) -> StreamMetrics:
        """The metrics of a stream (created on first use)."""
        key = (channel, symbol)
        m = self.streams.get(key)
        if m is None:
            m = self.streams[key] = StreamMetrics(channel, symbol)
        return m

    @property
    def gaps(self) -> int:
        """Depth version gaps over every stream."""
        return sum(s.gaps for s in self.streams.values())

    @property
    def resyncs(self) -> int:
        """Book resyncs over every stream."""
        return sum(s.resyncs for s in self.streams.values())

    def totals(self) -> dict[str, float]:
        """Sums over connections and streams (``conn_*`` / ``stream_*`` keys)."""
        out: dict[str, float] = {}
        for prefix, items, skip in (
            ("conn_", list(self.connections.values()), _NOT_SUMMED),
            ("stream_", list(self.streams.values()),
             {"channel", "symbol", "last_latency_ms", "last_ts"}),
        ):
            for obj in items:
                for f in fields(obj):
                    if f.name not in skip:
                        key = prefix + f.name
                        out[key] = out.get(key, 0) + getattr(obj, f.name)
        return out

    def prometheus(self, prefix: str = "mexc_md") -> str:
        """Prometheus text exposition of every metric."""
        return "".join(self._lines(prefix))

    def _lines(self, prefix: str) -> Iterator[str]:
        for cls, items, labels in (
            (ConnMetrics, list(self.connections.values()), ("conn",)),
            (StreamMetrics, list(self.streams.values()), ("channel", "symbol")),
        ):
            kind = "conn" if cls is ConnMetrics else "stream"
            for f in fields(cls):
                if f.name in labels:
                    continue
                name = f"{prefix}_{kind}_{f.name}"
                mtype = "gauge" if f.name in _GAUGES else "counter"
                yield f"# TYPE {name} {mtype}\n"
                for obj in items:
                    lab = ",".join(f'{k}="{_escape(_label(obj, k))}"' for k in labels)
                    yield f"{name}{{{lab}}} {float(getattr(obj, f.name))!r}\n"
        for key, value in self.sync.items():
            name = f"{prefix}_sync_{key}"
            mtype = "counter" if key.endswith(("_done", "_failed", "heap_trims")) else "gauge"
            yield f"# TYPE {name} {mtype}\n{name} {float(value)!r}\n"


_GAUGES = {"open", "last_pong_rtt", "last_latency_ms", "last_ts"}
_NOT_SUMMED = {"conn", "open", "last_pong_rtt"}


def _label(obj: object, key: str) -> str:
    value = getattr(obj, key)
    return "retired" if key == "conn" and value == RETIRED else str(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


__all__ = ["KEEP_RETIRED", "RETIRED", "ConnMetrics", "Metrics", "StreamMetrics"]
