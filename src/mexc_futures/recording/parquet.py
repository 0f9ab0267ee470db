"""Reading the Parquet form of a recording (``record compact``, issue #17): ``iter_parquet_set``
merges a set's per-stream files back into the original line order (by ``seq``). Needs pyarrow
(``pip install 'mexc-futures[data]'``); imported only when a recording is compacted."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mexc_futures.recording.format import Line

BATCH = 50_000  # rows per stream buffered/read at a time


def load_pyarrow() -> Any:
    """``(pyarrow, pyarrow.parquet)``, or an ``ImportError`` that says what to install."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet recordings need pyarrow: pip install 'mexc-futures[data]'"
                          ) from None
    return pa, pq


def parquet_paths(root: Path, set_name: str) -> list[Path]:
    d = Path(root) / "compact" / set_name
    return sorted(d.rglob("*.parquet")) if d.is_dir() else []


def _rows(path: Path) -> Iterator[tuple[int, Line]]:
    _, pq = load_pyarrow()
    f = pq.ParquetFile(str(path))
    for batch in f.iter_batches(batch_size=BATCH):
        cols = batch.to_pydict()
        for s, ns, conn, kind, payload in zip(cols["seq"], cols["recv_ns"], cols["conn"],
                                              cols["kind"], cols["payload"], strict=True):
            yield s, Line(ns, conn, kind.encode(), payload)


def iter_parquet_set(root: Path, set_name: str) -> Iterator[Line]:
    """The lines of a compacted set in their original order (merged by ``seq``)."""
    streams = [_rows(p) for p in parquet_paths(root, set_name)]
    for _, line in heapq.merge(*streams, key=lambda r: r[0]):
        yield line


__all__ = ["BATCH", "iter_parquet_set", "load_pyarrow", "parquet_paths"]
