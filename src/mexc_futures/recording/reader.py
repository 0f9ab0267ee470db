"""Read a recording: segments in order, tolerant of a truncated tail (a killed recorder).

``read_segment`` decodes a segment with a streaming zstd decompressor: every complete block is
returned, a partial last block and a partial last line are dropped and the segment is reported
``truncated`` (acceptance A3). ``iter_lines`` merges the ``segments`` and ``private`` sets by
receive time (each set's own order is kept: it is the live processing order).
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from mexc_futures.recording import format as fmt
from mexc_futures.recording.format import Line, Manifest

CHUNK = 1 << 20


@dataclass
class SegmentRead:
    """What reading one segment found."""

    path: Path
    lines: int = 0
    raw_bytes: int = 0
    bytes: int = 0
    first_ns: int = 0
    last_ns: int = 0
    truncated: bool = False  # no zstd frame end (the writer did not close it)
    dropped_tail: int = 0  # bytes of an incomplete last line
    bad_lines: int = 0
    errors: list[str] = field(default_factory=list)


def load_manifest(root: Path) -> Manifest:
    """The recording's manifest; ``FileNotFoundError`` with a hint when ``root`` is not one."""
    path = Path(root) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{root} is not a recording (no manifest.json); "
                                "make one with `mexc-futures record SYMBOL --out DIR`")
    return fmt.decode_manifest(path.read_bytes())


def segment_paths(root: Path, set_name: str = "segments") -> list[Path]:
    """Segment files of a set, in write order (names sort by hour, then sequence)."""
    d = Path(root) / set_name
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(".tsv.zst"))


def raw_chunks(path: Path, info: SegmentRead) -> Iterator[bytes]:
    """Decompressed bytes of one segment as they come (complete lines not guaranteed)."""
    d = zstandard.ZstdDecompressor().decompressobj()
    info.bytes = os.path.getsize(path)
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            try:
                out = d.decompress(chunk)
            except zstandard.ZstdError as exc:  # corrupt block: keep what came before it
                info.errors.append(str(exc))
                info.truncated = True
                return
            if out:
                yield out
    info.truncated = info.truncated or not d.eof


def raw_lines(path: Path, info: SegmentRead | None = None) -> Iterator[bytes]:
    """Complete lines (with their LF) of one segment; a partial last line is dropped."""
    info = info or SegmentRead(path)
    tail = b""
    for out in raw_chunks(path, info):
        data = tail + out if tail else out
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        if cut:
            info.raw_bytes += cut
            yield from data[:cut].splitlines(keepends=True)
    if tail:
        info.dropped_tail = len(tail)
        info.truncated = True


def read_segment(path: Path, info: SegmentRead | None = None) -> Iterator[Line]:
    """Parsed lines of one segment; ``info`` collects counts, time range and truncation."""
    info = info or SegmentRead(path)
    parse = fmt.parse_line
    for raw in raw_lines(path, info):
        try:
            line = parse(raw)
        except ValueError:
            info.bad_lines += 1
            continue
        if not info.lines:
            info.first_ns = line.recv_ns
        info.last_ns = line.recv_ns
        info.lines += 1
        yield line


def iter_set(root: Path, set_name: str, infos: list[SegmentRead] | None = None) -> Iterator[Line]:
    """Every line of one set, segment after segment (or, for a recording made by ``record
    compact``, from its Parquet files in the original order)."""
    paths = segment_paths(root, set_name)
    if not paths and (Path(root) / "compact" / set_name).is_dir():
        from mexc_futures.recording.parquet import iter_parquet_set

        yield from iter_parquet_set(root, set_name)
        return
    for path in paths:
        info = SegmentRead(path)
        if infos is not None:
            infos.append(info)
        yield from read_segment(path, info)


def iter_lines(root: Path, *, private: bool = True,
               infos: list[SegmentRead] | None = None) -> Iterator[Line]:
    """Every line of a recording: the public set, merged by time with the private set."""
    pub = iter_set(root, "segments", infos)
    if not private or not (segment_paths(root, "private")
                           or (Path(root) / "compact" / "private").is_dir()):
        yield from pub
        return
    priv = iter_set(root, "private", infos)
    yield from heapq.merge(pub, priv, key=lambda ln: ln.recv_ns)


__all__ = [
    "SegmentRead",
    "iter_lines",
    "iter_set",
    "load_manifest",
    "raw_chunks",
    "raw_lines",
    "read_segment",
    "segment_paths",
]
