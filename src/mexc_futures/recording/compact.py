"""``record compact``: a recording as Parquet, one file per stream and UTC day (issue #17; design
record-replay-bus.md §1.3: Parquet only as a derived, compacted form — a Parquet file without its
footer is unreadable, so the live recorder never writes one).

``compact(src, out)`` writes a new recording directory ``out``: the source's ``manifest.json``
(with ``compacted`` naming the source) and ``compact/<set>/<YYYY-MM-DD>/<stream>.parquet`` for
the ``segments`` and ``private`` sets, where ``<stream>`` is ``<channel>.<symbol>`` for pushes
(``push.depth.BTC_USDT``) and the line kind otherwise (``rest``, ``tx``, ``open``, ...). Every
file has the columns ``seq`` (int64: the line's position in its set — processing order),
``recv_ns`` (int64), ``conn`` (int32), ``kind`` (string) and ``payload`` (binary: the exact frame
bytes), sorted by ``seq``, zstd-compressed at ``level``. ``parquet.iter_parquet_set`` merges a
set's files back by ``seq``, so replay, ``emulator --replay`` and ``backtest`` read a compacted
recording line for line as the original (``reader.iter_set`` picks it when a set has no
segments). DuckDB and polars read the files directly:
``SELECT * FROM 'out/compact/segments/*/*.parquet'``.

Needs pyarrow: the optional extra ``pip install 'mexc-futures[data]'``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from mexc_futures.recording import format as fmt
from mexc_futures.recording.format import Line
from mexc_futures.recording.parquet import BATCH, load_pyarrow

SETS = ("segments", "private")


class _Head(msgspec.Struct):
    channel: str = ""
    symbol: str = ""


@dataclass
class CompactResult:
    """What ``compact`` wrote."""

    out: Path
    lines: int = 0
    files: dict[str, int] = field(default_factory=dict)  # relative path -> rows
    bytes_in: int = 0
    bytes_out: int = 0


def stream_of(line: Line, head: msgspec.json.Decoder[_Head]) -> str:
    """``push.depth.BTC_USDT`` for a push, the line kind for anything else."""
    if line.kind == fmt.WS:
        try:
            h = head.decode(line.payload)
        except msgspec.DecodeError:
            return "ws"
        name = ".".join(x for x in (h.channel, h.symbol) if x)
        return name.replace("/", "_") or "ws"
    return line.kind.decode()


class _Writers:
    def __init__(self, root: Path, level: int) -> None:
        self.pa, self.pq = load_pyarrow()
        self.root, self.level = root, level
        self.schema = self.pa.schema([("seq", self.pa.int64()), ("recv_ns", self.pa.int64()),
                                      ("conn", self.pa.int32()), ("kind", self.pa.string()),
                                      ("payload", self.pa.binary())])
        self.buf: dict[Path, list[tuple[int, Line]]] = {}
        self.writers: dict[Path, Any] = {}
        self.rows: dict[Path, int] = {}

    def add(self, rel: Path, seq: int, line: Line) -> None:
        rows = self.buf.setdefault(rel, [])
        rows.append((seq, line))
        if len(rows) >= BATCH:
            self._flush(rel)

    def _flush(self, rel: Path) -> None:
        rows = self.buf.pop(rel, [])
        if not rows:
            return
        pa = self.pa
        table = pa.table([pa.array([s for s, _ in rows], pa.int64()),
                          pa.array([ln.recv_ns for _, ln in rows], pa.int64()),
                          pa.array([ln.conn for _, ln in rows], pa.int32()),
                          pa.array([ln.kind.decode() for _, ln in rows], pa.string()),
                          pa.array([ln.payload for _, ln in rows], pa.binary())],
                         schema=self.schema)
        w = self.writers.get(rel)
        if w is None:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            w = self.writers[rel] = self.pq.ParquetWriter(
                str(path), self.schema, compression="zstd", compression_level=self.level)
        w.write_table(table)
        self.rows[rel] = self.rows.get(rel, 0) + len(rows)

    def close(self) -> None:
        for rel in list(self.buf):
            self._flush(rel)
        for w in self.writers.values():
            w.close()


def compact(src: Path, out: Path, *, level: int = 9) -> CompactResult:
    """Write the Parquet form of the recording at ``src`` into the new directory ``out``."""
    from mexc_futures.recording.reader import iter_set, load_manifest, segment_paths

    load_manifest(src)  # a clear error when ``src`` is not a recording
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty: give a new --out directory")
    out.mkdir(parents=True, exist_ok=True)
    res = CompactResult(out)
    head = msgspec.json.Decoder(_Head)
    for set_name in SETS:
        paths = segment_paths(src, set_name)
        if not paths:
            continue
        res.bytes_in += sum(p.stat().st_size for p in paths)
        writers = _Writers(out / "compact" / set_name, level)
        try:
            for seq, line in enumerate(iter_set(src, set_name)):
                day = time.strftime("%Y-%m-%d", time.gmtime(line.recv_ns // 1_000_000_000))
                writers.add(Path(day) / f"{stream_of(line, head)}.parquet", seq, line)
                res.lines += 1
        finally:
            writers.close()
        for rel, rows in writers.rows.items():
            res.files[f"compact/{set_name}/{rel}"] = rows
        if set_name == "private":
            for p in (out / "compact" / set_name).rglob("*.parquet"):
                p.chmod(0o600)
    res.bytes_out = sum(p.stat().st_size for p in (out / "compact").rglob("*.parquet"))
    manifest = json.loads((src / "manifest.json").read_text())
    manifest["compacted"] = {"source": str(src), "level": level, "lines": res.lines,
                             "files": res.files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return res


__all__ = ["CompactResult", "compact", "stream_of"]
