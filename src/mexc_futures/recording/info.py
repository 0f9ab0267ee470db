"""``record info``: coverage, gaps, rates and sizes per stream, and a symbol-day projection.

Pure over the reader's lines: ``summarize(root)`` returns an ``Info`` (JSON-ready with
``msgspec.to_builtins``); ``render`` formats it for people. Sizes per stream are measured, not
apportioned: each stream's lines are compressed on their own at the recording's zstd level.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import zstandard

from mexc_futures.recording import format as fmt
from mexc_futures.recording.reader import SegmentRead, iter_set, load_manifest

DAY_S = 86_400


class _Head(msgspec.Struct):
    channel: str = ""
    symbol: str = ""


class StreamStats(msgspec.Struct, kw_only=True):
    """One stream (``push.depth BTC_USDT``) or line kind (``rest``, ``tx``, ...)."""

    key: str
    symbol: str = ""
    frames: int = 0
    raw_bytes: int = 0
    zstd_bytes: int = 0
    first_ns: int = 0
    last_ns: int = 0
    max_silence_ms: float = 0.0
    frames_per_s: float = 0.0
    raw_bytes_per_s: float = 0.0
    zstd_bytes_per_s: float = 0.0
    ratio: float = 0.0


class Gap(msgspec.Struct, kw_only=True):
    """A connection down from ``since_ns`` to ``until_ns`` (0: never came back)."""

    conn: int
    since_ns: int
    until_ns: int
    reason: str
    private: bool = False


class SegmentSummary(msgspec.Struct, kw_only=True):
    name: str
    set: str
    lines: int
    bytes: int
    raw_bytes: int
    first_ns: int
    last_ns: int
    truncated: bool
    dropped_tail: int
    bad_lines: int
    sha256_ok: bool | None = None


class Info(msgspec.Struct, kw_only=True):
    """Everything ``record info`` reports."""

    root: str
    symbols: list[str]
    start_ns: int
    end_ns: int
    duration_s: float
    stopped: str
    lines: int
    raw_bytes: int
    zstd_bytes: int
    streams: list[StreamStats]
    gaps: list[Gap]
    resyncs: dict[str, int]
    deal_gaps: int
    book_checkpoints: int
    segments: list[SegmentSummary]
    symbol_day_mb: dict[str, float]
    symbol_day_raw_mb: dict[str, float]


def summarize(root: Path, *, verify: bool = True) -> Info:
    """Read every line of the recording at ``root`` once and summarise it."""
    man = load_manifest(root)
    level = man.zstd_level or 3
    head = msgspec.json.Decoder(_Head)
    stats: dict[str, StreamStats] = {}
    comps: dict[str, Any] = {}
    open_down: dict[tuple[bool, int], tuple[int, str]] = {}
    gaps: list[Gap] = []
    resyncs: dict[str, int] = {}
    deal_gaps = books = 0
    first = last = 0
    infos: list[SegmentRead] = []
    lines = ((set_name == "private", ln) for set_name in ("segments", "private")
             for ln in iter_set(root, set_name, infos))
    for priv, line in lines:
        ns = line.recv_ns
        first = min(first, ns) if first else ns
        last = max(last, ns)
        kind = line.kind
        sym = ""
        if kind == fmt.WS:
            try:
                h = head.decode(line.payload)
                key, sym = f"{h.channel} {h.symbol}".strip(), h.symbol
            except msgspec.DecodeError:
                key = "ws (undecodable)"
        else:
            key = kind.decode()
            if kind in (fmt.OPEN, fmt.CLOSE):
                _conn_event(line, priv, open_down, gaps)
            elif kind == fmt.MARK:
                m = msgspec.json.decode(line.payload, type=fmt.Mark)
                if m.what == "resync":
                    resyncs[m.reason] = resyncs.get(m.reason, 0) + 1
                elif m.what == "deal_gap":
                    deal_gaps += 1
            elif kind == fmt.BOOK:
                books += 1
        st = stats.get(key)
        if st is None:
            st = stats[key] = StreamStats(key=key, symbol=sym, first_ns=ns)
            comps[key] = zstandard.ZstdCompressor(level=level).compressobj()
        elif st.frames:
            st.max_silence_ms = max(st.max_silence_ms, (ns - st.last_ns) / 1e6)
        st.last_ns = ns
        st.frames += 1
        raw = fmt.encode_line(ns, line.conn, kind, line.payload)  # the line as stored
        st.raw_bytes += len(raw)
        st.zstd_bytes += len(comps[key].compress(raw))
    for (priv, conn), (since, reason) in open_down.items():
        gaps.append(Gap(conn=conn, since_ns=since, until_ns=0, reason=reason, private=priv))
    duration = max((last - first) / 1e9, 1e-9) if first else 0.0
    for key, st in stats.items():
        st.zstd_bytes += len(comps[key].flush())
        if duration:
            st.frames_per_s = st.frames / duration
            st.raw_bytes_per_s = st.raw_bytes / duration
            st.zstd_bytes_per_s = st.zstd_bytes / duration
        st.ratio = st.raw_bytes / st.zstd_bytes if st.zstd_bytes else 0.0
    day: dict[str, float] = {}
    day_raw: dict[str, float] = {}
    for st in stats.values():
        if st.symbol:
            day[st.symbol] = day.get(st.symbol, 0.0) + st.zstd_bytes_per_s * DAY_S / 1e6
            day_raw[st.symbol] = day_raw.get(st.symbol, 0.0) + st.raw_bytes_per_s * DAY_S / 1e6
    by_name = {(s.set, s.name): s for s in man.segments}
    segs = []
    for i in infos:
        seg = by_name.get((i.path.parent.name, i.path.name))
        ok = None
        if verify and seg is not None and seg.complete and seg.sha256:
            ok = _sha256(i.path) == seg.sha256
        segs.append(SegmentSummary(
            name=i.path.name, set=i.path.parent.name, lines=i.lines, bytes=i.bytes,
            raw_bytes=i.raw_bytes, first_ns=i.first_ns, last_ns=i.last_ns,
            truncated=i.truncated, dropped_tail=i.dropped_tail, bad_lines=i.bad_lines,
            sha256_ok=ok))
    ordered = sorted(stats.values(), key=lambda s: (s.symbol == "", s.symbol, s.key))
    return Info(
        root=str(root), symbols=list(man.symbols), start_ns=first, end_ns=last,
        duration_s=duration, stopped=man.stopped or "not stopped (crash or still running)",
        lines=sum(s.frames for s in ordered), raw_bytes=sum(s.raw_bytes for s in ordered),
        zstd_bytes=sum(s.bytes for s in segs), streams=ordered, gaps=gaps, resyncs=resyncs,
        deal_gaps=deal_gaps, book_checkpoints=books, segments=segs,
        symbol_day_mb={k: round(v, 3) for k, v in day.items()},
        symbol_day_raw_mb={k: round(v, 3) for k, v in day_raw.items()},
    )


def _conn_event(line: fmt.Line, priv: bool, down: dict[tuple[bool, int], tuple[int, str]],
                gaps: list[Gap]) -> None:
    key = (priv, line.conn)
    ev = msgspec.json.decode(line.payload, type=fmt.ConnEvent)
    if line.kind == fmt.CLOSE:
        if ev.reason != fmt.STOP_REASON:
            down[key] = (line.recv_ns, ev.reason)
        return
    was = down.pop(key, None)
    if was is not None:
        gaps.append(Gap(conn=line.conn, since_ns=was[0], until_ns=line.recv_ns, reason=was[1],
                        private=priv))


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _mb(n: float) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 1e5 else f"{n / 1e3:,.1f} kB"


def _ts(ns: int) -> str:
    import time

    if not ns:
        return "-"
    t = time.gmtime(ns // 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", t) + f".{ns // 1_000_000 % 1000:03d} UTC"


def render(info: Info) -> str:
    """A report for people: coverage, segments, gaps, then one row per stream."""
    out = [
        f"recording   {info.root}",
        f"symbols     {', '.join(info.symbols)}",
        f"coverage    {_ts(info.start_ns)} -> {_ts(info.end_ns)}  ({info.duration_s:,.1f} s)",
        f"stopped     {info.stopped}",
        f"lines       {info.lines:,}  raw {_mb(info.raw_bytes)}  on disk {_mb(info.zstd_bytes)}"
        + (f"  ({info.raw_bytes / info.zstd_bytes:.1f}x)" if info.zstd_bytes else ""),
        "",
        "segments",
    ]
    for s in info.segments:
        state = "TRUNCATED (recorder did not close it; complete lines recovered)" \
            if s.truncated else "complete"
        sha = {True: ", sha256 ok", False: ", SHA256 MISMATCH", None: ""}[s.sha256_ok]
        out.append(f"  {s.set}/{s.name}  {s.lines:,} lines  {_mb(s.bytes)}  {_ts(s.first_ns)}"
                   f" -> {_ts(s.last_ns)}  {state}{sha}")
    out.append("")
    if info.gaps:
        out.append("gaps (connection down)")
        for g in info.gaps:
            until = _ts(g.until_ns) if g.until_ns else "end of recording"
            dur = f"{(g.until_ns - g.since_ns) / 1e9:,.3f} s" if g.until_ns else "open"
            out.append(f"  conn {g.conn}{' (private)' if g.private else ''}: {_ts(g.since_ns)}"
                       f" -> {until} ({dur}, {g.reason})")
    else:
        out.append("gaps        none (no connection dropped)")
    rs = ", ".join(f"{k} {v}" for k, v in sorted(info.resyncs.items())) or "none"
    out.append(f"resyncs     {rs}; deal gaps {info.deal_gaps}; book checkpoints "
               f"{info.book_checkpoints}")
    out.append("")
    hdr = f"  {'stream':<34}{'frames':>10}{'frames/s':>10}{'raw/s':>12}{'zstd/s':>12}" \
          f"{'ratio':>7}{'max silence':>13}"
    out += ["streams", hdr]
    for st in info.streams:
        out.append(f"  {st.key:<34}{st.frames:>10,}{st.frames_per_s:>10.2f}"
                   f"{_mb(st.raw_bytes_per_s) + '/s':>12}{_mb(st.zstd_bytes_per_s) + '/s':>12}"
                   f"{st.ratio:>6.1f}x{st.max_silence_ms / 1000:>12.2f}s")
    out.append("")
    out.append("symbol-day projection (at this recording's rates, compressed / raw)")
    for sym, mb in sorted(info.symbol_day_mb.items()):
        out.append(f"  {sym:<16}{mb:>10,.1f} MB/day   {info.symbol_day_raw_mb[sym]:>10,.1f} MB/day")
    return "\n".join(out)


__all__ = ["Gap", "Info", "StreamStats", "render", "summarize"]
